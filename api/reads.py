"""The `?after=` parameter every read accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Response

from api.consistency import parse_position, wait_for
from api.deps import ServicesDep

READ_AFTER = "X-Read-After"  # `caught-up`, or `behind` when the wait ran out


async def read_after(
    services: ServicesDep,
    response: Response,
    after: Annotated[
        str | None,
        Query(
            description="A position returned by a write; the read waits (≤ a few s) for it. "
            f"The answer's `{READ_AFTER}` header says `caught-up`, or `behind` when the read "
            "models had not reached it in time (the rows are then as they stood: ask again)."
        ),
    ] = None,
) -> bool:
    if after is None:
        return True
    reached = await wait_for(services.engine, services.settings, parse_position(after))
    response.headers[READ_AFTER] = "caught-up" if reached else "behind"
    return reached


ReadAfter = Annotated[bool, Depends(read_after)]
