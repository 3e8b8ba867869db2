"""A realistic log of every stream, spread over partitions as the producers spread it.

A seeded simulation of a few weeks of work: reference data (an operation already closed
among it), donations received as stock, pledges of goods and money counted and withdrawn,
cash given and spent in purchases, transfers dispatched and received later (some
short), convoys (half of those delivered then closed), counts and losses, households
registered and served, duplicates flagged (some resolved later: voided, or accepted as
exceptions that take the site's stock), users created, moved, given new credentials and
revoked, and now and then a command decided again after a crash (the same event at a new
offset).
Each partition keeps the order its events were appended in; `interleaving` reads the
partitions in any other order a consumer might.
"""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Row, create_engine
from sqlalchemy.pool import StaticPool

from events import Actor, Event
from events.households import (
    CARD_CHECK_ALPHABET,
    AidDistributed,
    CampaignOpened,
    DistributionVoided,
    DuplicateAccepted,
    DuplicateDistributionFlagged,
    DuplicateVoided,
    HouseholdCardIssued,
    HouseholdProfileUpdated,
    HouseholdRegistered,
    LateDistributionFlagged,
    PersonalDataErased,
)
from events.kits import ComponentLine, KitsAssembled, KitsDisassembled
from events.pledges import PledgeCancelled, PledgeFulfilmentRecorded, PledgeMade
from events.reference import ItemDefined, LocationCoordinatesSet, LocationRegistered
from events.relief import (
    ArrivedLine,
    CashDonationReceived,
    DeploymentCancelled,
    DeploymentClosed,
    DeploymentDelivered,
    DeploymentDeliveryAborted,
    DeploymentDeliveryStarted,
    DeploymentDispatchAborted,
    DeploymentDispatched,
    DeploymentDispatchStarted,
    DeploymentPlanned,
    DonationReceived,
    DonorRegistered,
    OperationClosed,
    OperationOpened,
    PlannedLine,
    PurchaseRecorded,
)
from events.stock import (
    StockAdjusted,
    StockCounted,
    StockDistributed,
    StockDistributionVoided,
    StockReceiptVoided,
    StockReceived,
    StockThresholdSet,
    TransferCancelled,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferLine,
    TransferReceived,
    TransferReturned,
    VoidedLine,
)
from events.users import (
    SessionEnded,
    UserCreated,
    UserPasswordReset,
    UserRevoked,
    UserScopesChanged,
)
from projections.registry import PROJECTIONS
from projections.tables import metadata
from projections.writer import Message, apply_batch, lock, plan, reset
from services.domain.stock.decider import UNALLOCATED
from tests.support.events import recorded
from tests.support.read_models import every_row

PARTITIONS = 3
WAREHOUSES = ("wh-casablanca", "wh-marrakech", "wh-agadir")
SITES = ("site-amizmiz", "site-talat-n-yacoub")
ITEMS = ("food-basket", "tent-family", "flour-kg")  # baskets are assembled from flour
REGION = {"site-amizmiz": ("MA-07", "MA-07-422"), "site-talat-n-yacoub": ("MA-07", "MA-07-424")}
CAMPAIGN, OPERATION, DONOR = "ramadan-2024", "al-haouz-2023", "donor-croissant"
ENDED_OPERATION = "souss-floods-2023"
STOREKEEPER = Actor(user_id="karim.operator", role="operator")
START = datetime(2023, 9, 9, 8, 0, tzinfo=UTC)


def ramadan(quantity_per_household: int) -> CampaignOpened:
    """A food-basket campaign open to everyone, from March to April 2024."""
    return CampaignOpened(
        campaign_id="ramadan", name="Ramadan", item_id="food-basket",
        quantity_per_household=quantity_per_household, starts_on=date(2024, 3, 1),
        ends_on=date(2024, 4, 30),
    )  # fmt: skip


@dataclass
class Lot:
    item_id: str
    lot: str
    expires_on: date | None
    donation_id: str | None


# what a site hands beyond its stock comes from no lot, as its writer records it
UNALLOCATED_BASKETS = Lot(ITEMS[0], UNALLOCATED, None, None)


