#!/usr/bin/env python3
"""Check an AidLedger donation proof on your own machine: no access to the system needed.

    python3 verify_proof.py PROOF.json --public-key HEX
    curl … '/v1/donations/ID/trace?proof=1' | python3 verify_proof.py - --public-key HEX

PROOF.json is the answer of `GET /v1/donations/{id}/trace?proof=1` (or its `proof` alone);
HEX is the checkpoint public key (64 hex digits) you got from the organisation and kept
(`GET /v1/ledger/checkpoints` shows it as `public_key`; `--public-key-file FILE` reads it from
a file). Needs Python 3.10+ and the `cryptography` package (`pip install cryptography`).

It checks, in order, and stops at the first failure (exit 1), else prints OK (exit 0):
0. the trace shown beside the proof is the one the proof is of;
1. the checkpoint is signed (Ed25519) by that key;
2. in every partition given, each event names the hash of the one before it (`prev`), and
   the last event is the checkpoint's head, at the checkpoint's offset;
3. the quantities of the trace (received, in stock by location, in transit, lost,
   distributed with its breakdowns) are what the events add up to (the shares of kits in
   stock, `in_kits` of each location, on their way, `in_kits_in_transit`, handed out and
   lost, `through_kits`, taken out);
4. item by item (the trace's `items`: a cash donation buys several), each part summed over
   the items is the trace's total (the parts inside kits included), and the items, with
   their received, in stock, in transit, lost and distributed, are what the events add up
   to (the item's shares of kits taken out the same way).
It cannot check the events' own signatures (an HMAC under the organisation's secret key),
the households counts (not in a proof), nor the shares inside kits (taken as given, in
total and per item: only that the items' shares sum to the totals). A trace from before
`items` existed has none: step 4 is then skipped. A proof of format
`aidledger-donation-proof/1` is of a trace from before the units inside kits in stock and on
their way were counted in `in_stock` and `in_transit`: nothing is taken out of those then.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

FORMAT = "aidledger-donation-proof/2"
FORMAT_KITS_APART = "aidledger-donation-proof/1"  # kits in stock or on their way not counted
RECEIPT_KINDS = ("StockReceived", "StockReceiptVoided")
LOSS_KINDS = ("StockAdjusted", "StockCounted", "StockAdjustmentVoided", "StockCountVoided")
PER_ITEM = ("received", "in_stock", "in_transit", "lost", "distributed")
VOIDS = (
    "StockReceiptVoided",
    "StockAdjustmentVoided",
    "StockCountVoided",
    "StockDistributionVoided",
)


class Failure(Exception):
    """Why the proof does not hold."""


def canonical_json(value: Any) -> bytes:
    """JSON with keys sorted at every level and no whitespace, UTF-8 (as the system writes)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def canonical(envelope: dict[str, Any]) -> bytes:
    """What an event's signature covers: the envelope without `signature`."""
    return canonical_json({k: v for k, v in envelope.items() if k != "signature"})


def link_of(envelope: dict[str, Any]) -> str:
    """The hash the next event carries as `prev`: of the whole envelope, signature included."""
    return hashlib.sha256(canonical_json(envelope)).hexdigest()


