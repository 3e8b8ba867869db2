"""Running `aid worker` as a real process that tests can kill -9."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from services.runtime.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AID_KAFKA_BOOTSTRAP=settings.kafka_bootstrap,
        AID_TOPIC_PREFIX=settings.topic_prefix,
        AID_DATA_DIR=str(settings.data_dir),
        AID_DATABASE_URL=settings.db_url,
        AID_PARTITIONS=str(settings.partitions),
        AID_WORKER_BATCH_SIZE=str(settings.worker_batch_size),
        AID_POLICIES=str(settings.policies).lower(),
        AID_DECISION_TIMEOUT_SECONDS=str(settings.decision_timeout_seconds),
        AID_KAFKA_SECURITY_PROTOCOL=settings.kafka_security_protocol,
        AID_KAFKA_SASL_MECHANISM=settings.kafka_sasl_mechanism,
        AID_KAFKA_USERNAME=settings.kafka_username,
        AID_KAFKA_PASSWORD=settings.kafka_password.get_secret_value(),
        AID_LEDGER_KEYS=settings.ledger_keys,
    )
    return env


class WorkerProcess:
    """One `aid worker`; its output goes to a log file next to the test's data."""

    command: tuple[str, ...] = ("worker",)

    def __init__(self, settings: Settings, name: str = "worker") -> None:
        self.settings = settings
        self.log_path = Path(settings.data_dir) / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from services.runtime.cli import main; main()", *self.command],
            env=settings_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill9(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def discard(self) -> None:
        """End a worker nothing is checked after (a test's cleanup): a kill spares the seconds
        of Faust's graceful shutdown. Its group, topics and database are the test's own, so
        what it leaves behind (a group member until its session times out) reaches no other
        test."""
        self.kill9()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


class ApiProcess(WorkerProcess):
    """One `aid api` on a free port, for tests that kill the API too."""

    def __init__(self, settings: Settings, name: str = "api") -> None:
        super().__init__(settings, name)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.command = ("api", "--port", str(self.port))
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> ApiProcess:
        super().start()
        eventually(self._answers, timeout=60, what=f"the API at {self.url}\n{self.log_tail()}")
        return self

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code in (200, 503)
        except httpx.HTTPError:
            return False


def eventually(check: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    """Poll until `check()` is true, or fail saying what was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
