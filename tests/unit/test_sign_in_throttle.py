"""Failed sign-ins are limited per real client address and per account, without slowing anyone.

The clock is injected: the window moves when a test says so, and no test waits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from api.throttle import SignInThrottle, TooManyAttempts, account_key, client_key
from tests.support.api import USERNAMES, ApiHarness
from tests.support.fakes import FakeClock

ATTACKER, NEIGHBOUR = client_key("203.0.113.7"), client_key("198.51.100.4")
PASSWORD = "tajine-et-the-2026"


def fail(throttle: SignInThrottle, *keys: str, times: int = 1) -> None:
    for _ in range(times):
        with throttle.attempt(*keys) as attempt:
            attempt.failed()


def test_a_client_past_its_limit_is_refused_until_its_oldest_failure_leaves_the_window() -> None:
    clock = FakeClock()
    throttle = SignInThrottle(per_client=3, window=60, clock=clock)
    fail(throttle, ATTACKER)
    clock.advance(10)
    fail(throttle, ATTACKER, times=2)

    with pytest.raises(TooManyAttempts) as refused:
        throttle.refuse_if_over(ATTACKER)
    assert refused.value.retry_after == 50
    throttle.refuse_if_over(NEIGHBOUR)  # another address is not touched
    assert clock.slept == []  # and nobody was made to wait

    clock.advance(50)
    throttle.refuse_if_over(ATTACKER)  # one failure left the window


def test_guesses_in_parallel_count_while_they_are_checked() -> None:
    throttle = SignInThrottle(per_client=3, clock=FakeClock())
    with ExitStack() as open_attempts:
        for _ in range(3):
            open_attempts.enter_context(throttle.attempt(ATTACKER))
        with pytest.raises(TooManyAttempts):
            open_attempts.enter_context(throttle.attempt(ATTACKER))
    throttle.refuse_if_over(ATTACKER)  # the three succeeded: nothing is held against it


def test_many_token_checks_at_once_from_one_address_are_never_refused_for_it() -> None:
    """Bearer tokens cannot be guessed: only their failures count, not their concurrency
    (an offline sync or a site behind one NAT sends many requests at once)."""
    throttle = SignInThrottle(per_client=3, clock=FakeClock())
    with ExitStack() as open_checks:
        for _ in range(50):
            open_checks.enter_context(throttle.attempt(NEIGHBOUR, held=False))
    fail(throttle, NEIGHBOUR, times=2)
    throttle.refuse_if_over(NEIGHBOUR, held=False)
    fail(throttle, NEIGHBOUR)

    with pytest.raises(TooManyAttempts):
        throttle.refuse_if_over(NEIGHBOUR, held=False)


def test_an_account_is_limited_whatever_the_addresses_the_guesses_come_from() -> None:
    throttle = SignInThrottle(per_client=100, per_account=5, clock=FakeClock())
    nadia, omar = account_key("Nadia.Agent"), account_key("omar.auditor")
    for n in range(5):
        fail(throttle, client_key(f"10.0.0.{n}"), nadia)

    with pytest.raises(TooManyAttempts):
        throttle.refuse_if_over(client_key("10.0.0.99"), account_key("nadia.agent "))
    throttle.refuse_if_over(client_key("10.0.0.99"), omar)


def test_old_keys_are_forgotten_when_too_many_are_kept() -> None:
    clock = FakeClock()
    throttle = SignInThrottle(window=60, clock=clock, max_keys=10)
    for n in range(10):
        fail(throttle, client_key(f"10.0.1.{n}"))
    clock.advance(60)
    fail(throttle, ATTACKER)

    assert set(throttle._failures) == {ATTACKER}


# ---- through the API ---------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    # The test client's peer is "testclient": trusted as the proxy, its X-Forwarded-For counts.
    with ApiHarness(tmp_path, trusted_proxies="testclient") as harness:
        for role in ("operator", "agent"):
            harness.create_user(USERNAMES[role], role, password=PASSWORD)
        harness.app.state.services.throttle = SignInThrottle(
            per_client=5, per_account=3, clock=FakeClock()
        )
        yield harness


def behind_proxy(address: str, token: str | None = None) -> dict[str, str]:
    headers = {"X-Forwarded-For": address}
    return headers | ({"Authorization": f"Bearer {token}"} if token else {})


def test_wrong_tokens_from_one_address_get_429_and_others_are_served_at_once(
    api: ApiHarness,
) -> None:
    for _ in range(5):
        r = api.client.get("/v1/inventory", headers=behind_proxy("203.0.113.7", "aid_guess"))
        assert r.status_code == 401
    refused = api.client.get(
        "/v1/inventory", headers=behind_proxy("203.0.113.7", api.tokens[USERNAMES["admin"]])
    )
    served = api.client.get(
        "/v1/inventory", headers=behind_proxy("198.51.100.4", api.tokens[USERNAMES["admin"]])
    )

    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "too_many_attempts"
    assert int(refused.headers["Retry-After"]) > 0
    assert served.status_code == 200, served.text
    assert api.app.state.services.throttle.clock.slept == []


def test_valid_tokens_sent_at_once_from_one_address_are_all_served(api: ApiHarness) -> None:
    headers = behind_proxy("198.51.100.4", api.tokens[USERNAMES["admin"]])
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _: api.client.get("/v1/inventory", headers=headers), range(24))
        )

    assert [a.status_code for a in answers] == [200] * 24  # the limit is 5 failures


def test_writes_refused_before_their_body_count_once_per_request(api: ApiHarness) -> None:
    for _ in range(5):
        r = api.client.post("/v1/stock/receipts", json={}, headers=behind_proxy("203.0.113.7"))
        assert r.status_code == 401
    r = api.client.post("/v1/stock/receipts", json={}, headers=behind_proxy("203.0.113.7"))

    assert r.status_code == 429
    assert r.headers["Retry-After"]


def test_a_forged_forwarded_address_from_an_untrusted_peer_is_ignored(tmp_path: Path) -> None:
    with ApiHarness(tmp_path) as api:  # no trusted proxy
        api.app.state.services.throttle = SignInThrottle(per_client=3, clock=FakeClock())
        for n in range(3):
            api.client.get("/v1/inventory", headers=behind_proxy(f"10.9.9.{n}", "aid_guess"))

        r = api.client.get("/v1/inventory", headers=behind_proxy("10.9.9.99", "aid_guess"))

    assert r.status_code == 429  # all from the one real peer


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def sign_in(api: ApiHarness, address: str, username: str, password: str) -> int:
    api.client.cookies.clear()  # each attempt as a new visitor
    form = api.client.get("/signin", headers=behind_proxy(address))
    answer = api.client.post(
        "/signin",
        data={"csrf": csrf_of(form.text), "username": username, "password": password},
        headers=behind_proxy(address),
        follow_redirects=False,
    )
    return answer.status_code


def test_an_account_under_attack_is_locked_for_the_window_and_others_sign_in(
    api: ApiHarness,
) -> None:
    operator = USERNAMES["operator"]
    for n in range(3):
        assert sign_in(api, f"203.0.113.{n}", operator, "wrong-guess-123") == 401

    locked = sign_in(api, "198.51.100.4", operator, PASSWORD)
    other = sign_in(api, "198.51.100.4", USERNAMES["agent"], PASSWORD)
    api.app.state.services.throttle.clock.advance(900)
    after = sign_in(api, "198.51.100.4", operator, PASSWORD)

    assert (locked, other, after) == (429, 303, 303)
