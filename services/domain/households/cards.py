"""A household card's code, as its QR code carries it: the household, the card's number and
its check value, never a national ID or a name (a lost card names nobody).

    AID1:hh-amizmiz-001:2:K7M4Q9TX
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from events.base import SLUG_PATTERN, UUID_PATTERN
from events.households import CARD_CHECK_ALPHABET, CARD_CHECK_PATTERN
from services.domain.decisions import Rejected

PREFIX = "AID1"
CHECK_LENGTH = 8
MAX_CODE_LENGTH = 128  # a prefix, a 64-character id, a number and a check, with room
_HOUSEHOLD = re.compile(f"({SLUG_PATTERN})|({UUID_PATTERN})")
_NUMBER = re.compile(r"^[1-9][0-9]{0,4}$")
_CHECK = re.compile(CARD_CHECK_PATTERN)

__all__ = ["CARD_CHECK_ALPHABET", "CHECK_LENGTH", "CardCode", "code_of", "digest", "parse"]
DIGEST_LENGTH = 32  # hex characters of SHA-256: 128 bits, beyond guessing


@dataclass(frozen=True)
class CardCode:
    """What a card's code says: which household, which of its cards, and the check value."""

    household_id: str
    card_number: int
    check: str

    @property
    def text(self) -> str:
        return code_of(self.household_id, self.card_number, self.check)


def code_of(household_id: str, card_number: int, check: str) -> str:
    """The text a card's QR code encodes."""
    return f"{PREFIX}:{household_id}:{card_number}:{check}"


def _unreadable(why: str) -> Rejected:
    return Rejected("card_invalid", f"this is not a household card's code: {why}")


def parse(text: str) -> CardCode:
    """The parts of a card's code as scanned or typed (surrounding spaces and a lower-case
    check are forgiven), or Rejected `card_invalid` saying what is wrong, in plain words."""
    if len(text) > MAX_CODE_LENGTH:
        raise _unreadable(f"it is longer than {MAX_CODE_LENGTH} characters")
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[0].upper() != PREFIX:
        raise _unreadable(f"it should read {PREFIX}:<household>:<card number>:<check>")
    _, household_id, number, check = parts
    if not _HOUSEHOLD.fullmatch(household_id):
        raise _unreadable("the household part is not a household id")
    if not _NUMBER.fullmatch(number):
        raise _unreadable("the card number is not a whole number from 1")
    if not _CHECK.fullmatch(check.upper()):
        raise _unreadable(f"the check value is not {CHECK_LENGTH} letters and digits")
    return CardCode(household_id, int(number), check.upper())


def digest(code: str) -> str:
    """What a device may keep of a card to recognise it offline: a digest of its whole code
    (first 32 hex characters of its SHA-256), from which no card can be printed again."""
    return hashlib.sha256(code.encode()).hexdigest()[:DIGEST_LENGTH]
