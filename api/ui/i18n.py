"""Languages of the web UI: French by default, Arabic (right to left) and English.

Messages live in gettext catalogs, `locale/<lang>/LC_MESSAGES/messages.po`, whose msgids
are the keys templates and pages pass to `t("key", **values)`; `make install` compiles them
to `.mo` files. Numbers and dates are formatted by Babel with the conventions of the chosen
language (Moroccan variants, Latin digits).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LANGUAGES = ("fr", "ar", "en")
DEFAULT = "fr"
LOCALES = {"fr": "fr_MA", "ar": "ar_MA", "en": "en_GB"}
NAMES = {"fr": "Français", "ar": "العربية", "en": "English"}
LOCAL_TIME = ZoneInfo("Africa/Casablanca")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def po_file(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(lang: str) -> dict[str, str]:
    """The language's translated messages by key."""
    return translated(po_file(lang))


def translated(po: Path) -> dict[str, str]:
    """A .po file's messages (an untranslated, fuzzy or plural one left out), read from the .mo
    compiled beside it unless that is missing or older (a fresh checkout before `make
    install`, a .po just edited), so that nothing depends on having installed first."""
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fp:
            messages = read_mo(fp)
    else:
        with po.open("rb") as fp:
            messages = read_po(fp)
    return {
        m.id: m.string
        for m in messages
        if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy
    }


def pick(wanted: str | None) -> str:
    """The language chosen on the page (kept in a cookie), else French."""
    return wanted if wanted in LANGUAGES else DEFAULT


@dataclass(frozen=True)
class Translator:
    """Messages and formats in one language, handed to every template."""

    lang: str

    @property
    def direction(self) -> str:
        return "rtl" if self.lang == "ar" else "ltr"

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = catalog(self.lang).get(key) or catalog(DEFAULT).get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in catalog(self.lang)

    def number(self, value: float | int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.locale)

    def weight(self, kg: Decimal | None) -> str:
        """Kilograms under a tonne, tonnes from one (to the kilogram); — when unknown."""
        if kg is None:
            return "—"
        if abs(kg) >= 1000:
            tonnes = format_decimal(kg / 1000, format="#,##0.###", locale=self.locale)
            return self("weight.t", n=tonnes)
        return self("weight.kg", n=format_decimal(kg, format="#,##0.###", locale=self.locale))

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.locale)

    def date(self, value: date | str | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        return format_date(value, format="medium", locale=self.locale)

    def alert(self, kind: str, details: dict[str, Any], message: str) -> str:
        """An alert's details in words of this language (the API's words if none fit)."""
        key = f"alertmsg.{kind}"
        if not self.has(key):
            return message
        values = {k: self.number(v) if isinstance(v, int | float) else v
                  for k, v in details.items()}  # fmt: skip
        if "expires_on" in details:
            values["expires_on"] = self.date(details["expires_on"])
        try:
            return self(key, **values)
        except (KeyError, IndexError):
            return message

    def month(self, value: str) -> str:
        """`2026-03` as the month's name and year."""
        year, month = (int(part) for part in value.split("-")[:2])
        return format_date(date(year, month, 1), format="LLLL y", locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        try:
            return format_datetime(value, format="short", tzinfo=LOCAL_TIME, locale=self.locale)
        except OverflowError:  # at the calendar's very edge it has no local time: UTC's
            return utc_iso(value)


def utc_iso(value: datetime) -> str:
    """The moment in UTC, in ISO form to the minute (a naive one taken as UTC, as Babel does;
    one beyond UTC's calendar as it was given)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    with suppress(OverflowError):
        value = value.astimezone(UTC)
    return value.isoformat(timespec="minutes")
