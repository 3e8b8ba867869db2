"""Every single-writer decider the worker runs."""

from __future__ import annotations

from typing import Any

from services.deciding import Decider
from services.deployments.decider import DeploymentDecider
from services.distributions.decider import DistributionDecider
from services.households.decider import HouseholdDecider
from services.reference.decider import DonationDecider, ReferenceDecider
from services.stock.decider import StockDecider

DECIDERS: tuple[Decider[Any], ...] = (
    ReferenceDecider(),
    StockDecider(),
    HouseholdDecider(),
    DistributionDecider(),
    DeploymentDecider(),
    DonationDecider(),
)
