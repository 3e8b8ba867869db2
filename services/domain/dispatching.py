"""`functools.singledispatch` for deciders: the state first, the dispatch on the message.

Every decider is written `evolve(state, event) -> state` and
`decide(state, command, now) -> list[Event]`, the order of the `Decider` protocol;
`singledispatch` alone would dispatch on the state. `on_message` keeps its registry
and its method resolution, and picks the implementation by the type of the second
argument (the event or the command), read from the annotation of the second
parameter of each registered function.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import singledispatch, update_wrapper
from typing import Any, Generic, TypeVar, get_type_hints

R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


class on_message(Generic[R]):  # lower case: used as a decorator, like singledispatch
    """Decorate the default (what an unknown event or command gets); `.register` the rest."""

    def __init__(self, default: Callable[..., R]) -> None:
        self._dispatcher = singledispatch(default)
        update_wrapper(self, default)

    def register(self, implementation: F) -> F:
        """Handle the message type named by the second parameter's annotation."""
        second = list(inspect.signature(implementation).parameters)[1]
        message_type = get_type_hints(implementation)[second]
        self._dispatcher.register(message_type, implementation)
        return implementation

    def __call__(self, state: Any, message: Any, *rest: Any) -> R:
        return self._dispatcher.dispatch(type(message))(state, message, *rest)
