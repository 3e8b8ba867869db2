"""Which role is narrowed by which scope: an operator to warehouses, an agent to sites, a
donor to its donors (as the permission table grants them); a social worker to sites too,
whose regions bound the households they reach; every other role sees all and is given
none."""

from __future__ import annotations

from collections.abc import Sequence

from services.domain.decisions import Rejected

SCOPE_OF_ROLE = {
    "operator": "warehouses",
    "agent": "sites",
    "donor": "donors",
    "social_worker": "sites",
}
NAMES = ("warehouses", "sites", "donors")


def check_scopes(
    role: str, warehouses: Sequence[str], sites: Sequence[str], donors: Sequence[str]
) -> None:
    """Reject scopes the role does not use, and a scoped role without any of its own."""
    given = dict(zip(NAMES, (warehouses, sites, donors), strict=True))
    own = SCOPE_OF_ROLE.get(role)
    for name, values in given.items():
        if values and name != own:
            users = " or ".join(repr(r) for r, scope in SCOPE_OF_ROLE.items() if scope == name)
            raise Rejected(
                "scope_not_for_role",
                f"only the role {users} is given {name}; a user with the role {role!r} takes none",
                field=name,
                role=role,
            )
    if own is not None and not given[own]:
        raise Rejected(
            "scope_required",
            f"a user with the role {role!r} needs at least one of their {own}",
            field=own,
            role=role,
        )


def normalised(values: Sequence[str]) -> list[str]:
    """Each scope once, in order: the same scopes compare equal however they were listed."""
    return sorted(set(values))
