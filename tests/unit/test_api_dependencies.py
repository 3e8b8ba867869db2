"""No dependency of the API costs a request a trip through the thread pool for nothing.

FastAPI calls a plain `def` dependency in anyio's worker threads: a hop to a thread and back
per dependency and per request, which the command path paid for two dependencies (the
services, the request's moment) that never block. Whatever blocks (SQL, the key store) is
sent to a thread by the use case that needs it, one hop for its work."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.app import create_app
from services.runtime.settings import Settings


def _routes(routes: Any) -> Iterator[tuple[str, Dependant]]:
    """Each route's path and dependencies, routers included (FastAPI 0.16x keeps an included
    router whole, with the dependencies it adds, as its routes' effective contexts)."""
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            yield from ((c.path, c.dependant) for c in route.effective_route_contexts())
        elif isinstance(route, APIRoute):
            yield route.path, route.dependant


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _runs_in_a_thread(call: Any) -> bool:
    if inspect.isroutine(call):
        return not inspect.iscoroutinefunction(call)
    return not inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004


def test_every_dependency_of_every_route_runs_on_the_event_loop(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:1"))
    routes = list(_routes(app.routes))

    in_threads = {
        f"{path}: {getattr(call, '__qualname__', call)}"
        for path, dependant in routes
        for call in _calls(dependant)
        if _runs_in_a_thread(call)
    }

    assert len(routes) > 50
    assert in_threads == set()
