"""Someone who can write to the topics but holds no key cannot append to the ledger.

On the real broker with a running worker: an admin `UserCreated` produced straight to the
users topic (unsigned, or signed with a key of its own) and a copy of a receipt with another
event id and 999 baskets produced straight to the stock topic are parked in the DLQ with
their reasons and change nothing: the forged admins cannot sign in, on hand is unchanged, and
events written afterwards are applied as usual.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest

from events import Actor
from events.serialization import event_id_for, wrap
from events.signing import LedgerKeys
from events.users import UserCreated
from services.domain.users.credentials import new_token, token_hash
from tests.integration.conftest import System
from tests.integration.test_faults import on_hand, parked, receipt_bytes
from tests.integration.test_receipts_end_to_end import register_reference
from tests.support.kafka import CheckedProducer
from tests.support.processes import eventually

pytestmark = pytest.mark.kafka

MALLORY_KEYS = LedgerKeys([b"mallory's own key, not the deployment's " * 2])
STOCK = ("wh-casablanca", "ramadan-basket")


def forged_admin(username: str, token: str, pepper: str) -> dict[str, object]:
    """An admin's UserCreated as the users' writer would write it, but unsigned."""
    now = datetime.now(UTC)
    event = UserCreated(username=username, role="admin", token_hash=token_hash(token, pepper))
    envelope = wrap(
        event,
        event_id=event_id_for(f"forged-{username}", 0),
        occurred_at=now,
        recorded_at=now,
        actor=Actor(user_id="system", role="system"),
        correlation_id=f"forged-{username}",
        causation_id=f"forged-{username}",
    )
    return envelope.model_dump(mode="json", exclude_none=True)


def receive(system: System, admin: dict[str, str], receipt_id: str, quantity: int) -> None:
    body = {"id": receipt_id, "location_id": STOCK[0], "item_id": STOCK[1], "quantity": quantity}
    r = system.client.post("/v1/stock/receipts", headers=admin, json=body)
    assert r.status_code == 201, r.text


@pytest.mark.one_backend("sqlite")
def test_a_forged_admin_and_a_forged_receipt_are_parked_and_change_nothing(
    system: System,
) -> None:
    settings = system.settings
    admin = system.user("amina-admin", "admin")
    register_reference(system, admin)
    receive(system, admin, "rcpt-signed-1", 10)
    eventually(lambda: on_hand(system)[STOCK] == 10, timeout=60, what="the signed receipt")

    unsigned_token, rekeyed_token = new_token(), new_token()
    unsigned_admin = forged_admin("mallory-unsigned", unsigned_token, settings.token_pepper)
    rekeyed_admin = MALLORY_KEYS.signed_payload(
        forged_admin("mallory-rekeyed", rekeyed_token, settings.token_pepper)
    )
    copied = orjson.loads(receipt_bytes(1, STOCK[0], STOCK[1], 10))  # a receipt, as signed
    copied["event_id"] = str(uuid.uuid4())
    copied["data"]["quantity"] = 999
    kafka = CheckedProducer(bootstrap_servers=settings.kafka_bootstrap)
    kafka.send(settings.topic("users"), key=b"mallory-unsigned", value=orjson.dumps(unsigned_admin))
    kafka.send(settings.topic("users"), key=b"mallory-rekeyed", value=orjson.dumps(rekeyed_admin))
    kafka.send(settings.topic("stock"), key=STOCK[0].encode(), value=orjson.dumps(copied))
    kafka.flush(timeout=30)
    kafka.close()

    expected = {
        (settings.topic("users"), "unsigned event"),
        (settings.topic("users"), f"signed with an unknown key {MALLORY_KEYS.signing_key_id!r}"),
        (settings.topic("stock"), "signature does not match the event"),
    }

    def missing() -> set[tuple[str, str]]:
        found = {(str(p["topic"]), str(p["reason"])) for p in parked(settings)}
        return {
            (topic, words)
            for topic, words in expected
            if not any(t == topic and words in reason for t, reason in found)
        }

    eventually(lambda: not missing(), timeout=90, what=f"the forgeries parked: {missing()}")

    # processing went on past them: a receipt written afterwards is applied, the copy is not
    receive(system, admin, "rcpt-signed-2", 5)
    eventually(lambda: on_hand(system)[STOCK] == 15, timeout=60, what="the next receipt")
    later = system.user("after-the-forgeries", "admin")
    assert system.client.get("/v1/inventory", headers=later).status_code == 200
    for token in (unsigned_token, rekeyed_token):
        forged = {"Authorization": f"Bearer {token}"}
        assert system.client.get("/v1/inventory", headers=forged).status_code == 401
    assert on_hand(system)[STOCK] == 15
