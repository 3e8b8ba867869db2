"""The garbage collector after start-up.

A long-running process keeps what it built at start-up (modules, the app, its routes, the
SQLAlchemy tables, the pydantic models) for its whole life; left in the collector's
generations, every full collection walks all of it again. `gc.freeze()` moves what exists
now to a permanent generation the collector never scans; `gc.collect()` just before it frees
the start-up garbage first, so none of that is frozen (Python's documentation of gc.freeze).

A worker's deciders also keep what they fold for their whole life: a state per aggregate
(a million households' registrations in a national registry) and the outcomes of recent
commands. Python collects everything again each time a quarter more has reached the oldest
generation, so the longer the registry, the longer each full collection: at a million
households, 34 of them took 148 s of the deciders' 651 s in an import, up to 10 s each, during
which no command is decided. `FreezeSurvivors` freezes what outlived a full collection once it
is a quarter of what is frozen: the next full collections walk only what came since.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class FreezeSurvivors:
    """A collector callback: after a full collection, freeze its survivors when they are at
    least `share` of what is frozen already (and at least `at_least` objects).

    Frozen objects are still freed when nothing refers to them; only a cycle among them
    that is dropped later stays (never collected). What is frozen is what was alive after a
    full collection, overwhelmingly the folded states and outcomes, which form no cycles; and
    since each freeze needs the survivors to be a share of everything frozen, freezes follow
    the heap's growth geometrically (about 30 from 50,000 objects to 50 million), not time.
    """

    def __init__(self, share: float = 0.25, at_least: int = 50_000) -> None:
        self.share = share
        self.at_least = at_least
        self.freezes = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase != "stop" or info["generation"] != 2:
            return
        # After a full collection the younger generations are empty: the oldest holds every
        # survivor that is not frozen.
        survivors = len(gc.get_objects(generation=2))
        if survivors >= max(self.at_least, self.share * gc.get_freeze_count()):
            gc.freeze()
            self.freezes += 1

    def install(self) -> FreezeSurvivors:
        if self not in gc.callbacks:
            gc.callbacks.append(self)
        return self

    def uninstall(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


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
