"""Resolving a flagged record (a duplicate, or a basket handed when its campaign no longer
ran): a second record of one basket, or a record made by mistake, is voided (nothing moves); a
basket really handed is accepted as an exception (it counts as received, and a policy has the
site's stock give it). Either once, with the coordinator's reason."""

from __future__ import annotations

from datetime import datetime

from events import Event
from events.households import DuplicateAccepted, DuplicateVoided
from services.domain.decisions import Refused
from services.domain.distributions.commands import ResolveDuplicate
from services.domain.distributions.state import HouseholdAid

# How a resolution reads in a refusal.
DONE = {"void": "voided as a second record", "accept": "accepted as an exception"}
FACTS = {"distribution_id", "household_id", "identity", "campaign_id", "site_id", "item_id",
         "quantity"}  # fmt: skip


def resolve(state: HouseholdAid, command: ResolveDuplicate, now: datetime) -> list[Event]:
    """`now` dates an exception whose flagged record did not say when it was handed."""
    done = state.resolved.get(command.distribution_id)
    if done is not None:
        voided = " and then voided" if command.distribution_id in state.voided else ""
        raise Refused(
            "already_resolved",
            f"duplicate {command.distribution_id!r} was already {DONE[done]}{voided}",
            distribution_id=command.distribution_id,
            resolution=done,
        )
    flagged = state.flagged.get(command.distribution_id)
    if flagged is None:
        raise Refused(
            "unknown_duplicate",
            f"no duplicate {command.distribution_id!r} was flagged for this household",
            distribution_id=command.distribution_id,
        )
    facts = flagged.model_dump(include=FACTS) | {"reason": command.reason}
    if command.resolution == "void":
        return [DuplicateVoided(**facts)]
    return [
        DuplicateAccepted(
            **facts,
            region_code=flagged.region_code,
            province_code=flagged.province_code,
            distributed_at=flagged.distributed_at or now,
        )
    ]
