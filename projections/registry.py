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
