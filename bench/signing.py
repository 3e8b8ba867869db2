"""The cost of signed events: signing and verifying one, against encoding and decoding it
(with pydantic alone, `decode`, with the msgspec path to the models, `decode_hot`, and as the
views the inventory and history projections read, `view`, their signature checked on the
bytes as written).

`python -m bench.signing` needs no Kafka and no database and runs in seconds: the stock
events of the projection benchmark's rounds, each encoded by the writers' path with and
without its signature and decoded by the readers' path with and without its verification,
in µs per event (the best of several passes: others share the machine). Ed25519 signing and
verification of the same bytes are measured beside them, the alternative the HMAC was chosen
over (events/signing.py). The hash chain's cost is measured beside them: the writer's encode
with the link against the same encode without it, a record's link as a writer reads it back,
and `aid ledger verify`'s walk. The projection benchmark reports `verify_us_per_event` from the
same function, in the same run as its throughput; the command benchmark reports, in the same
run as its throughput, what signing, chaining and verifying cost per accepted command.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.common import machine, report, size
from bench.workload import Totals, rounds
from events import Envelope, decode, encode
from events.chain import GENESIS, link_of, link_of_record
from events.hot_decode import decode_hot, view
from events.signing import LedgerKeys, canonical_form
from services.runtime.ledger_verify import verify_records
from services.runtime.settings import Settings

PASSES = 5


def per_event(work: Callable[[], object], count: int) -> float:
    """µs per event of `work` (which handles `count` events), the best of PASSES, with the
    garbage collector off as timeit has it (its pauses would land on whichever pass); CPU
    time of this process, so what others run on the shared cores is not counted."""
    best = float("inf")
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(PASSES):
            started = time.process_time()
            work()
            best = min(best, time.process_time() - started)
    finally:
        if collecting:
            gc.enable()
    return round(best / count * 1e6, 2)


def sample(events: int) -> list[bytes]:
    """The signed values of the stock events of `events` events' worth of rounds."""
    return [value for _, _, value in rounds("bench.", events, Totals(), with_distributions=False)]


def costs(raws: Sequence[bytes], keys: LedgerKeys) -> dict[str, float]:
    """µs per event: encode and decode alone, then with the signature made and checked, and
    the signing and the verifying alone (of the JSON as read: canonical form and HMAC)."""
    envelopes: list[Envelope] = [decode(raw)[0] for raw in raws]
    payloads = [orjson.loads(raw) for raw in raws]
    n = len(raws)
    return {
        "encode_us_per_event": per_event(lambda: [encode(e) for e in envelopes], n),
        "sign_and_encode_us_per_event": per_event(lambda: [keys.encode(e) for e in envelopes], n),
        "decode_us_per_event": per_event(lambda: [decode(r) for r in raws], n),
        "decode_and_verify_us_per_event": per_event(
            lambda: [decode(r, keys.verify) for r in raws], n
        ),
        "decode_hot_us_per_event": per_event(lambda: [decode_hot(r) for r in raws], n),
        "decode_hot_and_verify_us_per_event": per_event(
            lambda: [decode_hot(r, keys.verify) for r in raws], n
        ),
        "sign_us_per_event": per_event(lambda: [keys.signed_payload(p) for p in payloads], n),
        "verify_us_per_event": per_event(lambda: [keys.verify(p) for p in payloads], n),
        # what a projection reading views spends: the Structs, and the signature on the bytes
        "view_us_per_event": per_event(lambda: [view(r) for r in raws], n),
        "view_and_verify_us_per_event": per_event(
            lambda: [_view_verified(r, keys) for r in raws], n
        ),
    }


def _view_verified(raw: bytes, keys: LedgerKeys) -> None:
    viewed = view(raw)
    assert viewed is not None and keys.written_by(raw, viewed[0].key_id, viewed[0].signature)


def chain_costs(raws: Sequence[bytes], keys: LedgerKeys) -> dict[str, float]:
    """µs per event of the hash chain: what chaining adds to a write (`link_of` of the signed
    event, the `prev` of the next: the one step `encode_chained` has beyond `encode`), the
    whole chained encode, the link of a record as a writer reads it back after a restart
    (`link_of_record`), and `aid ledger verify`'s walk (signature and link of every record)."""
    envelopes: list[Envelope] = [decode(raw)[0] for raw in raws]
    n = len(raws)
    log: list[bytes] = []
    prev = GENESIS
    for envelope in envelopes:
        value, prev = keys.encode_chained(envelope, prev)
        log.append(value)
    signed = [orjson.loads(value) for value in log]
    walked = verify_records("bench.stock", 0, enumerate(log), keys)
    assert walked.ok and walked.events == n, walked.line()

    def chained() -> None:
        prev = GENESIS
        for envelope in envelopes:
            _, prev = keys.encode_chained(envelope, prev)

    return {
        "link_us_per_event": per_event(lambda: [link_of(p) for p in signed], n),
        "sign_chain_and_encode_us_per_event": per_event(chained, n),
        "link_of_record_us_per_event": per_event(lambda: [link_of_record(v) for v in log], n),
        "ledger_verify_us_per_event": per_event(
            lambda: verify_records("bench.stock", 0, enumerate(log), keys), n
        ),
    }


