"""The worker and the API freeze what start-up built; a rebuild collects by hand; the
benchmark clocks the collector."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bench.gc_clock import GcClock
from services.runtime.gc_tuning import FreezeSurvivors, collecting_every, freeze_after_startup


class _Node:
    next: object = None


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_objects_are_frozen_after_a_collection(restored_collector: None) -> None:
    gc.unfreeze()
    kept = [{"site": "Marrakech"} for _ in range(1000)]
    garbage = _Node()
    garbage.next = garbage  # a cycle only a collection frees
    gone = weakref.ref(garbage)
    del garbage

    frozen = freeze_after_startup(True)

    assert frozen == gc.get_freeze_count() > len(kept)
    assert gone() is None  # collected first, not frozen


def test_freezing_can_be_switched_off_and_the_threshold_still_set(
    restored_collector: None,
) -> None:
    gc.unfreeze()

    assert freeze_after_startup(False, threshold=5000) == 0
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold()[0] == 5000


def cycle() -> weakref.ref[_Node]:
    """A cycle only a collection frees, dropped; a reference that says when it is freed."""
    garbage = _Node()
    garbage.next = garbage
    return weakref.ref(garbage)


def test_a_batch_job_collects_once_per_so_much_work_and_restores_the_collector() -> None:
    assert gc.isenabled()
    with collecting_every(1000) as done:
        assert not gc.isenabled()
        early = cycle()
        done(999)
        assert early() is not None  # not yet: less than 1,000 since the start
        done(1000)
        assert early() is None
        late = cycle()
        done(1999)
        assert late() is not None
        done(2100)
        assert late() is None
    assert gc.isenabled()


def test_the_collector_is_restored_when_the_job_fails() -> None:
    with pytest.raises(RuntimeError), collecting_every(10):
        raise RuntimeError("the rebuild died")
    assert gc.isenabled()


def test_the_clock_counts_collections_per_generation() -> None:
    with GcClock() as clock:
        gc.collect()
        gc.collect(0)

    figures = clock.figures()
    assert figures["gc_collections"][2] >= 1 and figures["gc_collections"][0] >= 1
    assert figures["gc_wall_ms"] >= figures["gc_cpu_ms"] * 0.5 and clock.wall_seconds > 0


def _in_reach(thing: object) -> bool:
    """Whether the collector still walks `thing` (it is in one of its generations)."""
    return any(o is thing for generation in range(3) for o in gc.get_objects(generation))


@pytest.fixture
def survivors(restored_collector: None) -> Iterator[FreezeSurvivors]:
    gc.collect()
    gc.freeze()
    hook = FreezeSurvivors(share=0.25, at_least=1000).install()
    yield hook
    hook.uninstall()


def test_what_outlives_a_full_collection_is_frozen_once_it_is_a_share_of_the_frozen(
    survivors: FreezeSurvivors,
) -> None:
    gc.disable()  # no collection of Python's own while they are built: only the one below
    try:
        kept = [_Node() for _ in range(max(2000, gc.get_freeze_count()))]  # states folded since
        dropped = cycle()
    finally:
        gc.enable()

    gc.collect()

    assert dropped() is None  # collected by that collection, never frozen
    assert survivors.freezes == 1
    assert not _in_reach(kept) and not _in_reach(kept[0])


def test_a_few_survivors_stay_in_the_collectors_reach(survivors: FreezeSurvivors) -> None:
    frozen = gc.get_freeze_count()
    kept = [_Node() for _ in range(500)]  # under `at_least` and the share

    gc.collect()

    assert survivors.freezes == 0
    assert gc.get_freeze_count() == frozen
    assert _in_reach(kept) and _in_reach(kept[-1])


def test_a_frozen_object_dropped_is_freed_but_a_frozen_cycle_dropped_is_not() -> None:
    """What freezing costs: a frozen object nothing refers to any more is freed; a cycle
    dropped after it was frozen is not (why only what survives a full collection is)."""
    gc.collect()
    gc.freeze()
    try:
        plain, looped = _Node(), _Node()
        looped.next = looped
        plain_gone, looped_gone = weakref.ref(plain), weakref.ref(looped)
        gc.freeze()
        del plain, looped
        gc.collect()
        assert plain_gone() is None
        assert looped_gone() is not None
    finally:
        gc.unfreeze()
        gc.collect()
    assert looped_gone() is None


def test_installing_twice_hooks_once(survivors: FreezeSurvivors) -> None:
    survivors.install()
    assert gc.callbacks.count(survivors) == 1
    survivors.uninstall()
    assert survivors not in gc.callbacks
