"""The `aid` command line: thin wrappers over the services."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from services.runtime import kafka_local
from services.runtime.settings import get_settings

app = typer.Typer(help="AidLedger: event-sourced logistics for emergency and social aid.")
kafka_app = typer.Typer(help="A local Apache Kafka (KRaft): one node, or a small cluster.")
users_app = typer.Typer(help="Users and their API tokens.")
projections_app = typer.Typer(help="Read models.")
households_app = typer.Typer(help="The household registry.")
ledger_app = typer.Typer(help="The signed log of events.")
slots_app = typer.Typer(help="Appointments at distribution sites.")
app.add_typer(kafka_app, name="kafka")
app.add_typer(users_app, name="users")
app.add_typer(projections_app, name="projections")
app.add_typer(households_app, name="households")
app.add_typer(ledger_app, name="ledger")
app.add_typer(slots_app, name="slots")
console = Console(stderr=True)
REPO_ROOT = Path(__file__).resolve().parents[2]
# How long `aid users` waits for a worker to project its change: a busy worker on a small
# machine takes seconds, a stopped one never does.
PROJECTED_WITHIN = 60.0


def _kafka_port() -> int:
    return int(get_settings().kafka_bootstrap.rsplit(":", 1)[1])


@kafka_app.command("start")
def kafka_start(
    brokers: int = typer.Option(1, min=1, help="3 for a local cluster: RF 3, min ISR 2."),
    sasl: bool = typer.Option(
        False, "--sasl", help="Sign-in with SCRAM-SHA-512 and ACLs per component (one node)."
    ),
) -> None:
    """Start the local broker (fetching its jars once) and wait until it answers."""
    settings = get_settings()
    kafka_local.ensure_jars(REPO_ROOT)
    port = _kafka_port()
    if brokers > 1:
        bootstrap = kafka_local.start_cluster(settings.data_dir, port, brokers=brokers)
        console.print(f"Kafka cluster of {brokers} brokers answering on {bootstrap}")
        replicas = f"AID_REPLICATION_FACTOR={min(brokers, 3)} AID_MIN_INSYNC_REPLICAS=2"
        console.print(f"use AID_KAFKA_BOOTSTRAP={bootstrap} {replicas}")
        return
    try:
        console.print(
            kafka_local.start(settings.data_dir, port=port, controller_port=port + 1, sasl=sasl)
        )
    except kafka_local.PortTaken as exc:
        console.print(f"[red]{exc}[/red] (the port comes from AID_KAFKA_BOOTSTRAP)")
        raise typer.Exit(1) from None
    if sasl:
        _grant_local_components()


def _grant_local_components() -> None:
    from services.runtime import kafka_access, kafka_sasl

    kdir = get_settings().data_dir.resolve() / "kafka"
    admin = kafka_sasl.signed_in_as(get_settings(), kdir, kafka_access.ADMIN_USER)
    passwords = kafka_sasl.credentials(kdir)
    components = (kafka_access.API_USER, kafka_access.WORKER_USER)
    kafka_access.grant(admin, {user: passwords[user] for user in components})
    console.print(
        f"SASL users {', '.join(kafka_sasl.USERS[1:])} with their ACLs; their passwords are in "
        f"{kdir / 'credentials.json'}; connect with AID_KAFKA_SECURITY_PROTOCOL="
        f"{kafka_sasl.PROTOCOL}, AID_KAFKA_USERNAME and AID_KAFKA_PASSWORD"
    )


@kafka_app.command("grant")
def kafka_grant() -> None:
    """As the admin user: give the API and the workers their SCRAM users and ACLs."""
    from services.runtime import kafka_access

    settings = get_settings()
    passwords = {
        kafka_access.API_USER: settings.kafka_api_password.get_secret_value(),
        kafka_access.WORKER_USER: settings.kafka_worker_password.get_secret_value(),
    }
    if not all(passwords.values()):
        console.print("[red]set AID_KAFKA_API_PASSWORD and AID_KAFKA_WORKER_PASSWORD[/red]")
        raise typer.Exit(2)
    kafka_access.grant(settings, passwords)
    console.print(f"SCRAM users and ACLs granted to {', '.join(passwords)}")


@kafka_app.command("stop")
def kafka_stop(brokers: int = typer.Option(1, min=1, help="As given to `start`.")) -> None:
    """Stop the local broker (or cluster)."""
    settings = get_settings()
    if brokers > 1:
        kafka_local.stop_cluster(settings.data_dir, _kafka_port(), brokers=brokers)
        console.print("Kafka cluster stopped")
        return
    console.print(kafka_local.stop(settings.data_dir))


@kafka_app.command("status")
def kafka_status() -> None:
    """Say whether the local broker runs and answers."""
    running, message = kafka_local.status(get_settings().data_dir, port=_kafka_port())
    console.print(message)
    raise typer.Exit(0 if running else 1)


@app.command()
def topics() -> None:
    """Create the contract's topics (idempotent)."""
    from services.runtime.topics import ensure_topics

    created = ensure_topics(get_settings())
    console.print(f"created {created}" if created else "all topics exist")


