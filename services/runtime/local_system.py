"""`aid up`: the whole system on one machine for a newcomer."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console

from projections.database import make_engine, migrate
from services.app.permissions import ROLES
from services.runtime import kafka_local
from services.runtime.demo import load_demo
from services.runtime.publisher import KafkaEventPublisher
from services.runtime.settings import Settings
from services.runtime.topics import ensure_topics
from services.runtime.users import create_user, list_users, wait_projected

console = Console(stderr=True)
DEMO_SCOPES = {
    "operator": {"warehouses": ["wh-casablanca", "wh-marrakech"]},
    "agent": {"sites": ["site-al-haouz-amizmiz"]},
    "donor": {"donors": ["fondation-atlas"]},
    "social_worker": {"sites": ["site-al-haouz-amizmiz"]},
}


def _aid(*args: str, quiet: bool = False) -> subprocess.Popen:
    env = {"AID_LOG_FORMAT": "text", **os.environ}  # a person reads these logs, not a collector
    cmd = [sys.executable, "-c", "from services.runtime.cli import main; main()", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL if quiet else None)


# As the deployment files run `aid ledger checkpoint`: a donor's proof needs a checkpoint
# covering the gift's records.
CHECKPOINT_EVERY = 15 * 60.0


def demo_name(role: str) -> str:
    """The demo user of a role: `demo-social-worker` (a username takes no underscore)."""
    return f"demo-{role.replace('_', '-')}"


def _demo_users(settings: Settings) -> dict[str, tuple[str, str]]:
    """One user per role with a token and a web password; kept in the data dir (development)."""
    # Named for the key derivation its tokens were hashed with: a file from before HKDF-derived
    # keys holds tokens that no longer match, and is left for new users.
    path = settings.data_dir / "demo-users-v2.txt"
    existing = {u["username"] for u in list_users(make_engine(settings.db_url))}
    if path.exists():
        kept = [line.split(" ") for line in path.read_text().split("\n") if line]
        users = {fields[0]: (fields[1], fields[2]) for fields in kept if len(fields) == 3}
        if all(demo_name(r) in existing and demo_name(r) in users for r in ROLES):
            return users
    publisher = KafkaEventPublisher(settings)
    users, last = {}, None
    for role in ROLES:
        password = secrets.token_urlsafe(12)
        token, last = create_user(
            settings,
            publisher,
            demo_name(role),
            role,
            password=password,
            **DEMO_SCOPES.get(role, {}),
        )
        users[demo_name(role)] = (token, password)
    publisher.close()
    path.write_text("".join(f"{name} {t} {p}\n" for name, (t, p) in users.items()))
    if last is not None:
        wait_projected(make_engine(settings.db_url), settings, last, timeout=30)
    return users


def _wait_healthy(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the API did not become healthy at {url}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_everything(repo_root: Path, settings: Settings, *, api_port: int, with_demo: bool) -> None:
    """Start Kafka, a worker and the API; load the demo; stop everything on Ctrl-C."""
    if settings.environment != "development":
        raise SystemExit("aid up is for development; run the parts separately in production")
    kafka_local.ensure_jars(repo_root)
    port = int(settings.kafka_bootstrap.rsplit(":", 1)[1])
    console.print(kafka_local.start(settings.data_dir, port=port, controller_port=port + 1))
    ensure_topics(settings)
    migrate(make_engine(settings.db_url))
    signal.signal(signal.SIGTERM, _interrupt)
    children = [_aid("worker"), _aid("api", "--port", str(api_port))]
    checkpoint: subprocess.Popen | None = None
    url = f"http://127.0.0.1:{api_port}"
    try:
        _wait_healthy(url)
        users = _demo_users(settings)
        if with_demo:
            load_demo(url, users["demo-admin"][0])
        console.print(
            f"\nAidLedger is up: web {url}/ · API {url}/docs · broker log {settings.data_dir}/kafka"
        )
        console.print(f"  {'user':18} {'password':22} token")
        for name, (token, password) in users.items():
            console.print(f"  {name:18} {password:22} {token}")
        console.print("Ctrl-C stops everything.")
        due = time.monotonic()  # a first checkpoint now: the demo's gifts can be proved
        while all(child.poll() is None for child in children):
            if time.monotonic() >= due and (checkpoint is None or checkpoint.poll() is not None):
                checkpoint = _aid("ledger", "checkpoint", quiet=True)
                due = time.monotonic() + CHECKPOINT_EVERY
            time.sleep(1)
        console.print("[red]a process exited; stopping[/red]")
    except KeyboardInterrupt:
        pass
    finally:
        running = children + ([checkpoint] if checkpoint is not None else [])
        for child in running:
            child.terminate()
        for child in running:
            child.wait(timeout=30)
        console.print(kafka_local.stop(settings.data_dir))
