"""Where a household may be placed, whether it is registered one at a time or imported:
in an area the reference data knows, and, by a user assigned to sites, at one of their own
sites. One rule each, for the API, the web pages and the import alike."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine

from projections import imports_queries
from services.app.errors import Forbidden, Invalid
from services.app.permissions import User
from services.app.ports import Ports
from services.app.reading import seen
from services.domain.households.importing import UNKNOWN_AREA, Areas, unknown_area
from services.domain.users.scopes import SCOPE_OF_ROLE

SITE_NOT_YOURS = "you assign households only to your own sites"
# what to do about an area no location carries (a person's values are never repeated)
REGISTER_IT = "; register a location there first, or give a code the reference data knows"


def sites_of(user: User) -> frozenset[str] | None:
    """The sites the user may assign households to: a user assigned to sites (an agent, a
    social worker) only their own; every other role any (None)."""
    return user.sites if SCOPE_OF_ROLE.get(user.role) == "sites" else None


def regions_served(user: User, sites: dict[str, str]) -> frozenset[str] | None:
    """The regions whose households a user assigned to sites reaches (those of their sites,
    `sites` giving each site's region); every other role all of them (None)."""
    own = sites_of(user)
    return None if own is None else frozenset(sites[s] for s in own if s in sites)


def site_is_theirs(user: User, site_id: str) -> bool:
    """Whether the user may assign a household to this site."""
    sites = sites_of(user)
    return sites is None or site_id in sites


def check_site_is_theirs(user: User, site_id: str | None) -> None:
    """Forbidden unless the user may assign a household to this site (None: to no site)."""
    if site_id is not None and not site_is_theirs(user, site_id):
        raise Forbidden(SITE_NOT_YOURS, permission="households.write")


def region_areas(engine: Engine, region_code: str) -> Areas:
    """The region with its provinces, as the reference data knows them (empty: unknown)."""
    return {k: v for k, v in imports_queries.areas(engine).items() if k == region_code}


async def _areas_of(ports: Ports, region_code: str) -> Areas:
    """The region with its provinces (empty: unknown), kept once known."""
    areas: Areas | None = ports.reference.get(region_areas, region_code)
    if areas is None:
        areas = await seen(ports, "reference", region_areas, region_code)
        if areas:
            ports.reference.keep(region_areas, region_code, areas)
    return areas


async def check_area(ports: Ports, region_code: str, province_code: str | None) -> None:
    """Invalid, naming the field, unless the reference data knows the household's region
    (and province, when given) — as the import refuses an `unknown_region` line."""
    areas = await _areas_of(ports, region_code)
    field = unknown_area(region_code, province_code, areas)
    if field is not None:
        reason, words = UNKNOWN_AREA[field]
        raise Invalid(words + REGISTER_IT, field=field, reason=reason)


async def check_regions(ports: Ports, region_codes: Iterable[str]) -> None:
    """Invalid, naming `region_codes`, unless the reference data knows each region a campaign
    covers: the rule of a household's region, for a campaign's (when opened or moved)."""
    for region_code in dict.fromkeys(region_codes):
        if unknown_area(region_code, None, await _areas_of(ports, region_code)) is not None:
            raise Invalid(
                f"region_codes names {region_code!r}, not a region of the reference data"
                + REGISTER_IT,
                field="region_codes",
                reason="unknown_region",
            )
