"""The single writer of a pledge: made → fulfilled in part, in whole or beyond → (maybe)
cancelled. Donations naming it are counted by a policy, once each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from events import Event
from events.pledges import PledgeCancelled, PledgeFulfilmentRecorded, PledgeMade
from services.domain.commands import Command
from services.domain.decisions import Refused, Rejected
from services.domain.dispatching import on_message
from services.domain.pledges.commands import (
    PLEDGE_COMMANDS,
    STREAM,
    CancelPledge,
    MakePledge,
    RecordPledgeFulfilment,
)
from services.domain.pledges.state import Pledge, evolve


@on_message
def decide(state: Pledge, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"pledges cannot handle {command.TYPE}")


def _made(state: Pledge, pledge_id: str) -> PledgeMade:
    if state.made is None:
        raise Refused("unknown_pledge", f"no pledge {pledge_id!r}", pledge_id=pledge_id)
    return state.made


@decide.register
def _(state: Pledge, command: MakePledge, now: datetime) -> list[Event]:
    """The same pledge again records nothing; another under a taken id is refused."""
    try:
        made = PledgeMade(**command.model_dump())
    except ValueError:
        raise Rejected(
            "goods_or_money",
            "pledge goods (item_id and quantity) or money (amount and currency), not both",
            field="item_id",
        ) from None
    if state.made is not None:
        if state.made == made:
            return []
        raise Refused("pledge_exists", f"pledge {command.pledge_id!r} exists with other terms")
    if command.due_on < now.date():
        raise Rejected("due_on_past", f"due on {command.due_on} is in the past", field="due_on")
    return [made]


@decide.register
def _(state: Pledge, command: CancelPledge, now: datetime) -> list[Event]:
    """Only what is outstanding can be withdrawn."""
    _made(state, command.pledge_id)
    if state.cancelled:
        raise Refused("pledge_cancelled", "the pledge is cancelled already")
    if state.outstanding == 0:
        raise Refused(
            "pledge_fulfilled",
            f"the pledge is fulfilled ({state.received} of {state.pledged}): nothing to cancel",
            received=state.received,
        )
    return [PledgeCancelled(pledge_id=command.pledge_id, reason=command.reason)]


@decide.register
def _(state: Pledge, command: RecordPledgeFulfilment, now: datetime) -> list[Event]:
    """Partial, whole or beyond: each counts (even after a cancellation: it arrived), but
    only what was pledged, and each donation once."""
    made = _made(state, command.pledge_id)
    if command.donation_id in state.donations:
        return []
    if (command.item_id, command.currency) != (made.item_id, made.currency):
        promised = made.item_id or made.currency
        raise Refused(
            "not_what_was_pledged",
            f"the pledge is of {promised!r}: a donation of "
            f"{command.item_id or command.currency!r} does not fulfil it",
            pledged=promised,
        )
    return [
        PledgeFulfilmentRecorded(
            pledge_id=command.pledge_id,
            donation_id=command.donation_id,
            quantity=command.quantity,
            received=state.received + command.quantity,
        )
    ]


class PledgeDecider:
    """Decides the steps of one pledge at a time."""

    event_stream: str = "pledges"
    command_stream: str = STREAM
    commands: Mapping[str, type[Command]] = PLEDGE_COMMANDS
    initial = staticmethod(Pledge)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
