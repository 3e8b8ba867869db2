"""What a request may cost before anyone knows who sends it.

Once, one unauthenticated 9 MB request grew the API's memory by about 200 MB and was answered
401 only after its body was parsed. Now a write to `/v1/` is authenticated before a byte of
its body is read, and every body is bounded by its route's limit (413, before parsing when
declared, as soon as it is passed when streamed).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.limits import DEFAULT_LIMIT, LIMITS
from tests.support.api import ApiHarness

CHUNK = 64 * 1024
BATCH = "/v1/distributions/batch"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


def call(
    api: ApiHarness, path: str, size: int, headers: dict[str, str], declared: bool = True
) -> tuple[int, dict[str, Any], int]:
    """POST a body of `size` bytes in 64 KiB chunks straight to the ASGI app: the status, the
    answer, and how many bytes the app read of the body."""
    read = 0
    chunks = [b" " * min(CHUNK, size - at) for at in range(0, size, CHUNK)] or [b""]
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-type", b"application/json"))
    if declared:
        raw.append((b"content-length", str(size).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": raw, "client": ("127.0.0.1", 5000),
             "server": ("testserver", 80)}  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if not chunks:
            return {"type": "http.disconnect"}
        body = chunks.pop(0)
        read += len(body)
        return {"type": "http.request", "body": body, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(api.app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body or b"{}"), read


def test_a_stranger_s_batch_is_refused_before_a_byte_is_read(api: ApiHarness) -> None:
    for token in ({}, {"Authorization": "Bearer forged"}, {"Authorization": "Basic eA=="}):
        status, answer, read = call(api, BATCH, 3 * 1024 * 1024, token)
        assert (status, answer["error"], read) == (401, "unauthenticated", 0)

        status, answer, read = call(api, BATCH, 9 * 1024 * 1024, token)
        assert (status, answer["error"], read) == (413, "too_large", 0)


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(api: ApiHarness) -> None:
    status, answer, read = call(api, BATCH, LIMITS[BATCH] + 1, api.headers("agent"))

    assert (status, answer["error"], read) == (413, "too_large", 0)
    assert "4096 KiB" in answer["message"]


def test_a_streamed_body_is_cut_once_over_the_limit(api: ApiHarness) -> None:
    size = 3 * DEFAULT_LIMIT
    status, answer, read = call(api, "/v1/stock/receipts", size, api.headers("operator"), False)

    assert (status, answer["error"]) == (413, "too_large")
    assert read <= DEFAULT_LIMIT + CHUNK


def test_bodies_within_their_limits_are_answered_as_before(api: ApiHarness) -> None:
    receipt = {"location_id": "wh-casablanca", "item_id": "ramadan-basket", "quantity": 5}
    assert api.post("operator", "/v1/stock/receipts", receipt).status_code == 201

    padded = receipt | {"id": "rcpt-padded", "lot": "L1"}
    text = json.dumps(padded) + " " * (DEFAULT_LIMIT - 200)
    answer = api.client.post(
        "/v1/stock/receipts",
        content=text,
        headers=api.headers("operator") | {"content-type": "application/json"},
    )
    assert answer.status_code == 201, answer.text


def test_an_offline_batch_has_at_most_10000_records(api: ApiHarness) -> None:
    record = {"id": "r", "household_id": "hh", "campaign_id": "c", "site_id": "s"}
    answer = api.post("agent", BATCH, {"records": [record] * 10_001})

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "records"


def test_reads_and_public_pages_are_not_held_up(api: ApiHarness) -> None:
    assert api.client.get("/v1/inventory").status_code == 401  # the route's own answer
    assert api.client.get("/signin").status_code == 200
