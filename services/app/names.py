"""What a page shows beside ids and offers in its choices: the reference lists (locations,
items, campaigns, relief operations, kit compositions) and the names of areas and donors.

They are short lists, read whole, for any signed-in user: a form's choices and the names
in a table, never the registry or a person."""

from __future__ import annotations

from typing import Any

from projections import (
    households_queries,
    kit_queries,
    pledges_queries,
    queries,
    relief_queries,
    report_queries,
)
from services.app.ports import Ports
from services.app.reading import in_thread

Row = dict[str, Any]


async def locations(ports: Ports) -> list[Row]:
    """Every registered warehouse and site."""
    return (await in_thread(queries.all_locations, ports.engine)).items


async def items(ports: Ports) -> list[Row]:
    """Every defined item."""
    return (await in_thread(queries.all_items, ports.engine)).items


async def item_names(ports: Ports) -> dict[str, str]:
    return {item["item_id"]: item["name"] for item in await items(ports)}


async def location_names(ports: Ports) -> dict[str, str]:
    return {loc["location_id"]: loc["name"] for loc in await locations(ports)}


async def campaigns(ports: Ports) -> list[Row]:
    """Every campaign, the latest to start first."""
    return (await in_thread(households_queries.all_campaigns, ports.engine)).items


async def operations(ports: Ports) -> list[Row]:
    """Every relief operation."""
    return (await in_thread(relief_queries.all_operations, ports.engine)).items


async def area_names(ports: Ports) -> tuple[dict[str, str], dict[str, str]]:
    """Region and province names by P-code."""
    return await in_thread(report_queries.area_names, ports.engine)


async def kit_compositions(ports: Ports) -> list[Row]:
    """Every kit's latest composition."""
    return await in_thread(kit_queries.current_compositions, ports.engine)


async def donor_names(ports: Ports) -> dict[str, str]:
    return await in_thread(pledges_queries.donor_names, ports.engine)