# The events an accepted command writes (each signed and chained once by its writer), and the
# streams they are written to; every projection and policy reading a stream verifies each of
# its events (a decider folds only others' events: its own are folded as it decides them).
COMMAND_EVENTS = {
    "distributions": ("distributions", "stock"),  # AidDistributed; the policy's StockDistributed
    "dispatches": ("stock",),  # TransferDispatched
}


def readers_of(stream: str) -> int:
    """The projections and policies of a worker that read (and verify) every event of it."""
    from projections.registry import PROJECTIONS
    from services.runtime.policies import REACTIONS

    projections = sum(stream in p.streams for p in PROJECTIONS.values())
    policies = int(stream in REACTIONS) + int(stream == "distributions")  # consume-site-stock
    return projections + policies


def in_commands(figures: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """What signing, chaining and verifying cost on the command path, beside its throughput
    measured in the same run: µs per accepted command (its events signed and chained once,
    verified by each of their readers) and the share of one core that takes at the rate
    reached."""
    raws = sample(size("signing_events", 20_000))
    keys = settings.ledger()
    per = costs(raws, keys) | chain_costs(raws, keys)
    write = per["sign_us_per_event"] + per["link_us_per_event"]
    found: dict[str, Any] = {
        "sign_us_per_event": per["sign_us_per_event"],
        "chain_us_per_event": per["link_us_per_event"],
        "verify_us_per_event": per["verify_us_per_event"],
    }
    for name, streams in COMMAND_EVENTS.items():
        reads = sum(readers_of(stream) for stream in streams)
        cost = len(streams) * write + reads * per["verify_us_per_event"]
        found[f"{name}_events_written"], found[f"{name}_verifications"] = len(streams), reads
        found[f"{name}_ledger_us_per_command"] = round(cost, 1)
        rate = figures.get(name, {}).get("per_s")
        if rate:
            found[f"{name}_ledger_share_of_a_core"] = round(cost * rate / 1e6, 4)
    return found


def in_projection(figures: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The verification's cost beside a projection's throughput measured in the same run:
    µs per event, and its share of the time each projected event took."""
    count = min(figures["events"], size("signing_events", 20_000))
    verify = costs(sample(count), settings.ledger())
    found: dict[str, Any] = {
        "decode_us_per_event": verify["decode_us_per_event"],
        "decode_hot_us_per_event": verify["decode_hot_us_per_event"],
        "verify_us_per_event": verify["verify_us_per_event"],
    }
    for name in ("sqlite", "postgresql"):
        rate = figures.get(f"{name}_events_per_s")
        if rate:
            found[f"verify_share_of_{name}"] = round(verify["verify_us_per_event"] * rate / 1e6, 3)
    return found


def ed25519_costs(envelopes: Sequence[Envelope]) -> dict[str, float]:
    """µs per event of Ed25519 over the same canonical forms (the alternative not taken)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    forms = [canonical_form(e) for e in envelopes]
    signatures = [key.sign(f) for f in forms]
    n = len(forms)
    return {
        "ed25519_sign_us_per_event": per_event(lambda: [key.sign(f) for f in forms], n),
        "ed25519_verify_us_per_event": per_event(
            lambda: [public.verify(s, f) for s, f in zip(signatures, forms, strict=True)], n
        ),
    }


def main() -> dict[str, Any]:
    raws = sample(size("signing_events", 20_000))
    figures: dict[str, Any] = {"events": len(raws)}
    figures |= costs(raws, Settings().ledger())
    figures |= chain_costs(raws, Settings().ledger())
    figures |= ed25519_costs([decode(r)[0] for r in raws[:2_000]])
    figures["sign_vs_encode"] = round(
        figures["sign_and_encode_us_per_event"] / figures["encode_us_per_event"], 3
    )
    figures["chain_vs_sign_and_encode"] = round(
        figures["link_us_per_event"] / figures["sign_and_encode_us_per_event"], 3
    )
    figures["verify_vs_decode"] = round(
        figures["decode_and_verify_us_per_event"] / figures["decode_us_per_event"], 3
    )
    return report("signing and verifying events (HMAC-SHA256; Ed25519 beside)", figures, machine())


if __name__ == "__main__":
    main()
