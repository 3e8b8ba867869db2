"""A donor's proof: the Atlas gift's trace, its stock events chained to a signed checkpoint,
checked by the standalone verifier (events/verify_proof.py); and each way of tampering with it
caught, with its reason.

The quake scenario of test_relief_api runs on the in-memory publisher (partition 0 of the
stock topic); here that partition is signed and chained as the deciders write it, a
checkpoint signed over its head, and the API reads the log through a fake reader.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from events.chain import GENESIS, link_of
from events.checkpoints import CheckpointKey
from events.signing import LedgerKeys, canonical
from projections.ledger_queries import record_checkpoint
from services.app.errors import BrokerUnavailable
from services.runtime.settings import Settings
from tests.support.api import ApiHarness
from tests.unit.test_kit_donor_trace import api as kits  # noqa: F401
from tests.unit.test_relief_api import ATLAS, ATLAS_USER, GIFT, OTHER_GIFT, quake  # noqa: F401
from tests.unit.test_serialization import SAMPLES, wrapped
from tests.unit.test_web_ui import PASSWORD, sign_in

SCRIPT = Path(__file__).resolve().parents[2] / "events" / "verify_proof.py"


def load_verifier() -> Any:
    spec = importlib.util.spec_from_file_location("verify_proof", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_proof"] = module
    spec.loader.exec_module(module)
    return module


verifier = load_verifier()


def chained_log(api: ApiHarness) -> list[tuple[int, bytes]]:
    """The stock partition as the decider writes it: each event signed and linked."""
    keys: LedgerKeys = api.settings.ledger()
    prev, records = GENESIS, []
    for offset, envelope in enumerate(api.published("stock")):
        raw, prev = keys.encode_chained(envelope, prev)
        records.append((offset, raw))
    return records


def checkpoint(settings: Settings, records: list[tuple[int, bytes]], upto: int) -> dict[str, Any]:
    head = link_of(json.loads(records[upto][1]))
    body = {
        "type": "LedgerCheckpoint",
        "issued_at": "2026-03-04T00:00:00+00:00",
        "heads": [
            {
                "topic": settings.topic("stock"),
                "partition": 0,
                "offset": upto,
                "events": upto + 1,
                "head": head,
            }
        ],
    }
    return settings.checkpoints().sign(body)


@pytest.fixture(scope="module")
def log(quake: ApiHarness) -> list[tuple[int, bytes]]:  # noqa: F811
    return chained_log(quake)


@pytest.fixture
def served(
    quake: ApiHarness,  # noqa: F811
    log: list[tuple[int, bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ApiHarness]:
    def read(settings: Settings, topic: str, partition: int, first: int, last: int) -> Any:
        assert (topic, partition) == (settings.topic("stock"), 0)
        return [(o, raw) for o, raw in log if first <= o <= last]

    monkeypatch.setattr(quake.app.state.services, "read_log", read)
    yield quake


@pytest.fixture(scope="module")
def published(quake: ApiHarness, log: list[tuple[int, bytes]]) -> dict[str, Any]:  # noqa: F811
    body = checkpoint(quake.settings, log, len(log) - 1)
    record_checkpoint(quake.engine, body, datetime(2026, 3, 4))
    return body


def proof_of(api: ApiHarness, who: str = "coordinator") -> dict[str, Any]:
    response = api.get(who, f"/v1/donations/{GIFT}/trace", params={"proof": 1})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def key_of(api: ApiHarness) -> bytes:
    return api.settings.checkpoints().public_key


def fails(api: ApiHarness, document: dict[str, Any], reason: str) -> None:
    with pytest.raises(verifier.Failure) as failure:
        verifier.verify(document, key_of(api))
    assert reason in str(failure.value), failure.value


def distributions(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for part in document["proof"]["partitions"]
        for e in part["events"]
        if e["event"]["type"] == "StockDistributed" and e["event"]["data"]["donation_id"] == GIFT
    ]


# ---- the verifier's canonical form is the system's ------------------------------------------


@pytest.mark.parametrize("type_name", list(SAMPLES))
def test_the_verifier_computes_the_canonical_form_and_links_of_the_system(type_name: str) -> None:
    keys = LedgerKeys([b"a ledger key for the canonical form"])
    raw, link = keys.encode_chained(wrapped(SAMPLES[type_name]), GENESIS)
    payload = json.loads(raw)
    assert verifier.canonical(payload) == canonical(payload)
    assert verifier.link_of(payload) == link_of(payload) == link


def test_the_canonical_form_holds_for_text_in_every_script_and_nested_lists() -> None:
    payload = {
        "z": [{"b": "Séisme d'Al Haouz", "a": "زلزال الحوز"}, 1, -2, None, True],
        "a": {"y": 'tab\there "quoted" \\ \u0001', "x": ["€", "😀"]},
        "signature": "ff",
    }
    assert verifier.canonical(payload) == canonical(payload)
    assert verifier.link_of(payload) == link_of(payload)


# ---- a proof verifies, and each tampering fails with its reason -------------------------------


def test_the_donors_proof_verifies_against_the_checkpoint(
    served: ApiHarness, published: dict[str, Any]
) -> None:
    document = proof_of(served, ATLAS_USER)
    proof = document["proof"]
    assert proof["checkpoint"] == published
    assert proof["trace"] == {k: v for k, v in document.items() if k != "proof"}
    assert len(distributions(document)) == 350
    said = verifier.verify(document, key_of(served))
    assert said.startswith(f"OK: donation {GIFT}: ")
    assert "received, in stock, in transit, lost, distributed" in said


def test_a_proof_names_no_household(served: ApiHarness, published: dict[str, Any]) -> None:
    text = json.dumps(proof_of(served)["proof"])
    assert "hh-al-haouz" not in text  # no household id, not even pseudonymous
    for hidden in ("identity", "national_id", "sealed_personal_data", "head_name"):
        assert f'"{hidden}' not in text


def test_an_altered_distribution_breaks_the_chain(
    served: ApiHarness, published: dict[str, Any]
) -> None:
    document = proof_of(served)
    distributions(document)[3]["event"]["data"]["quantity"] = 2
    fails(served, document, "link broken (its prev")


def test_an_altered_distribution_rechained_does_not_reach_the_checkpoint(
    served: ApiHarness, published: dict[str, Any]
) -> None:
    document = proof_of(served)
    distributions(document)[3]["event"]["data"]["quantity"] = 2
    for part in document["proof"]["partitions"]:  # links are public: recompute them all
        prev = part["events"][0]["event"]["prev"]
        for entry in part["events"]:
            entry["event"]["prev"] = prev
            prev = link_of(entry["event"])
    fails(served, document, "the chain does not reach the checkpoint's head")


def test_a_trace_that_does_not_add_up_from_its_events_fails(
    served: ApiHarness, published: dict[str, Any]
) -> None:
    document = proof_of(served)
    document["proof"]["trace"]["distributed"]["quantity"] = 351
    fails(served, document["proof"], "the trace says distributed 351, the events add up to 350")
    document = proof_of(served)
    document["proof"]["trace"]["lost"] = 0
    fails(served, document["proof"], "the trace says lost 0, the events add up to 20")
    document = proof_of(served)
    document["received"] = 2000  # the trace shown, not the one proved
    fails(served, document, "the trace shown beside the proof is not the trace the proof is of")


def test_a_removed_event_breaks_the_chain(served: ApiHarness, published: dict[str, Any]) -> None:
    document = proof_of(served)
    gone = distributions(document)[10]
    for part in document["proof"]["partitions"]:
        part["events"] = [e for e in part["events"] if e is not gone]
    fails(served, document, "link broken (its prev")


def test_a_reordered_pair_breaks_the_chain(served: ApiHarness, published: dict[str, Any]) -> None:
    document = proof_of(served)
    first, second = distributions(document)[4:6]
    first["event"], second["event"] = second["event"], first["event"]
    fails(served, document, f"offset {first['offset']}: link broken")
    document = proof_of(served)
    events = document["proof"]["partitions"][0]["events"]
    events[4], events[5] = events[5], events[4]  # with their offsets
    fails(served, document, f"offset {events[4]['offset']}: link broken")
    events[4], events[5] = events[5], events[4]
    events[4]["offset"], events[5]["offset"] = events[5]["offset"], events[4]["offset"]
    fails(served, document, f"offset {events[5]['offset']}: offsets out of order")


def test_a_wrong_checkpoint_signature_fails(served: ApiHarness, published: dict[str, Any]) -> None:
    document = proof_of(served)
    signature = document["proof"]["checkpoint"]["signature"]
    document["proof"]["checkpoint"]["signature"] = ("0" if signature[0] != "0" else "1") + (
        signature[1:]
    )
    fails(served, document, "the checkpoint's signature does not match it")
    document = proof_of(served)
    forged = CheckpointKey(b"\x07" * 32).sign(document["proof"]["checkpoint"])
    document["proof"]["checkpoint"] = forged
    fails(served, document, f"signed with key {forged['key_id']}, not with yours")


def test_the_script_prints_ok_or_the_failure_and_exits_accordingly(
    served: ApiHarness, published: dict[str, Any], tmp_path: Path
) -> None:
    document = proof_of(served)
    saved = tmp_path / "proof.json"
    saved.write_text(json.dumps(document))
    key = key_of(served).hex()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(saved), "--public-key", key],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("OK: "), done.stdout + done.stderr
    altered = copy.deepcopy(document)
    distributions(altered)[0]["event"]["data"]["quantity"] = 5
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "-", "--public-key", key],
        input=json.dumps(altered),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and done.stdout.startswith("FAILED: "), done.stdout


# ---- when no proof can be given -----------------------------------------------------------


def test_without_a_checkpoint_covering_the_donation_the_answer_is_409(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.test_relief_api import ATLAS, CASABLANCA, donate, donors, march, pinned

    with ApiHarness(tmp_path) as api:
        pinned(api, march(1, 8))
        donors(api, (ATLAS, "Fondation Atlas"))
        donate(api, GIFT, ATLAS, CASABLANCA, 10, lot="ATL-1")
        response = api.get("coordinator", f"/v1/donations/{GIFT}/trace", params={"proof": 1})
        assert response.status_code == 409 and response.json()["error"] == "no_checkpoint"
        log = chained_log(api)
        donate(api, OTHER_GIFT, ATLAS, CASABLANCA, 5, lot="ATL-2")
        record_checkpoint(api.engine, checkpoint(api.settings, log, len(log) - 1), datetime.now())
        monkeypatch.setattr(api.app.state.services, "read_log", lambda *_: log)
        response = api.get("coordinator", f"/v1/donations/{OTHER_GIFT}/trace", params={"proof": 1})
        assert response.status_code == 409 and response.json()["error"] == "not_checkpointed"
        response = api.get("coordinator", f"/v1/donations/{GIFT}/trace", params={"proof": 1})
        assert response.status_code == 200, response.text
        assert verifier.verify(response.json(), key_of(api)).startswith("OK: ")


# ---- the donor's page ----------------------------------------------------------------------


def test_the_donor_page_offers_the_proof_and_says_what_it_proves(
    served: ApiHarness, published: dict[str, Any]
) -> None:
    served.create_user("atlas.web", "donor", password=PASSWORD, donors=[ATLAS])
    sign_in(served, "donor", username="atlas.web", password=PASSWORD)

    page = served.client.get("/donor", params={"donation_id": GIFT})

    assert page.status_code == 200, page.text
    assert f'href="/donor/proof/{GIFT}"' in page.text
    assert "verify_proof.py" in page.text
    download = served.client.get(f"/donor/proof/{GIFT}")
    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"] == f'attachment; filename="proof-{GIFT}.json"'
    assert verifier.verify(download.json(), key_of(served)).startswith("OK: ")
    assert served.client.get(f"/donor/proof/{OTHER_GIFT}").status_code == 403


def serve_proofs(api: ApiHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chain what the API published so far, checkpoint it, and let the API read it."""
    log = chained_log(api)
    record_checkpoint(api.engine, checkpoint(api.settings, log, len(log) - 1), datetime.now())

    def read(settings: Settings, topic: str, partition: int, first: int, last: int) -> Any:
        return [(o, raw) for o, raw in log if first <= o <= last]

    monkeypatch.setattr(api.app.state.services, "read_log", read)


