"""The garbage collector after start-up.

A long-running process keeps what it built at start-up (modules, the app, its routes, the
SQLAlchemy tables, the pydantic models) for its whole life; left in the collector's
generations, every full collection walks all of it again. `gc.freeze()` moves what exists
now to a permanent generation the collector never scans; `gc.collect()` just before it frees
the start-up garbage first, so none of that is frozen (Python's documentation of gc.freeze).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def freeze_after_startup(freeze: bool, threshold: int = 0) -> int:
    """Collect, then freeze what start-up built; with `threshold`, collect the youngest
    generation after that many allocations (Python's default is 700). Returns how many
    objects were frozen (0 when `freeze` is off)."""
    if threshold:
        gc.set_threshold(threshold, *gc.get_threshold()[1:])
    if not freeze:
        return 0
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@contextmanager
def collecting_every(every: int) -> Iterator[Callable[[int], None]]:
    """Automatic collection off for a batch job (a rebuild) that holds thousands of decoded
    records at a time: each collection of the young generations walks them again, a fifth
    of a rebuild's CPU with a threshold of 10,000. Yields `done(count)`, to call with the
    work done so far: it collects everything once per `every` more, so garbage in cycles
    stays bounded. The collector's state is restored on exit."""
    enabled, last = gc.isenabled(), 0

    def done(count: int) -> None:
        nonlocal last
        if count - last >= every:
            gc.collect()
            last = count

    gc.disable()
    try:
        yield done
    finally:
        if enabled:
            gc.enable()
