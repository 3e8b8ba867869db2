"""Every single-writer decider the worker runs."""

from __future__ import annotations

from typing import Any

from services.domain.deciding import Decider
from services.domain.deployments.decider import DeploymentDecider
from services.domain.distributions.decider import DistributionDecider
from services.domain.households.writer import HouseholdDecider
from services.domain.pledges.decider import PledgeDecider
from services.domain.reference.decider import ReferenceDecider
from services.domain.reference.donations import DonationDecider
from services.domain.requisitions.decider import RequisitionDecider
from services.domain.slots.decider import SlotsDecider
from services.domain.stock.decider import StockDecider
from services.domain.users.decider import UsersDecider

DECIDERS: tuple[Decider[Any], ...] = (
    ReferenceDecider(),
    StockDecider(),
    HouseholdDecider(),
    DistributionDecider(),
    DeploymentDecider(),
    DonationDecider(),
    UsersDecider(),
    RequisitionDecider(),
    SlotsDecider(),
    PledgeDecider(),
)
