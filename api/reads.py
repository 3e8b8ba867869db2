"""The `?after=` parameter every read accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from api.consistency import parse_position, wait_for
from api.deps import ServicesDep


async def read_after(
    services: ServicesDep,
    after: Annotated[
        str | None,
        Query(description="A position returned by a write; the read waits (≤ a few s) for it."),
    ] = None,
) -> bool:
    if after is None:
        return True
    return await wait_for(services.engine, services.settings, parse_position(after))


ReadAfter = Annotated[bool, Depends(read_after)]
