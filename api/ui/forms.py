"""Turning posted forms into API bodies, and API refusals into words next to a field."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from api.auth import User
from api.deps import Services
from api.errors import ApiError, status_of
from api.ui.i18n import Translator

M = TypeVar("M", bound=BaseModel)

# Refusals that name no field, and the field they are about.
ERROR_FIELDS = {
    "insufficient_stock": "quantity",
    "insufficient_components": "quantity",
    "kit_contents_unknown": "lot",
    "same_location": "to_location_id",
    "forbidden": "location_id",
    "already_received": "transfer_id",
    "already_dispatched": "id",
    "already_exists": "id",
    "operation_closed": "operation_id",
    "username_taken": "username",
}
PYDANTIC_KEYS = {
    "missing": "form.required",
    "int_parsing": "form.integer",
    "int_type": "form.integer",
    "greater_than": "form.positive",
    "greater_than_equal": "form.not_negative",
    "less_than": "form.too_large",
    "date_from_datetime_parsing": "form.date",
    "date_parsing": "form.date",
    "literal_error": "form.choice",
    "string_pattern_mismatch": "form.pattern",
    "float_type": "form.number",
    "float_parsing": "form.number",
    "finite_number": "form.number",
    "coordinates_pair": "form.coordinates_pair",
    "larger_quantity": "form.larger_quantity",
    "too_short": "form.required",
}
# Errors that name no field, and the field they are shown next to.
TYPE_FIELDS = {"coordinates_pair": "latitude"}
# A bound other than zero is named: "at most 90".
BOUNDS = {"less_than_equal": ("form.at_most", "le"), "greater_than_equal": ("form.at_least", "ge")}
# Fields whose pattern is a decimal written as text, not an identifier.
DECIMAL_FIELDS = {"weight_kg", "volume_l"}


@dataclass(frozen=True)
class Field:
    """One input of a form: `choice` and `multi` take their options from the page."""

    name: str
    kind: str  # choice | multi | number | text | date | lines (rows of item_id and quantity)
    required: bool = True
    rows: int = 0  # for `lines`: how many rows the form offers


@dataclass(frozen=True)
class FormSpec:
    """A form's title, its inputs, and the API call it makes with what was posted."""

    title: str
    fields: tuple[Field, ...]
    send: Callable[[dict[str, Any], Services, User, Translator], Awaitable[Any]]


class FormErrors(Exception):
    """Messages per field (the empty name for the form as a whole), ready to show."""

    def __init__(self, errors: dict[str, str], status: int = 422) -> None:
        super().__init__(errors)
        self.errors = errors
        self.status = status


def integer(value: str | None) -> int | str | None:
    """A typed number as an int, or as typed so that validation names the field."""
    if value is None or value == "":
        return None
    return int(value) if re.fullmatch(r"-?\d{1,12}", value) else value


def decimal(value: str | None) -> float | str | None:
    """A typed decimal ("31.6295", or with a comma: "31,6295") as a float, or as typed so
    that validation names the field."""
    if value is None or value == "":
        return None
    number = value.replace(",", ".", 1) if value.count(",") == 1 else value
    return float(number) if re.fullmatch(r"-?\d{1,3}(\.\d{1,12})?", number) else value


def compact(values: dict[str, Any]) -> dict[str, Any]:
    """Drop empty optional inputs, so that a blank field means 'not given'."""
    return {k: v for k, v in values.items() if v not in (None, "")}


def _field(location: str) -> str:
    """`lines.0.quantity` and `lines.quantity` are the form's `quantity`."""
    return re.sub(r"^(body\.)?lines\.(\d+\.)?", "", location)


def parse(model: type[M], values: dict[str, Any], t: Translator) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():
            where = _field(".".join(str(p) for p in err["loc"]))
            errors.setdefault(where or TYPE_FIELDS.get(err["type"], ""), _message(err, where, t))
        raise FormErrors(errors) from None


def _message(err: Any, where: str, t: Translator) -> str:
    """A validation error in words of the page's language (pydantic's own, if none)."""
    kind = err["type"]
    bound = BOUNDS.get(kind)
    limit = (err.get("ctx") or {}).get(bound[1]) if bound else None
    if bound and limit not in (None, 0):
        return t(bound[0], limit=t.number(limit))
    if kind == "string_pattern_mismatch" and where in DECIMAL_FIELDS:
        return t("form.decimal")
    key = PYDANTIC_KEYS.get(kind)
    return t(key) if key else str(err["msg"])


def refusal(exc: ApiError, t: Translator) -> FormErrors:
    """The API's refusal in plain words of the page's language, next to its field."""
    where = _field(exc.field) if exc.field else ERROR_FIELDS.get(exc.error, "")
    return FormErrors({where: refusal_text(exc, t)}, status=status_of(exc))


def refusal_text(exc: ApiError, t: Translator) -> str:
    """`refusal.<code>` in the page's language with the refusal's details, else the API's
    words. The code is the one the API answers (a NotFound's `error=` detail included)."""
    return refusal_words(exc.details.get("error") or exc.error, exc.details, exc.message, t)


def refusal_words(code: str | None, details: dict[str, Any], otherwise: str, t: Translator) -> str:
    """A writer's refusal `code` in the page's language, with its details; `otherwise` (the
    system's words) when no translation fits."""
    key = f"refusal.{code}"
    try:
        return t(key, **_worded(details)) if code and t.has(key) else otherwise
    except (KeyError, IndexError):  # the same code with other details: the system's words
        return otherwise


def _worded(details: dict[str, Any]) -> dict[str, Any]:
    """Details as a sentence can hold them: short components as "flour-kg (1000 / 450)"."""
    short = details.get("short")
    if not isinstance(short, list):
        return details
    named = ", ".join(f"{s['item_id']} ({s['needed']} / {s['available']})" for s in short)
    return details | {"components": named}
