"""The UI's gettext catalogs: every key the code uses, in every language, same placeholders."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from api.errors import STATUS
from api.ui.forms import PYDANTIC_KEYS
from api.ui.i18n import DEFAULT, LANGUAGES, LOCALE_DIR, Translator, catalog, po_file, translated
from api.ui.pages import agent, donor, relief_forms, stock_forms
from api.ui.web import SECTIONS
from projections.history import KINDS as HISTORY_KINDS
from services.app.permissions import ROLES

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"{(\w+)}")


def read(path: Path) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp)


def messages(lang: str) -> dict[str, str]:
    """Every message of the language's .po, translated or not."""
    return {m.id: m.string for m in read(po_file(lang)) if m.id}


def extracted() -> set[str]:
    """The keys a fresh `make messages` finds: babel.cfg's files, `t(...)` and `N_(...)`."""
    with (ROOT / "babel.cfg").open() as fp:
        method_map, options_map = parse_mapping_cfg(fp)
    tops = {pattern.split("/")[0] for pattern, _ in method_map}

    def wanted(folder: str) -> bool:  # only the folders babel.cfg names, not var/ or .venv
        parts = Path(folder).relative_to(ROOT).parts
        return not parts or (parts[0] in tops and not parts[-1].startswith((".", "_")))

    found = extract_from_dir(
        ROOT, method_map, options_map, keywords={**DEFAULT_KEYWORDS, "t": None},
        directory_filter=wanted,
    )  # fmt: skip
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    french = messages(DEFAULT)
    for lang in LANGUAGES:
        texts = messages(lang)
        assert set(texts) == set(french), lang
        for key, text in texts.items():
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(french[key])), (
                lang,
                key,
            )


def test_every_message_is_translated_in_every_language() -> None:
    for lang in LANGUAGES:
        untranslated = sorted(m.id for m in read(po_file(lang)) if m.id and not m.string)
        fuzzy = sorted(m.id for m in read(po_file(lang)) if m.id and m.fuzzy)
        assert (untranslated, fuzzy) == ([], []), f"{lang}: translate these, then unflag them"


def test_the_catalogs_hold_exactly_the_keys_the_code_and_templates_use() -> None:
    """A key only in the code shows as the bare key; one only in the catalogs would be
    marked obsolete by `make messages` (a key built at run time belongs in message_keys.py)."""
    used = extracted()
    template = {m.id for m in read(LOCALE_DIR / "messages.pot") if m.id}
    assert sorted(used ^ template) == [], "messages.pot is stale: run `make messages`"
    for lang in LANGUAGES:
        held = set(messages(lang))
        assert sorted(used - held) == [], f"used but not in {lang}'s catalog"
        assert sorted(held - used) == [], "in the catalogs but never used: N_() them or drop them"


def test_keys_built_from_the_code_s_own_lists_are_all_translated() -> None:
    forms = {**stock_forms.MOVEMENTS, **relief_forms.FORMS}
    built = (
        {f"reason.{r}" for r in stock_forms.REASONS}
        | {f"operation.kind.{k}" for k in relief_forms.KINDS}
        | {f"history.kind.{k}" for k in HISTORY_KINDS}
        | {f"trace.{p}" for p in donor.PARTS}
        | {f"section.{name}" for name, _ in SECTIONS}
        | {f"role.{r}" for r in ROLES if r != "monitor"}  # no web section: never signed in
        | {f"error.{s}{h}" for s in {400, *STATUS.values()} for h in ("", ".help")}
        | {key for _, key in agent.REASONS}
        | set(PYDANTIC_KEYS.values())
        | {spec.title for spec in forms.values()}
        | {f"done.{kind}" for kind in forms}
        | {f"field.{f.name}" for spec in forms.values() for f in spec.fields}
    )
    for lang in LANGUAGES:
        assert sorted(built - set(catalog(lang))) == [], lang


def test_a_message_renders_in_each_language() -> None:
    said = {
        lang: Translator(lang)("alertmsg.low_stock", on_hand=12, minimum=40) for lang in LANGUAGES
    }
    assert said == {
        "fr": "12 en stock, sous le minimum de 40.",
        "ar": "12 في المخزون، أقل من الحد الأدنى 40.",
        "en": "12 on hand, below the minimum of 40.",
    }
    assert Translator("ar")("signin.title") == "تسجيل الدخول"
    assert Translator("en")("no.such.key") == "no.such.key"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime.max.replace(tzinfo=UTC), "9999-12-31T23:59+00:00"),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "9999-12-31T23:59+00:00"),
        ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59+00:00"),
        (datetime.min.replace(tzinfo=UTC), "0001-01-01T00:00+00:00"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00+00:00"),
        (datetime.max, "9999-12-31T23:59+00:00"),  # naive: UTC, as Babel takes it
        (datetime.max.replace(tzinfo=timezone(timedelta(hours=-2))), "9999-12-31T23:59-02:00"),
    ],
)
def test_a_moment_at_the_calendar_s_edge_is_shown_in_utc_never_an_error(
    lang: str, value: datetime | str, shown: str
) -> None:
    assert Translator(lang).datetime(value) == shown


def test_a_moment_is_shown_in_local_time_in_each_language() -> None:
    moment = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)  # Casablanca: UTC+1 outside Ramadan
    assert Translator("fr").datetime(moment) == "01/06/2026 10:30"
    assert Translator("en").datetime("2026-06-01T09:30:00Z") == "01/06/2026, 10:30"


def test_the_compiled_catalog_is_read_unless_the_po_is_newer(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    shutil.copyfile(po_file("en"), po)
    assert translated(po) == catalog("en")  # no .mo yet: straight from the .po
    compiled = read(po)
    compiled["signin.title"].string = "Sign in (compiled)"
    with po.with_suffix(".mo").open("wb") as fp:
        write_mo(fp, compiled)
    assert translated(po)["signin.title"] == "Sign in (compiled)"
    later = po.with_suffix(".mo").stat().st_mtime + 5
    os.utime(po, (later, later))  # the .po edited after install
    assert translated(po)["signin.title"] == catalog("en")["signin.title"]
