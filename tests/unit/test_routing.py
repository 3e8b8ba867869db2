"""The routers pass over paths none of their routes can match, and change no request's route."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import Match

import api.routes
import api.ui.pages
from api.routing import Router
from tests.support.api import ApiHarness

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ELSEWHERE = ("/", "/v1", "/v1/", "/v1/nothing", "/v1/households", "/v1/households/", "/agent/",
             "/static/ui/app.css", "/nothing/at/all", "/v1/distributions/")  # fmt: skip


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    with ApiHarness(tmp_path_factory.mktemp("routing")) as harness:
        yield harness.app


def routers() -> Iterator[Router]:
    for package in (api.routes, api.ui.pages):
        for module in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            for value in vars(importlib.import_module(module.name)).values():
                if isinstance(value, Router):
                    yield value


def filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "h-1", path)


def served_paths(app: FastAPI) -> set[str]:
    """The paths the app serves, as the OpenAPI document gives them (with any prefix the app
    includes a router under), and the pages' paths as their routes hold them."""
    paths = {filled(path) for path in app.openapi()["paths"]}
    paths |= {filled(route.path) for router in routers() for route in router.routes}
    return paths | set(ELSEWHERE)


def matched(app: FastAPI, method: str, path: str) -> list[Match]:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [],
             "query_string": b"", "app": app}  # fmt: skip
    return [entry.matches(dict(scope))[0] for entry in app.router.routes]


def test_every_request_matches_what_it_matched_when_every_route_was_tried(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For every path served and some that are not, and every method, each entry of the app's
    routes answers FULL, PARTIAL (another method) or NONE as it did without passing over."""
    requests = [(m, p) for p in sorted(served_paths(app)) for m in METHODS]
    passing_over = {r: matched(app, *r) for r in requests}
    with monkeypatch.context() as patched:
        patched.setattr(Router, "matches", APIRouter.matches)
        trying_all = {r: matched(app, *r) for r in requests}
    assert passing_over == trying_all
    routed = {(m, filled(route.path)) for router in routers() for route in router.routes
              for m in route.methods}  # fmt: skip
    assert routed and all(Match.FULL in passing_over[r] for r in routed if r[0] in METHODS)


def test_a_router_passes_over_the_paths_none_of_its_routes_begins() -> None:
    from api.routes import distributions, households

    assert households.router.beginnings() == ("/v1/households",)
    assert distributions.router.beginnings() == ("/v1/distributions", "/v1/households/")


def test_every_router_of_the_api_and_the_pages_is_one_that_passes_over() -> None:
    """A module making a plain APIRouter would have its routes tried for every request."""
    made_plainly = [
        str(path)
        for path in Path(api.__file__).parent.rglob("*.py")
        if path.name != "routing.py" and "APIRouter(" in path.read_text(encoding="utf-8")
    ]
    assert made_plainly == []
    assert len(list(routers())) >= 30
