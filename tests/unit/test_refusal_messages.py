"""Every refusal a decider can answer is worded in the page's language, not the API's English."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import pytest

from api.ui.forms import refusal, refusal_text
from api.ui.i18n import Translator, catalog
from events.households import LateWhy
from events.relief import CashDonationReceived
from services.app.errors import AppError, NotFound
from services.app.sending import refuse
from services.domain.commands import Reply
from services.domain.decisions import DomainError
from services.domain.reference.decider import Registration
from services.domain.reference.donations import DonationDecider, RecordCashDonation, RecordPurchase
from services.domain.requisitions.state import Status as RequisitionStatus
from services.domain.stock.commands import VoidableEntry
from tests.support.stock_stories import (
    BASKETS,
    LAST_FEBRUARY,
    dispatch,
    given,
    line,
    receive_transfer,
    received,
    sent,
)

ROOT = Path(__file__).resolve().parents[2]
# A literal code as a decider's first argument: `Refused("code", …)`, `Rejected(\n  "code"`.
RAISED = re.compile(r"\b(?:Refused|Rejected)\(\s*\"(\w+)\"")
FRENCH = Translator("fr")


def domain_codes() -> set[str]:
    return {
        code
        for path in (ROOT / "services" / "domain").rglob("*.py")
        for code in RAISED.findall(path.read_text(encoding="utf-8"))
    } | codes_built_at_run_time()


def codes_built_at_run_time() -> set[str]:
    """`Refused(why, …)`, `Refused(f"requisition_{state.status}", …)`, `f"unknown_{entry}"`:
    every value their types allow."""
    return (
        set(get_args(LateWhy))
        | {f"requisition_{status}" for status in get_args(RequisitionStatus)}
        - {"requisition_unknown"}
        | {f"unknown_{entry}" for entry in get_args(VoidableEntry)}
    )


def test_the_scan_finds_the_deciders_codes() -> None:
    assert {"insufficient_stock", "transfer_cancelled", "unknown_lot"} <= domain_codes()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_every_code_a_decider_raises_is_worded_in_french_and_arabic(lang: str) -> None:
    """A page shows `refusal.<code>`; a code a page words per action (`already_resolved` as
    `refusal.already_resolved.void`…) counts as worded."""
    keys = set(catalog(lang))
    missing = sorted(
        code
        for code in domain_codes()
        if f"refusal.{code}" not in keys and not any(k.startswith(f"refusal.{code}.") for k in keys)
    )
    assert missing == [], f"add these refusal.<code> to the {lang} catalog and message_keys.py"


def as_raised(error: DomainError | None) -> AppError:
    """The decider's refusal as the application raises it to a page (Conflict, Invalid)."""
    assert error is not None
    reply = Reply(command_id="c-1", status=error.kind, error=error.code, message=error.message,
                  details=error.details)  # fmt: skip
    with pytest.raises(AppError) as raised:
        refuse(reply)
    return raised.value


def test_more_received_than_dispatched_is_said_in_french_with_the_item_and_quantity() -> None:
    decision = given().when(receive_transfer([sent(10, "RB-1")], {BASKETS: 12}))
    exc = as_raised(decision.then_rejected("more_than_dispatched"))

    said = refusal(exc, FRENCH).errors

    assert said == {
        "lines": f"{BASKETS} : seulement 10 expédiés, impossible d'en recevoir davantage."
    }
    assert exc.message not in said.values()


def test_an_expired_lot_is_said_in_french_naming_the_lot() -> None:
    decision = given(received(40, "RB-1", expires_on=LAST_FEBRUARY)).when(
        dispatch(line(5, lot="RB-1"))
    )
    exc = as_raised(decision.then_rejected("expired_lot", lot="RB-1"))

    said = refusal_text(exc, FRENCH)

    assert "Le lot RB-1 est périmé" in said
    assert "expired" not in said and exc.message != said


def test_a_purchase_in_another_currency_is_said_in_french_and_arabic() -> None:
    decider, now = DonationDecider(), datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    gift = RecordCashDonation(
        donation=CashDonationReceived(donation_id="don-cash-7", donor_id="fondation-atlas",
                                      amount=5_000_000, currency="MAD")
    )  # fmt: skip
    state = decider.evolve(Registration(), decider.decide(Registration(), gift, now)[0])
    in_euros = RecordPurchase(
        purchase_id="buy-1", donation_id="don-cash-7", supplier="Minoterie du Souss",
        location_id="wh-casa", item_id="flour-25kg", quantity=300, amount=100, currency="EUR",
        lot="buy-1",
    )  # fmt: skip
    with pytest.raises(DomainError) as refused:
        decider.decide(state, in_euros, now)
    exc = as_raised(refused.value)

    assert refusal_text(exc, FRENCH) == "Ce don est en MAD : saisissez l'achat en MAD."
    assert refusal_text(exc, Translator("ar")) == "هذا التبرع بعملة MAD: سجّل الشراء بعملة MAD."
    assert "record the purchase" not in refusal_text(exc, FRENCH)


def test_an_application_not_found_is_worded_by_its_code() -> None:
    exc = NotFound("no pledge 'p-9'", error="unknown_pledge")
    assert refusal_text(exc, FRENCH) == "Cette promesse de don n'existe pas."


def test_a_code_without_words_or_with_other_details_keeps_the_api_s_message() -> None:
    unworded = NotFound("no such thing", error="no_such_code")
    other_details = NotFound("transfer gone", error="transfer_cancelled")  # no transfer_id
    assert refusal_text(unworded, FRENCH) == "no such thing"
    assert refusal_text(other_details, FRENCH) == "transfer gone"
