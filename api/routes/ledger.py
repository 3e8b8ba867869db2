"""The ledger's checkpoints: the signed heads of its hash chains, for anyone to keep."""

from __future__ import annotations

from api.deps import CurrentUser, PageOf, ServicesDep
from api.routing import Router
from api.schemas.ledger import CheckpointList
from services.app import ledger

router = Router(prefix="/v1/ledger", tags=["ledger"])


@router.get("/checkpoints", response_model=CheckpointList)
async def checkpoints(services: ServicesDep, user: CurrentUser, page: PageOf) -> CheckpointList:
    """The checkpoints, newest first and a page at a time, each signed with Ed25519 and
    naming, for every partition of every event topic, the offset, count and hash of its last
    event; with the id and public key of the key that signs them now. Keep one, and later
    check the log still extends it (`aid ledger verify --from-checkpoint FILE`)."""
    return CheckpointList.model_validate(await ledger.checkpoints(services, user, page))
