"""The registration desk's household form read as the API's bodies: a registration or a
profile update, its member rows (MEMBER_ROWS of them, the empty ones left out) each checked
on its own so that a mistake is shown on its row (`year_of_birth-2`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, get_args

from api.schemas.households import Group, HouseholdCreate, Member, ProfileChange
from api.ui.forms import FormErrors, compact, decimal, integer, parse
from api.ui.i18n import Translator
from services.domain.households.members import Disability, Relation, Sex
from services.domain.privacy import normalise_identifier

MEMBER_ROWS = 8
MEMBER_FIELDS = ("sex", "year_of_birth", "relation", "disability")
# the household form's fields, where a refusal naming one of them is shown
FIELDS = (
    "national_id", "registry_number", "head_name", "phone", "size", "region_code",
    "province_code", "site_id", "groups", "precarity_score", "members", "housing_notes",
    "income_notes",
)  # fmt: skip
CHOICES = {
    "groups": get_args(Group),
    "sex": get_args(Sex),
    "relation": get_args(Relation),
    "disability": get_args(Disability),
}


def member_rows(
    values: dict[str, Any], t: Translator
) -> tuple[list[dict[str, Any]], list[int], dict[str, str]]:
    """The filled rows as members, the form row each came from, and the rows' mistakes."""
    members: list[dict[str, Any]] = []
    rows: list[int] = []
    errors: dict[str, str] = {}
    for row in range(MEMBER_ROWS):
        given = {name: values.get(f"{name}-{row}") or "" for name in MEMBER_FIELDS}
        if not any(given.values()):
            continue
        member = compact(given | {"year_of_birth": integer(given["year_of_birth"])})
        try:
            members.append(parse(Member, member, t).model_dump())
            rows.append(row)
        except FormErrors as exc:
            errors |= {f"{name}-{row}": words for name, words in exc.errors.items()}
    return members, rows, errors


def _profile(values: dict[str, Any], t: Translator) -> tuple[dict[str, Any], dict[str, str]]:
    """The anonymous profile and the notes, and what is wrong with them as a whole (said
    here in the page's words rather than by the model's validators)."""
    members, rows, errors = member_rows(values, t)
    this_year = datetime.now(UTC).year
    for member, row in zip(members, rows, strict=True):
        if member["year_of_birth"] > this_year:
            errors[f"year_of_birth-{row}"] = t("desk.not_born")
    size = integer(values.get("size"))
    if not members and size is None and not errors:
        errors["size"] = t("desk.size_or_members")
    if members and isinstance(size, int) and size != len(members):
        errors["size"] = t("desk.size_members")
    if sum(m["relation"] == "head" for m in members) > 1:
        errors["members"] = t("desk.one_head")
    body = compact({
        "size": size, "region_code": values.get("region_code"),
        "province_code": values.get("province_code"), "site_id": values.get("site_id"),
        "groups": values.get("groups") or [],
        "precarity_score": decimal(values.get("precarity_score")), "members": members or None,
        "housing_notes": values.get("housing_notes"), "income_notes": values.get("income_notes"),
    })  # fmt: skip
    return body, errors


def _checked(model: type[Any], body: dict[str, Any], errors: dict[str, str], t: Translator) -> Any:
    """The body as the model, with every mistake at once: the page's own words first, the
    model's whole-body message (in English) only when the page found nothing to say."""
    try:
        parsed = parse(model, body, t)
    except FormErrors as exc:
        raise FormErrors(
            {k: v for k, v in exc.errors.items() if k or not errors} | errors
        ) from None
    if errors:
        raise FormErrors(errors)
    return parsed


def registration(values: dict[str, Any], t: Translator) -> HouseholdCreate:
    """A household to register, from the form; FormErrors naming each wrong field."""
    body, errors = _profile(values, t)
    national_id, registry = values.get("national_id"), values.get("registry_number")
    if not (national_id or registry):
        errors["national_id"] = t("desk.identifier_required")
    who = compact({
        "id": values.get("form_id"), "national_id": normalise_identifier(national_id or ""),
        "registry_number": registry, "head_name": values.get("head_name"),
        "phone": values.get("phone"),
    })  # fmt: skip
    created: HouseholdCreate = _checked(HouseholdCreate, body | who, errors, t)
    return created


def profile_change(values: dict[str, Any], t: Translator) -> ProfileChange:
    """The household's whole new profile, and the personal fields to seal again (blank:
    unchanged)."""
    body, errors = _profile(values, t)
    personal = compact({"head_name": values.get("head_name"), "phone": values.get("phone")})
    changed: ProfileChange = _checked(ProfileChange, body | personal, errors, t)
    return changed


def on_rows(errors: dict[str, str], rows: list[int]) -> dict[str, str]:
    """A refusal placed where the form shows it: about `members.N.field`, on the form row it
    came from; about a field the form has not (the household's id), above the form."""
    shown: dict[str, str] = {}
    for where, words in errors.items():
        found = re.fullmatch(r"members\.(\d+)\.(\w+)", where)
        index = int(found.group(1)) if found else -1
        if found and index < len(rows):
            where = f"{found.group(2)}-{rows[index]}"
        elif where not in FIELDS:
            where = ""
        shown[where] = words
    return shown


def profile_values(found: dict[str, Any]) -> dict[str, Any]:
    """The form filled with a household's anonymous profile (its personal fields blank)."""
    score = found.get("precarity_score")
    return {
        "size": str(found["size"]), "region_code": found["region_code"],
        "province_code": found.get("province_code") or "", "site_id": found.get("site_id") or "",
        "groups": list(found["groups"]),
        "precarity_score": "" if score is None else f"{score:g}",
    }  # fmt: skip
