"""Reading a whole list through the API, page after page."""

from __future__ import annotations

from typing import Any

from projections.paging import MAX_LIMIT


def every_item(
    client: Any, path: str, headers: dict[str, str], params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """All the items of a paged list (`client` is an httpx or Starlette test client)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = (params or {}) | {"limit": MAX_LIMIT} | ({"cursor": cursor} if cursor else {})
        answer = client.get(path, headers=headers, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found += body["items"]
        cursor = body["next"]
        if cursor is None:
            return found