@dataclass
class AidLog:
    """Messages in the order they were appended (the order of events in time)."""

    messages: list[Message] = field(default_factory=list)
    _next_offset: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))

    def append(self, event: Event, command_id: str, at: datetime, index: int = 0) -> Message:
        envelope, event = recorded(
            event, command_id=command_id, index=index, occurred_at=at, actor=STOREKEEPER
        )
        topic = event.STREAM
        partition = zlib.crc32(event.aggregate_id.encode()) % PARTITIONS
        offset = self._next_offset[(topic, partition)]
        self._next_offset[(topic, partition)] += 1
        message = Message(topic, partition, offset, envelope, event)
        self.messages.append(message)
        return message

    def append_again(self, message: Message) -> None:
        """A command decided again after a crash: the same event at the next offset."""
        key = (message.topic, message.partition)
        again = Message(
            message.topic,
            message.partition,
            self._next_offset[key],
            message.envelope,
            message.event,
        )
        self._next_offset[key] += 1
        self.messages.append(again)

    def partitions(self) -> dict[tuple[str, int], list[Message]]:
        by_partition: dict[tuple[str, int], list[Message]] = defaultdict(list)
        for m in self.messages:
            by_partition[(m.topic, m.partition)].append(m)
        return by_partition


def interleaving(log: AidLog, rng: random.Random) -> list[Message]:
    """The log as a consumer may read it: partitions merged in any order, each kept in order.

    A partition is often read in long runs (a fetch returns many records of one partition),
    so runs of random length are taken from a random partition until all are drained."""
    queues = {key: list(ms) for key, ms in log.partitions().items()}
    merged: list[Message] = []
    while queues:
        key = rng.choice(sorted(queues))
        run = rng.choice((1, 1, 2, 5, 50))
        merged += queues[key][:run]
        del queues[key][:run]
        if not queues[key]:
            del queues[key]
    return merged


def batches(messages: Sequence[Message], rng: random.Random) -> Iterator[list[Message]]:
    """Cut into batches of random sizes, from one message to many."""
    start = 0
    while start < len(messages):
        size = rng.choice((1, 2, 3, 7, 20, 100))
        yield list(messages[start : start + size])
        start += size


def one_by_one(messages: Sequence[Message]) -> list[list[Message]]:
    return [[m] for m in messages]


def project(engine: Engine, batches_of_log: Iterable[Sequence[Message]]) -> None:
    """Each projection takes each batch (the messages of its own streams), as the worker's
    projectors do: a write-only projection's writes worked out before its transaction."""
    for batch in batches_of_log:
        for projection in PROJECTIONS.values():
            mine = [m for m in batch if m.topic in projection.streams]
            if mine:
                apply_batch(engine, projection, mine, plan(projection, engine.dialect, mine))


def projected(batches_of_log: Iterable[Sequence[Message]]) -> dict[str, list[Row]]:
    """Every read model after each projection took the batches (its own streams only), in
    SQLite in memory."""
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    project(engine, batches_of_log)
    rows = every_row(engine)
    engine.dispose()
    return rows


def forget(engine: Engine) -> None:
    """Empty every projection's tables and positions, as a rebuild starts."""
    for projection in PROJECTIONS.values():
        with engine.begin() as conn:
            lock(conn, projection.name)
            reset(conn, projection)


def simulate(rng: random.Random, steps: int = 120) -> AidLog:
    """A few weeks of an operation, one step every few hours."""
    sim = _Simulation(rng, AidLog())
    sim.reference()
    for _ in range(steps):
        sim.step()
    return sim.log


