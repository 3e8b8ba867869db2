"""`aid worker --role`: which deciders, policies and projectors each kind of process runs.

No broker is needed: the Faust app only declares its agents and tasks until it is started.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from projections.registry import PROJECTIONS
from services.domain.deciders import DECIDERS
from services.runtime.cli import app as cli_app
from services.runtime.settings import Settings
from services.runtime.worker import WorkerMisconfigured, create_app, plan_of

DECIDING = {f"decide-{d.event_stream}" for d in DECIDERS}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, topic_prefix="marrakech.")


def tasks(app: object) -> int:
    """The tasks the app starts beside its agents (Faust keeps them in `_app_tasks`): the
    policies and projectors, or the start-up freeze."""
    return len(app._app_tasks)  # type: ignore[attr-defined]


def test_by_default_one_worker_runs_every_decider_every_policy_and_every_projection(
    settings: Settings,
) -> None:
    plan = plan_of(settings)
    app = create_app(settings, plan=plan)

    assert plan.deciders and plan.policies
    assert [p.name for p in plan.projections] == list(PROJECTIONS)
    assert set(app.agents) == DECIDING  # the policies and projectors run beside Faust's agents
    assert tasks(app) == 1


def test_a_deciders_worker_runs_the_deciders_alone(settings: Settings) -> None:
    plan = plan_of(settings, roles="deciders")
    app = create_app(settings, plan=plan)

    assert (plan.policies, plan.projections) == (False, ())
    assert set(app.agents) == DECIDING
    assert tasks(app) == 0
    # the group whose lag /healthz reports as commands waiting for a decider
    assert app.conf.id == "marrakech.worker"


def test_a_deciders_and_policies_worker_runs_the_policies_beside_the_deciders(
    settings: Settings,
) -> None:
    plan = plan_of(settings, roles="deciders,policies")
    app = create_app(settings, plan=plan)

    assert plan.policies and plan.projections == ()
    assert set(app.agents) == DECIDING
    assert tasks(app) == 1


def test_a_served_deciders_worker_still_freezes_its_start_up(settings: Settings) -> None:
    app = create_app(settings, served=True, plan=plan_of(settings, roles="deciders"))

    assert tasks(app) == 1  # the freeze, once started


def test_policies_and_projectors_workers_run_no_faust_app(settings: Settings) -> None:
    projecting = plan_of(settings, roles="projectors", projections="registry, inventory")
    reacting = plan_of(settings, roles="policies")

    assert not projecting.deciders and not projecting.policies
    assert [p.name for p in projecting.projections] == ["registry", "inventory"]
    assert (reacting.deciders, reacting.policies, reacting.projections) == (False, True, ())
    for plan in (projecting, reacting):
        with pytest.raises(WorkerMisconfigured, match="policies and projectors run without it"):
            create_app(settings, plan=plan)


def test_the_roles_and_projections_come_from_the_settings_unless_given(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, worker_roles=" projectors ", worker_projections="users,history"
    )

    from_settings = plan_of(settings)
    given = plan_of(settings, roles="deciders,projectors", projections="")

    assert settings.worker_roles == "projectors"
    assert (from_settings.deciders, [p.name for p in from_settings.projections]) == (
        False,
        ["users", "history"],
    )
    assert given.deciders and len(given.projections) == len(PROJECTIONS)


def test_an_unknown_role_or_projection_is_refused_with_the_ones_that_exist(
    settings: Settings,
) -> None:
    with pytest.raises(WorkerMisconfigured, match="policies, projectors, not 'projector'"):
        plan_of(settings, roles="projector")
    with pytest.raises(WorkerMisconfigured, match="no projection named stock; there are ref"):
        plan_of(settings, roles="projectors", projections="inventory,stock")
    with pytest.raises(ValidationError, match="deciders, policies, projectors"):
        Settings(worker_roles="decider")


def test_aid_worker_refuses_a_misspelt_role_before_touching_kafka() -> None:
    outcome = CliRunner().invoke(cli_app, ["worker", "--role", "projector"])
    unknown = CliRunner().invoke(cli_app, ["worker", "--projections", "stocks"])

    assert outcome.exit_code == 2, outcome.output
    assert "not 'projector'" in outcome.output
    assert unknown.exit_code == 2, unknown.output
    assert "no projection named stocks" in unknown.output
