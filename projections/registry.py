"""The projections the worker maintains, by name."""

from __future__ import annotations

from projections.history_writer import HistoryProjection
from projections.households_writer import RegistryProjection
from projections.inventory_writer import InventoryProjection
from projections.pledges_writer import PledgesProjection
from projections.projection import Projection
from projections.reference_writer import ReferenceProjection
from projections.relief_writer import ReliefProjection
from projections.requisitions_writer import RequisitionsProjection
from projections.slots_writer import SlotsProjection
from projections.users_writer import UsersProjection

_ALL: tuple[Projection, ...] = (
    ReferenceProjection(),
    InventoryProjection(),
    UsersProjection(),
    RegistryProjection(),
    ReliefProjection(),
    HistoryProjection(),
    RequisitionsProjection(),
    SlotsProjection(),
    PledgesProjection(),
)
PROJECTIONS: dict[str, Projection] = {p.name: p for p in _ALL}

# Streams every projection of which reads views (`Projection.reads_views`). The projectors of
# a process that read the same record decode it once (services/runtime/ledger.RecentlyRead):
# one reading the models would have it decoded twice, once each way.
VIEW_STREAMS = frozenset(
    s for p in _ALL for s in p.streams if all(q.reads_views for q in _ALL if s in q.streams)
)


def viewed_streams(projection: Projection) -> frozenset[str]:
    """The streams this projection reads as views."""
    return VIEW_STREAMS.intersection(projection.streams) if projection.reads_views else frozenset()
