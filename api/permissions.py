"""Who may do what: the one table of roles × actions, with the scope each grant carries.

A scope narrows a grant: `warehouses`, `sites` and `locations` (either) to the
user's assigned locations, `donor` to the user's own donor id. The docs render
this table and the tests are generated from it.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    ALL = "all"
    WAREHOUSES = "warehouses"
    SITES = "sites"
    LOCATIONS = "locations"
    DONOR = "donor"


A, W, S, D = Scope.ALL, Scope.WAREHOUSES, Scope.SITES, Scope.DONOR

ROLES = ("admin", "coordinator", "operator", "agent", "donor", "auditor")

PERMISSIONS: dict[str, dict[str, Scope]] = {
    "reference.read": {r: A for r in ROLES},
    "reference.write": {"admin": A, "coordinator": A},
    "stock.read": {"admin": A, "coordinator": A, "auditor": A, "operator": W, "agent": S},
    "stock.write": {"admin": A, "operator": W},
    "stock.thresholds": {"admin": A, "coordinator": A},
    "alerts.read": {"admin": A, "coordinator": A, "auditor": A, "operator": W, "agent": S},
    "households.write": {"admin": A, "coordinator": A, "agent": A},
    "households.read": {"admin": A, "coordinator": A, "agent": A},
    "households.erase": {"admin": A},
    "campaigns.write": {"admin": A, "coordinator": A},
    "distributions.write": {"admin": A, "agent": S},
    "registry.read": {"admin": A, "coordinator": A, "auditor": A},
    "relief.write": {"admin": A, "coordinator": A},
    "relief.read": {"admin": A, "coordinator": A, "auditor": A},
    "donations.write": {"admin": A, "coordinator": A, "operator": W},
    "donations.read": {"admin": A, "coordinator": A, "auditor": A, "donor": D},
    "reports.read": {"admin": A, "coordinator": A, "auditor": A},
    "users.manage": {"admin": A},
}


def grant(role: str, action: str) -> Scope | None:
    """The scope a role holds for an action, or None when it may not act at all."""
    return PERMISSIONS.get(action, {}).get(role)


def render_markdown() -> str:
    """The permission table as Markdown, for the docs."""
    lines = ["| action | " + " | ".join(ROLES) + " |", "|---" * (len(ROLES) + 1) + "|"]
    for action, grants in PERMISSIONS.items():
        cells = [str(grants[r]) if r in grants else "—" for r in ROLES]
        lines.append(f"| {action} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
