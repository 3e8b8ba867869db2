"""`aid up`: the whole system on one machine for a newcomer."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console

from api.permissions import ROLES
from projections.database import make_engine, migrate
from services import kafka_local
from services.demo import load_demo
from services.publisher import KafkaEventPublisher
from services.settings import Settings
from services.topics import ensure_topics
from services.users import create_user, list_users, wait_projected

console = Console(stderr=True)
DEMO_SCOPES = {
    "operator": {"warehouses": ["wh-casablanca", "wh-marrakech"]},
    "agent": {"sites": ["site-al-haouz-amizmiz"]},
    "donor": {"donors": ["fondation-atlas"]},
}


def _aid(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from services.cli import main; main()", *args])


def _demo_tokens(settings: Settings) -> dict[str, str]:
    """One user per role; tokens kept in the data dir (development mode only)."""
    path = settings.data_dir / "demo-tokens.txt"
    existing = {u["username"] for u in list_users(make_engine(settings.db_url))}
    if path.exists() and all(f"demo-{r}" in existing for r in ROLES):
        return dict(line.split(" ", 1) for line in path.read_text().split("\n") if line)
    publisher = KafkaEventPublisher(settings)
    tokens, last = {}, None
    for role in ROLES:
        token, last = create_user(
            settings, publisher, f"demo-{role}", role, **DEMO_SCOPES.get(role, {})
        )
        tokens[f"demo-{role}"] = token
    publisher.close()
    path.write_text("".join(f"{name} {token}\n" for name, token in tokens.items()))
    if last is not None:
        wait_projected(make_engine(settings.db_url), settings, last, timeout=30)
    return tokens


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
    url = f"http://127.0.0.1:{api_port}"
    try:
        _wait_healthy(url)
        tokens = _demo_tokens(settings)
        if with_demo:
            load_demo(url, tokens["demo-admin"])
        console.print(f"\nAidLedger is up: API {url}/docs · broker log {settings.data_dir}/kafka")
        for name, token in tokens.items():
            console.print(f"  {name:18} {token}")
        console.print("Ctrl-C stops everything.")
        while all(child.poll() is None for child in children):
            time.sleep(1)
        console.print("[red]a process exited; stopping[/red]")
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
        console.print(kafka_local.stop(settings.data_dir))
