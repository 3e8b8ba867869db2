"""Who may do what on Kafka: one SCRAM user per component, and its ACLs.

The brokers refuse whatever no ACL allows (`allow.everyone.if.no.acl.found=false`). The admin
user is a super user: only the admin job creates topics and Kafka users. The users topic is
written by the workers only (the users' writer decides the user commands of the API and of
the admin's `aid users create|revoke`).
The table of what each component may do is in infra/deploy/README.md.
"""

from __future__ import annotations

from kafka.admin import (
    ACL,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    ResourcePattern,
    ResourceType,
    UserScramCredentialUpsertion,
)

from services.runtime.kafka_security import client_options
from services.runtime.settings import Settings
from services.runtime.topics import (
    CHECKPOINT_STREAM,
    COMMAND_STREAMS,
    EVENT_STREAMS,
    REFUSAL_STREAMS,
)

ADMIN_USER = "aid-admin"
API_USER = "aid-api"
WORKER_USER = "aid-worker"

Grant = tuple[ResourceType, str, ACLResourcePatternType, ACLOperation]
LITERAL, PREFIXED = ACLResourcePatternType.LITERAL, ACLResourcePatternType.PREFIXED
TOPIC, GROUP = ResourceType.TOPIC, ResourceType.GROUP
READ, WRITE, DESCRIBE, ALL = (
    ACLOperation.READ,
    ACLOperation.WRITE,
    ACLOperation.DESCRIBE,
    ACLOperation.ALL,
)


def _topics(settings: Settings, streams: tuple[str, ...], operation: ACLOperation) -> list[Grant]:
    return [(TOPIC, settings.topic(stream), LITERAL, operation) for stream in streams]


def api_grants(settings: Settings) -> list[Grant]:
    """Commands out, replies in, the stock topic read for donors' proofs (it names no
    household); metadata and offsets (never contents) of the rest."""
    return [
        *_topics(settings, COMMAND_STREAMS, WRITE),
        *_topics(settings, ("replies", "stock"), READ),
        (TOPIC, settings.topic_prefix, PREFIXED, DESCRIBE),
        (GROUP, f"{settings.topic_prefix}worker", LITERAL, DESCRIBE),
    ]


def worker_grants(settings: Settings) -> list[Grant]:
    """Commands in, decisions out; the projections' streams in; its own groups and Faust's;
    the signed checkpoints out (`aid ledger checkpoint` runs as the workers' user: it reads
    every event stream, as they do)."""
    decided = EVENT_STREAMS + REFUSAL_STREAMS
    written = COMMAND_STREAMS + decided + ("replies", "dlq", CHECKPOINT_STREAM)
    return [
        *_topics(settings, COMMAND_STREAMS + decided, READ),
        *_topics(settings, written, WRITE),
        (TOPIC, settings.topic_prefix, PREFIXED, DESCRIBE),
        (TOPIC, f"{settings.topic_prefix}worker-", PREFIXED, ALL),  # Faust's leader topic
        (GROUP, settings.topic_prefix, PREFIXED, READ),
    ]


def acls(settings: Settings) -> list[ACL]:
    """Every ACL of the components, allowing from any host."""
    by_user = {API_USER: api_grants(settings), WORKER_USER: worker_grants(settings)}
    return [
        ACL(
            f"User:{user}",
            "*",
            operation,
            ACLPermissionType.ALLOW,
            ResourcePattern(resource, name, pattern),
        )
        for user, grants in by_user.items()
        for resource, name, pattern, operation in grants
    ]


def grant(settings: Settings, passwords: dict[str, str]) -> None:
    """As the admin: give each component its SCRAM password and its ACLs (idempotent)."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap,
        client_id="aid-admin",
        request_timeout_ms=15000,
        **client_options(settings),
    )
    try:
        users = [
            UserScramCredentialUpsertion(user, "SCRAM-SHA-512", password)
            for user, password in passwords.items()
        ]
        failed = {u: e for u, e in admin.alter_user_scram_credentials(users).items() if e}
        if failed:
            raise RuntimeError(f"SCRAM credentials refused: {failed}")
        created = admin.create_acls(acls(settings))
        if created["failed"]:
            raise RuntimeError(f"ACLs refused: {created['failed']}")
    finally:
        admin.close()
