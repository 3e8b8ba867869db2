"""The API's and the pages' routers: each passes over, at once, a path none of its routes can
match.

FastAPI keeps an included router as one entry of the app's routes, and finds a request's route
by asking each entry in turn to try every route it holds, at a few microseconds a try:
`POST /v1/distributions` was reached after about sixty, a page after every API route. A
route's path can match only a path that begins with its text before its first parameter, so
a router none of whose routes begins a path is passed over by one string comparison. The app
includes these routers without a prefix of its own (the paths their routes hold are the paths
served; tests/unit/test_routing.py holds the app to that).
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import Match, get_route_path
from starlette.types import Scope


class Router(APIRouter):
    """An `APIRouter` that answers NONE, without trying its routes, for a path none of them
    begins."""

    _beginnings: tuple[int, tuple[str, ...]] = (-1, ())

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not get_route_path(scope).startswith(self.beginnings()):
            return Match.NONE, {}
        return super().matches(scope)

    def beginnings(self) -> tuple[str, ...]:
        """What a path must begin with to be matched by one of the routes: each route's path
        up to its first parameter ("" for an entry without a path, which every path begins
        with). Worked out again when routes are added."""
        count, beginnings = self._beginnings
        if count != len(self.routes):
            paths = sorted({getattr(route, "path", "").split("{", 1)[0] for route in self.routes})
            # "/v1/households/lookup" adds nothing to "/v1/households"
            beginnings = tuple(p for p in paths if not any(p.startswith(q) for q in paths if q < p))
            self._beginnings = (len(self.routes), beginnings)
        return beginnings
