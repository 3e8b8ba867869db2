"""A campaign's needs: per site, the units still due to the households it expects and has not
served, less what the site holds of the campaign's item and what is on its way there; summed
per province and region; and, for a kit, the components the supplying warehouse lacks to
assemble the kits it does not hold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SiteStock:
    """What a site is due (from the kept site counts) and what it has or will have."""

    site_id: str
    region_code: str
    province_code: str | None
    due: int
    on_hand: int = 0
    in_transit: int = 0


@dataclass(frozen=True)
class Need:
    """Units due, held and on their way, and the shortfall (never below 0)."""

    due: int
    on_hand: int
    in_transit: int
    short: int


@dataclass(frozen=True)
class ComponentShort:
    item_id: str
    needed: int
    on_hand: int
    short: int


def site_need(site: SiteStock) -> Need:
    """What the site still lacks: a site holding more than it is due lacks nothing."""
    short = max(site.due - max(site.on_hand, 0) - site.in_transit, 0)
    return Need(site.due, site.on_hand, site.in_transit, short)


def summed(needs: Iterable[Need]) -> Need:
    """Needs added up (an area's shortfall is that of its sites: a site's surplus does not
    cover another's)."""
    found = list(needs)
    fields = ("due", "on_hand", "in_transit", "short")
    return Need(*(sum(getattr(n, f) for n in found) for f in fields))


def per_area(sites: Sequence[SiteStock]) -> tuple[dict[tuple[str, str], Need], dict[str, Need]]:
    """The sites' needs summed per (region, province) — '' where none is known — and per
    region."""
    provinces: dict[tuple[str, str], list[Need]] = {}
    regions: dict[str, list[Need]] = {}
    for site in sites:
        need = site_need(site)
        provinces.setdefault((site.region_code, site.province_code or ""), []).append(need)
        regions.setdefault(site.region_code, []).append(need)
    return (
        {area: summed(n) for area, n in sorted(provinces.items())},
        {region: summed(n) for region, n in sorted(regions.items())},
    )


def components_short(
    kits_short: int, kits_held: int, recipe: Mapping[str, int], held: Mapping[str, int]
) -> list[ComponentShort]:
    """Per component of the kit, the units needed to assemble the kits the sites lack beyond
    those the warehouse already holds, what it holds of that component, and what it lacks."""
    to_assemble = max(kits_short - max(kits_held, 0), 0)
    found = []
    for item_id, per_kit in sorted(recipe.items()):
        needed, on_hand = to_assemble * per_kit, max(held.get(item_id, 0), 0)
        found.append(ComponentShort(item_id, needed, on_hand, max(needed - on_hand, 0)))
    return found
