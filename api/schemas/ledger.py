"""The ledger's signed checkpoints, as an auditor reads and keeps them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import NEXT


class CheckpointList(BaseModel):
    key_id: str = Field(description="The id of the key that signs checkpoints now.")
    public_key: str = Field(description="That key's Ed25519 public key, in hex.")
    items: list[dict[str, Any]] = Field(
        description="The checkpoints, newest first, each as signed (keep it whole)."
    )
    next: str | None = Field(default=None, description=NEXT)
