"""The production deployment files (infra/deploy): the facts the layout depends on.

Nothing here starts a container; the files are parsed and their values compared
with what the services expect (services.settings.Settings, the CLI's commands).
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from pydantic import ValidationError

from services.runtime.kafka_access import LITERAL, TOPIC, WRITE, acls, api_grants, worker_grants
from services.runtime.settings import DEV_SECRET, Settings
from services.runtime.topics import COMMAND_STREAMS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = REPO_ROOT / "infra" / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"

NAMESPACE = "aidledger"
SECRET_NAME = "aidledger-secrets"
CONFIGMAP_NAME = "aidledger-config"
APP_IMAGE = "aidledger:0.1.0"
KAFKA_IMAGE = "apache/kafka:4.1.1"
KAFKA_NODES = 3

KNOWN_AID = {f"AID_{name.upper()}" for name in Settings.model_fields}
SECRET_VARS = {
    f"AID_{name.upper()}"
    for name, field in Settings.model_fields.items()
    if field.default == DEV_SECRET
}
# Not refused by Settings, but they carry the database password.
SENSITIVE = SECRET_VARS | {"AID_DATABASE_URL", "AID_KEY_STORE_URL", "POSTGRES_PASSWORD"}
DB_PASSWORDS = {"POSTGRES_PASSWORD", "AIDLEDGER_DB_PASSWORD"}
KAFKA_PASSWORDS = {"AID_KAFKA_PASSWORD", "AID_KAFKA_API_PASSWORD", "AID_KAFKA_WORKER_PASSWORD"}
# Each component signs in to Kafka as its own user, with the password of its own Secret.
KAFKA_USERS = {
    "api": ("aid-api", "aidledger-kafka-api", "kafka-api.env"),
    "deciders": ("aid-worker", "aidledger-kafka-worker", "kafka-worker.env"),
    "policies": ("aid-worker", "aidledger-kafka-worker", "kafka-worker.env"),
    "projectors": ("aid-worker", "aidledger-kafka-worker", "kafka-worker.env"),
    "ledger-checkpoint": ("aid-worker", "aidledger-kafka-worker", "kafka-worker.env"),
    "topics": ("aid-admin", "aidledger-kafka-admin", "kafka-admin.env"),
    "kafka-access": ("aid-admin", "aidledger-kafka-admin", "kafka-admin.env"),
}

KAFKA_FACTS = {
    "KAFKA_PROCESS_ROLES": "broker,controller",
    "KAFKA_DEFAULT_REPLICATION_FACTOR": "3",
    "KAFKA_MIN_INSYNC_REPLICAS": "2",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "3",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "3",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "2",
    "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    "KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE": "false",
    "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
}
TOPIC_LAYOUT = {
    "AID_ENVIRONMENT": "production",
    "AID_PARTITIONS": "12",
    "AID_REPLICATION_FACTOR": "3",
    "AID_MIN_INSYNC_REPLICAS": "2",
}
WORKLOADS = {"Deployment", "StatefulSet", "Job", "CronJob"}
ROLES = ("deciders", "policies", "projectors")  # `aid worker --role`, a workload each


# --- loading ---------------------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for path in k8s_files() for doc in load_all(path)]


def find(kind: str, name: str) -> dict[str, Any]:
    found = [o for o in k8s_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def workloads() -> list[dict[str, Any]]:
    return [o for o in k8s_objects() if o["kind"] in WORKLOADS]


def pod_template(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    template: dict[str, Any] = (
        spec["jobTemplate"]["spec"] if workload["kind"] == "CronJob" else spec
    )["template"]
    return template


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = pod_template(workload)["spec"]
    return spec


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def only_container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = pod_spec(workload)["containers"]
    return container


def env_entries(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def env_values(container: dict[str, Any]) -> dict[str, str]:
    return {name: str(e["value"]) for name, e in env_entries(container).items() if "value" in e}


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def compose_command(service: dict[str, Any]) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(c) for c in command]


def aid_services() -> dict[str, dict[str, Any]]:
    return {
        name: svc for name, svc in compose()["services"].items() if svc.get("image") == APP_IMAGE
    }


def kafka_services() -> dict[str, dict[str, Any]]:
    return {
        name: svc for name, svc in compose()["services"].items() if svc.get("image") == KAFKA_IMAGE
    }


def env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    return env


def quorum_voters(value: str) -> dict[int, str]:
    voters = {}
    for voter in value.split(","):
        node_id, _, address = voter.partition("@")
        voters[int(node_id)] = address
    return voters


# --- every file ------------------------------------------------------------------------


def test_every_yaml_file_parses_and_each_kubernetes_object_is_named_in_the_namespace() -> None:
    names = {p.relative_to(DEPLOY).as_posix() for p in yaml_files()}
    assert {
        "compose.yaml",
        "k8s/kustomization.yaml",
        "k8s/namespace.yaml",
        "k8s/secret.template.yaml",
        "k8s/configmap.yaml",
        "k8s/kafka.yaml",
        "k8s/postgres.yaml",
        "k8s/topics-job.yaml",
        "k8s/worker.yaml",
        "k8s/api.yaml",
    } <= names
    for path in yaml_files():
        assert load_all(path), f"{path} holds no YAML document"
    for obj in k8s_objects():
        assert obj["apiVersion"] and obj["metadata"]["name"], obj
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == NAMESPACE, obj["metadata"]
    assert find("Namespace", NAMESPACE)


def test_kustomization_applies_every_manifest_except_the_secret_template() -> None:
    (kustomization,) = load_all(K8S / "kustomization.yaml")
    assert kustomization["namespace"] == NAMESPACE
    assert set(kustomization["resources"]) == {p.name for p in k8s_files()} - {
        "secret.template.yaml"
    }


def test_selectors_match_the_pods_and_statefulsets_have_their_headless_service() -> None:
    services = {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == "Service"}
    pod_labels = []
    for workload in workloads():
        labels = pod_template(workload)["metadata"]["labels"]
        pod_labels.append(labels)
        if workload["kind"] not in ("Job", "CronJob"):
            assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
        if workload["kind"] == "StatefulSet":
            headless = services[workload["spec"]["serviceName"]]
            assert headless["spec"]["clusterIP"] == "None"
            assert headless["spec"]["selector"].items() <= labels.items()
    for service in services.values():
        selector = service["spec"]["selector"].items()
        assert any(selector <= labels.items() for labels in pod_labels), service["metadata"]


# --- Kafka: 3 nodes, replication 3, min ISR 2 -------------------------------------------


def test_kubernetes_runs_three_kafka_nodes_replicating_three_ways_with_min_isr_two() -> None:
    kafka = find("StatefulSet", "kafka")
    spec = kafka["spec"]
    assert spec["replicas"] == KAFKA_NODES
    assert spec["podManagementPolicy"] == "Parallel"
    assert pod_spec(kafka)["enableServiceLinks"] is False
    container = only_container(kafka)
    assert container["image"] == KAFKA_IMAGE
    env = env_values(container)
    assert {k: env.get(k) for k in KAFKA_FACTS} == KAFKA_FACTS
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])

    headless = spec["serviceName"]
    assert find("Service", headless)["spec"]["publishNotReadyAddresses"] is True
    voters = quorum_voters(env["KAFKA_CONTROLLER_QUORUM_VOTERS"])
    assert voters == {i: f"kafka-{i}.{headless}:9093" for i in range(KAFKA_NODES)}
    # The node id is the pod's ordinal, so it matches the voter list above.
    assert "KAFKA_NODE_ID=${HOSTNAME##*-}" in " ".join(container["command"])
    assert env["KAFKA_ADVERTISED_LISTENERS"] == (
        f"CLIENT://$(POD_NAME).{headless}:9092,BROKER://$(POD_NAME).{headless}:9094"
    )
    pod_name = env_entries(container)["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert pod_name == "metadata.name"

    (claim,) = spec["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert env["KAFKA_LOG_DIRS"].startswith(mounts[claim["metadata"]["name"]] + "/")
    budget = find("PodDisruptionBudget", "kafka")
    assert budget["spec"]["maxUnavailable"] == 1


def test_compose_runs_three_kafka_nodes_replicating_three_ways_with_min_isr_two() -> None:
    nodes = kafka_services()
    assert len(nodes) == KAFKA_NODES
    envs = {name: compose_env(svc) for name, svc in nodes.items()}
    for name, env in envs.items():
        assert {k: env.get(k) for k in KAFKA_FACTS} == KAFKA_FACTS, name
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"CLIENT://{name}:9092,BROKER://{name}:9094"
        assert nodes[name]["hostname"] == name
    node_ids = {int(env["KAFKA_NODE_ID"]): name for name, env in envs.items()}
    assert set(node_ids) == {1, 2, 3}
    assert len({env["CLUSTER_ID"] for env in envs.values()}) == 1
    for env in envs.values():
        voters = quorum_voters(env["KAFKA_CONTROLLER_QUORUM_VOTERS"])
        assert voters == {i: f"{name}:9093" for i, name in node_ids.items()}

    declared_volumes = set(compose()["volumes"])
    used = set()
    for name, svc in nodes.items():
        volume, tls = svc["volumes"]
        assert tls == f"./secrets/{name}:/etc/kafka/secrets:ro"
        source, target = volume.split(":")[:2]
        assert target == "/var/lib/kafka/data" and source in declared_volumes, name
        assert envs[name]["KAFKA_LOG_DIRS"].startswith(target + "/")
        used.add(source)
    assert len(used) == KAFKA_NODES, "each broker needs its own volume"


def test_the_services_bootstrap_from_every_broker() -> None:
    configmap = find("ConfigMap", CONFIGMAP_NAME)["data"]
    assert configmap["AID_KAFKA_BOOTSTRAP"].split(",") == [
        f"kafka-{i}.kafka-headless:9092" for i in range(KAFKA_NODES)
    ]
    for name, svc in aid_services().items():
        bootstrap = compose_env(svc)["AID_KAFKA_BOOTSTRAP"].split(",")
        # The admin jobs sign in on the brokers' internal listener.
        port = 9094 if KAFKA_USERS[name][0] == "aid-admin" else 9092
        assert bootstrap == [f"{node}:{port}" for node in sorted(kafka_services())], name


def test_the_topic_layout_is_12_partitions_replication_3_min_isr_2_and_fits_the_cluster() -> None:
    sources = {"configmap": find("ConfigMap", CONFIGMAP_NAME)["data"]}
    sources |= {f"compose:{n}": compose_env(s) for n, s in aid_services().items()}
    broker_min_isr = env_values(only_container(find("StatefulSet", "kafka")))
    for source, env in sources.items():
        assert {k: env.get(k) for k in TOPIC_LAYOUT} == TOPIC_LAYOUT, source
        replication = int(env["AID_REPLICATION_FACTOR"])
        min_isr = int(env["AID_MIN_INSYNC_REPLICAS"])
        assert replication == KAFKA_NODES, source
        assert 1 < min_isr < replication, f"{source}: one broker must be able to fail"
        assert str(min_isr) == broker_min_isr["KAFKA_MIN_INSYNC_REPLICAS"]


def test_the_configmap_and_real_secrets_make_valid_production_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in KNOWN_AID:
        monkeypatch.delenv(name, raising=False)
    for key, value in find("ConfigMap", CONFIGMAP_NAME)["data"].items():
        monkeypatch.setenv(key, value)
    for index, name in enumerate(sorted(SECRET_VARS)):
        monkeypatch.setenv(name, f"{index}" * 64)
    monkeypatch.setenv("AID_DATABASE_URL", "postgresql://aidledger:pw@postgres:5432/aidledger")
    monkeypatch.setenv("AID_KAFKA_USERNAME", "aid-api")
    monkeypatch.setenv("AID_KAFKA_PASSWORD", "9" * 48)
    keys = "postgresql://aidledger:pw@postgres:5432/aidledger_keys"
    monkeypatch.setenv("AID_KEY_STORE_URL", keys)
    settings = Settings()
    assert settings.key_store_db_url == keys
    assert settings.environment == "production"
    assert (settings.partitions, settings.replication_factor, settings.min_insync_replicas) == (
        12,
        3,
        2,
    )
    assert settings.db_url.startswith("postgresql://")
    assert settings.kafka_security_protocol == "SASL_SSL"


def test_the_secret_template_is_refused_until_it_is_filled_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = find("Secret", SECRET_NAME)
    data = secret["stringData"]
    assert set(data) >= SENSITIVE | DB_PASSWORDS
    assert {name: data[name] for name in SECRET_VARS | DB_PASSWORDS} == dict.fromkeys(
        SECRET_VARS | DB_PASSWORDS, ""
    )
    assert "REPLACE_WITH_AIDLEDGER_DB_PASSWORD@postgres:5432/" in data["AID_DATABASE_URL"]
    for _, secret_name, _ in KAFKA_USERS.values():
        kafka = find("Secret", secret_name)["stringData"]
        assert set(kafka) <= KAFKA_PASSWORDS and set(kafka.values()) == {""}, secret_name
    assert "secrets.token_hex" in (K8S / "secret.template.yaml").read_text()
    for name in KNOWN_AID:
        monkeypatch.delenv(name, raising=False)
    for key, value in (find("ConfigMap", CONFIGMAP_NAME)["data"] | data).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError, match="AID_KAFKA_USERNAME and AID_KAFKA_PASSWORD"):
        Settings()
    monkeypatch.setenv("AID_KAFKA_USERNAME", "aid-api")
    monkeypatch.setenv("AID_KAFKA_PASSWORD", "9" * 48)
    with pytest.raises(ValidationError, match="AID_TOKEN_PEPPER must be a random secret"):
        Settings()


# --- AID_* variables and secrets ---------------------------------------------------------


def aid_variables() -> dict[str, set[str]]:
    """Every AID_* name the deployment files set, with where it is set."""
    found: dict[str, set[str]] = {}

    def note(names: Any, where: str) -> None:
        for name in names:
            if str(name).startswith("AID_"):
                found.setdefault(str(name), set()).add(where)

    for name, svc in compose()["services"].items():
        note(compose_env(svc), f"compose.yaml:{name}")
    for path in DEPLOY.glob("*.env.example"):
        note(env_file(path), path.name)
    for obj in k8s_objects():
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] == "ConfigMap":
            note(obj["data"], where)
        if obj["kind"] == "Secret":
            note(obj["stringData"], where)
        if obj["kind"] in WORKLOADS:
            for container in containers(obj):
                note(env_entries(container), where)
    note(dockerfile_env(), "Dockerfile")
    return found


def test_every_aid_variable_in_the_files_is_one_the_settings_know() -> None:
    found = aid_variables()
    unknown = {name: sorted(where) for name, where in found.items() if name not in KNOWN_AID}
    assert unknown == {}
    assert set(TOPIC_LAYOUT) | SECRET_VARS | {
        "AID_KAFKA_BOOTSTRAP",
        "AID_DATABASE_URL",
        "AID_DATA_DIR",
    } <= set(found)


def test_secret_names_are_the_four_settings_refuse_to_default() -> None:
    assert {"AID_TOKEN_PEPPER", "AID_PSEUDONYM_KEY", "AID_MASTER_KEY", "AID_LEDGER_KEYS"} == (
        SECRET_VARS
    )


def template_secrets() -> dict[str, set[str]]:
    """The keys of each Secret the template describes."""
    documents = load_all(K8S / "secret.template.yaml")
    return {d["metadata"]["name"]: set(d["stringData"]) for d in documents if d["kind"] == "Secret"}


def test_kubernetes_takes_every_secret_from_the_secret_never_a_literal() -> None:
    assert not (SENSITIVE | KAFKA_PASSWORDS) & set(find("ConfigMap", CONFIGMAP_NAME)["data"])
    secrets = template_secrets()
    aid_containers = 0
    for workload in workloads():
        for container in containers(workload):
            entries = env_entries(container)
            for name, entry in entries.items():
                secret_like = SENSITIVE | KAFKA_PASSWORDS | DB_PASSWORDS
                assert name not in secret_like or "value" not in entry, (container["name"], name)
                assert "JAAS" not in name or "value" not in entry, (container["name"], name)
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[ref["name"]], (container["name"], name)
            if container.get("command", [""])[0] != "aid":
                continue
            aid_containers += 1
            for name in SECRET_VARS | {"AID_DATABASE_URL", "AID_KEY_STORE_URL"}:
                ref = entries[name]["valueFrom"]["secretKeyRef"]
                assert (ref["name"], ref["key"]) == (SECRET_NAME, name), container["name"]
            assert {"configMapRef": {"name": CONFIGMAP_NAME}} in container["envFrom"]
    assert aid_containers == 7  # the topics job's two (grant, topics), deciders, policies,
    # projectors, API, checkpoints
    postgres = env_entries(only_container(find("StatefulSet", "postgres")))
    assert postgres["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME


def test_compose_takes_every_secret_from_a_git_ignored_env_file() -> None:
    services = compose()["services"]
    for name, svc in services.items():
        assert not (SENSITIVE | KAFKA_PASSWORDS | DB_PASSWORDS) & set(compose_env(svc)), name
        assert not any("JAAS" in key for key in compose_env(svc)), name
    assert len(aid_services()) == 7  # the two jobs, the three workers, checkpoints, API
    for name, svc in aid_services().items():
        user, _, kafka_env = KAFKA_USERS[name]
        assert svc["env_file"] == ["aidledger.env", kafka_env], name
        example = env_file(DEPLOY / f"{kafka_env}.example")
        assert example["AID_KAFKA_USERNAME"] == user, name
        assert {k: v for k, v in example.items() if k in KAFKA_PASSWORDS} == dict.fromkeys(
            set(example) & KAFKA_PASSWORDS, ""
        )
    for node in kafka_services().values():
        assert node["env_file"] == ["kafka.env"]
    assert services["postgres"]["env_file"] == ["postgres.env"]
    aid_example = env_file(DEPLOY / "aidledger.env.example")
    assert {k: aid_example[k] for k in SECRET_VARS} == dict.fromkeys(SECRET_VARS, "")
    assert "@postgres:5432/" in aid_example["AID_DATABASE_URL"]
    assert urlsplit(aid_example["AID_KEY_STORE_URL"]).path == "/aidledger_keys"
    assert env_file(DEPLOY / "postgres.env.example") == dict.fromkeys(DB_PASSWORDS, "")
    ignored = (DEPLOY / ".gitignore").read_text().split()
    assert {"*.env", "!*.env.example", "secrets/"} <= set(ignored)


def test_no_deployment_file_holds_a_secret_looking_value() -> None:
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert DEV_SECRET not in text, path
            assert not re.search(r"\b[0-9a-fA-F]{32,}\b", text), path


# --- the network: Kafka, PostgreSQL and the proxy over TLS, each signed in -----------------


def kafka_envs() -> dict[str, dict[str, str]]:
    """The environment of every Kafka node, in compose and in Kubernetes."""
    envs = {f"compose:{n}": compose_env(svc) for n, svc in kafka_services().items()}
    envs["k8s:kafka"] = env_values(only_container(find("StatefulSet", "kafka")))
    return envs


def test_every_kafka_listener_is_sasl_over_tls_and_clients_use_scram() -> None:
    for where, env in kafka_envs().items():
        protocol_map = env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
        protocols = dict(pair.split(":") for pair in protocol_map.split(","))
        assert set(protocols.values()) == {"SASL_SSL"}, where
        listeners = {entry.split("://")[0] for entry in env["KAFKA_LISTENERS"].split(",")}
        assert listeners == set(protocols), where
        assert "PLAINTEXT" not in env["KAFKA_ADVERTISED_LISTENERS"], where
        assert env["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
        assert env["KAFKA_SSL_KEYSTORE_FILENAME"] and env["KAFKA_SSL_TRUSTSTORE_FILENAME"]
        assert env["KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM"] == "https", where
    jaas = {
        "KAFKA_LISTENER_NAME_BROKER_PLAIN_SASL_JAAS_CONFIG",
        "KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG",
    }
    assert set(env_file(DEPLOY / "kafka.env.example")) == jaas
    k8s_kafka = env_entries(only_container(find("StatefulSet", "kafka")))
    assert {k8s_kafka[name]["valueFrom"]["secretKeyRef"]["name"] for name in jaas} == {"kafka-sasl"}
    sources = {"configmap": find("ConfigMap", CONFIGMAP_NAME)["data"]}
    sources |= {f"compose:{n}": compose_env(s) for n, s in aid_services().items()}
    for where, env in sources.items():
        assert env["AID_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", where
        assert env["AID_KAFKA_CA_FILE"], where
    for name, svc in aid_services().items():
        admin = KAFKA_USERS[name][0] == "aid-admin"
        mechanism = compose_env(svc)["AID_KAFKA_SASL_MECHANISM"]
        assert mechanism == ("PLAIN" if admin else "SCRAM-SHA-512"), name


def test_the_brokers_refuse_what_no_acl_allows_and_the_admin_job_grants_each_component() -> None:
    for where, env in kafka_envs().items():
        assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer"), where
        assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false", where
        assert set(env["KAFKA_SUPER_USERS"].split(";")) == {"User:kafka-broker", "User:aid-admin"}
    for workload in (find("Deployment", f"aid-{name}") for name in ("api", *ROLES)):
        entries = env_entries(only_container(workload))
        name = workload["metadata"]["name"].removeprefix("aid-")
        user, secret, _ = KAFKA_USERS[name]
        assert entries["AID_KAFKA_USERNAME"]["value"] == user
        assert entries["AID_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == secret
    by_user: dict[str, set[tuple[str, str, str]]] = {}
    for acl in acls(Settings()):
        pattern = acl.resource_pattern
        grant = (acl.operation.name, pattern.resource_type.name, pattern.resource_name)
        by_user.setdefault(acl.principal, set()).add(grant)
    api, worker = by_user["User:aid-api"], by_user["User:aid-worker"]
    assert ("WRITE", "TOPIC", "aid.stock-commands") in api
    assert ("READ", "TOPIC", "aid.replies") in api
    # donors' proofs: the stock topic, which names no household; no other event topic
    assert ("READ", "TOPIC", "aid.stock") in api
    assert (
        not {g for g in api if g[0] in {"READ", "WRITE"}}
        - {("WRITE", "TOPIC", f"aid.{s}") for s in COMMAND_STREAMS}
        - {("READ", "TOPIC", "aid.replies"), ("READ", "TOPIC", "aid.stock")}
    )
    assert {("READ", "TOPIC", "aid.stock-commands"), ("WRITE", "TOPIC", "aid.stock")} <= worker
    # The users' writer records the API's user commands; the API still writes no event.
    assert {("READ", "TOPIC", "aid.user-commands"), ("WRITE", "TOPIC", "aid.users")} <= worker
    assert ("WRITE", "TOPIC", "aid.user-commands") in api


def test_postgres_serves_tls_and_the_services_sign_in_as_a_role_that_is_no_superuser() -> None:
    service = compose()["services"]["postgres"]
    compose_args = " ".join(compose_command(service))
    k8s_args = " ".join(only_container(find("StatefulSet", "postgres"))["args"])
    for args in (compose_args, k8s_args):
        assert "ssl=on" in args and "ssl_cert_file=" in args and "ssl_key_file=" in args
    assert "POSTGRES_USER" not in compose_env(service)  # the superuser stays postgres
    init = (DEPLOY / "postgres-init.sql").read_text()
    assert "CREATE ROLE aidledger LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" in init
    assert "CREATE DATABASE aidledger OWNER aidledger;" in init
    assert init in find("ConfigMap", "postgres-init")["data"]["10-key-store.sql"]
    hba = [line.split() for line in (DEPLOY / "pg_hba.conf").read_text().splitlines()]
    network = [rule for rule in hba if rule and rule[0].startswith("host")]
    assert network[-1] == ["host", "all", "all", "all", "reject"]
    assert all(rule[0] == "hostssl" for rule in network[:-1])
    urls = [
        env_file(DEPLOY / "aidledger.env.example")[name]
        for name in ("AID_DATABASE_URL", "AID_KEY_STORE_URL")
    ]
    urls += [find("Secret", SECRET_NAME)["stringData"][name] for name in ("AID_DATABASE_URL",)]
    for url in urls:
        query = parse_qs(urlsplit(url).query)
        assert query["sslmode"] == ["verify-full"] and query["sslrootcert"], url
        assert urlsplit(url).username == "aidledger", url


def test_the_proxy_serves_https_only_with_hsts() -> None:
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert re.search(r"listen 443 ssl;", nginx)
    assert re.search(r"listen 80;\s*return 301 https://\$host\$request_uri;", nginx)
    assert 'add_header Strict-Transport-Security "max-age=31536000' in nginx
    assert "ssl_certificate /etc/nginx/tls/" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert "proxy_set_header X-Forwarded-For" in nginx
    ingress = find("Ingress", "aid-api")
    assert ingress["spec"]["tls"][0]["secretName"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    snippet = annotations["nginx.ingress.kubernetes.io/configuration-snippet"]
    assert "Strict-Transport-Security" in snippet


def test_the_api_believes_forwarded_headers_from_the_proxy_alone() -> None:
    services = compose()["services"]
    proxy_address = services["proxy"]["networks"]["default"]["ipv4_address"]
    subnet = compose()["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    assert compose_env(services["api"])["AID_TRUSTED_PROXIES"] == proxy_address
    k8s = env_values(only_container(find("Deployment", "aid-api")))["AID_TRUSTED_PROXIES"]
    assert k8s and "*" not in k8s
    assert all(ipaddress.ip_network(net).is_private for net in k8s.split(","))


# --- workers, API, topic job -------------------------------------------------------------


def test_deciders_policies_and_projectors_run_apart_with_several_replicas_each() -> None:
    deciders, policies, projectors = (find("Deployment", f"aid-{role}") for role in ROLES)
    for role, workload in zip(ROLES, (deciders, policies, projectors), strict=True):
        assert workload["spec"]["replicas"] >= 2, role
        container = only_container(workload)
        assert container["command"] == ["aid", "worker", "--role", role]
        assert container["image"] == APP_IMAGE
        svc = compose()["services"][role]
        assert compose_command(svc) == ["aid", "worker", "--role", role]
        assert svc["deploy"]["replicas"] >= 2, role
    # the same settings, secrets and Kafka user: only the role differs
    one, *others = (only_container(w) for w in (deciders, policies, projectors))
    for other in others:
        assert env_entries(one) == env_entries(other)
        assert one["envFrom"] == other["envFrom"]
    services = compose()["services"]
    assert services["deciders"]["env_file"] == services["policies"]["env_file"]
    assert services["deciders"]["env_file"] == services["projectors"]["env_file"]
    assert "worker" not in services  # no process running them all beside them


def test_the_api_is_ready_only_when_healthz_answers() -> None:
    api = find("Deployment", "aid-api")
    assert api["spec"]["replicas"] == 2
    container = only_container(api)
    command = container["command"]
    assert command[:2] == ["aid", "api"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    port = int(command[command.index("--port") + 1])
    assert [p["containerPort"] for p in container["ports"]] == [port]
    readiness = container["readinessProbe"]["httpGet"]
    assert (readiness["path"], readiness["port"]) == ("/healthz", port)
    assert container["readinessProbe"]["timeoutSeconds"] >= 5  # /healthz waits up to 3 s on Kafka
    # Liveness must not depend on Kafka or PostgreSQL: an outage of either would
    # otherwise restart every API pod in a loop instead of serving 503s and reads.
    liveness = container["livenessProbe"]["httpGet"]
    assert (liveness["path"], liveness["port"]) == ("/openapi.json", port)

    service = find("Service", "aid-api")
    (service_port,) = service["spec"]["ports"]
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named.get(service_port["targetPort"], service_port["targetPort"]) == port


def test_compose_api_has_two_replicas_a_healthz_check_and_a_proxy_in_front() -> None:
    services = compose()["services"]
    api = services["api"]
    assert compose_command(api) == ["aid", "api", "--host", "0.0.0.0", "--port", "8000"]
    assert api["deploy"]["replicas"] == 2
    assert "http://127.0.0.1:8000/healthz" in " ".join(api["healthcheck"]["test"])
    assert "ports" not in api  # two replicas cannot both publish one host port
    proxy = services["proxy"]
    assert proxy["ports"] == ["443:443", "80:80"]
    assert "set $api_upstream http://api:8000;" in (DEPLOY / "nginx.conf").read_text()


def test_topics_are_created_by_a_one_shot_aid_topics() -> None:
    job = find("Job", "aid-topics")
    assert only_container(job)["command"] == ["aid", "topics"]
    (grant,) = pod_spec(job)["initContainers"]
    assert grant["command"] == ["aid", "kafka", "grant"]
    assert pod_spec(job)["restartPolicy"] in {"OnFailure", "Never"}
    assert job["spec"]["backoffLimit"] >= 3

    services = compose()["services"]
    topics, access = services["topics"], services["kafka-access"]
    assert compose_command(topics) == ["aid", "topics"]
    assert compose_command(access) == ["aid", "kafka", "grant"]
    assert topics["restart"] == access["restart"] == "no"
    assert access["depends_on"] == {
        name: {"condition": "service_healthy"} for name in kafka_services()
    }
    assert topics["depends_on"] == {"kafka-access": {"condition": "service_completed_successfully"}}
    for name in (*ROLES, "api"):
        depends = services[name]["depends_on"]
        assert depends["topics"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name


def test_the_chains_heads_are_checkpointed_every_15_minutes_as_the_workers_kafka_user() -> None:
    job = find("CronJob", "aid-ledger-checkpoint")
    assert job["spec"]["schedule"] == "*/15 * * * *"
    assert job["spec"]["concurrencyPolicy"] == "Forbid"  # one walk of the log at a time
    container = only_container(job)
    assert container["command"] == ["aid", "ledger", "checkpoint"]
    worker = only_container(find("Deployment", "aid-deciders"))
    for name in ("AID_KAFKA_USERNAME", "AID_KAFKA_PASSWORD", "AID_LEDGER_KEYS"):
        assert env_entries(container)[name] == env_entries(worker)[name], name
    assert "ledger-checkpoint.yaml" in load_all(K8S / "kustomization.yaml")[0]["resources"]

    services = compose()["services"]
    checkpoint = services["ledger-checkpoint"]
    assert compose_command(checkpoint)[:2] == ["sh", "-c"]
    loop = compose_command(checkpoint)[2:]
    assert loop == ["while true; do aid ledger checkpoint; sleep 900; done"]
    assert checkpoint["env_file"] == services["deciders"]["env_file"]
    assert checkpoint["depends_on"] == services["deciders"]["depends_on"]


def test_the_workers_kafka_user_may_write_checkpoints_but_the_apis_may_not() -> None:
    settings = Settings(topic_prefix="aid.")
    checkpoints = (TOPIC, "aid.checkpoints", LITERAL, WRITE)
    assert checkpoints in worker_grants(settings)
    assert checkpoints not in api_grants(settings)


def test_compose_builds_the_aid_image_from_the_repository_root() -> None:
    commands = {" ".join(compose_command(svc)[:2]) for svc in aid_services().values()}
    assert commands == {"aid worker", "aid api", "aid topics", "aid kafka", "sh -c"}
    for name, svc in aid_services().items():
        build = svc["build"]
        assert (DEPLOY / build["context"]).resolve() == REPO_ROOT, name
        assert (REPO_ROOT / build["dockerfile"]).resolve() == DOCKERFILE.resolve(), name


def test_postgres_15_keeps_its_data_on_a_volume() -> None:
    postgres = find("StatefulSet", "postgres")
    container = only_container(postgres)
    assert container["image"] == "postgres:15"
    (claim,) = postgres["spec"]["volumeClaimTemplates"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert env_values(container)["PGDATA"].startswith(mounts[claim["metadata"]["name"]] + "/")

    service = compose()["services"]["postgres"]
    assert service["image"] == "postgres:15"
    assert service["volumes"][0] == "postgres-data:/var/lib/postgresql/data"
    assert "postgres-data" in compose()["volumes"]


def test_postgres_creates_the_key_store_database_the_settings_name() -> None:
    keys_url = env_file(DEPLOY / "aidledger.env.example")["AID_KEY_STORE_URL"]
    keys_db = urlsplit(keys_url).path.removeprefix("/")
    init = "CREATE DATABASE aidledger_keys OWNER aidledger;"
    assert keys_db == "aidledger_keys"
    mount = "./postgres-init.sql:/docker-entrypoint-initdb.d/10-key-store.sql:ro"
    assert mount in compose()["services"]["postgres"]["volumes"]
    assert init in (DEPLOY / "postgres-init.sql").read_text()
    assert init in find("ConfigMap", "postgres-init")["data"]["10-key-store.sql"]
    container = only_container(find("StatefulSet", "postgres"))
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["init"] == "/docker-entrypoint-initdb.d"


# --- the image ---------------------------------------------------------------------------


def test_the_dockerfile_installs_the_project_on_python_311_slim_and_runs_aid() -> None:
    instructions = dockerfile_instructions()
    assert ("FROM", "python:3.11-slim") in instructions
    assert any(k == "RUN" and "pip install ." in rest for k, rest in instructions)
    copied = {rest.split()[0] for k, rest in instructions if k == "COPY"}
    assert {"pyproject.toml", "events", "services", "projections", "api"} <= copied
    starts = [json.loads(rest) for k, rest in instructions if k in {"CMD", "ENTRYPOINT"}]
    assert starts and starts[-1][0] == "aid"
    users = [rest for k, rest in instructions if k == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert dockerfile_env()["AID_DATA_DIR"] == "/var/lib/aidledger"

    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {"!pyproject.toml", "!events/", "!services/", "!projections/", "!api/"} <= set(ignore)