class _Simulation:
    def __init__(self, rng: random.Random, log: AidLog) -> None:
        self.rng, self.log = rng, log
        self.now = START
        self.count = 0
        self.lots: dict[str, dict[str, tuple[Lot, int]]] = defaultdict(dict)
        self.in_transit: list[tuple[str, str, str, list[TransferLine], str | None]] = []
        self.households: list[tuple[str, str]] = []
        self.served: dict[str, str] = {}
        self.deployments: dict[str, str] = {}
        self.users: list[str] = []
        self.receipts: list[tuple[str, Lot, int, str]] = []
        self.handed: list[tuple[AidDistributed | DuplicateAccepted, Lot]] = []
        self.flagged: list[DuplicateDistributionFlagged | LateDistributionFlagged] = []
        self.areas: dict[str, tuple[str, str]] = {}
        self.erased: set[str] = set()
        # profile updates draw from their own stream, so the rest of the log is the one the
        # same seed gave before households could be assessed again
        self.reassessing = random.Random(str(rng.getstate()[1]))
        self.reassessed = 0
        # cards likewise: issued and replaced from a stream of their own
        self.carding = random.Random(str(rng.getstate()[1][::-1]))
        self.cards: dict[str, int] = {}
        self.card_messages: list[Message] = []
        self.kits: list[tuple[str, Lot, Lot]] = []  # where assembled, the kit lot, its flour
        # kits of each lot whose flour is still inside: the writer breaks up no more than
        # that (kits found by a count hold nothing it knows of)
        self.kits_left: dict[str, int] = {}
        # pledges, cash and purchases: from a stream of their own too
        self.pledging = random.Random(str(rng.getstate()[1][1:]))
        self.pledges: dict[str, int] = {}  # open pledge: received so far
        self.cash: dict[str, int] = {}  # cash donation: what is left to spend

    def _id(self, kind: str) -> str:
        self.count += 1
        return f"{kind}-{self.count}"

    def _record(self, event: Event, command_id: str | None = None, index: int = 0) -> None:
        message = self.log.append(event, command_id or self._id("cmd"), self.now, index)
        if self.rng.random() < 0.05:
            self.log.append_again(message)

    def reference(self) -> None:
        for location in WAREHOUSES + SITES:
            region, province = REGION.get(location, ("MA-06", "MA-06-141"))
            kind = "site" if location.startswith("site") else "warehouse"
            self._record(
                LocationRegistered(
                    location_id=location,
                    name=location.title(),
                    kind=kind,
                    region_code=region,
                    region_name="Marrakech-Safi",
                    province_code=province,
                    latitude=31.2167 if kind == "site" else None,
                    longitude=-8.2333 if kind == "site" else None,
                )
            )
        # a warehouse placed after its registration, then corrected
        for latitude in (33.57, 33.5731):
            where = {"latitude": latitude, "longitude": -7.5898}
            self._record(LocationCoordinatesSet(location_id=WAREHOUSES[0], **where))
        for item in ITEMS:
            self._record(ItemDefined(item_id=item, name=item.title(), unit="unit"))
        # registered twice by two coordinators: the first registration stands
        self._record(
            LocationRegistered(
                location_id="wh-agadir",
                name="Agadir bis",
                kind="warehouse",
                region_code="MA-09",
                region_name="Souss-Massa",
            )
        )
        self._record(
            CampaignOpened(
                campaign_id=CAMPAIGN,
                name="Ramadan 2024",
                item_id=ITEMS[0],
                quantity_per_household=1,
                starts_on=date(2024, 3, 1),
                ends_on=date(2024, 4, 30),
            )
        )
        self._record(OperationOpened(operation_id=OPERATION, name="Al Haouz", kind="earthquake"))
        self._record(OperationOpened(operation_id=ENDED_OPERATION, name="Souss", kind="flood"))
        self._record(OperationClosed(operation_id=ENDED_OPERATION, closed_on=date(2023, 9, 8)))
        self._record(DonorRegistered(donor_id=DONOR, name="Croissant-Rouge"))

    def step(self) -> None:
        self.now += timedelta(hours=self.rng.randint(1, 9))
        action = self.rng.choice(
            (
                self.receive,
                self.receive,
                self.donate,
                self.dispatch,
                self.dispatch,
                self.arrive,
                self.arrive,
                self.adjust,
                self.count_lot,
                self.threshold,
                self.register,
                self.serve,
                self.serve,
                self.erase,
                self.convoy,
                self.users_come,
                self.void,
                self.call_back,
                self.resolve,
                self.assemble,
                self.assemble,
                self.break_up,
            )
        )
        action()
        if self.reassessing.random() < 0.08:
            self.reassess()
        if self.carding.random() < 0.08:
            self.issue_card()
        if self.pledging.random() < 0.15:
            self.pledge_or_spend()

    def pledge_or_spend(self) -> None:
        """A donor pledges goods or money, a donation counts towards a pledge (past what was
        pledged at times), a pledge is withdrawn; money is given, then spent in purchases."""
        rng, action = self.pledging, self.pledging.randrange(5)
        if action == 0 or (action in (1, 2) and not self.pledges):
            pledge_id, due_on = self._id("pledge"), (self.now + timedelta(days=30)).date()
            goods = rng.random() < 0.5
            promise: dict[str, Any] = (
                {"item_id": rng.choice(ITEMS), "quantity": rng.randint(10, 200)}
                if goods
                else {"amount": rng.randint(1, 500) * 10_000, "currency": "MAD"}
            )
            self._record(PledgeMade(pledge_id=pledge_id, donor_id=DONOR, due_on=due_on, **promise))
            self.pledges[pledge_id] = 0
        elif action == 1:
            pledge_id = rng.choice(sorted(self.pledges))
            quantity = rng.randint(1, 120)
            self.pledges[pledge_id] += quantity
            self._record(
                PledgeFulfilmentRecorded(
                    pledge_id=pledge_id,
                    donation_id=self._id("don"),
                    quantity=quantity,
                    received=self.pledges[pledge_id],
                )
            )
        elif action == 2:
            pledge_id = rng.choice(sorted(self.pledges))
            del self.pledges[pledge_id]
            self._record(PledgeCancelled(pledge_id=pledge_id, reason="the donor withdrew"))
        elif action == 3 or not self.cash:
            donation_id, amount = self._id("cash"), rng.randint(1, 100) * 10_000
            self._record(
                CashDonationReceived(
                    donation_id=donation_id, donor_id=DONOR, amount=amount, currency="MAD"
                )
            )
            self.cash[donation_id] = amount
        else:
            donation_id = rng.choice(sorted(self.cash))
            spent = rng.randint(1, self.cash[donation_id])
            self.cash[donation_id] -= spent
            purchase_id = self._id("purchase")
            self._record(
                PurchaseRecorded(
                    purchase_id=purchase_id,
                    donation_id=donation_id,
                    supplier="Souk Semmarine",
                    location_id=rng.choice(WAREHOUSES),
                    item_id=rng.choice(ITEMS),
                    quantity=rng.randint(1, 50),
                    amount=spent,
                    currency="MAD",
                    lot=f"lot-{purchase_id}",
                    remaining=self.cash[donation_id],
                )
            )
            if not self.cash[donation_id]:
                del self.cash[donation_id]

    def assemble(self) -> None:
        """Baskets of 2 kg of flour from one lot (a donation's, perhaps) at a warehouse."""
        location = self.rng.choice(WAREHOUSES)
        flour = [(lot, q) for lot, q in self.lots[location].values()
                 if lot.item_id == "flour-kg" and q >= 2]  # fmt: skip
        if not flour:
            return
        lot, held = self.rng.choice(flour)
        kits = self.rng.randint(1, held // 2)
        kit = Lot(ITEMS[0], self._id("kit"), lot.expires_on, None)
        line = ComponentLine(item_id=lot.item_id, lot=lot.lot, expires_on=lot.expires_on,
                             donation_id=lot.donation_id, quantity=2 * kits)  # fmt: skip
        self._record(
            KitsAssembled(
                assembly_id=kit.lot,
                location_id=location,
                kit_item_id=ITEMS[0],
                composition_version=1,
                quantity=kits,
                lot=kit.lot,
                expires_on=kit.expires_on,
                components=[line],
            )
        )
        self._add(location, lot, -2 * kits)
        self._add(location, kit, kits)
        self.kits.append((location, kit, lot))
        self.kits_left[kit.lot] = kits

    def break_up(self) -> None:
        """Some baskets still where they were made broken back into their flour."""
        held = [
            (loc, kit, lot)
            for loc, kit, lot in self.kits
            if self.lots[loc].get(kit.lot, (kit, 0))[1] > 0 and self.kits_left[kit.lot] > 0
        ]
        if not held:
            return
        location, kit, lot = self.rng.choice(held)
        most = min(self.lots[location][kit.lot][1], self.kits_left[kit.lot])
        kits = self.rng.randint(1, most)
        self.kits_left[kit.lot] -= kits
        line = ComponentLine(item_id=lot.item_id, lot=lot.lot, expires_on=lot.expires_on,
                             donation_id=lot.donation_id, quantity=2 * kits)  # fmt: skip
        self._record(
            KitsDisassembled(
                disassembly_id=self._id("break"),
                location_id=location,
                kit_item_id=ITEMS[0],
                quantity=kits,
                lot=kit.lot,
                expires_on=kit.expires_on,
                components=[line],
            )
        )
        self._add(location, kit, -kits)
        self._add(location, lot, 2 * kits)

    def _add(self, location: str, lot: Lot, quantity: int) -> None:
        held = self.lots[location].get(lot.lot, (lot, 0))[1]
        self.lots[location][lot.lot] = (lot, held + quantity)

    def receive(
        self, donation_id: str | None = None, location: str | None = None, item: str | None = None
    ) -> None:
        location = location or self.rng.choice(WAREHOUSES + SITES)
        lot = Lot(
            item or self.rng.choice(ITEMS),
            self._id("lot"),
            self.rng.choice((None, date(2024, 6, 30), date(2025, 1, 31))),
            donation_id,
        )
        quantity = self.rng.randint(10, 400)
        receipt = self._id("receipt")
        self._record(
            StockReceived(
                receipt_id=receipt,
                location_id=location,
                item_id=lot.item_id,
                quantity=quantity,
                lot=lot.lot,
                expires_on=lot.expires_on,
                donation_id=donation_id,
            ),
            receipt,
        )
        self._add(location, lot, quantity)
        self.receipts.append((location, lot, quantity, receipt))

    def void(self) -> None:
        """A receipt typed wrong (when its stock is still there), or a basket handed to the
        wrong household: voided, the stock back at the site."""
        if self.rng.random() < 0.5 and self.receipts:
            location, lot, quantity, receipt = self.receipts.pop(
                self.rng.randrange(len(self.receipts))
            )
            if self.lots[location][lot.lot][1] < quantity:
                return
            self._record(
                StockReceiptVoided(
                    entry_id=receipt, location_id=location, reason="typed wrong",
                    lines=[VoidedLine(item_id=lot.item_id, lot=lot.lot, expires_on=lot.expires_on,
                                      donation_id=lot.donation_id, quantity=-quantity)],
                )
            )  # fmt: skip
            self._add(location, lot, -quantity)
        elif self.handed:
            aid, lot = self.handed.pop(self.rng.randrange(len(self.handed)))
            fields = aid.model_dump(
                include={"distribution_id", "household_id", "identity", "campaign_id",
                         "site_id", "item_id", "quantity"}
            )  # fmt: skip
            self._record(DistributionVoided(**fields, reason="wrong card"))
            self.served.pop(aid.household_id, None)
            self._record(
                StockDistributionVoided(
                    entry_id=aid.distribution_id, location_id=aid.site_id, reason="wrong card",
                    lines=[VoidedLine(item_id=lot.item_id, lot=lot.lot, expires_on=lot.expires_on,
                                      donation_id=lot.donation_id, quantity=aid.quantity)],
                )
            )  # fmt: skip
            self._add(aid.site_id, lot, aid.quantity)

    def call_back(self) -> None:
        """A transfer of its own (not a convoy's) cancelled on its way: its lots go home."""
        waiting = [t for t in self.in_transit if t[4] is None]
        if not waiting:
            return
        moving = self.rng.choice(waiting)
        self.in_transit.remove(moving)
        transfer, origin, destination, lines, _ = moving
        route: dict[str, Any] = {
            "transfer_id": transfer,
            "from_location_id": origin,
            "to_location_id": destination,
            "lines": lines,
            "reason": "road closed",
        }
        self._record(TransferCancelled(**route))
        self._record(TransferReturned(**route))
        for line in lines:
            lot = Lot(line.item_id, line.lot, line.expires_on, line.donation_id)
            self._add(origin, lot, line.quantity)

    def donate(self) -> None:
        donation = self._id("donation")
        location = self.rng.choice(WAREHOUSES)
        # flour half the time: baskets are assembled from it and followed to households
        item = "flour-kg" if self.rng.random() < 0.5 else self.rng.choice(ITEMS)
        self._record(
            DonationReceived(
                donation_id=donation,
                donor_id=DONOR,
                location_id=location,
                item_id=item,
                quantity=100,
            )
        )
        self.receive(donation, location, item)

    def _pick(self, location: str) -> list[TransferLine]:
        held = [(lot, q) for lot, q in self.lots[location].values() if q > 0]
        picked = self.rng.sample(held, k=min(len(held), self.rng.randint(1, 2)))
        lines = []
        for lot, q in picked:
            quantity = self.rng.randint(1, q)
            self._add(location, lot, -quantity)
            lines.append(
                TransferLine(
                    item_id=lot.item_id,
                    lot=lot.lot,
                    expires_on=lot.expires_on,
                    donation_id=lot.donation_id,
                    quantity=quantity,
                )
            )
        return lines

    def dispatch(self, deployment_id: str | None = None, to: str | None = None) -> str | None:
        origin = self.rng.choice(WAREHOUSES)
        lines = self._pick(origin)
        if not lines:
            return None
        destination = to or self.rng.choice([x for x in WAREHOUSES + SITES if x != origin])
        transfer = self._id("transfer")
        self._record(
            TransferDispatched(
                transfer_id=transfer,
                from_location_id=origin,
                to_location_id=destination,
                lines=lines,
                deployment_id=deployment_id,
            )
        )
        self.in_transit.append((transfer, origin, destination, lines, deployment_id))
        return transfer

    def arrive(self) -> None:
        if not self.in_transit:
            return
        transfer, origin, destination, lines, deployment = self.in_transit.pop(
            self.rng.randrange(len(self.in_transit))
        )
        command = self._id("arrival")
        arrived = [ln.model_copy(update={"quantity": self._arrived(ln)}) for ln in lines]
        if deployment:
            self._unload(deployment, origin, destination, lines, arrived)
        self._record(
            TransferReceived(
                transfer_id=transfer,
                from_location_id=origin,
                to_location_id=destination,
                lines=[ln for ln in arrived if ln.quantity > 0],
                deployment_id=deployment,
            ),
            command,
        )
        for index, (sent, got) in enumerate(zip(lines, arrived, strict=True), start=1):
            lot = Lot(sent.item_id, sent.lot, sent.expires_on, sent.donation_id)
            self._add(destination, lot, got.quantity)
            if got.quantity < sent.quantity:
                self._record(
                    TransferDiscrepancyRecorded(
                        transfer_id=transfer,
                        from_location_id=origin,
                        to_location_id=destination,
                        item_id=sent.item_id,
                        lot=sent.lot,
                        expires_on=sent.expires_on,
                        donation_id=sent.donation_id,
                        missing=sent.quantity - got.quantity,
                        deployment_id=deployment,
                    ),
                    command,
                    index,
                )
        if deployment:
            delivered = [
                PlannedLine(item_id=ln.item_id, quantity=ln.quantity)
                for ln in arrived
                if ln.quantity
            ]
            self._record(
                DeploymentDelivered(
                    deployment_id=deployment, delivered=delivered, delivered_at=self.now
                )
            )
            if self.count % 2:  # half the delivered convoys closed (the dice left as they were)
                self._record(DeploymentClosed(deployment_id=deployment, reason="shortfall noted"))

    def _unload(
        self,
        deployment: str,
        origin: str,
        site: str,
        sent: list[TransferLine],
        arrived: list[TransferLine],
    ) -> None:
        """A convoy's delivery starts (once refused by the site, now and then, and started
        again) before the site receives its stock."""
        start = DeploymentDeliveryStarted(
            deployment_id=deployment,
            from_location_id=origin,
            to_location_id=site,
            dispatched=sent,
            arrived=[ArrivedLine(item_id=ln.item_id, quantity=ln.quantity) for ln in arrived],
        )
        if self.rng.random() < 0.2:
            self._record(start)
            self._record(
                DeploymentDeliveryAborted(
                    deployment_id=deployment, reason="more than dispatched", error="too_many"
                )
            )
        self._record(start)

    def _arrived(self, line: TransferLine) -> int:
        return line.quantity if self.rng.random() < 0.7 else self.rng.randint(0, line.quantity)

    def adjust(self) -> None:
        location = self.rng.choice(WAREHOUSES)
        held = [(lot, q) for lot, q in self.lots[location].values() if q > 0]
        if not held:
            return
        lot, q = self.rng.choice(held)
        quantity = -self.rng.randint(1, q) if self.rng.random() < 0.7 else self.rng.randint(1, 9)
        self._record(
            StockAdjusted(
                adjustment_id=self._id("adjustment"),
                location_id=location,
                item_id=lot.item_id,
                lot=lot.lot,
                expires_on=lot.expires_on,
                donation_id=lot.donation_id,
                quantity=quantity,
                reason="damaged" if quantity < 0 else "found",
            )
        )
        self._add(location, lot, quantity)

    def count_lot(self) -> None:
        location = self.rng.choice(WAREHOUSES)
        held = list(self.lots[location].values())
        if not held:
            return
        lot, q = self.rng.choice(held)
        counted = max(0, q + self.rng.choice((-5, -1, 2)))
        if counted == q:
            return
        self._record(
            StockCounted(
                count_id=self._id("count"),
                location_id=location,
                item_id=lot.item_id,
                lot=lot.lot,
                expires_on=lot.expires_on,
                donation_id=lot.donation_id,
                counted_quantity=counted,
                variance=counted - q,
            )
        )
        self._add(location, lot, counted - q)

    def threshold(self) -> None:
        self._record(
            StockThresholdSet(
                location_id=self.rng.choice(WAREHOUSES + SITES),
                item_id=self.rng.choice(ITEMS),
                minimum=self.rng.randint(0, 300),
            )
        )

    def register(self) -> None:
        household = self._id("household")
        identity = f"pseudo-{household}"
        site = self.rng.choice(SITES)
        region, province = REGION[site]
        self._record(
            HouseholdRegistered(
                household_id=household,
                identity=identity,
                national_id_pseudonym=f"n-{identity}",
                size=self.rng.randint(1, 9),
                region_code=region,
                province_code=province,
                groups=self.rng.sample(["children", "women", "elderly", "disability"], k=2),
                sealed_personal_data=f"sealed:{household}",
            )
        )
        self.households.append((household, identity))
        self.areas[household] = (region, province)

    def serve(self) -> None:
        if not self.households:
            return
        household, identity = self.rng.choice(self.households)
        site = self.rng.choice(SITES)
        # a distribution is recorded under its household's area, wherever it is served
        region, province = self.areas[household]
        distribution = self._id("distribution")
        common = {
            "distribution_id": distribution,
            "household_id": household,
            "identity": identity,
            "campaign_id": CAMPAIGN,
            "site_id": site,
            "item_id": ITEMS[0],
            "quantity": 1,
            "region_code": region,
            "province_code": province,
        }
        if self.rng.random() < 0.1:  # synced after the campaign closed: kept, flagged
            late = LateDistributionFlagged(**common, distributed_at=self.now, why="campaign_closed")
            self._record(late)
            self.flagged.append(late)
            return
        first = self.served.get(household)
        if first is not None:
            flagged = DuplicateDistributionFlagged(
                **common, first_distribution_id=first, already_received=1, distributed_at=self.now
            )
            self._record(flagged)
            self.flagged.append(flagged)
            return
        self.served[household] = distribution
        offline = self.rng.random() < 0.3
        aid = AidDistributed(**common, distributed_at=self.now, offline=offline)
        self._record(aid)
        self._take_basket(aid)

    def _take_basket(self, aid: AidDistributed | DuplicateAccepted) -> None:
        """The site's stock gives a distribution's basket (the policy's consumption)."""
        held = [(lot, q) for lot, q in self.lots[aid.site_id].values() if lot.item_id == ITEMS[0]]
        stocked = [h for h in held if h[1] > 0] or held  # a basket lot, perhaps of kits
        lot, left = self.rng.choice(stocked) if held else (UNALLOCATED_BASKETS, 0)
        if left < aid.quantity:  # beyond what the site holds: no lot, as the site's writer does
            lot = UNALLOCATED_BASKETS
        self.handed.append((aid, lot))
        self._record(
            StockDistributed(
                distribution_id=aid.distribution_id,
                location_id=aid.site_id,
                item_id=ITEMS[0],
                lot=lot.lot,
                expires_on=lot.expires_on,
                donation_id=lot.donation_id,
                quantity=aid.quantity,
                campaign_id=CAMPAIGN,
                region_code=aid.region_code,
                province_code=aid.province_code,
            )
        )
        self._add(aid.site_id, lot, -aid.quantity)

    def resolve(self) -> None:
        """A coordinator resolves a flagged duplicate: the same basket synced twice (voided),
        or a second basket really handed (accepted as an exception: the site gives it)."""
        if not self.flagged:
            return
        flagged = self.flagged.pop(self.rng.randrange(len(self.flagged)))
        fields = flagged.model_dump(
            include={"distribution_id", "household_id", "identity", "campaign_id", "site_id",
                     "item_id", "quantity"}
        )  # fmt: skip
        if self.rng.random() < 0.5:
            self._record(DuplicateVoided(**fields, reason="synced twice"))
            return
        accepted = DuplicateAccepted(
            **fields, region_code=flagged.region_code, province_code=flagged.province_code,
            distributed_at=flagged.distributed_at or self.now, reason="family of eleven",
        )  # fmt: skip
        self._record(accepted)
        self._take_basket(accepted)

    def erase(self) -> None:
        if self.households and self.rng.random() < 0.5:
            household, identity = self.rng.choice(self.households)
            self._record(PersonalDataErased(household_id=household, identity=identity))
            self.erased.add(household)

    def reassess(self) -> None:
        """A social worker assesses a household again: it moved to the other site's
        province, or its groups changed; its later baskets carry its new area."""
        still = [h for h in self.households if h[0] not in self.erased]
        if not still:
            return
        rng = self.reassessing
        household, identity = rng.choice(still)
        region, province = REGION[rng.choice(SITES)]
        updated = HouseholdProfileUpdated(
            household_id=household,
            identity=identity,
            size=rng.randint(1, 9),
            region_code=region,
            province_code=province,
            groups=rng.sample(["children", "women", "elderly", "disability"], k=1),
            sealed_personal_data=rng.choice((None, f"sealed again:{household}")),
        )
        self.reassessed += 1
        message = self.log.append(updated, f"reassess-{self.reassessed}", self.now)
        if rng.random() < 0.05:
            self.log.append_again(message)
        self.areas[household] = (region, province)

    def issue_card(self) -> None:
        """A household gets its card, or a new one for a card lost: the old one is replaced.
        (Erased households get none: their writer refuses.)"""
        still = [h for h in self.households if h[0] not in self.erased]
        if not still:
            return
        rng = self.carding
        household, identity = rng.choice(still)
        number = self.cards.get(household, 0) + 1
        self.cards[household] = number
        check = "".join(rng.choices(CARD_CHECK_ALPHABET, k=8))
        issued = HouseholdCardIssued(
            household_id=household, identity=identity, card_number=number, check=check
        )
        self.card_messages.append(self.log.append(issued, f"card-{household}-{number}", self.now))
        if rng.random() < 0.15:  # a card decided again after a crash, perhaps after later ones
            self.log.append_again(rng.choice(self.card_messages))

    def convoy(self) -> None:
        deployment = self._id("convoy")
        origin, site = self.rng.choice(WAREHOUSES), self.rng.choice(SITES)
        self._record(
            DeploymentPlanned(
                deployment_id=deployment,
                operation_id=OPERATION,
                from_location_id=origin,
                to_location_id=site,
                lines=[PlannedLine(item_id=ITEMS[1], quantity=20)],
            )
        )
        fate = self.rng.random()
        if fate < 0.2:
            self._record(DeploymentCancelled(deployment_id=deployment, reason="road closed"))
            return
        self._record(DeploymentDispatchStarted(deployment_id=deployment))
        transfer = self.dispatch(deployment, site)
        if transfer is None:
            self._record(DeploymentDispatchAborted(deployment_id=deployment, reason="no stock"))
            return
        lines = self.in_transit[-1][3]
        dispatched = [PlannedLine(item_id=ln.item_id, quantity=ln.quantity) for ln in lines]
        self._record(
            DeploymentDispatched(
                deployment_id=deployment, dispatched=dispatched, dispatched_at=self.now
            )
        )

    def users_come(self) -> None:
        if self.users and self.rng.random() < 0.4:
            username = self.rng.choice(self.users)
            roll = self.rng.random()
            if roll < 0.25:
                self._record(UserRevoked(username=username))
            elif roll < 0.45:
                moved = [WAREHOUSES[self.count % len(WAREHOUSES)]]
                self._record(UserScopesChanged(username=username, warehouses=moved))
            elif roll < 0.6:
                new = {"token_hash": f"{self.count:064x}"} if roll < 0.55 else {}
                self._record(UserPasswordReset(username=username, password_hash="h", **new))
            else:
                session = f"{self.count:064x}"  # a hash of the session's nonce: unique
                self._record(SessionEnded(username=username, session_hash=session))
            return
        username = self._id("user")
        self.users.append(username)
        self._record(
            UserCreated(
                username=username,
                role=self.rng.choice(("operator", "agent", "donor")),
                warehouses=[self.rng.choice(WAREHOUSES)],
                token_hash=f"{self.count:064x}",
            )
        )
