"""The single writer of a location's stock: it never ships what the location does not hold."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NoReturn

from events import Event
from events.stock import (
    StockAdjusted,
    StockCounted,
    StockDistributed,
    StockReceived,
    StockThresholdSet,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferLine,
    TransferReceived,
)
from services.domain.commands import Command
from services.domain.dating import CLOCKS_DIFFER_BY
from services.domain.deciding import each_in_order
from services.domain.decisions import Refused, Rejected
from services.domain.dispatching import on_message
from services.domain.stock.cancelling import cancel, give_back
from services.domain.stock.commands import (
    STOCK_COMMANDS,
    AdjustStock,
    CancelTransfer,
    ConsumeForDistribution,
    CountStock,
    DispatchTransfer,
    ReceiveStock,
    ReceiveTransfer,
    RequestedLine,
    ReturnTransfer,
    SendBackTransfer,
    SetStockThreshold,
    VoidStockEntry,
)
from services.domain.stock.fefo import fefo
from services.domain.stock.kit_commands import KIT_COMMANDS
from services.domain.stock.picking import pick, take
from services.domain.stock.state import LocationStock, evolve, moved
from services.domain.stock.voids import void_entry


@on_message
def decide(state: LocationStock, command: Command, now: datetime) -> list[Event]:
    raise Rejected("unknown_command", f"stock cannot handle {command.TYPE}")


RECEIVED_AT_MOST_AGO = timedelta(days=7)


@decide.register
def _(state: LocationStock, command: ReceiveStock, now: datetime) -> list[Event]:
    """A new lot; dated by the client at most a week back (history as of an earlier day is
    not rewritten) and not in the future (beyond clocks' disagreement)."""
    when = command.occurred_at
    if when is not None and not now - RECEIVED_AT_MOST_AGO <= when <= now + CLOCKS_DIFFER_BY:
        raise Rejected(
            "occurred_at_out_of_range",
            f"a receipt is dated between {now - RECEIVED_AT_MOST_AGO:%Y-%m-%d %H:%M} and now"
            " (UTC); record an older arrival as a count or an adjustment",
            field="occurred_at",
        )
    return [StockReceived(**command.model_dump(exclude={"occurred_at"}))]


@decide.register
def _(state: LocationStock, command: SendBackTransfer, now: datetime) -> list[Event]:
    """Only what arrived under that transfer and was not sent back already, lot by lot."""
    if command.returns_transfer_id not in state.received_transfers:
        raise Refused(
            "not_received",
            f"transfer {command.returns_transfer_id!r} was not received here",
            field="transfer_id",
            transfer_id=command.returns_transfer_id,
        )
    requested = [RequestedLine(**line.model_dump()) for line in command.lines]
    arrived, sent = (
        ("arrived", command.returns_transfer_id),
        ("sent_back", command.returns_transfer_id),
    )
    for line in _merged(requested):
        lot = line.lot or ""
        left = state.entered_of(arrived, line.item_id, lot) - state.entered_of(
            sent, line.item_id, lot
        )
        if line.quantity > left:
            raise Refused(
                "more_than_received",
                f"{left} of lot {line.lot} of {line.item_id} arrived under this transfer "
                "and were not sent back yet",
                field="quantity",
                item_id=line.item_id,
                lot=line.lot,
                available=left,
            )
    dispatch = DispatchTransfer(
        transfer_id=command.transfer_id,
        from_location_id=command.from_location_id,
        to_location_id=command.to_location_id,
        lines=requested,
        allow_expired=True,  # what came back is sent back, expired or not
    )
    return [
        event.model_copy(
            update={"returns_transfer_id": command.returns_transfer_id, "reason": command.reason}
        )
        for event in decide(state, dispatch, now)
    ]


@decide.register
def _(state: LocationStock, command: DispatchTransfer, now: datetime) -> list[Event]:
    if command.from_location_id == command.to_location_id:
        raise Rejected(
            "same_location", "a transfer must go to another location", field="to_location_id"
        )
    if command.transfer_id in state.dispatched_transfers:
        _seen_before(state.dispatched_transfers, command, "already_dispatched", "already left")
    lines: list[TransferLine] = []
    for requested in _merged(command.lines):
        picked = pick(
            state,
            requested.item_id,
            requested.quantity,
            requested.lot,
            now.date(),
            allow_expired=command.allow_expired,
        )
        for lot, qty in picked:  # later lines see what earlier lines took
            state = moved(state, lot.item_id, lot.lot, -qty)
        lines.extend(
            TransferLine(
                item_id=lot.item_id,
                lot=lot.lot,
                expires_on=lot.expires_on,
                donation_id=lot.donation_id,
                quantity=qty,
            )
            for lot, qty in picked
        )
    return [
        TransferDispatched(
            transfer_id=command.transfer_id,
            from_location_id=command.from_location_id,
            to_location_id=command.to_location_id,
            lines=lines,
            deployment_id=command.deployment_id,
            requisition_id=command.requisition_id,
        )
    ]


def _seen_before(
    seen: Mapping[str, str | None],
    command: DispatchTransfer | ReceiveTransfer,
    code: str,
    done: str,
) -> NoReturn:
    """A transfer id met again: the same movement repeated (`code`), or an id of one
    namespace (a convoy's, an operator's transfer) taken by the other, which must never
    pass for this movement having happened."""
    owner = seen[command.transfer_id]
    if owner != command.deployment_id:
        holder = f"convoy {owner!r}" if owner else "another transfer"
        raise Refused(
            "transfer_id_taken",
            f"transfer id {command.transfer_id!r} is used by {holder}; choose another id",
            transfer_id=command.transfer_id,
        )
    raise Refused(code, f"transfer {command.transfer_id!r} {done}", transfer_id=command.transfer_id)


def _merged(lines: list[RequestedLine]) -> list[RequestedLine]:
    """Lines for the same item and lot are one request, so availability is checked once."""
    merged: dict[tuple[str, str | None], int] = {}
    for line in lines:
        merged[(line.item_id, line.lot)] = merged.get((line.item_id, line.lot), 0) + line.quantity
    return [RequestedLine(item_id=i, lot=lot, quantity=q) for (i, lot), q in merged.items()]


@decide.register
def _(state: LocationStock, command: ReceiveTransfer, now: datetime) -> list[Event]:
    if command.transfer_id in state.received_transfers:
        _seen_before(state.received_transfers, command, "already_received", "was already received")
    if command.transfer_id in state.cancelled_transfers:
        raise Refused(
            "transfer_cancelled",
            f"transfer {command.transfer_id!r} was cancelled: its stock went back",
            transfer_id=command.transfer_id,
        )
    dispatched_items = {line.item_id for line in command.dispatched}
    for item_id, quantity in command.received.items():
        sent = sum(ln.quantity for ln in command.dispatched if ln.item_id == item_id)
        if item_id not in dispatched_items:
            raise Rejected(
                "not_in_transfer",
                f"item {item_id!r} was not dispatched in this transfer",
                field="lines",
                item_id=item_id,
            )
        if quantity > sent:
            raise Rejected(
                "more_than_dispatched",
                f"received {quantity} of {item_id!r} but only {sent} were dispatched",
                field="lines",
                item_id=item_id,
                dispatched=sent,
            )
    received, missing = _allocate(command)
    ids: dict[str, Any] = {
        "transfer_id": command.transfer_id,
        "from_location_id": command.from_location_id,
        "to_location_id": command.to_location_id,
        "deployment_id": command.deployment_id,
    }
    events: list[Event] = [
        TransferReceived(**ids, lines=received, requisition_id=command.requisition_id)
    ]
    events += [
        TransferDiscrepancyRecorded(
            **ids,
            item_id=ln.item_id,
            lot=ln.lot,
            expires_on=ln.expires_on,
            donation_id=ln.donation_id,
            missing=ln.quantity,
        )
        for ln in missing
    ]
    return events


def _allocate(command: ReceiveTransfer) -> tuple[list[TransferLine], list[TransferLine]]:
    """Spread what arrived over the dispatched lots FEFO; what is left over is missing."""
    remaining = dict(command.received)
    received: list[TransferLine] = []
    missing: list[TransferLine] = []
    for line in fefo(command.dispatched):
        got = min(line.quantity, remaining.get(line.item_id, 0))
        remaining[line.item_id] = remaining.get(line.item_id, 0) - got
        if got:
            received.append(line.model_copy(update={"quantity": got}))
        if line.quantity - got:
            missing.append(line.model_copy(update={"quantity": line.quantity - got}))
    return received, missing


@decide.register
def _(state: LocationStock, command: AdjustStock, now: datetime) -> list[Event]:
    base: dict[str, Any] = {
        "adjustment_id": command.adjustment_id,
        "location_id": command.location_id,
        "item_id": command.item_id,
        "reason": command.reason,
    }
    if command.reason == "found":
        lot_code = command.lot or command.adjustment_id
        existing = state.lot(command.item_id, lot_code)
        return [
            StockAdjusted(
                **base,
                lot=lot_code,
                quantity=command.quantity,
                expires_on=existing.expires_on if existing else None,
                donation_id=existing.donation_id if existing else None,
            )
        ]
    picked = pick(
        state, command.item_id, command.quantity, command.lot, now.date(), allow_expired=True
    )
    return [
        StockAdjusted(
            **base,
            lot=lot.lot,
            quantity=-qty,
            expires_on=lot.expires_on,
            donation_id=lot.donation_id,
        )
        for lot, qty in picked
    ]


@decide.register
def _(state: LocationStock, command: CountStock, now: datetime) -> list[Event]:
    lot_code = command.lot
    if lot_code is None:
        lots = state.lots_of(command.item_id)
        if len(lots) > 1:
            raise Rejected(
                "lot_required",
                f"{command.item_id!r} is held in {len(lots)} lots here; count each lot",
                field="lot",
                lots=[lt.lot for lt in lots],
            )
        lot_code = lots[0].lot if lots else command.count_id
    lot = state.lot(command.item_id, lot_code)
    on_hand = lot.on_hand if lot else 0
    return [
        StockCounted(
            count_id=command.count_id,
            location_id=command.location_id,
            item_id=command.item_id,
            lot=lot_code,
            expires_on=lot.expires_on if lot else None,
            donation_id=lot.donation_id if lot else None,
            counted_quantity=command.counted_quantity,
            variance=command.counted_quantity - on_hand,
        )
    ]


@decide.register
def _(state: LocationStock, command: SetStockThreshold, now: datetime) -> list[Event]:
    return [StockThresholdSet(**command.model_dump())]


UNALLOCATED = "UNALLOCATED"


@decide.register
def _(state: LocationStock, command: ConsumeForDistribution, now: datetime) -> list[Event]:
    """A distribution is a fact: take what the site holds FEFO, the rest from a negative lot."""
    common = command.model_dump(exclude={"site_id", "quantity"}) | {"location_id": command.site_id}
    held = [lot for lot in state.lots_of(command.item_id) if lot.lot != UNALLOCATED]
    picked = take(held, command.quantity)
    events: list[Event] = [
        StockDistributed(
            **common,
            lot=lot.lot,
            expires_on=lot.expires_on,
            donation_id=lot.donation_id,
            quantity=qty,
        )
        for lot, qty in picked
    ]
    remaining = command.quantity - sum(qty for _, qty in picked)
    if remaining:
        events.append(StockDistributed(**common, lot=UNALLOCATED, quantity=remaining))
    return events


@decide.register
def _(state: LocationStock, command: VoidStockEntry, now: datetime) -> list[Event]:
    return void_entry(state, command, now)


@decide.register
def _(state: LocationStock, command: CancelTransfer, now: datetime) -> list[Event]:
    return cancel(state, command, now)


@decide.register
def _(state: LocationStock, command: ReturnTransfer, now: datetime) -> list[Event]:
    return give_back(state, command, now)


class StockDecider:
    """Decides stock commands for one location at a time, and the distributions' consumptions
    of a partition in a batch."""

    event_stream: str = "stock"
    command_stream: str = "stock-commands"
    commands: Mapping[str, type[Command]] = STOCK_COMMANDS | KIT_COMMANDS
    initial = staticmethod(LocationStock)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)
    decide_batch = staticmethod(each_in_order(decide, evolve))


# Kits are assembled and broken up by this writer too: their rules register on `decide`.
from services.domain.stock import assembly  # noqa: E402, F401
