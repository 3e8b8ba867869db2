"""The household keys live in a database of their own, never beside the read models.

A read-model backup therefore holds no key: restoring one after an erasure cannot bring the
erased person back. Keys that earlier versions kept in the read-model database move out at
start-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select

from projections.database import make_engine, migrate
from projections.key_store import SqlKeyStore, household_keys
from services.domain.privacy import PersonalData
from tests.support.api import ApiHarness
from tests.unit.test_households_api import FATIMA, MOHAMED


def keys_in(url: str) -> int:
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("household_keys"):
            return 0
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(household_keys)) or 0)
    finally:
        engine.dispose()


def test_registered_keys_are_kept_outside_the_read_model_and_erasure_destroys_them(
    tmp_path: Path,
) -> None:
    with ApiHarness(tmp_path) as api:
        for person in (FATIMA, MOHAMED):
            assert api.post("agent", "/v1/households", person.body()).status_code == 201
        api.project_published()
        read_models, keys = api.settings.db_url, api.settings.key_store_db_url
        counted = keys_in(read_models), keys_in(keys)
        erased = api.client.delete(
            f"/v1/households/{FATIMA.household_id}/personal-data", headers=api.headers("admin")
        )

        assert erased.status_code == 200, erased.text
        assert keys != read_models
        assert counted == (0, 2)  # a read-model backup holds no key to restore
        assert keys_in(keys) == 1


def test_keys_left_in_the_read_model_by_an_earlier_version_move_out_at_start(
    tmp_path: Path,
) -> None:
    read_models = make_engine(f"sqlite:///{tmp_path}/rm.db")
    migrate(read_models)  # revision 0002 made household_keys in the read-model database
    with read_models.begin() as conn:
        conn.execute(household_keys.insert(), [{"household_id": "hh-old", "wrapped_key": b"k"}])
    read_models.dispose()

    with ApiHarness(tmp_path) as api:
        store = api.app.state.services.personal.keys

        assert store.get("hh-old") == b"k"
    assert keys_in(f"sqlite:///{tmp_path}/rm.db") == 0


def test_the_key_store_refuses_the_read_models_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/{os.getpid()}.db")
    with pytest.raises(ValueError, match="must not share"):
        SqlKeyStore(engine).adopt(engine)


def test_a_key_is_released_only_by_the_person_who_claimed_it(tmp_path: Path) -> None:
    store = SqlKeyStore(make_engine(f"sqlite:///{tmp_path}/keys.db"))
    store.create()
    assert store.put("hh-1", b"k1", claimed_by="p-fatima")

    refused_other = store.release("hh-1", "p-mohamed")
    claim = store.claimant("hh-1")
    released_own = store.release("hh-1", "p-fatima")

    assert (refused_other, claim, released_own) == (False, (True, "p-fatima"), True)
    assert store.get("hh-1") is None


def test_a_key_table_of_an_earlier_version_gains_its_claims_and_keeps_its_keys(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/keys.db")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE household_keys (household_id VARCHAR(64) PRIMARY KEY,"
            " wrapped_key BLOB NOT NULL)"
        )
        conn.exec_driver_sql("INSERT INTO household_keys VALUES ('hh-old', x'6b')")
    store = SqlKeyStore(engine)

    store.create()

    assert store.get("hh-old") == b"k"
    assert store.claimant("hh-old") == (True, None)  # nobody's: never released by a refusal
    assert not store.release("hh-old", "p-anyone")


def test_a_batch_claims_and_seals_at_once_as_one_by_one_would(database_url: str) -> None:
    store = SqlKeyStore(make_engine(database_url))
    store.create()
    personal = PersonalData(store, "master-key-of-the-tests")
    personal.claim("hh-taken", "p-mohamed")
    first = personal.claim_and_seal([("hh-1", "p-fatima", {"head_name": "Fatima"})])

    batch = personal.claim_and_seal(
        [
            ("hh-2", "p-aicha", {"head_name": "Aïcha"}),
            ("hh-1", "p-fatima", {"head_name": "Fatima"}),  # a retry: the same person
            ("hh-taken", "p-omar", {"head_name": "Omar"}),  # another person's id
        ]
    )

    assert batch[1] == first[0]  # the key kept, hence the same command again
    assert batch[2] is None
    assert personal.open("hh-2", batch[0]) == {"head_name": "Aïcha"}
    assert personal.open("hh-1", batch[1]) == {"head_name": "Fatima"}
    assert store.claims(["hh-1", "hh-2", "hh-taken", "hh-none"]).keys() == {
        "hh-1",
        "hh-2",
        "hh-taken",
    }
    assert store.claimant("hh-taken") == (True, "p-mohamed")


def test_a_batch_of_thousands_of_keys_stores_the_new_ones_and_names_only_those(
    database_url: str,
) -> None:
    store = SqlKeyStore(make_engine(database_url))
    store.create()
    kept = [(f"hh-{n}", b"kept", "p-before") for n in range(0, 2500, 5)]
    store.put_many(kept)
    keys = [(f"hh-{n}", b"new", f"p-{n}") for n in range(2500)]

    stored = store.put_many(keys)

    assert stored == {f"hh-{n}" for n in range(2500) if n % 5}
    assert store.claimant("hh-5") == (True, "p-before") and store.get("hh-5") == b"kept"
    assert store.claimant("hh-6") == (True, "p-6") and store.get("hh-6") == b"new"
