"""The API's publisher: commands are appended side by side, each waiting only for its own
acknowledgements; a publish (chained events, tests and benchmarks) takes its turn alone.

Held under one lock, every command of the API waited for the write of the one before:
under load most of its threads queued there. The sends below block until the test lets
them go; a barrier that two appends must reach together fails the test (after its timeout,
a guard against hanging) if they are taken one at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from services.domain.positions import Position
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.settings import Settings
from tests.support.events import recorded
from tests.support.stock_stories import MARRAKECH, received

GUARD_SECONDS = 10  # only reached when something is wrong


class _Partitions:
    def partitions_for(self, topic: str) -> set[int]:
        return {0}


class HeldPublisher(KafkaEventPublisher):
    """Each send notes that it began and blocks at `gate` (when set), then notes its end."""

    def __init__(self) -> None:
        super().__init__(Settings())
        self.gate: threading.Barrier | threading.Event | None = None
        self.seen: list[str] = []
        self.began = threading.Event()

    def _connect(self) -> Any:
        return _Partitions()

    def _send(
        self, stream: str, messages: Sequence[tuple[str, bytes]], partition: int | None
    ) -> list[Position]:
        what = "publish" if partition is not None else f"append {messages[0][0]}"
        self.seen.append(f"{what} began")
        self.began.set()
        if isinstance(self.gate, threading.Barrier):
            self.gate.wait(GUARD_SECONDS)
        elif self.gate is not None:
            assert self.gate.wait(GUARD_SECONDS)
        self.seen.append(f"{what} done")
        return [Position(stream, 0, n) for n in range(len(messages))]


def run(*calls: Any) -> list[threading.Thread]:
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    return threads


def test_two_commands_are_appended_side_by_side() -> None:
    publisher = HeldPublisher()
    publisher.gate = threading.Barrier(2)  # broken after the guard unless both are in

    def append(key: str) -> None:
        publisher.append_keyed("stock-commands", [(key, b"{}")])

    for thread in run(lambda: append("a"), lambda: append("b")):
        thread.join()

    assert not publisher.gate.broken
    assert sorted(publisher.seen[:2]) == ["append a began", "append b began"]


def test_a_publish_waits_for_the_append_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    publisher = held_publisher(monkeypatch)
    release = publisher.gate = threading.Event()

    appending = run(lambda: publisher.append_keyed("stock", [("a", b"{}")]))
    assert publisher.began.wait(GUARD_SECONDS)
    publishing = run(lambda: publish(publisher))
    release.set()
    for thread in appending + publishing:
        thread.join()

    assert publisher.seen == ["append a began", "append a done", "publish began", "publish done"]


def test_an_append_waits_for_the_publish_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    publisher = held_publisher(monkeypatch)
    release = publisher.gate = threading.Event()

    publishing = run(lambda: publish(publisher))
    assert publisher.began.wait(GUARD_SECONDS)
    appending = run(lambda: publisher.append_keyed("stock", [("b", b"{}")]))
    release.set()
    for thread in publishing + appending:
        thread.join()

    assert publisher.seen == ["publish began", "publish done", "append b began", "append b done"]


def held_publisher(monkeypatch: pytest.MonkeyPatch) -> HeldPublisher:
    """A publisher whose partitions have no records yet (their heads read from no log)."""
    monkeypatch.setattr("services.runtime.publisher.last_record", lambda *_: None)
    return HeldPublisher()


def publish(publisher: HeldPublisher) -> None:
    envelope, _ = recorded(received(1, "RB-1"), command_id="receipt-1")
    publisher.publish("stock", MARRAKECH, [envelope])
