"""`aid users create` refuses what `POST /v1/users` refuses, in one line: a role there is
not, a warehouse, site or donor nobody registered. Before any location is registered (a new
system's first users) the scopes cannot be checked, and are not.

The refusals come before anything is sent: no broker is needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from services.app.errors import Invalid
from services.app.users import Scopes
from services.runtime import cli
from services.runtime.users import ROLES, check_scopes
from tests.support.api import SITE, WAREHOUSES, ApiHarness


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiHarness]:
    """Casablanca's and Marrakech's warehouses and the Al Haouz site registered; the command
    line reads the same read model."""
    with ApiHarness(tmp_path) as harness:
        monkeypatch.setattr(cli, "get_settings", lambda: harness.settings)
        yield harness


def aid(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


def test_an_operator_of_a_warehouse_nobody_registered_is_refused_as_the_api_refuses_it(
    api: ApiHarness,
) -> None:
    refused = aid(
        "users", "create", "audit-bad3", "--role", "operator", "--warehouse", "no-such-wh"
    )
    api_says = api.post("admin", "/v1/users", {
        "username": "audit-bad3", "role": "operator", "warehouses": ["no-such-wh"]})  # fmt: skip

    assert refused.exit_code == 2
    assert refused.output.strip().splitlines() == [api_says.json()["message"]]
    assert "unknown warehouse 'no-such-wh'" in refused.output
    assert api.published("users") == []


@pytest.mark.parametrize(
    ("option", "scope", "words"),
    [
        ("--site", "site-nowhere", "unknown site 'site-nowhere'"),
        ("--site", WAREHOUSES[0], f"'{WAREHOUSES[0]}' is a warehouse, not a site"),
        ("--donor", "donor-nobody", "unknown donor 'donor-nobody'"),
    ],
)
def test_a_site_or_donor_nobody_registered_is_refused_in_one_line(
    api: ApiHarness, option: str, scope: str, words: str
) -> None:
    role = "donor" if option == "--donor" else "agent"
    refused = aid("users", "create", "nadia.agent", "--role", role, option, scope)

    assert refused.exit_code == 2
    assert len(refused.output.strip().splitlines()) == 1 and words in refused.output


def test_an_unknown_role_is_one_line_naming_the_roles_there_are(api: ApiHarness) -> None:
    refused = aid("users", "create", "x", "--role", "wizard")

    assert refused.exit_code == 2
    [line] = refused.output.strip().splitlines()
    assert "unknown role 'wizard'" in line and all(role in line for role in ROLES)
    assert "pydantic" not in refused.output


def test_registered_scopes_pass_the_check(api: ApiHarness) -> None:
    scopes = Scopes(warehouses=list(WAREHOUSES), sites=[SITE])

    assert check_scopes(api.settings, api.engine, scopes) is True
    with pytest.raises(Invalid, match="unknown warehouse 'wh-tanger'"):
        check_scopes(api.settings, api.engine, Scopes(warehouses=["wh-tanger"]))


def test_before_any_location_is_registered_the_scopes_are_not_checked(tmp_path: Path) -> None:
    """A new system's operators may be made before their warehouses are registered (their
    token works once they are)."""
    with ApiHarness(tmp_path, reference_data=False) as bare:
        unchecked = check_scopes(bare.settings, bare.engine, Scopes(warehouses=["wh-tanger"]))

    assert unchecked is False
