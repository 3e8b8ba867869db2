"""Run a local single-node KRaft Kafka broker (broker + controller in one JVM) from Maven jars.

All state of one broker lives in ``<data_dir>/kafka`` (server.properties, cluster.id, broker.pid,
broker.log, logs/), so independent brokers can run side by side on different data dirs and ports.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka.admin import KafkaAdminClient

from services.runtime import kafka_sasl

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG4J_CONFIG = REPO_ROOT / "infra" / "kafka" / "log4j2.properties"
HOST = "127.0.0.1"
JVM_OPTS = ("-Xms512m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true")
STATIC_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.listener.names=CONTROLLER
num.partitions=6
auto.create.topics.enable=false
log.retention.ms=-1
message.max.bytes=1100000
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
"""
PLAINTEXT_PROPERTIES = """\
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
"""

_children: dict[int, subprocess.Popen[bytes]] = {}


def ensure_jars(repo_root: Path = REPO_ROOT) -> Path:
    """Run Maven unless ``infra/kafka/target/lib`` already holds jars; return that directory."""
    pom = repo_root / "infra" / "kafka" / "pom.xml"
    lib = pom.parent / "target" / "lib"
    if not any(lib.glob("*.jar")):
        mvn = [shutil.which("mvn") or "mvn", "-B", "-q", "-f", str(pom)]
        subprocess.run([*mvn, "dependency:copy-dependencies"], check=True)
    return lib


def _alive(pid: int) -> bool:
    """True for a live, non-zombie Kafka JVM; the /proc cmdline check guards against pid reuse."""
    if pid in _children:
        return _children[pid].poll() is None
    proc = Path("/proc") / str(pid)
    try:
        os.kill(pid, 0)
        stat, cmdline = (proc / "stat").read_text(), (proc / "cmdline").read_bytes()
    except ProcessLookupError:
        return False
    except OSError:  # no /proc (e.g. macOS), or the process vanished / belongs to someone else
        return not Path("/proc/self").exists()
    return stat.rsplit(")", 1)[1].split()[0] != "Z" and b"kafka.Kafka" in cmdline


