"""Who may do what: the one table of roles × actions, the caller, and the check.

A scope narrows a grant: `warehouses`, `sites` and `locations` (either) to the
user's assigned locations, `donor` to the user's own donor id. The docs render
this table and the tests are generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from events import Actor
from services.app.errors import Forbidden


class Scope(StrEnum):
    ALL = "all"
    WAREHOUSES = "warehouses"
    SITES = "sites"
    LOCATIONS = "locations"
    DONOR = "donor"


A, W, S, D = Scope.ALL, Scope.WAREHOUSES, Scope.SITES, Scope.DONOR

ROLES = ("admin", "coordinator", "operator", "agent", "donor", "auditor", "monitor",
         "social_worker")  # fmt: skip

PERMISSIONS: dict[str, dict[str, Scope]] = {
    "reference.read": {r: A for r in ROLES if r != "monitor"},
    "reference.write": {"admin": A, "coordinator": A},
    "stock.read": {"admin": A, "coordinator": A, "auditor": A, "operator": W, "agent": S},
    "stock.write": {"admin": A, "operator": W},
    "stock.thresholds": {"admin": A, "coordinator": A},
    "alerts.read": {"admin": A, "coordinator": A, "auditor": A, "operator": W, "agent": S},
    "households.write": {"admin": A, "coordinator": A, "agent": A, "social_worker": A},
    "households.read": {"admin": A, "coordinator": A, "agent": A, "social_worker": A},
    "households.erase": {"admin": A},
    "campaigns.write": {"admin": A, "coordinator": A},
    "distributions.write": {"admin": A, "agent": S},
    "distributions.void": {"admin": A, "coordinator": A},
    "distributions.resolve": {"admin": A, "coordinator": A},
    "registry.read": {"admin": A, "coordinator": A, "auditor": A},
    # the households a site expects in a campaign, and how each stands there
    "sitelists.read": {"admin": A, "coordinator": A, "auditor": A, "agent": S},
    # a campaign's slot plans at its sites: days, hours, safe capacity, moves, closed days
    "slots.write": {"admin": A, "coordinator": A},
    "relief.write": {"admin": A, "coordinator": A},
    "relief.read": {"admin": A, "coordinator": A, "auditor": A},
    "donations.write": {"admin": A, "coordinator": A, "operator": W},
    "donations.read": {"admin": A, "coordinator": A, "auditor": A, "donor": D},
    # what donors promised (goods or money) and how much of it has arrived
    "pledges.write": {"admin": A, "coordinator": A},
    "pledges.read": {"admin": A, "coordinator": A, "auditor": A, "donor": D},
    # a location asks a warehouse for stock; coordinators decide
    "requisitions.write": {"admin": A, "operator": W, "agent": S},
    "requisitions.read": {"admin": A, "coordinator": A, "auditor": A, "operator": W, "agent": S},
    "requisitions.decide": {"admin": A, "coordinator": A},
    "reports.read": {"admin": A, "coordinator": A, "auditor": A},
    "history.read": {"admin": A, "coordinator": A, "auditor": A},
    "users.manage": {"admin": A},
    # the signed checkpoints of the ledger's hash chains: public to whoever audits or gives
    "ledger.read": {"admin": A, "coordinator": A, "auditor": A, "donor": A},
    # /healthz in detail and /metrics: what a monitoring system scrapes with its own token
    "operations.read": {"admin": A, "monitor": A},
}


def grant(role: str, action: str) -> Scope | None:
    """The scope a role holds for an action, or None when it may not act at all."""
    return PERMISSIONS.get(action, {}).get(role)


@dataclass(frozen=True)
class User:
    """The authenticated caller and the scopes of their role."""

    username: str
    role: str
    warehouses: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    donors: frozenset[str] = frozenset()

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.username, role=self.role)

    def locations_for(self, scope: Scope) -> frozenset[str] | None:
        """The locations a scope allows, or None when it allows all of them."""
        if scope is Scope.WAREHOUSES:
            return self.warehouses
        if scope is Scope.SITES:
            return self.sites
        if scope is Scope.LOCATIONS:
            return self.warehouses | self.sites
        return None


def authorize(
    user: User, action: str, *, location_id: str | None = None, donor_id: str | None = None
) -> Scope:
    """Refuse (Forbidden) unless the user's role and scope allow the action on this object."""
    scope = grant(user.role, action)
    if scope is None:
        raise Forbidden(f"role {user.role!r} lacks the permission {action!r}", permission=action)
    allowed = user.locations_for(scope)
    if location_id is not None and allowed is not None and location_id not in allowed:
        raise Forbidden(
            f"user {user.username!r} is not assigned to location {location_id!r}",
            permission=action,
        )
    if scope is Scope.DONOR and donor_id is not None and donor_id not in user.donors:
        raise Forbidden(f"donor data of {donor_id!r} belongs to another donor", permission=action)
    return scope
