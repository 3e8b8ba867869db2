"""`aid slots assign CAMPAIGN SITE`: offer every household of the registry expected at the
site to its appointments writer again, so that any one it has not heard of (registered
before appointments existed, or while the worker's policies were off) gets a slot. Safe to
run any number of times: a household that holds a slot keeps it."""

from __future__ import annotations

from datetime import UTC, datetime

from projections.database import make_engine, migrate
from projections.key_store import SqlKeyStore
from services.app import slots
from services.app.permissions import User
from services.domain.privacy import PersonalData
from services.runtime.audit import CommandedAudit
from services.runtime.command_bus import KafkaCommandBus
from services.runtime.command_writer import CommandWriter
from services.runtime.importing import CommandLinePorts
from services.runtime.settings import Settings

# Whoever may run `aid` on the server acts as an administrator (as `aid users create` does).
ASSIGNER = User(username="aid-slots-assign", role="admin")


async def assign_slots(settings: Settings, campaign_id: str, site_id: str) -> int:
    """How many households got a slot (NotFound when the campaign has no plan there)."""
    engine = make_engine(settings.db_url)
    migrate(engine)
    keys = SqlKeyStore(make_engine(settings.key_store_db_url))
    bus = KafkaCommandBus(settings, CommandWriter(settings, client_id="aid-slots"))
    ports = CommandLinePorts(
        settings, engine, bus, PersonalData(keys, settings.master_key), CommandedAudit(bus)
    )
    await bus.start()
    try:
        await slots.slot_plan(ports, ASSIGNER, campaign_id, site_id)
        return await slots.offer_expected(ports, ASSIGNER, datetime.now(UTC), site_id)
    finally:
        await bus.stop()
        engine.dispose()
        keys.engine.dispose()