def test_a_gift_inside_kits_is_proved_for_its_own_lots(
    kits: ApiHarness,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.unit.test_kit_donor_trace import BASKET, MARRAKECH, SITE, march, pinned
    from tests.unit.test_relief_api import (
        distribute,
        ok,
        open_campaign,
        open_operation,
        register_households,
    )

    clock = pinned(kits, march(1, 10))
    body = {"id": "tr-baskets", "from_location_id": MARRAKECH, "to_location_id": SITE,
            "lines": [{"item_id": BASKET, "quantity": 20}]}  # fmt: skip
    ok(kits.post("admin", "/v1/stock/transfers", body))
    kits.project_published()
    clock.moment = march(1, 15)
    lines = {"lines": [{"item_id": BASKET, "quantity": 20}]}
    ok(kits.post("admin", "/v1/stock/transfers/tr-baskets/receipt", lines))
    kits.project_published()
    open_operation(kits)
    open_campaign(kits)
    register_households(kits, 10)
    clock.moment = march(3, 10)
    distribute(kits, 10)
    serve_proofs(kits, monkeypatch)

    document = proof_of(kits)

    assert document["through_kits"]["units_handed"] == 75  # in the trace, taken as given
    assert verifier.verify(document, key_of(kits)).startswith(f"OK: donation {GIFT}: ")
    document["proof"]["trace"]["in_stock"] = [{"location_id": MARRAKECH, "quantity": 1}]
    said = "the trace says in stock {'wh-marrakech': 1}, the events add up to {}"
    fails(kits, document["proof"], said)


def test_a_log_that_cannot_be_read_is_503(
    served: ApiHarness, published: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: Any) -> Any:
        raise BrokerUnavailable("cannot read the log: Kafka unreachable")

    monkeypatch.setattr(served.app.state.services, "read_log", down)
    response = served.get("coordinator", f"/v1/donations/{GIFT}/trace", params={"proof": 1})
    assert response.status_code == 503, response.text


def test_cash_spent_on_two_items_is_proved_item_by_item(
    kits: ApiHarness,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Fondation Atlas's 20,000 dirhams buy 40 kg of flour and 100 L of oil at Marrakech;
    30 L go on the road, 4 kg are lost. The proof checks each item; moving one unit from one
    item to the other (the totals unchanged) or changing one item alone is caught."""
    from tests.unit.test_kit_donor_trace import FLOUR, MARRAKECH, OIL, SITE
    from tests.unit.test_relief_api import ok

    cash = {"id": "don-cash", "donor_id": ATLAS, "amount": "20000", "currency": "MAD"}
    ok(kits.post("coordinator", "/v1/cash-donations", cash))
    kits.project_published()
    for item, quantity, amount in ((FLOUR, 40, "4000"), (OIL, 100, "9000")):
        ok(kits.post("admin", "/v1/purchases", {
            "id": f"buy-{item}", "donation_id": "don-cash", "supplier": "Souk Al Had",
            "location_id": MARRAKECH, "item_id": item, "quantity": quantity, "amount": amount,
            "currency": "MAD"}))  # fmt: skip
    kits.project_published()
    ok(kits.post("admin", "/v1/stock/transfers", {
        "id": "tr-oil", "from_location_id": MARRAKECH, "to_location_id": SITE,
        "lines": [{"item_id": OIL, "quantity": 30, "lot": f"buy-{OIL}"}]}))  # fmt: skip
    ok(kits.post("admin", "/v1/stock/adjustments", {
        "location_id": MARRAKECH, "item_id": FLOUR, "lot": f"buy-{FLOUR}", "quantity": 4,
        "reason": "lost"}))  # fmt: skip
    kits.project_published()
    serve_proofs(kits, monkeypatch)

    answer = kits.get("coordinator", "/v1/donations/don-cash/trace", params={"proof": 1})
    assert answer.status_code == 200, answer.text
    document = answer.json()

    figures = [(i["item_id"], i["received"], i["in_stock"], i["in_transit"], i["lost"])
               for i in document["items"]]  # fmt: skip
    assert figures == [(FLOUR, 40, 36, 0, 4), (OIL, 100, 70, 30, 0)]
    said = verifier.verify(document, key_of(kits))
    assert said.startswith("OK: donation don-cash: ") and "per item" in said
    moved = copy.deepcopy(document["proof"])
    moved["trace"]["items"][0]["in_stock"] -= 1
    moved["trace"]["items"][1]["in_stock"] += 1
    fails(kits, moved, f"the trace says {FLOUR}: in stock 35, the events add up to 36")
    alone = copy.deepcopy(document["proof"])
    alone["trace"]["items"][1]["lost"] = 1
    fails(kits, alone, "the trace's items add up to lost 5, its total says 4")
    gone = copy.deepcopy(document["proof"])
    del gone["trace"]["items"][0]
    fails(kits, gone, "the trace's items add up to received 100, its total says 140")
