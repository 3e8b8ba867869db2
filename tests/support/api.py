"""The HTTP API without Kafka: an in-memory publisher, a fresh SQLite read model, seeded by events.

Seeding goes through the projections exactly as a worker would apply consumed messages, so
the API reads what it would read in production. Seeds sit on partition 1 of their topic; the
in-memory publisher writes partition 0, so `project_published()` can later apply what the API
published without its offsets colliding with the seeds'.
"""

from __future__ import annotations

import atexit
import copy
import functools
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.permissions import ROLES
from api.throttle import SignInThrottle
from events import Actor, Envelope, Event, decode, encode
from events.envelope import SYSTEM
from events.reference import ItemDefined, LocationRegistered
from events.serialization import event_id_for, wrap
from events.users import Role, UserCreated, UserRevoked
from projections.registry import PROJECTIONS
from projections.writer import Message, apply_batch
from services.domain.users.credentials import hash_password, token_hash
from services.runtime.publisher import Position
from services.runtime.settings import Settings
from tests.support.fakes import InMemoryPublisher, InProcessCommandBus

SEED_PARTITION = 1
SEEDED_AT = datetime(2026, 2, 15, 9, 0, tzinfo=UTC)

WAREHOUSES = ("wh-casablanca", "wh-marrakech")
SITE = "site-al-haouz"
ITEMS = ("ramadan-basket", "flour-25kg")

REFERENCE_DATA: tuple[Event, ...] = (
    LocationRegistered(
        location_id="wh-casablanca",
        name="Entrepôt Casablanca",
        kind="warehouse",
        region_code="MA06",
        region_name="Casablanca-Settat",
    ),
    LocationRegistered(
        location_id="wh-marrakech",
        name="Entrepôt Marrakech",
        kind="warehouse",
        region_code="MA07",
        region_name="Marrakech-Safi",
    ),
    LocationRegistered(
        location_id=SITE,
        name="Point de distribution Amizmiz",
        kind="site",
        region_code="MA07",
        region_name="Marrakech-Safi",
        province_code="MA0701",
        province_name="Al Haouz",
    ),
    ItemDefined(item_id="ramadan-basket", name="Panier alimentaire Ramadan", unit="basket"),
    ItemDefined(item_id="flour-25kg", name="Farine 25 kg", unit="sack"),
)

# One user per role; the scoped roles are assigned one warehouse, one site, one donor.
USERNAMES: dict[str, str] = {
    "admin": "amina.admin",
    "coordinator": "fatima.coordinator",
    "operator": "youssef.operator",
    "agent": "khadija.agent",
    "donor": "fondation-atlas.donor",
    "auditor": "omar.auditor",
    "monitor": "prometheus.monitor",
    "social_worker": "salma.social",
}
ROLE_SCOPES: dict[str, dict[str, list[str]]] = {
    "operator": {"warehouses": ["wh-casablanca"]},
    "agent": {"sites": [SITE]},
    "donor": {"donors": ["donor-fondation-atlas"]},
    "social_worker": {"sites": [SITE]},
}


class ProjectingPublisher(InMemoryPublisher):
    """Projects what it publishes at once, as a worker would a moment later (browser tests)."""

    def __init__(self, project: Callable[[], None]) -> None:
        super().__init__()
        self._project = project

    def publish(self, stream: str, key: str, envelopes: Sequence[Envelope]) -> Position:
        position = super().publish(stream, key, envelopes)
        self._project()
        return position


@functools.cache
def _password_hash(password: str, pepper: str) -> str:
    """One (slow, on purpose) hash per password for the whole test run: any of a password's
    hashes verifies it."""
    return hash_password(password, pepper)


# The bare harness (migrated read models, reference data, one user per role) once per test
# process and per seeding-relevant settings: each new harness starts on a copy of it, as
# `from_seeded` does, instead of migrating and seeding again (about 0.5-1 s per test).
_BASES: dict[str, Seeded] = {}
_BASES_DIR: Path | None = None


def _bases_dir() -> Path:
    global _BASES_DIR
    if _BASES_DIR is None:
        _BASES_DIR = Path(tempfile.mkdtemp(prefix="aid-harness-bases-"))
        atexit.register(shutil.rmtree, _BASES_DIR, True)
    return _BASES_DIR


@dataclass(frozen=True)
class Seeded:
    """A harness's state once seeded, closed: its files (read models, keys) and what the fake
    publisher and bus hold. `ApiHarness.from_seeded` starts each test on its own copy, so a
    costly seed is made once per test process rather than once per test."""

    directory: Path
    streams: dict[str, list[tuple[str, Envelope]]]
    folded: tuple[dict[str, Any], dict[str, int]]
    seed_offsets: dict[str, int]
    tokens: dict[str, str]


