"""A campaign's needs computed by hand: due, less held, less on its way, per site and area;
the components a warehouse lacks to assemble the kits."""

from __future__ import annotations

from services.domain.requisitions.needs import (
    ComponentShort,
    Need,
    SiteStock,
    components_short,
    per_area,
    site_need,
)

AMIZMIZ = SiteStock("site-amizmiz", "MA-07", "MA-07-071", due=300, on_hand=120, in_transit=50)
ASNI = SiteStock("site-asni", "MA-07", "MA-07-071", due=80, on_hand=100)
TAHANNAOUT = SiteStock("site-tahannaout", "MA-07", None, due=40, in_transit=10)
TAROUDANT = SiteStock("site-taroudant", "MA-09", "MA-09-091", due=0)


def test_a_site_lacks_what_is_due_less_what_it_holds_and_what_is_on_its_way() -> None:
    assert site_need(AMIZMIZ) == Need(due=300, on_hand=120, in_transit=50, short=130)


def test_a_site_holding_more_than_it_is_due_lacks_nothing() -> None:
    assert site_need(ASNI) == Need(due=80, on_hand=100, in_transit=0, short=0)


def test_an_area_lacks_what_its_sites_lack_a_surplus_does_not_cover_another_site() -> None:
    provinces, regions = per_area([AMIZMIZ, ASNI, TAHANNAOUT, TAROUDANT])
    assert provinces == {
        ("MA-07", ""): Need(due=40, on_hand=0, in_transit=10, short=30),
        ("MA-07", "MA-07-071"): Need(due=380, on_hand=220, in_transit=50, short=130),
        ("MA-09", "MA-09-091"): Need(due=0, on_hand=0, in_transit=0, short=0),
    }
    assert regions == {
        "MA-07": Need(due=420, on_hand=220, in_transit=60, short=160),
        "MA-09": Need(due=0, on_hand=0, in_transit=0, short=0),
    }


def test_a_warehouse_lacks_the_components_of_the_kits_it_must_assemble() -> None:
    # 160 kits short at the sites, 40 already assembled: 120 to assemble, of 2 oil + 5 flour
    found = components_short(160, 40, {"flour-kg": 5, "oil-l": 2}, {"flour-kg": 700, "oil-l": 90})
    assert found == [
        ComponentShort("flour-kg", needed=600, on_hand=700, short=0),
        ComponentShort("oil-l", needed=240, on_hand=90, short=150),
    ]


def test_a_warehouse_holding_enough_kits_lacks_no_component() -> None:
    found = components_short(30, 45, {"oil-l": 2}, {})
    assert found == [ComponentShort("oil-l", needed=0, on_hand=0, short=0)]
