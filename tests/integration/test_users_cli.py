"""`aid users create|list|revoke` against the real broker and a running worker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration.conftest import System
from tests.support.processes import settings_env

pytestmark = pytest.mark.kafka


def aid(system: System, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from services.runtime.cli import main; main()", *args],
        env=settings_env(system.settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_token_printed_by_the_cli_works_until_the_user_is_revoked(system: System) -> None:
    created = aid(
        system, "users", "create", "hamza", "--role", "operator", "--warehouse", "wh-casablanca"
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert system.client.get("/v1/inventory", headers=headers).status_code == 200

    listed = aid(system, "users", "list")
    assert "hamza" in listed.stdout and "operator" in listed.stdout
    assert token not in listed.stdout

    revoked = aid(system, "users", "revoke", "hamza")
    assert revoked.returncode == 0, revoked.stderr
    assert system.client.get("/v1/inventory", headers=headers).status_code == 401
