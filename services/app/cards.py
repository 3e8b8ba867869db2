"""Household cards: issued (or replaced) by the household's writer, read back to print, and
named by the code on them when a basket is handed."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from events.households import CARD_CHECK_ALPHABET
from projections import households_queries
from projections.writer_types import utc
from services.app.errors import Conflict, Invalid, NotFound
from services.app.households import within_reach
from services.app.permissions import User, authorize
from services.app.ports import Ports
from services.app.reading import in_thread, wait_for_own_writes
from services.app.sending import Outcome, decide
from services.domain.decisions import Rejected
from services.domain.households.cards import CHECK_LENGTH, CardCode, code_of, parse
from services.domain.households.decider import IssueHouseholdCard
from services.domain.keys import purpose_key

REPLACED = "this card was replaced; use the household's current card"
NOT_A_CARD = "this card matches no registered household's card; check the card or use its id"


def new_check(ports: Ports, client_id: str) -> str:
    """A card's check value: unguessable without the server's key, yet the same for a retry
    of the same request (same client id), which must decide the same command."""
    key = purpose_key(ports.settings.pseudonym_key, "card-checks")
    number = int.from_bytes(hmac.new(key, client_id.encode(), hashlib.sha256).digest())
    letters = []
    for _ in range(CHECK_LENGTH):
        number, index = divmod(number, len(CARD_CHECK_ALPHABET))
        letters.append(CARD_CHECK_ALPHABET[index])
    return "".join(letters)


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A card as the API and the printed page show it."""
    code = code_of(row["household_id"], row["card_number"], row["check_value"])
    return {k: row[k] for k in ("household_id", "card_number", "issued_at")} | {
        "check": row["check_value"],
        "code": code,
    }


async def reachable(ports: Ports, user: User, household_id: str) -> dict[str, Any]:
    """The household's row, or 404 when unknown, erased, or beyond the agent's regions."""
    row = await in_thread(households_queries.household, ports.engine, household_id)
    if row is None or row["erased"] or not await within_reach(ports, user, row):
        raise NotFound(f"no household {household_id!r}", error="unknown_household")
    return row


async def issue_card(
    ports: Ports, user: User, now: datetime, household_id: str, client_id: str
) -> tuple[dict[str, Any], Outcome]:
    """Give the household a new card (its first, or one replacing a lost one, which stops
    working); the same request again answers the same card."""
    authorize(user, "households.write")
    row = await reachable(ports, user, household_id)
    check = new_check(ports, client_id)
    command = IssueHouseholdCard(household_id=household_id, identity=row["identity"], check=check)
    reply = await decide(ports, command, client_id, user, now)
    [event] = [e["data"] for e in reply.events if e["type"] == "HouseholdCardIssued"]
    card = {"household_id": household_id, "card_number": event["card_number"],
            "check_value": event["check"], "issued_at": now}  # fmt: skip
    if reply.replayed:  # issued earlier: when, as the registry recorded it
        card = await _recorded(ports, household_id, event["card_number"]) or card
    return shown(card), Outcome.of(household_id, reply)


async def _recorded(ports: Ports, household_id: str, card_number: int) -> dict[str, Any] | None:
    await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "households")
    return await in_thread(households_queries.card, ports.engine, household_id, card_number)


async def current_card(ports: Ports, user: User, household_id: str) -> dict[str, Any]:
    """The household's card that works now; 404 `no_card` when it was never given one."""
    authorize(user, "households.read")
    await reachable(ports, user, household_id)
    card = await in_thread(households_queries.current_card, ports.engine, household_id)
    if card is None:
        raise NotFound(
            f"household {household_id!r} has no card yet; issue one first", error="no_card"
        )
    return shown(card)


async def card_sheet(
    ports: Ports, user: User, household_id: str, at_least: int = 0
) -> dict[str, Any]:
    """What a printed card shows: the household's id, size and area, and its current card
    (None before the first), never a name, an identifier or a phone (a lost card names
    nobody). `at_least`: the number of a card this process just issued, to wait for."""
    authorize(user, "households.read")
    row = await reachable(ports, user, household_id)
    card = await in_thread(households_queries.current_card, ports.engine, household_id)
    if at_least and (card is None or card["card_number"] < at_least):
        await wait_for_own_writes(ports.engine, ports.settings, ports.last_written, "households")
        card = await in_thread(households_queries.current_card, ports.engine, household_id)
    region, province = await in_thread(
        households_queries.area_names, ports.engine, row["region_code"], row["province_code"]
    )
    return {
        "household_id": household_id, "size": row["size"], "region_code": row["region_code"],
        "region_name": region, "province_code": row["province_code"], "province_name": province,
        "card": shown(card) if card else None,
    }  # fmt: skip


def card_invalid(message: str, field: str = "card") -> Invalid:
    """A 422 `card_invalid` naming the field that carried the code."""
    error = Invalid(message, field=field)
    error.error = "card_invalid"
    return error


async def card_of(
    ports: Ports,
    text: str,
    at: datetime | None,
    known: Mapping[tuple[str, int], dict[str, Any]] | None = None,
) -> CardCode:
    """The card a scanned code names, if it works: now (`at` None: 409 `card_replaced` for a
    card replaced since), or at `at` (an offline record: a card replaced after the basket was
    handed still worked then). A code that matches no card is 422 `card_invalid`. `known`:
    cards already read (a batch's), by (household id, card number)."""
    try:
        code = parse(text)
    except Rejected as rejected:
        raise card_invalid(rejected.message) from None
    key = (code.household_id, code.card_number)
    found = (known or {}).get(key) or await in_thread(households_queries.card, ports.engine, *key)
    if found is None:  # perhaps issued by this very process a moment ago
        found = await _recorded(ports, *key)
    if found is None or not hmac.compare_digest(found["check_value"], code.check):
        raise card_invalid(NOT_A_CARD)
    replaced = found["replaced_at"]
    if replaced is not None and at is None:
        raise Conflict(REPLACED, error="card_replaced")
    if replaced is not None and at is not None and utc(at) >= replaced:
        raise Conflict(
            f"this card was replaced on {replaced:%Y-%m-%d %H:%M} UTC, before this basket was "
            "handed; use the household's current card",
            error="card_replaced",
        )
    return code


def household_ids(texts: Iterable[str | None]) -> list[str]:
    """The households the readable codes among `texts` name (to read them all at once)."""
    found = []
    for text in filter(None, texts):
        try:
            found.append(parse(text).household_id)
        except Rejected:
            continue  # refused with its reason when its record is prepared
    return found