def check_checkpoint(checkpoint: dict[str, Any], public_key: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        named = bytes.fromhex(str(checkpoint["public_key"]))
        signature = bytes.fromhex(str(checkpoint["signature"]))
    except (KeyError, ValueError) as exc:
        raise Failure("the checkpoint has no readable public_key and signature") from exc
    if named != public_key:
        raise Failure(
            f"the checkpoint is signed with key {hashlib.sha256(named).hexdigest()[:12]}, "
            f"not with yours ({hashlib.sha256(public_key).hexdigest()[:12]})"
        )
    body = {k: v for k, v in checkpoint.items() if k != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, canonical_json(body))
    except (InvalidSignature, ValueError) as exc:
        raise Failure("the checkpoint's signature does not match it") from exc


def check_chains(proof: dict[str, Any]) -> list[dict[str, Any]]:
    """Every event tied to the checkpoint's head; the events, partition by partition."""
    heads = {(h["topic"], h["partition"]): h for h in proof["checkpoint"]["heads"]}
    events: list[dict[str, Any]] = []
    seen = set()
    for part in proof["partitions"]:
        where = f"{part['topic']}[{part['partition']}]"
        if where in seen:
            raise Failure(f"{where} is given twice")
        seen.add(where)
        head = heads.get((part["topic"], part["partition"]))
        if head is None:
            raise Failure(f"{where}: the checkpoint has no head for this partition")
        entries = part["events"]
        if not entries:
            raise Failure(f"{where}: no events")
        link, offset = None, -1
        for entry in entries:
            event = entry["event"]
            if not isinstance(event, dict):
                raise Failure(f"{where} offset {entry['offset']}: not an event")
            if entry["offset"] <= offset:
                raise Failure(f"{where} offset {entry['offset']}: offsets out of order")
            if link is not None and event.get("prev") != link:
                raise Failure(
                    f"{where} offset {entry['offset']}: link broken (its prev "
                    f"{str(event.get('prev'))[:16]}… is not the hash of the event before it, "
                    f"{link[:16]}…): an event was changed, removed, added or moved"
                )
            link, offset = link_of(event), entry["offset"]
            events.append(event)
        if offset != head["offset"]:
            raise Failure(
                f"{where}: the last event is at offset {offset}, the checkpoint's head at "
                f"{head['offset']}"
            )
        if link != head["head"]:
            raise Failure(
                f"{where} offset {offset}: the chain does not reach the checkpoint's head "
                f"({str(link)[:16]}… is not {str(head['head'])[:16]}…): an event was changed"
            )
    return events


def lot_changes(kind: str, data: dict[str, Any]) -> list[tuple[str, str, str | None, int]]:
    """(location, item, donation, quantity) of each lot an event moves (the stock card's
    lines)."""
    if kind in ("StockReceived", "StockAdjusted"):
        return [(data["location_id"], data["item_id"], data.get("donation_id"), data["quantity"])]
    if kind == "StockCounted":
        return [(data["location_id"], data["item_id"], data.get("donation_id"), data["variance"])]
    if kind == "StockDistributed":
        return [(data["location_id"], data["item_id"], data.get("donation_id"),
                 -data["quantity"])]  # fmt: skip
    where, lines, sign = {
        "TransferDispatched": ("from_location_id", "lines", -1),
        "TransferReceived": ("to_location_id", "lines", 1),
        "TransferReturned": ("from_location_id", "lines", 1),
        "KitsAssembled": ("location_id", "components", -1),
        "KitsDisassembled": ("location_id", "components", 1),
    }.get(kind, ("location_id", "lines", 1) if kind in VOIDS else ("", "", 0))
    if not sign:
        return []
    return [(data[where], ln["item_id"], ln.get("donation_id"), sign * ln["quantity"])
            for ln in data[lines]]  # fmt: skip


def month_of(occurred_at: str) -> str:
    when = datetime.fromisoformat(occurred_at.replace("Z", "+00:00"))
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)  # noqa: UP017 (Python 3.10 has no UTC)
    return when.strftime("%Y-%m")