def _running_pid(kdir: Path) -> int | None:
    try:
        pid = int((kdir / "broker.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


EPHEMERAL_PORTS = (32768, 60999)  # Linux's default net.ipv4.ip_local_port_range


class PortTaken(RuntimeError):
    """A port Kafka needs is already held by another process; nothing was started."""

    def __init__(self, name: str, ports: list[int]) -> None:
        self.ports = ports
        listed = ", ".join(f"{HOST}:{p}" for p in ports)
        super().__init__(
            f"cannot start {name}: {listed} already in use by another process (a server "
            "listening there, or a client connection holding it as its local port); free it "
            f"or choose other ports, below {EPHEMERAL_PORTS[0]} (Linux hands out "
            f"{EPHEMERAL_PORTS[0]}-{EPHEMERAL_PORTS[1]} to connections)"
        )


def port_taken(port: int) -> bool:
    """True when a server could not listen on ``HOST:port``: something listens there, or a
    client connection uses it as its local port. Binds as the JVM does (SO_REUSEADDR), so a
    connection merely waiting out TIME_WAIT does not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def _answers(port: int, credentials: dict[str, Any] | None = None, timeout_ms: int = 3000) -> bool:
    """True when a metadata request succeeds and lists at least one registered broker."""
    if not _port_open(port):
        return False
    options = {"bootstrap_timeout_ms": timeout_ms, "request_timeout_ms": timeout_ms}
    try:
        admin_client = KafkaAdminClient(
            bootstrap_servers=f"{HOST}:{port}", **options, **(credentials or {})
        )
        with admin_client as admin:
            return bool(admin.describe_cluster().get("brokers"))
    except Exception:
        return False


def _cluster_id(kdir: Path) -> str:
    path = kdir / "cluster.id"
    if not path.exists():
        cluster_id = "-"
        while cluster_id.startswith("-"):  # as Kafka's Uuid.randomUuid(): never a CLI flag
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        path.write_text(cluster_id + "\n")
    return path.read_text().strip()


def _wait_until_ready(
    kdir: Path, pid: int, port: int, ready: Callable[[], bool], wait_seconds: float
) -> None:
    deadline = time.monotonic() + wait_seconds
    while not ready():
        problem = None if _alive(pid) else "exited during startup"
        if problem is None and time.monotonic() > deadline:
            problem = f"did not answer on {HOST}:{port} within {wait_seconds:.0f}s"
        if problem:
            log = kdir / "broker.log"
            tail = log.read_text(errors="replace").splitlines()[-40:] if log.exists() else []
            raise RuntimeError(f"Kafka (pid {pid}) {problem}; tail of {log}:\n" + "\n".join(tail))
        time.sleep(0.5)


def start(
    data_dir: Path,
    port: int = 9092,
    controller_port: int | None = None,
    wait_seconds: float = 60,
    sasl: bool = False,
) -> str:
    """Start the broker of ``data_dir``, wait until it answers; idempotent if already running.

    The controller port defaults to ``port + 1``; keep it stable per data dir (storage is formatted
    once). With ``sasl`` clients must sign in with SCRAM-SHA-512 and are authorised by ACLs (see
    kafka_sasl.py); keep that choice per data dir too. Raises ``RuntimeError`` with the tail of
    ``broker.log`` if the broker dies or does not answer in time (a merely slow broker is left
    running for a later ``start`` or ``stop``).
    """
    controller_port = controller_port or port + 1
    kdir = Path(data_dir).resolve() / "kafka"
    listeners = f"{'SASL_PLAINTEXT' if sasl else 'PLAINTEXT'}://{HOST}:{port}"
    listeners += f",CONTROLLER://{HOST}:{controller_port}"
    security = kafka_sasl.broker_properties(kdir) if sasl else PLAINTEXT_PROPERTIES
    properties = (
        f"{STATIC_PROPERTIES}{security}listeners={listeners}\nadvertised.listeners={listeners}\n"
        f"controller.quorum.bootstrap.servers={HOST}:{controller_port}\n"
    )
    flags = ("--standalone", *(kafka_sasl.format_flags(kdir) if sasl else ()))
    node = _Node(kdir, properties, flags, port, (port, controller_port))
    return _launch(node, lambda: _answers(port, kafka_sasl.admin_options(kdir)), wait_seconds)


@dataclass(frozen=True)
class _Node:
    """One Kafka process: its directory, its configuration and the ports it needs."""

    kdir: Path
    properties: str = field(repr=False)  # may hold passwords
    format_flags: tuple[str, ...] = field(repr=False)
    port: int
    ports: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"Kafka node {self.kdir.name}"


def _launch(node: _Node, ready: Callable[[], bool], wait_seconds: float) -> str:
    """Start one node unless it runs; wait until ``ready()``."""
    kdir = node.kdir
    kdir.mkdir(parents=True, exist_ok=True)
    pid = _running_pid(kdir)
    if pid is not None:
        _wait_until_ready(kdir, pid, node.port, ready, wait_seconds)
        return f"Kafka already running (pid {pid}) on {HOST}:{node.port}"
    if busy := [p for p in node.ports if port_taken(p)]:
        raise PortTaken(f"Kafka (data in {kdir})", busy)

    java = [shutil.which("java") or "java", "-cp", str(ensure_jars() / "*")]
    config = kdir / "server.properties"
    config.touch(mode=0o600)  # it may hold the broker's own password
    config.write_text(f"{node.properties}log.dirs={kdir / 'logs'}\n")
    if not (kdir / "logs" / "meta.properties").exists():
        fmt_args = ["format", *node.format_flags, "-t", _cluster_id(kdir), "-c", str(config)]
        fmt = subprocess.run(
            [*java, "kafka.tools.StorageTool", *fmt_args], capture_output=True, text=True
        )
        if fmt.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{fmt.stdout}{fmt.stderr}")

    log4j = f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"
    cmd = [*java, *JVM_OPTS, log4j, "kafka.Kafka", str(config)]
    with open(kdir / "broker.log", "ab") as log:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=kdir, start_new_session=True
        )
    _children[proc.pid] = proc
    (kdir / "broker.pid").write_text(f"{proc.pid}\n")
    _wait_until_ready(kdir, proc.pid, node.port, ready, wait_seconds)
    return f"Kafka started (pid {proc.pid}) on {HOST}:{node.port}, data in {kdir}"


def stop(data_dir: Path, timeout: float = 30) -> str:
    """Stop the broker of ``data_dir``: SIGTERM, SIGKILL after ``timeout`` seconds; idempotent."""
    return _stop(Path(data_dir).resolve() / "kafka", timeout)


def _stop(kdir: Path, timeout: float = 30) -> str:
    pid = _running_pid(kdir)
    how = "not running"
    steps = ((signal.SIGTERM, timeout, "stopped"), (signal.SIGKILL, 10, "killed"))
    for sig, grace, outcome in steps:
        if pid is None or not _alive(pid):
            break
        with contextlib.suppress(ProcessLookupError):
            (os.killpg if os.getpgid(pid) == pid else os.kill)(pid, sig)
        deadline = time.monotonic() + grace
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        how = f"{outcome} (pid {pid})"
    _children.pop(pid or 0, None)
    (kdir / "broker.pid").unlink(missing_ok=True)
    return f"Kafka {how}"


def status(data_dir: Path, port: int = 9092) -> tuple[bool, str]:
    """Return ``(running, message)`` for the broker of ``data_dir``: pid and whether it answers."""
    kdir = Path(data_dir).resolve() / "kafka"
    pid = _running_pid(kdir)
    if pid is None:
        other = f"; something else listens on {HOST}:{port}" if _port_open(port) else ""
        return False, f"Kafka not running{other}"
    answering = "answering" if _answers(port, kafka_sasl.admin_options(kdir)) else "NOT answering"
    return True, f"Kafka running (pid {pid}), {answering} on {HOST}:{port}"


# --- a local cluster: one KRaft controller and N brokers, each in its own JVM and directory ------

CLUSTER_BROKER_PROPERTIES = """\
process.roles=broker
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
num.partitions=6
default.replication.factor=3
min.insync.replicas=2
auto.create.topics.enable=false
log.retention.ms=-1
message.max.bytes=1100000
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
replica.lag.time.max.ms=5000
broker.heartbeat.interval.ms=1000
"""
CLUSTER_CONTROLLER_PROPERTIES = """\
process.roles=controller
node.id=100
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT
broker.session.timeout.ms=4000
"""


def _cluster_nodes(data_dir: Path, port: int, brokers: int) -> tuple[_Node, list[_Node]]:
    """Brokers listen on ``port`` .. ``port + brokers - 1``, the controller on the next port."""
    root = Path(data_dir).resolve() / "kafka-cluster"
    controller_port = port + brokers
    quorum = f"controller.quorum.bootstrap.servers={HOST}:{controller_port}\n"
    controller = _Node(
        root / "controller",
        f"{CLUSTER_CONTROLLER_PROPERTIES}{quorum}listeners=CONTROLLER://{HOST}:{controller_port}\n",
        ("--standalone",),
        controller_port,
        (controller_port,),
    )
    nodes = []
    for n in range(1, brokers + 1):
        listener = f"PLAINTEXT://{HOST}:{port + n - 1}"
        properties = (
            f"{CLUSTER_BROKER_PROPERTIES}{quorum}node.id={n}\n"
            f"listeners={listener}\nadvertised.listeners={listener}\n"
        )
        nodes.append(_Node(root / f"broker-{n}", properties, (), port + n - 1, (port + n - 1,)))
    return controller, nodes


def _share_cluster_id(nodes: list[_Node]) -> None:
    root = nodes[0].kdir.parent
    root.mkdir(parents=True, exist_ok=True)
    cluster_id = _cluster_id(root)
    for node in nodes:
        node.kdir.mkdir(parents=True, exist_ok=True)
        (node.kdir / "cluster.id").write_text(cluster_id + "\n")


def _registered_brokers(port: int) -> int:
    options = {"bootstrap_timeout_ms": 3000, "request_timeout_ms": 3000}
    try:
        with KafkaAdminClient(bootstrap_servers=f"{HOST}:{port}", **options) as admin:
            return len(admin.describe_cluster().get("brokers") or [])
    except Exception:
        return 0


def start_cluster(data_dir: Path, port: int, brokers: int = 3, wait_seconds: float = 90) -> str:
    """Start (or complete) the local cluster of ``data_dir``; return its bootstrap servers.

    Idempotent: nodes already running are left alone, stopped or killed ones are started again
    on their own data, so a test can kill brokers and bring them back.
    """
    controller, nodes = _cluster_nodes(data_dir, port, brokers)
    _share_cluster_id([controller, *nodes])
    _launch(controller, lambda: _port_open(controller.port), wait_seconds)
    for node in nodes:
        _launch(node, functools.partial(_port_open, node.port), wait_seconds)
    deadline = time.monotonic() + wait_seconds
    while _registered_brokers(port) < brokers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the cluster did not register {brokers} brokers in time")
        time.sleep(0.5)
    return ",".join(f"{HOST}:{node.port}" for node in nodes)


def kill_broker(data_dir: Path, port: int, broker: int, brokers: int = 3) -> None:
    """SIGKILL broker number ``broker`` (1-based) of the local cluster: a crash, not a shutdown."""
    _, nodes = _cluster_nodes(data_dir, port, brokers)
    kdir = nodes[broker - 1].kdir
    pid = _running_pid(kdir)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while _alive(pid):
        time.sleep(0.1)
    _children.pop(pid, None)
    (kdir / "broker.pid").unlink(missing_ok=True)


def stop_cluster(data_dir: Path, port: int, brokers: int = 3) -> None:
    """Stop every node of the local cluster; idempotent."""
    controller, nodes = _cluster_nodes(data_dir, port, brokers)
    for node in [*nodes, controller]:
        _stop(node.kdir)
