"""A process that only projects takes shorter GIL turns and rarer young collections; one
beside the deciders keeps the worker's, which its commands' waits depend on."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from services.runtime.projector import tune_for_projecting
from services.runtime.settings import Settings


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    interval, threshold = sys.getswitchinterval(), gc.get_threshold()
    yield
    sys.setswitchinterval(interval)
    gc.set_threshold(*threshold)


def test_a_process_that_only_projects_takes_the_projectors_settings() -> None:
    gc.set_threshold(10_000, 10, 10)
    settings = Settings(projector_switch_interval_ms=0.5, projector_gc_threshold=50_000)
    tune_for_projecting(settings)
    assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert gc.get_threshold() == (50_000, 10, 10)


def test_projectors_beside_the_deciders_keep_the_workers_settings() -> None:
    gc.set_threshold(10_000, 10, 10)
    sys.setswitchinterval(0.005)
    tune_for_projecting(Settings(projector_gc_threshold=50_000), beside_deciders=True)
    assert sys.getswitchinterval() == pytest.approx(0.005)
    assert gc.get_threshold() == (10_000, 10, 10)


def test_a_threshold_of_zero_keeps_the_workers() -> None:
    gc.set_threshold(10_000, 10, 10)
    tune_for_projecting(Settings(projector_gc_threshold=0))
    assert gc.get_threshold() == (10_000, 10, 10)