@app.command()
def worker(
    role: str = typer.Option(
        None,
        help="deciders, policies, projectors, or several (default: all, AID_WORKER_ROLES).",
    ),
    projections: str = typer.Option(
        None, help="The projectors' read models, e.g. inventory,registry (default: all)."
    ),
) -> None:
    """Run the stream processors (several may run; they share partitions)."""
    from services.runtime.worker import WorkerMisconfigured, run_worker

    try:
        run_worker(role, projections)
    except WorkerMisconfigured as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def api(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the HTTP API and web UI."""
    import uvicorn

    from services.runtime.logs import logging_config

    settings = get_settings()
    if not _loopback(host) and (weak := settings.weak_secrets()):
        console.print(
            f"[red]refusing to listen on {host} with weak secrets[/red]: " + "; ".join(weak)
        )
        raise typer.Exit(2)
    # Named, not imported: the API sits on top of services, which never import it.
    uvicorn.run(
        "api.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        log_config=logging_config(settings),
        proxy_headers=False,  # the app believes only AID_TRUSTED_PROXIES
        server_header=False,
    )


@app.command()
def up(port: int = 8000, demo: bool = True) -> None:
    """Kafka, a worker and the API on this machine, with demo data; Ctrl-C stops it all."""
    from services.runtime.local_system import run_everything

    run_everything(REPO_ROOT, get_settings(), api_port=port, with_demo=demo)


@app.command("demo")
def demo_command(
    url: str = "http://127.0.0.1:8000",
    token: str = typer.Option(None, envvar="AID_TOKEN", help="An admin token."),
) -> None:
    """Load a realistic scenario through the public API."""
    from services.runtime.demo import load_demo

    load_demo(url, token or _demo_admin_token())
    console.print("demo data loaded")


def _demo_admin_token() -> str:
    from services.runtime.publisher import KafkaEventPublisher
    from services.runtime.users import create_user

    settings = get_settings()
    token, _ = create_user(settings, KafkaEventPublisher(settings), "demo-loader", "admin")
    return token


@users_app.command("create")
def users_create(
    name: str,
    role: str = typer.Option(
        ..., help="admin|coordinator|operator|agent|donor|auditor|monitor|social_worker"
    ),
    warehouse: list[str] = typer.Option([], help="A warehouse an operator works in."),
    site: list[str] = typer.Option([], help="A site an agent or a social worker works at."),
    donor: list[str] = typer.Option([], help="The donor a donor user represents."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read a web sign-in password from standard input."
    ),
) -> None:
    """Create a user; the token is printed once, alone on the last line."""
    from pydantic import ValidationError

    from projections.database import make_engine
    from services.app.errors import AppError
    from services.app.users import Scopes
    from services.domain.decisions import DomainError
    from services.domain.users.scopes import check_scopes as scopes_for_role
    from services.runtime.publisher import KafkaEventPublisher
    from services.runtime.users import (
        NotDecidedYet,
        check_scopes,
        create_user,
        unknown_role,
        wait_projected,
    )

    settings = get_settings()
    engine = make_engine(settings.db_url)
    if why := unknown_role(role):
        _refuse(why)
    try:  # scopes the role does not use, before whether they exist
        scopes_for_role(role, warehouse, site, donor)
    except DomainError as exc:
        _refuse(str(exc))
    try:
        if not check_scopes(settings, engine, Scopes(warehouse, site, donor)):
            console.print("no location is registered yet: the scopes are not checked")
    except AppError as exc:  # an unknown warehouse, site or donor, as the API says it
        _refuse(exc.message)
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    publisher = KafkaEventPublisher(settings)
    try:
        token, position = create_user(
            settings,
            publisher,
            name,
            role,
            warehouses=warehouse,
            sites=site,
            donors=donor,
            password=password,
        )
    except ValidationError as exc:  # a name that is no username
        publisher.close()
        first = exc.errors()[0]
        _refuse(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    except (ValueError, DomainError) as exc:  # a weak password, scopes the role does not use
        publisher.close()
        _refuse(str(exc))
    except NotDecidedYet as sent:
        publisher.close()
        console.print("sent; the token works once a worker has decided and projected it")
        print(sent.token)
        return
    publisher.close()
    if not wait_projected(engine, settings, position, PROJECTED_WITHIN):
        console.print("recorded; the token works once a worker has projected it")
    print(token)


def _refuse(why: str) -> NoReturn:
    """One line on standard error, whatever the terminal's width, and exit status 2."""
    console.print(why, style="red", markup=False, soft_wrap=True)
    raise typer.Exit(2)


@users_app.command("list")
def users_list() -> None:
    """List users (never their tokens)."""
    from projections.database import make_engine
    from services.runtime.users import list_users

    table = Table("name", "role", "scopes", "revoked")
    for u in list_users(make_engine(get_settings().db_url)):
        scopes = " ".join(u["warehouses"] + u["sites"] + u["donors"])
        table.add_row(u["username"], u["role"], scopes, "yes" if u["revoked"] else "")
    Console().print(table)


@users_app.command("revoke")
def users_revoke(name: str) -> None:
    """Revoke a user's token; it stops working as soon as this returns."""
    from projections.database import make_engine
    from services.app.errors import BrokerUnavailable
    from services.domain.decisions import DomainError
    from services.runtime.publisher import KafkaEventPublisher
    from services.runtime.users import revoke_user, wait_projected

    settings = get_settings()
    publisher = KafkaEventPublisher(settings)
    try:
        position = revoke_user(settings, publisher, name)
    except DomainError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except BrokerUnavailable as exc:
        console.print(f"[red]not decided yet: {exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        publisher.close()
    if not wait_projected(make_engine(settings.db_url), settings, position, PROJECTED_WITHIN):
        console.print("[red]recorded, but no worker has applied it yet[/red]")
        raise typer.Exit(1)
    console.print(f"{name} revoked")


@projections_app.command("rebuild")
def projections_rebuild(
    name: str = typer.Argument(None, help="One projection; all by default."),
) -> None:
    """Replay the log from the start into the read models, with progress."""
    from projections.database import make_engine, migrate
    from projections.registry import PROJECTIONS
    from services.runtime.gc_tuning import freeze_after_startup
    from services.runtime.rebuild import rebuild

    settings = get_settings()
    engine = make_engine(settings.db_url)
    migrate(engine)
    freeze_after_startup(settings.gc_freeze, settings.gc_threshold)
    if name is not None and name not in PROJECTIONS:
        console.print(f"unknown projection {name!r}; choose from {', '.join(PROJECTIONS)}")
        raise typer.Exit(2)
    chosen = [PROJECTIONS[name]] if name else list(PROJECTIONS.values())
    with Progress(console=console) as progress:
        for projection in chosen:
            task = progress.add_task(projection.name, total=None)

            def show(done: int, total: int, task: TaskID = task) -> None:
                progress.update(task, completed=done, total=total)

            applied = rebuild(settings, engine, projection, show)
            progress.update(task, description=f"{projection.name}: {applied} events")


@households_app.command("import")
def households_import(
    file: Path = typer.Argument(..., help="A registry export: CSV, UTF-8, header line."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and report; publish nothing."),
) -> None:
    """Register the households of a social registry's export, once each (run it again to
    resume); refused lines are listed with their number and why."""
    from services.runtime.household_import_cli import import_file

    raise typer.Exit(import_file(get_settings(), file, dry_run, console))


@ledger_app.command("unsigned-ends")
def ledger_unsigned_ends() -> None:
    """Print the setting that lets readers accept the events written before signing began:
    run it once, with every writer stopped, when upgrading a log of unsigned events."""
    import orjson

    from services.runtime.ledger import end_offsets

    ends = orjson.dumps(end_offsets(get_settings())).decode()
    typer.echo(f"AID_ACCEPT_UNSIGNED_BEFORE='{ends}'")


@ledger_app.command("verify")
def ledger_verify(
    from_checkpoint: Path | None = typer.Option(
        None, "--from-checkpoint", help="A saved checkpoint (JSON) the log must still extend."
    ),
) -> None:
    """Check every event's signature and link to its predecessor, partition by partition:
    OK with the count and head, or the first offset that fails and why (exit 1)."""
    import orjson

    from events.checkpoints import BadCheckpoint, verify_checkpoint
    from services.runtime.ledger_verify import save_result, verify_log

    settings = get_settings()
    checkpoint = None
    if from_checkpoint is not None:
        checkpoint = orjson.loads(from_checkpoint.read_bytes())
        try:
            verify_checkpoint(checkpoint, settings.checkpoints().public_key)
        except BadCheckpoint as exc:
            typer.echo(f"checkpoint {from_checkpoint}: {exc}")
            raise typer.Exit(1) from None
    results = verify_log(settings, checkpoint)
    for result in results:
        typer.echo(result.line())
    save_result(settings, results)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@ledger_app.command("checkpoint")
def ledger_checkpoint() -> None:
    """Verify the log and, if every partition verifies, publish a signed checkpoint of the
    chains' heads (to the checkpoints topic and `GET /v1/ledger/checkpoints`) and print it.
    Run it periodically (cron); a failed verification publishes nothing and exits 1."""
    import orjson

    from services.runtime.ledger_verify import publish_checkpoint, save_result, verify_log

    settings = get_settings()
    results = verify_log(settings)
    save_result(settings, results)
    if not all(r.ok for r in results):
        for result in results:
            typer.echo(result.line())
        raise typer.Exit(1)
    print(orjson.dumps(publish_checkpoint(settings, results)).decode())


@slots_app.command("assign")
def slots_assign(campaign: str, site: str) -> None:
    """Offer every household expected at the site to its appointments again: those without
    a slot in the campaign's plan get the next free ones (run it any number of times)."""
    import asyncio

    from services.app.errors import AppError, BrokerUnavailable
    from services.runtime.slots_cli import assign_slots

    try:
        assigned = asyncio.run(assign_slots(get_settings(), campaign, site))
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    except BrokerUnavailable as exc:
        console.print(f"[red]stopped: {exc}[/red]; run the same command again")
        raise typer.Exit(1) from None
    print(f"{assigned} households got a slot")


def main() -> None:
    app()
