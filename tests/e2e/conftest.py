"""Browser tests: the whole API and web UI served by uvicorn over the in-process harness,
driven by Playwright with Debian's Chromium (`/usr/bin/chromium`, or `AID_CHROMIUM`).

They skip only when no Chromium is installed and `AID_REQUIRE_BROWSER` is unset;
`make test` sets it, so a machine without the browser fails rather than skips.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.e2e.scenario import PASSWORDS, Site, seed
from tests.support.api import ROLE_SCOPES, USERNAMES, ApiHarness, Seeded

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


def chromium_path() -> str | None:
    candidate = os.environ.get("AID_CHROMIUM") or "/usr/bin/chromium"
    return candidate if Path(candidate).exists() else shutil.which("chromium")


# Per module, not per session: Playwright's sync API keeps an event loop running in the main
# thread for as long as it lives, and later tests (asyncio.run in rebuilds, policies) need none.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("AID_REQUIRE_BROWSER"):
            pytest.fail("Chromium is missing: run `bash infra/chromium.sh` (make test does)")
        pytest.skip("no Chromium at /usr/bin/chromium (set AID_REQUIRE_BROWSER=1 to fail)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def seeded_site(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """The scenario's users (passwords are slow to hash, on purpose) and data, made once."""
    with ApiHarness(tmp_path_factory.mktemp("site"), auto_project=True) as api:
        for role, password in PASSWORDS.items():
            api.create_user(USERNAMES[role], role, password=password, **ROLE_SCOPES.get(role, {}))
        seed(api)
    return api.seeded()


@pytest.fixture
def site(tmp_path: Path, browser: object, seeded_site: Seeded) -> Iterator[Site]:
    """A seeded system of its own on a free local port; the harness projects every write at
    once."""
    with ApiHarness.from_seeded(tmp_path, seeded_site, auto_project=True) as api:
        port = free_port()
        config = uvicorn.Config(api.app, host="127.0.0.1", port=port, lifespan="off",
                                log_level="warning")  # fmt: skip
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            yield Site(api, f"http://127.0.0.1:{port}", browser, SCREENSHOTS)
        finally:
            server.should_exit = True
            thread.join(timeout=5)