class ApiHarness:
    """An app, its test client, its fake publisher, and one signed-in user per role.

    With `auto_project`, whatever the API publishes is projected at once, so that pages
    driven by a browser read their own writes without calling `project_published()`; without
    `reference_data`, no location or item is there before the test registers its own."""

    _seeded: Seeded | None = None

    def __init__(
        self,
        tmp_path: Path,
        *,
        read_wait_seconds: float = 0.2,
        auto_project: bool = False,
        reference_data: bool = True,
        _from_base: bool = True,
        **settings: Any,
    ) -> None:
        self.settings = Settings(
            database_url=f"sqlite:///{tmp_path}/rm.db",
            data_dir=tmp_path,
            read_wait_seconds=read_wait_seconds,
            **settings,
        )
        # a directory that already holds a read model (a harness started again on the files
        # of an earlier one) keeps it
        if _from_base and not any(tmp_path.glob("*.db")):
            base = self._base(reference_data, settings)
            shutil.copytree(base.directory, tmp_path, dirs_exist_ok=True)
            self._seeded = base
        self.publisher = (
            ProjectingPublisher(self.project_published) if auto_project else InMemoryPublisher()
        )
        self.bus = InProcessCommandBus(self.publisher)
        self.app = create_app(self.settings, self.publisher, self.bus)
        self.client = TestClient(self.app)
        self.tokens: dict[str, str] = {}
        self._seed_offsets: dict[str, int] = defaultdict(int)
        self.reference_data = reference_data

    def _base(self, reference_data: bool, settings: dict[str, Any]) -> Seeded:
        """The bare seeded state for these settings, made on first use in this process. The
        key is every setting but the paths and the read wait, so a setting that changes what
        seeding writes (the token pepper, from the environment too) gets a base of its own."""
        relevant = self.settings.model_dump(
            exclude={"data_dir", "database_url", "read_wait_seconds"}
        )
        key = repr((reference_data, sorted(relevant.items())))
        if key not in _BASES:
            directory = _bases_dir() / f"base-{len(_BASES)}"
            directory.mkdir()
            with ApiHarness(
                directory, reference_data=reference_data, _from_base=False, **settings
            ) as base:
                pass
            _BASES[key] = base.seeded()
        return _BASES[key]

    @classmethod
    def from_seeded(cls, tmp_path: Path, seeded: Seeded, **options: Any) -> ApiHarness:
        """A harness on a copy of a seeded one's files and in-memory state (made with the
        same `options`)."""
        shutil.copytree(seeded.directory, tmp_path, dirs_exist_ok=True)
        harness = cls(tmp_path, _from_base=False, **options)
        harness._seeded = seeded
        return harness

    def seeded(self) -> Seeded:
        """This harness's state, to start others from; call it once the harness is closed."""
        return Seeded(
            directory=self.settings.data_dir,
            streams=copy.deepcopy(dict(self.publisher.streams)),
            folded=self.bus.folded(),
            seed_offsets=dict(self._seed_offsets),
            tokens=dict(self.tokens),
        )

    def __enter__(self) -> ApiHarness:
        self.client.__enter__()  # runs the lifespan: migrates the read model
        # Tests send many wrong tokens on purpose; the throttle's own tests set its limits.
        self.app.state.services.throttle = SignInThrottle(per_client=10**6, per_account=10**6)
        if self._seeded is not None:
            self._restore(self._seeded)
            return self
        if self.reference_data:
            self.apply(*REFERENCE_DATA)
        for role in ROLES:
            self.create_user(USERNAMES[role], role, **ROLE_SCOPES.get(role, {}))
        return self

    def _restore(self, seeded: Seeded) -> None:
        self.publisher.streams.update(copy.deepcopy(seeded.streams))
        self.bus.resume(seeded.folded)
        self._seed_offsets.update(seeded.seed_offsets)
        self.tokens.update(seeded.tokens)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.client.__exit__(exc_type, exc, tb)

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.services.engine
        return engine

    def headers(self, who: str) -> dict[str, str]:
        """The Authorization header of the user created for a role, or of a user by name."""
        return {"Authorization": f"Bearer {self.tokens[USERNAMES.get(who, who)]}"}

    def create_user(
        self, username: str, role: str, *, password: str | None = None, **scopes: list[str]
    ) -> str:
        """Project a UserCreated and return the user's (made-up, unique) token."""
        token = f"aid_test_{username}"
        pepper = self.settings.token_pepper
        self.apply(
            UserCreated(
                username=username,
                role=cast(Role, role),
                token_hash=token_hash(token, pepper),
                password_hash=_password_hash(password, pepper) if password else None,
                **scopes,
            )
        )
        self.tokens[username] = token
        return token

    def revoke_user(self, username: str) -> None:
        self.apply(UserRevoked(username=username))

    def apply(
        self, *events: Event, actor: Actor = SYSTEM, occurred_at: datetime = SEEDED_AT
    ) -> None:
        """Project events as a worker would, as if consumed from the seed partition."""
        for event in events:
            offset = self._seed_offsets[event.STREAM]
            self._seed_offsets[event.STREAM] += 1
            command_id = f"seed:{event.STREAM}:{offset}"
            envelope = wrap(
                event,
                event_id=event_id_for(command_id, 0),
                occurred_at=occurred_at,
                recorded_at=occurred_at,
                actor=actor,
                correlation_id=command_id,
                causation_id=command_id,
            )
            self._project(event.STREAM, [(SEED_PARTITION, offset, envelope)])
            self.bus.observe(envelope)

    def project_published(self) -> None:
        """Apply everything the API published so far, at the offsets the publisher gave it."""
        for stream, pairs in list(self.publisher.streams.items()):
            self._project(stream, [(0, offset, env) for offset, (_, env) in enumerate(pairs)])

    def _project(self, stream: str, records: list[tuple[int, int, Envelope]]) -> None:
        topic = self.settings.topic(stream)
        messages = [
            # Through the wire format, so the projection sees what a consumer would decode.
            Message(topic, partition, offset, *decode(encode(envelope)))
            for partition, offset, envelope in records
        ]
        for projection in PROJECTIONS.values():
            if stream in projection.streams:
                apply_batch(self.engine, projection, messages)

    def published(self, stream: str | None = None) -> list[Envelope]:
        """Envelopes published to one stream, or to all of them."""
        streams = [stream] if stream else list(self.publisher.streams)
        return [env for s in streams for env in self.publisher.envelopes(s)]

    def post(
        self, who: str, path: str, body: Any, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST `body` as a role's user (or a user by name)."""
        return self.client.post(path, json=body, headers=self.headers(who) | (headers or {}))

    def get(self, who: str, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET as a role's user (or a user by name)."""
        return self.client.get(path, params=params, headers=self.headers(who))
