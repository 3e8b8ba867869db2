"""How long the API takes to find a request's route, against trying every route as FastAPI
does by itself.

`python -m bench.routing` needs no Kafka and no database server. The app is built as `aid api`
builds it (nothing started); each request below is looked up through the app's routes as its
router does, once with the routers passing over what they cannot match (`api.routing`), once
with every route tried (FastAPI's own `APIRouter.matches`), in alternation. Figures are µs of
CPU per lookup, the best of `AID_BENCH_ROUTING_ROUNDS` (20) rounds of 200 lookups each.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import Match

from api.app import create_app
from api.routing import Router
from bench.common import machine, report, size
from services.runtime.settings import Settings

REQUESTS = (
    ("POST", "/v1/distributions"),
    ("POST", "/v1/stock/transfers"),
    ("GET", "/v1/households/h-1/eligibility"),
    ("GET", "/v1/inventory"),
    ("GET", "/agent"),
)
LOOKUPS = 200


def lookup(app: FastAPI, method: str, path: str) -> int:
    """The index of the app's route entry that takes the request, as its router finds it."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [],
             "query_string": b"", "app": app}  # fmt: skip
    for index, entry in enumerate(app.router.routes):
        if entry.matches(dict(scope))[0] == Match.FULL:
            return index
    return -1


def timed(app: FastAPI, method: str, path: str) -> float:
    started = time.process_time()
    for _ in range(LOOKUPS):
        lookup(app, method, path)
    return (time.process_time() - started) / LOOKUPS * 1e6


def main() -> dict[str, Any]:
    rounds = size("routing_rounds", 20)
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(data_dir=Path(directory), database_url=f"sqlite:///{directory}/rm.db")
        app = create_app(settings)
        passing_over = Router.matches
        figures: dict[str, Any] = {}
        for method, path in REQUESTS:
            best = {"passing_over": float("inf"), "every_route": float("inf")}
            found = set()
            for _ in range(rounds):
                for name, matches in (("passing_over", passing_over),
                                      ("every_route", APIRouter.matches)):  # fmt: skip
                    Router.matches = matches  # type: ignore[method-assign]
                    try:
                        best[name] = min(best[name], timed(app, method, path))
                        found.add(lookup(app, method, path))
                    finally:
                        Router.matches = passing_over  # type: ignore[method-assign]
            assert len(found) == 1 and -1 not in found, (method, path, found)
            figures[f"{method} {path}"] = {
                "entry": found.pop(),
                "us_passing_over": round(best["passing_over"], 1),
                "us_every_route": round(best["every_route"], 1),
                "ratio": round(best["passing_over"] / best["every_route"], 3),
            }
    return report("finding a request's route", figures, machine())


if __name__ == "__main__":
    main()
