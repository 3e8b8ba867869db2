"""A batch decided in order (`decide_in_order`) answers each command as deciding them one
after the other on the folded state would, whichever aggregates repeat and wherever a
refusal falls."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from events import Event
from services.domain.deciding import decide_in_order
from services.domain.decisions import DomainError, Refused


@dataclass(frozen=True)
class Ask:
    """Take `amount` from a box (a put when negative): refused beyond what it holds."""

    aggregate_id: str
    amount: int


@dataclass(frozen=True)
class Moved:
    box: str
    amount: int


def decide_one(held: int, ask: Ask) -> list[Event]:
    if ask.amount > held:
        raise Refused("short", f"{held} held", held=held)
    return [Moved(ask.aggregate_id, ask.amount)] if ask.amount else []  # type: ignore[list-item]


def evolve(held: int, moved: Moved) -> int:
    return held - moved.amount


def one_after_the_other(asks: list[Ask], start: dict[str, int]) -> list[list[Moved] | str]:
    """The reference: every command decided on the state every event before it left."""
    held = dict(start)
    answers: list[list[Moved] | str] = []
    for ask in asks:
        try:
            events = decide_one(held[ask.aggregate_id], ask)
        except Refused as refused:
            answers.append(refused.code + str(refused.details["held"]))
            continue
        for event in events:
            held[ask.aggregate_id] = evolve(held[ask.aggregate_id], event)  # type: ignore[arg-type]
        answers.append(events)  # type: ignore[arg-type]
    return answers


asks = st.lists(
    st.builds(Ask, st.sampled_from(["a", "b", "c"]), st.integers(min_value=-3, max_value=5)),
    max_size=30,
)


@given(asks, st.fixed_dictionaries({box: st.integers(0, 6) for box in "abc"}))
def test_a_batch_is_answered_as_its_commands_one_after_the_other(
    batch: list[Ask], start: dict[str, int]
) -> None:
    decided = decide_in_order(start.__getitem__, batch, decide_one, evolve)  # type: ignore[arg-type]

    answers = [
        a.code + str(a.details["held"]) if isinstance(a, DomainError) else a for a in decided
    ]
    assert answers == one_after_the_other(batch, start)


def test_a_box_met_again_after_a_refusal_is_decided_on_what_its_earlier_takes_left() -> None:
    batch = [Ask("a", 2), Ask("b", 1), Ask("a", 5), Ask("a", 1), Ask("a", 1)]

    decided = decide_in_order({"a": 4, "b": 1}.__getitem__, batch, decide_one, evolve)  # type: ignore[arg-type]

    assert decided[0] == [Moved("a", 2)]
    assert isinstance(decided[2], Refused) and decided[2].details == {"held": 2}
    assert decided[3:] == [[Moved("a", 1)], [Moved("a", 1)]]
