"""One typed settings object, read from AID_* environment variables once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.checkpoints import CheckpointKey
from events.signing import LedgerKeys

DEV_SECRET = "development-only-secret"
# What an `aid worker` process may run: the deciders, the policies and the projectors.
WORKER_ROLES = ("deciders", "policies", "projectors")
SECRETS = ("token_pepper", "pseudonym_key", "master_key", "ledger_keys")
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Configuration with defaults that work on one machine."""

    model_config = SettingsConfigDict(env_prefix="AID_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    # How this process authenticates to Kafka (kafka_security.py turns it into client options).
    # PLAINTEXT suits one machine only: in production anyone who reaches the brokers could read
    # and write every topic, so it is refused there unless AID_KAFKA_PLAINTEXT_ALLOWED=true.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_username: str = ""
    kafka_password: SecretStr = SecretStr("")
    # The CA that signed the brokers' certificates (SASL_SSL); the system's CAs when unset.
    kafka_ca_file: Path | None = None
    kafka_plaintext_allowed: bool = False
    # Read only by the admin job (`aid kafka grant`), which gives each component its SCRAM user.
    kafka_api_password: SecretStr = SecretStr("")
    kafka_worker_password: SecretStr = SecretStr("")
    topic_prefix: str = "aid."
    data_dir: Path = Path("var")
    database_url: str | None = None
    # The households' wrapped data keys: never the read models' database (see key_store.py).
    key_store_url: str | None = None
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    min_insync_replicas: int = Field(default=1, ge=1)
    environment: str = "development"
    token_pepper: str = DEV_SECRET
    pseudonym_key: str = DEV_SECRET
    master_key: str = DEV_SECRET
    # The keys that sign every event (events/signing.py), comma-separated: the first signs,
    # all verify. Rotate by putting a new key first; keep the old ones while their events are
    # read. One ring per deployment: every reader must hold every writer's key anyway.
    ledger_keys: str = DEV_SECRET
    # The Ed25519 seed (64 hex digits) that signs checkpoints (events/checkpoints.py); unset,
    # derived from the first ledger key.
    checkpoint_key: SecretStr = SecretStr("")
    # The one-time upgrade of a log written before events were signed: per event stream, the
    # end offset of each partition when signing began (`aid ledger unsigned-ends` prints it).
    # Unsigned events below those offsets are accepted; every other one is refused.
    accept_unsigned_before: dict[str, list[int]] = {}
    kafka_timeout_seconds: float = Field(default=3.0, gt=0)
    read_wait_seconds: float = Field(default=5.0, ge=0)
    decision_timeout_seconds: float = Field(default=8.0, gt=0)
    worker_batch_size: int = Field(default=2000, ge=1)
    # How long a projector lets a batch fill after its first event (services/runtime/
    # projector.py): a batch costs a transaction and a few statements whatever its size, so a
    # trickle of events written one or two at a time costs far more per event, CPU the deciders
    # and the API then lack (bench/RESULTS.md). The read models lag the log that much more at
    # most (a backlog fills batches at once); 0 takes what has arrived at once.
    projection_linger_ms: int = Field(default=250, ge=0, le=10_000)
    decider_batch_size: int = Field(default=500, ge=1)
    # Batches a decider holds at once: 1 replies to a batch before it takes the next; 2 takes
    # and decides the next while the first's writes await their acknowledgements
    # (services/runtime/decider_pipeline.py; bench/RESULTS.md says why 1 is the default).
    decider_pipeline_depth: int = Field(default=1, ge=1, le=2)
    # Off, a worker only decides and projects: flows across aggregates (a convoy's dispatch,
    # a donation's receipt) wait for a worker that runs the policies.
    policies: bool = True
    # What `aid worker` runs, comma-separated (`aid worker --role` overrides it): `deciders`
    # (every decider), `policies` (the flows from one writer to another), `projectors` (the
    # read models), or several in one process. Apart, they share no event loop and no GIL,
    # and scale on their own.
    worker_roles: str = "deciders,policies,projectors"
    # The projections a worker running the projectors keeps, comma-separated (`inventory,
    # registry`); empty: all of them (`aid worker --projections` overrides it).
    worker_projections: str = ""
    organisation: str = "Entraide Nationale"
    health_max_lag: int = Field(default=10_000, ge=0)
    health_max_pending_commands: int = Field(default=1_000, ge=0)
    health_cache_seconds: float = Field(default=5.0, ge=0)
    # How long an API process keeps a location, item or campaign it read to check a command
    # (services/app/reading.py): changes made elsewhere are seen that much later at most, its
    # own at once; 0 reads them for every command.
    reference_cache_seconds: float = Field(default=1.0, ge=0)
    # How long an API process keeps the user behind a bearer token (api/deps.py): a token
    # revoked or a role changed through another process is honoured that much later at most,
    # through this one at once; 0 reads the user for every request.
    users_cache_seconds: float = Field(default=1.0, ge=0)
    # Addresses (or networks) of the reverse proxies whose X-Forwarded-For/-Proto are believed,
    # comma-separated; empty believes nobody. The client address is what sign-ins are
    # throttled by, and https from the proxy is what marks the session cookie Secure.
    trusted_proxies: str = ""
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The worker, the API and rebuilds freeze what start-up built out of the garbage
    # collector's reach (gc_tuning.py) and collect the youngest generation past this many
    # objects made and not yet freed (Python's 700; 0 keeps it): bench/RESULTS.md has the
    # collector's time.
    gc_freeze: bool = True
    gc_threshold: int = Field(default=10_000, ge=0)
    # In a process that only projects (services/runtime/projector.py, `tune_for_projecting`):
    # how long a thread may hold the GIL while another waits for it (Python's 5 ms), and the
    # young generation's threshold (0 keeps `gc_threshold`). A projector keeps a batch's
    # decoded events until it is written: over 100,000 events it collected 55 times at
    # 10,000 (0.36–0.49 s of CPU), twice at 50,000 (16–21 ms); bench/RESULTS.md, "The young
    # generation's threshold". The API and the deciders keep the shorter pauses of 10,000.
    projector_switch_interval_ms: float = Field(default=0.5, gt=0, le=5)
    projector_gc_threshold: int = Field(default=50_000, ge=0)
    # One write request in this many answers with where its command's time went (a
    # Server-Timing header, command_timing.py); 1: every one, 0: none.
    command_timing_sample: int = Field(default=100, ge=0)
    # On PostgreSQL a rebuild writes into shadow tables and swaps them in (projections/
    # shadow.py); off, it deletes and rewrites the live rows, as on SQLite.
    rebuild_shadow: bool = True

    @field_validator("worker_roles")
    @classmethod
    def _known_roles(cls, value: str) -> str:
        roles = comma_list(value)
        if not roles or any(role not in WORKER_ROLES for role in roles):
            raise ValueError(f"worker roles are {', '.join(WORKER_ROLES)}, not {value!r}")
        return ",".join(roles)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.kafka_security_protocol != "PLAINTEXT" and not (
            self.kafka_username and self.kafka_password.get_secret_value()
        ):
            raise ValueError(
                f"AID_KAFKA_USERNAME and AID_KAFKA_PASSWORD must be set when "
                f"AID_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol}"
            )
        if self.environment == "development":
            return self
        if weak := self.weak_secrets():
            raise ValueError(f"{weak[0]} when AID_ENVIRONMENT={self.environment}")
        if self.kafka_security_protocol == "PLAINTEXT" and not self.kafka_plaintext_allowed:
            raise ValueError(
                f"AID_KAFKA_SECURITY_PROTOCOL=PLAINTEXT when AID_ENVIRONMENT={self.environment}: "
                "anyone who reaches the brokers could read and write every topic; use SASL_SSL "
                "with AID_KAFKA_USERNAME and AID_KAFKA_PASSWORD (or, on a network nobody else "
                "reaches, AID_KAFKA_PLAINTEXT_ALLOWED=true)"
            )
        if not self.key_store_url or self.key_store_url == self.database_url:
            raise ValueError(
                f"AID_KEY_STORE_URL must name a database of its own when "
                f"AID_ENVIRONMENT={self.environment}: the household keys are backed up apart "
                "from the read models, so that restoring those never restores an erased person"
            )
        return self

    def weak_secrets(self) -> list[str]:
        """What is wrong with the secrets, in words (empty when each is long, random-looking,
        not the development default, and different from the others)."""
        problems = []
        for name in SECRETS:
            value = getattr(self, name)
            parts = _ring(value) or [""] if name == "ledger_keys" else [value]
            if any(not p or p == DEV_SECRET or len(p) < MIN_SECRET_LENGTH for p in parts):
                problems.append(
                    f"AID_{name.upper()} must be a random secret of at least "
                    f"{MIN_SECRET_LENGTH} characters, not the default; generate one with: "
                    'python -c "import secrets; print(secrets.token_hex(32))"'
                )
        values = [getattr(self, name) for name in SECRETS]
        if not problems and len(set(values)) < len(values):
            problems.append(
                "AID_TOKEN_PEPPER, AID_PSEUDONYM_KEY, AID_MASTER_KEY and AID_LEDGER_KEYS must "
                "differ: each is rotated on its own schedule"
            )
        return problems

    def checkpoints(self) -> CheckpointKey:
        """The key that signs checkpoints of the chains' heads."""
        seed = self.checkpoint_key.get_secret_value()
        if seed:
            return CheckpointKey(bytes.fromhex(seed))
        return CheckpointKey.derived_from(_ring(self.ledger_keys)[0].encode())

    def ledger(self) -> LedgerKeys:
        """The key ring that signs and verifies events."""
        return LedgerKeys([key.encode() for key in _ring(self.ledger_keys)])

    @property
    def db_url(self) -> str:
        """The read-model database; a SQLite file under the data dir by default."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'aidledger.db').resolve()}"

    @property
    def key_store_db_url(self) -> str:
        """The household key store; a SQLite file of its own under the data dir by default."""
        if self.key_store_url:
            return self.key_store_url
        return f"sqlite:///{(self.data_dir / 'keys.db').resolve()}"

    def topic(self, stream: str) -> str:
        """The full Kafka topic name of a stream (`stock` -> `aid.stock`)."""
        return f"{self.topic_prefix}{stream}"


def comma_list(value: str) -> tuple[str, ...]:
    """The roles (or projections) a comma-separated list names, each once, in its order."""
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _ring(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",") if key.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
