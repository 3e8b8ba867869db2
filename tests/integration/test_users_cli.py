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


@pytest.mark.one_backend("sqlite")
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


def test_an_admin_made_on_the_command_line_manages_an_operator_over_the_api(
    system: System,
) -> None:
    """The users' writer in the worker decides what the API sends: create, move, new token,
    revoke; each change is projected and checked by the next request."""
    created = aid(system, "users", "create", "amina", "--role", "admin")
    assert created.returncode == 0, created.stderr
    admin = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
    for location_id in ("wh-casablanca", "wh-marrakech"):
        registered = system.client.post("/v1/locations", headers=admin, json={
            "id": location_id, "name": location_id, "kind": "warehouse",
            "region_code": "MA06", "region_name": "Casablanca-Settat"})  # fmt: skip
        assert registered.status_code == 201, registered.text
    flour = {"id": "flour-25kg", "name": "Farine 25 kg", "unit": "sack"}
    assert system.client.post("/v1/items", headers=admin, json=flour).status_code == 201

    made = system.client.post("/v1/users", headers=admin, json={
        "username": "salma", "role": "operator", "warehouses": ["wh-casablanca"]})  # fmt: skip
    assert made.status_code == 201, made.text + system.worker.log_tail()
    salma = {"Authorization": f"Bearer {made.json()['token']}"}
    receipt = {"location_id": "wh-marrakech", "item_id": "flour-25kg", "quantity": 5}
    after = {"after": made.json()["position"]}
    assert system.client.get("/v1/users", headers=admin, params=after).status_code == 200
    assert system.client.post("/v1/stock/receipts", headers=salma, json=receipt).status_code == 403

    moved = system.client.post("/v1/users/salma/scopes", headers=admin,
                               json={"warehouses": ["wh-marrakech"]})  # fmt: skip
    assert moved.status_code == 201, moved.text
    system.client.get("/v1/users", headers=admin, params={"after": moved.json()["position"]})
    assert system.client.post("/v1/stock/receipts", headers=salma, json=receipt).status_code == 201

    renewed = system.client.post("/v1/users/salma/password", headers=admin, json={})
    assert renewed.status_code == 201, renewed.text
    system.client.get("/v1/users", headers=admin, params={"after": renewed.json()["position"]})
    assert system.client.get("/v1/inventory", headers=salma).status_code == 401
    salma = {"Authorization": f"Bearer {renewed.json()['token']}"}
    assert system.client.get("/v1/inventory", headers=salma).status_code == 200

    refused = aid(system, "users", "create", "omar", "--role", "coordinator", "--warehouse", "x")
    assert refused.returncode == 2 and "warehouses" in refused.stderr
    revoked = system.client.post("/v1/users/salma/revoke", headers=admin, json={})
    assert revoked.status_code == 201, revoked.text
    self_revoked = system.client.post("/v1/users/amina/revoke", headers=admin, json={})
    assert self_revoked.status_code == 409 and self_revoked.json()["error"] == "cannot_revoke_self"
    system.client.get("/v1/users", headers=admin, params={"after": revoked.json()["position"]})
    assert system.client.get("/v1/inventory", headers=salma).status_code == 401
    listed = aid(system, "users", "list")
    assert "salma" in listed.stdout and "yes" in listed.stdout