def recompute(donation_id: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The donation's own quantities, as the trace counts them, from the events: in total
    and item by item (`items`: item -> received, in stock, in transit, lost, distributed)."""
    in_stock: dict[str, int] = defaultdict(int)
    items: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PER_ITEM, 0))
    lines: dict[tuple[Any, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    handed: dict[tuple[str, str], dict[str, Any]] = {}
    applied = set()
    for event in events:
        if event.get("event_id") in applied:  # a copy of an applied event changes nothing
            continue
        applied.add(event.get("event_id"))
        kind, data = event.get("type"), event.get("data") or {}
        for location, item, donation, quantity in lot_changes(str(kind), data):
            if donation != donation_id:
                continue
            in_stock[location] += quantity
            items[item]["in_stock"] += quantity
            if kind in RECEIPT_KINDS:
                items[item]["received"] += quantity
            if kind in LOSS_KINDS:
                items[item]["lost"] -= quantity
        transfer = data.get("transfer_id")
        if kind in ("TransferDispatched", "TransferReceived", "TransferReturned"):
            column = {"TransferDispatched": 0, "TransferReceived": 1, "TransferReturned": 3}
            for ln in data["lines"]:
                if ln.get("donation_id") == donation_id:
                    lines[(transfer, ln["item_id"], ln["lot"])][column[kind]] += ln["quantity"]
        if kind == "TransferDiscrepancyRecorded" and data.get("donation_id") == donation_id:
            lines[(transfer, data["item_id"], data["lot"])][2] += data["missing"]
        if kind == "StockDistributed":
            handed[(data["distribution_id"], data["lot"])] = {
                "donation_id": data.get("donation_id"),
                "item_id": data["item_id"],
                "quantity": data["quantity"],
                "region_code": data.get("region_code"),
                "province_code": data.get("province_code"),
                "campaign_id": data.get("campaign_id"),
                "month": month_of(event["occurred_at"]),
            }
        if kind == "StockDistributionVoided":
            for key in [k for k in handed if k[0] == data["entry_id"]]:
                del handed[key]
    for (_, item, _), (sent, arrived, missing, back) in lines.items():
        items[item]["in_transit"] += sent - arrived - missing - back
        items[item]["lost"] += missing
    ours = [h for h in handed.values() if h["donation_id"] == donation_id]
    distributed: dict[str, Any] = {"quantity": sum(h["quantity"] for h in ours)}
    for h in ours:
        items[h["item_id"]]["distributed"] += h["quantity"]
    for name, label in (
        ("region_code", "by_region"),
        ("province_code", "by_province"),
        ("campaign_id", "by_campaign"),
        ("month", "by_month"),
    ):
        groups: dict[str, int] = defaultdict(int)
        for h in ours:
            groups[h[name] or ""] += h["quantity"]
        distributed[label] = {k: q for k, q in sorted(groups.items())}
    return {
        "received": sum(i["received"] for i in items.values()),
        "in_stock": {loc: q for loc, q in sorted(in_stock.items()) if q},
        "in_transit": sum(i["in_transit"] for i in items.values()),
        "lost": sum(i["lost"] for i in items.values()),
        "distributed": distributed,
        "items": {k: v for k, v in sorted(items.items()) if any(v.values())},
    }


def claimed(trace: dict[str, Any], kits_counted: bool = True) -> tuple[dict[str, Any], bool]:
    """The trace's own quantities for the donation's lots (its kit shares taken out, those
    in stock and on their way too when `kits_counted`), and whether the breakdowns can be
    compared (they mix in kit shares when there are some)."""
    kits = trace.get("through_kits") or {}
    inside = 1 if kits_counted else 0
    handed, lost = kits.get("units_handed", 0), kits.get("units_lost", 0)
    given = trace["distributed"]
    names = {
        "by_region": "region_code",
        "by_province": "province_code",
        "by_campaign": "campaign_id",
        "by_month": "month",
    }
    distributed: dict[str, Any] = {"quantity": given["quantity"] - handed}
    for label, name in names.items():
        distributed[label] = {row[name] or "": row["quantity"] for row in given.get(label, [])}
    own = {
        "received": trace["received"],
        "in_stock": {
            s["location_id"]: s["quantity"] - inside * s.get("in_kits", 0)
            for s in trace["in_stock"]
        },
        "in_transit": trace["in_transit"] - inside * trace.get("in_kits_in_transit", 0),
        "lost": trace["lost"] - lost,
        "distributed": distributed,
        "items": {i["item_id"]: own_of(i, kits_counted) for i in trace.get("items", [])},
    }
    own["in_stock"] = {loc: q for loc, q in sorted(own["in_stock"].items()) if q}
    own["items"] = {k: v for k, v in sorted(own["items"].items()) if any(v.values())}
    return own, not kits.get("lots")


def own_of(item: dict[str, Any], kits_counted: bool = True) -> dict[str, int]:
    """An item's figures for the donation's own lots: its kit shares taken out."""
    kits = item["through_kits"]
    moving = item["in_kits_in_transit"] if kits_counted else 0
    held = item["in_kits"] - item["in_kits_in_transit"] if kits_counted else 0
    return {
        "received": item["received"],
        "in_stock": item["in_stock"] - held,
        "in_transit": item["in_transit"] - moving,
        "lost": item["lost"] - kits["units_lost"],
        "distributed": item["distributed"] - kits["units_handed"],
    }


def items_sum_to_totals(trace: dict[str, Any], kits_counted: bool = True) -> None:
    """Failure unless each part summed over the trace's items is the trace's total (the
    parts inside kits, taken as given, included), and the units inside kits in stock, by
    location, are those inside kits not on their way."""
    items, kits = trace["items"], trace.get("through_kits") or {}
    totals = {
        "received": trace["received"],
        "in_stock": sum(s["quantity"] for s in trace["in_stock"]),
        "in_transit": trace["in_transit"],
        "lost": trace["lost"],
        "distributed": trace["distributed"]["quantity"],
        "in_kits": trace.get("in_kits", 0),
        "in_kits_in_transit": trace.get("in_kits_in_transit", 0),
    }
    for name, total in totals.items():
        summed = sum(i[name] for i in items)
        if summed != total:
            raise Failure(f"the trace's items add up to {name} {summed}, its total says {total}")
    for name in ("units_handed", "units_lost"):
        summed = sum(i["through_kits"][name] for i in items)
        if summed != kits.get(name, 0):
            raise Failure(
                f"the trace's items add up to {name} {summed} inside kits, its total says "
                f"{kits.get(name, 0)}"
            )
    in_kits_at = sum(s.get("in_kits", 0) for s in trace["in_stock"])
    if kits_counted and in_kits_at != totals["in_kits"] - totals["in_kits_in_transit"]:
        raise Failure(
            f"the trace's locations hold {in_kits_at} units inside kits, its totals say "
            f"{totals['in_kits'] - totals['in_kits_in_transit']} (in kits, not in transit)"
        )


def compare(trace: dict[str, Any], found: dict[str, Any], kits_counted: bool = True) -> list[str]:
    """What was compared; Failure at the first quantity the events do not add up to."""
    own, breakdowns = claimed(trace, kits_counted)
    checks = [
        ("received", own["received"], found["received"]),
        ("in stock", own["in_stock"], found["in_stock"]),
        ("in transit", own["in_transit"], found["in_transit"]),
        ("lost", own["lost"], found["lost"]),
        ("distributed", own["distributed"]["quantity"], found["distributed"]["quantity"]),
    ]
    if breakdowns:
        for label in ("by_region", "by_province", "by_campaign", "by_month"):
            name = f"distributed {label.replace('_', ' ')}"
            checks.append((name, own["distributed"][label], found["distributed"][label]))
    for name, says, adds_up in checks:
        if says != adds_up:
            raise Failure(f"the trace says {name} {says}, the events add up to {adds_up}")
    checked = [name for name, _, _ in checks]
    if "items" in trace:  # a trace from before the items has none
        items_sum_to_totals(trace, kits_counted)
        by_item = [("items", sorted(own["items"]), sorted(found["items"]))]
        for item in sorted(set(own["items"]) & set(found["items"])):
            for part in PER_ITEM:
                name = f"{item}: {part.replace('_', ' ')}"
                by_item.append((name, own["items"][item][part], found["items"][item][part]))
        for name, says, adds_up in by_item:
            if says != adds_up:
                raise Failure(f"the trace says {name} {says}, the events add up to {adds_up}")
        checked.append("per item")
    return checked


def verify(document: dict[str, Any], public_key: bytes) -> str:
    """The OK line; Failure saying why not."""
    proof = document.get("proof", document)
    if not isinstance(proof, dict) or proof.get("format") not in (FORMAT, FORMAT_KITS_APART):
        raise Failure(f"not a donation proof (format {FORMAT!r} expected)")
    kits_counted = proof["format"] == FORMAT
    shown = {k: v for k, v in document.items() if k != "proof"}
    if "proof" in document and shown != proof.get("trace"):
        raise Failure("the trace shown beside the proof is not the trace the proof is of")
    try:
        trace, donation_id = proof["trace"], proof["donation_id"]
        if trace["donation_id"] != donation_id:
            raise Failure("the trace is of another donation than the proof")
        check_checkpoint(proof["checkpoint"], public_key)
        events = check_chains(proof)
        checked = compare(trace, recompute(donation_id, events), kits_counted)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Failure(f"the proof is malformed ({type(exc).__name__}: {exc})") from exc
    issued = proof["checkpoint"].get("issued_at", "?")
    return (
        f"OK: donation {donation_id}: {len(events)} events in {len(proof['partitions'])} "
        f"partition(s) reach the checkpoint of {issued} signed by key "
        f"{proof['checkpoint']['key_id']}; {', '.join(checked)} add up"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an AidLedger donation proof.")
    parser.add_argument("proof", help="the proof's JSON file, or - for standard input")
    key = parser.add_mutually_exclusive_group(required=True)
    key.add_argument("--public-key", help="the checkpoint public key, 64 hex digits")
    key.add_argument("--public-key-file", help="a file holding that key in hex")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.proof == "-" else Path(args.proof).read_text("utf-8")
        hex_key = args.public_key
        if hex_key is None:
            hex_key = Path(args.public_key_file).read_text("utf-8")
        public_key = bytes.fromhex(hex_key.strip())
        if len(public_key) != 32:
            raise Failure("the public key must be 32 bytes (64 hex digits)")
        print(verify(json.loads(text), public_key))
    except (OSError, ValueError) as exc:
        print(f"FAILED: cannot read the proof or the key: {exc}")
        return 1
    except Failure as exc:
        print(f"FAILED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
