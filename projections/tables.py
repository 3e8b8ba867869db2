"""The read-model tables (SQLAlchemy Core). Alembic migrations create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    text,
)

metadata = MetaData()

projection_positions = Table(
    "projection_positions",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("offset", BigInteger, nullable=False),
)

projection_locks = Table(
    "projection_locks",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("generation", Integer, nullable=False, default=0),
)

applied_events = Table(
    "applied_events",
    metadata,
    Column("projection", String(64), primary_key=True),
    Column("event_id", Uuid, primary_key=True),
)

locations = Table(
    "locations",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("region_code", String(32), nullable=False),
    Column("region_name", String(200), nullable=False),
    Column("province_code", String(32)),
    Column("province_name", String(200)),
    Column("latitude", Float),  # degrees, WGS 84; both or neither
    Column("longitude", Float),
)

items = Table(
    "items",
    metadata,
    Column("item_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("pack_size", BigInteger),
    Column("weight_kg", String(16)),  # decimals as text: exact (see events.reference)
    Column("volume_l", String(16)),
)

# every version of every kit's composition: one row per component
kit_components = Table(
    "kit_components",
    metadata,
    Column("kit_item_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("item_id", String(64), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

inventory_lots = Table(
    "inventory_lots",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("lot", String(64), primary_key=True),
    Column("expires_on", Date),
    Column("on_hand", BigInteger, nullable=False),
)

# Keyed by where the line's event sits in the stock log, not by the event's random id: a
# batch's lines go into one end of the key's index per partition (migration 0041).
stock_movements = Table(
    "stock_movements",
    metadata,
    Column("event_id", Uuid, nullable=False),
    Column("line", Integer, nullable=False, autoincrement=False),
    Column("partition", Integer, nullable=False, autoincrement=False),
    Column("offset", BigInteger, nullable=False, autoincrement=False),
    Column("location_id", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("lot", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("reference_id", String(64), nullable=False, index=True),
    Column("reason", String(120)),
    Column("donation_id", String(64), index=True),
    Column("occurred_at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Index("ix_stock_movements_card", "location_id", "item_id", "offset", "line"),
    PrimaryKeyConstraint("partition", "offset", "line", name="stock_movements_pkey"),
)

# Units used (handed out, dispatched, less what is voided or returned) per location × item ×
# day (UTC), kept as the stock events arrive: the months of stock reads a window of days
# from here, at most one row per day, not every movement of the window.
stock_use_days = Table(
    "stock_use_days",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("used", BigInteger, nullable=False),
    Index("ix_stock_use_days_day", "day"),
)

transfers = Table(
    "transfers",
    metadata,
    Column("transfer_id", String(64), primary_key=True),
    Column("from_location_id", String(64), nullable=False),
    Column("to_location_id", String(64), nullable=False),
    Column("deployment_id", String(64)),
    Column("requisition_id", String(64), index=True),
    Column("status", String(16), nullable=False),
    Column("dispatched_at", DateTime),  # empty while only the receipt has been projected
    Column("received_at", DateTime, index=True),  # the discrepancy alerts read a window of it
)

transfer_lines = Table(
    "transfer_lines",
    metadata,
    Column("transfer_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("lot", String(64), primary_key=True),
    Column("expires_on", Date),
    Column("donation_id", String(64), index=True),
    Column("dispatched", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False, default=0),
    Column("missing", BigInteger, nullable=False, default=0),
    Column("returned", BigInteger, nullable=False, default=0, server_default="0"),
)

stock_thresholds = Table(
    "stock_thresholds",
    metadata,
    Column("location_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("minimum", BigInteger, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("warehouses", JSON, nullable=False),
    Column("sites", JSON, nullable=False),
    Column("donors", JSON, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("quantity_per_household", BigInteger, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("region_codes", JSON, nullable=False),
    Column("groups", JSON, nullable=False),
    Column("max_precarity_score", Float),
    Column("operation_id", String(64)),
    Column("closed_on", Date),
    Column("area_changes", JSON),  # CampaignAreasChanged, in order; region_codes is the latest
    Column("larger_households", JSON),  # {min_size, quantity}; NULL: one quantity for all
)

# the columns of a household's member counts, as `MemberCounts` names them
MEMBER_COUNTS = (
    "females_0_4", "females_5_17", "females_18_59", "females_60_plus",
    "males_0_4", "males_5_17", "males_18_59", "males_60_plus",
    "disabled_members", "severely_disabled_members",
)  # fmt: skip
households = Table(
    "households",
    metadata,
    Column("household_id", String(64), primary_key=True),
    Column("identity", String(64), unique=True),  # None once erased
    Column("national_id_pseudonym", String(64), index=True),
    Column("registry_pseudonym", String(64), index=True),
    Column("size", Integer, nullable=False),
    Column("region_code", String(32), nullable=False, index=True),
    Column("province_code", String(32)),
    Column("groups", JSON, nullable=False),
    Column("precarity_score", Float),
    Column("sealed_personal_data", Text),
    Column("erased", Boolean, nullable=False, default=False),
    Column("registered_at", DateTime, nullable=False),
    # its members as plain numbers (NULL: not recorded), counted on `members_counted_on`
    *(Column(name, Integer) for name in MEMBER_COUNTS),
    Column("members_counted_on", Date),
    Column("site_id", String(64)),  # the distribution site where it is expected, if any
    Index("ix_households_site_id", "site_id", "household_id"),  # a site's list, in pages
)

# Every card issued to a household, the replaced ones kept (replaced_at set): a basket handed
# offline with a card before it was replaced still counts when it syncs.
household_cards = Table(
    "household_cards",
    metadata,
    Column("household_id", String(64), primary_key=True),
    Column("card_number", Integer, primary_key=True),
    Column("check_value", String(16), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("replaced_at", DateTime),
)

# A distribution's status: `accepted`; `duplicate` (flagged, waiting for a coordinator), then
# `voided_duplicate` (a second record of one basket) or `exception` (a second basket accepted);
# `voided` (an accepted one or an exception, cancelled). Accepted ones and exceptions count.
COUNTED = ("accepted", "exception")
distributions = Table(
    "distributions",
    metadata,
    Column("distribution_id", String(64), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("household_id", String(64), nullable=False, index=True),
    Column("campaign_id", String(64), nullable=False, index=True),
    Column("site_id", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("region_code", String(32), nullable=False),
    Column("province_code", String(32)),
    Column("occurred_at", DateTime, nullable=False),
    Column("offline", Boolean, nullable=False),
    Column("first_distribution_id", String(64)),
    # why a record was flagged: `beyond_entitlement`, `campaign_closed` or `outside_campaign`
    Column("flag", String(24)),
    Column("actor", String(64), nullable=False),
    # the flagged duplicates, in the order their list pages them (a few among millions)
    Index(
        "ix_distributions_duplicates",
        "occurred_at",
        "distribution_id",
        postgresql_where=text("status = 'duplicate'"),
        sqlite_where=text("status = 'duplicate'"),
    ),
    # every flagged record, resolved or not, for the list of those resolved already
    Index(
        "ix_distributions_flagged",
        "occurred_at",
        "distribution_id",
        postgresql_where=text("first_distribution_id IS NOT NULL"),
        sqlite_where=text("first_distribution_id IS NOT NULL"),
    ),
)

# Coverage kept as events arrive (the registry projection): each campaign's eligibility and
# entitlement rules, and per campaign × region × province the households its rules admit, the
# quantity they are entitled to, the households it reached and the quantity handed out.
# `province_code` is '' where none is known.
coverage_terms = Table(
    "coverage_terms",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("region_codes", JSON, nullable=False),
    Column("groups", JSON, nullable=False),
    Column("max_precarity_score", Float),
    Column("quantity_per_household", BigInteger, nullable=False),
    Column("larger_households", JSON),  # {min_size, quantity}; NULL: one quantity for all
)

coverage_counts = Table(
    "coverage_counts",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("region_code", String(32), primary_key=True),
    Column("province_code", String(32), primary_key=True),
    Column("eligible_households", BigInteger, nullable=False),
    Column("entitled_quantity", BigInteger, nullable=False),  # Σ `entitlement` of the eligible
    Column("reached_households", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
)

# The same per target group (a household counts in each of its groups, with its members as
# people), for the social-watch view: a household's groups and size as they stand now.
coverage_group_counts = Table(
    "coverage_group_counts",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("region_code", String(32), primary_key=True),
    Column("province_code", String(32), primary_key=True),
    Column("target_group", String(32), primary_key=True),
    Column("eligible_households", BigInteger, nullable=False),
    Column("eligible_people", BigInteger, nullable=False),
    Column("reached_households", BigInteger, nullable=False),
    Column("reached_people", BigInteger, nullable=False),
)

# The social watch: the registry as it stands, per area, target group ('' for every
# household) and precarity band (the score's tens, -1 where none was given); and per month,
# the households registered and the assessments made (registrations and profile updates)
# with the sum of their scores in hundredths (integers, so any order of adding is exact).
registry_counts = Table(
    "registry_counts",
    metadata,
    Column("region_code", String(32), primary_key=True),
    Column("province_code", String(32), primary_key=True),
    Column("target_group", String(32), primary_key=True),
    Column("score_band", Integer, primary_key=True),
    Column("households", BigInteger, nullable=False),
    Column("people", BigInteger, nullable=False),
)
registry_months = Table(
    "registry_months",
    metadata,
    Column("month", Date, primary_key=True),
    Column("region_code", String(32), primary_key=True),
    Column("province_code", String(32), primary_key=True),
    Column("target_group", String(32), primary_key=True),
    Column("registered", BigInteger, nullable=False),
    Column("assessed", BigInteger, nullable=False),
    Column("scored", BigInteger, nullable=False),
    Column("score_hundredths", BigInteger, nullable=False),
)

# Per campaign and distribution site: the households it expects, by status (site lists).
site_counts = Table(
    "site_counts",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("site_id", String(64), primary_key=True),
    Column("expected", BigInteger, nullable=False),
    Column("waiting", BigInteger, nullable=False),
    Column("served", BigInteger, nullable=False),
    Column("flagged", BigInteger, nullable=False),
    Column("entitled_quantity", BigInteger, nullable=False),  # Σ `entitlement` of the expected
    Column("due_quantity", BigInteger, nullable=False),  # Σ `entitlement` of those waiting
)

# The distributions report kept as events arrive: per campaign, item, area, site and day,
# the households served there that day and the quantity handed out.
distribution_days = Table(
    "distribution_days",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("site_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("region_code", String(32), primary_key=True),
    Column("province_code", String(32), primary_key=True),  # '' where none is known
    Column("households", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
)

operations = Table(
    "operations",
    metadata,
    Column("operation_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("region_codes", JSON, nullable=False),
    Column("starts_on", Date),
    Column("ends_on", Date),
    Column("closed_on", Date),
)

donors = Table(
    "donors",
    metadata,
    Column("donor_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)

donations = Table(
    "donations",
    metadata,
    Column("donation_id", String(64), primary_key=True),
    Column("donor_id", String(64), nullable=False, index=True),
    Column("location_id", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("pledge_id", String(64), index=True),
)

# A donor's pledges: goods (item, quantity) or money (amount in minor units, currency);
# `pledged` and `received` count units of the item or minor units of the currency.
pledges = Table(
    "pledges",
    metadata,
    Column("pledge_id", String(64), primary_key=True),
    Column("donor_id", String(64), nullable=False, index=True),
    Column("item_id", String(64)),
    Column("currency", String(3)),
    Column("pledged", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False),
    Column("due_on", Date, nullable=False, index=True),
    Column("made_at", DateTime, nullable=False),
    Column("cancelled_at", DateTime),
)

cash_donations = Table(
    "cash_donations",
    metadata,
    Column("donation_id", String(64), primary_key=True),
    Column("donor_id", String(64), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("spent", BigInteger, nullable=False),
    Column("pledge_id", String(64), index=True),
    Column("received_at", DateTime, nullable=False),
)

purchases = Table(
    "purchases",
    metadata,
    Column("purchase_id", String(64), primary_key=True),
    Column("donation_id", String(64), nullable=False, index=True),
    Column("supplier", String(200), nullable=False),
    Column("location_id", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("purchased_at", DateTime, nullable=False),
)

deployments = Table(
    "deployments",
    metadata,
    Column("deployment_id", String(64), primary_key=True),
    Column("operation_id", String(64), nullable=False, index=True),
    Column("from_location_id", String(64), nullable=False),
    Column("to_location_id", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("expected_hours", Integer, nullable=False),
    Column("requisition_id", String(64)),  # the requisition whose approved lines it carries
    Column("planned", JSON, nullable=False),
    Column("dispatched", JSON),
    Column("delivered", JSON),
    Column("planned_at", DateTime, nullable=False),
    Column("dispatched_at", DateTime),
    Column("delivered_at", DateTime),
    Column("cancelled_at", DateTime),
    Column("closed_at", DateTime),
)

# What kit lots hold of each donation: per kit lot (the same lot code wherever its kits went),
# the kits assembled into it and the units of each donated component lot they took, net of
# kits broken up. A donation followed into kits reads its share of each kit handed out.
kit_lots = Table(
    "kit_lots",
    metadata,
    Column("kit_item_id", String(64), primary_key=True),
    Column("lot", String(64), primary_key=True),
    Column("kits", BigInteger, nullable=False),
)
kit_lot_donations = Table(
    "kit_lot_donations",
    metadata,
    Column("kit_item_id", String(64), primary_key=True),
    Column("lot", String(64), primary_key=True),
    Column("donation_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("units", BigInteger, nullable=False),
    Index("ix_kit_lot_donations_donation", "donation_id"),
)

lot_distributions = Table(
    "lot_distributions",
    metadata,
    Column("distribution_id", String(64), primary_key=True),
    Column("lot", String(64), primary_key=True),
    Column("location_id", String(64), nullable=False),
    Column("item_id", String(64), nullable=False),
    Column("donation_id", String(64), index=True),
    Column("quantity", BigInteger, nullable=False),
    Column("campaign_id", String(64), nullable=False),
    Column("region_code", String(32), nullable=False),
    Column("province_code", String(32)),
    Column("occurred_at", DateTime, nullable=False),
)

# Imports of a social registry's export: where each stands, and the lines refused (reason
# codes and messages that name columns, never a person's value).
household_imports = Table(
    "household_imports",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("dry_run", Boolean, nullable=False),
    Column("status", String(16), nullable=False),  # running | done | failed
    Column("lines_read", BigInteger, nullable=False),
    Column("registered", BigInteger, nullable=False),
    Column("unchanged", BigInteger, nullable=False),
    Column("refused", BigInteger, nullable=False),
    Column("started_by", String(64), nullable=False),
    Column("updated", BigInteger, nullable=False, server_default="0"),  # situations changed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

household_import_refusals = Table(
    "household_import_refusals",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("line", BigInteger, primary_key=True, autoincrement=False),
    Column("reason", String(32), nullable=False),
    Column("message", String(200), nullable=False),
    Column("first_line", BigInteger),
    Column("household_id", String(64)),
)

# Every fact about a location, household, campaign, convoy, donation, user or item, for the
# auditor: what happened, when, by whom, in which flow, and what it said (without any
# pseudonym, sealed data or secret).
history = Table(
    "history",
    metadata,
    Column("subject_kind", String(16), primary_key=True),
    Column("subject_id", String(64), primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("type", String(48), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("causation_id", String(200), nullable=False),
    Column("facts", JSON, nullable=False),
    Index("ix_history_in_order", "subject_kind", "subject_id", "occurred_at", "event_id"),
)

# Requisitions: what a location asked a warehouse for, and how far it went. `reason` is
# the rejection's or the short closure's; `refusal` what the warehouse said when it refused
# the transfer ({error, message, item_id, requested, available}).
requisitions = Table(
    "requisitions",
    metadata,
    Column("requisition_id", String(64), primary_key=True),
    Column("requesting_location_id", String(64), nullable=False, index=True),
    Column("supplying_location_id", String(64), nullable=False, index=True),
    Column("needed_by", Date, nullable=False),
    Column("status", String(24), nullable=False, index=True),
    Column("transfer_id", String(64)),
    Column("operation_id", String(64)),  # set when the latest approval travels by convoy
    Column("deployment_id", String(64)),  # that convoy (its stock moves as `transfer_id`)
    Column("reason", String(500)),
    Column("refusal", JSON),
    Column("raised_at", DateTime, nullable=False),
    Column("raised_by", String(64), nullable=False),
    Column("decided_at", DateTime),
    Column("closed_at", DateTime),
    Index("ix_requisitions_latest", "raised_at", "requisition_id"),
)

requisition_lines = Table(
    "requisition_lines",
    metadata,
    Column("requisition_id", String(64), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("requested", BigInteger, nullable=False),
    Column("approved", BigInteger, nullable=False, default=0),
    Column("dispatched", BigInteger, nullable=False, default=0),
    Column("received", BigInteger, nullable=False, default=0),
)

# Appointments: each campaign's plan at a site (its open days, as ISO dates; the days it
# closed), the slot each household holds, and the outbox of the messages announcing them.
slot_plans = Table(
    "slot_plans",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("site_id", String(64), primary_key=True),
    Column("opens_at", Integer, nullable=False),
    Column("closes_at", Integer, nullable=False),
    Column("per_hour", Integer, nullable=False),
    Column("days", JSON, nullable=False),
    Column("closed_days", JSON, nullable=False),
    Column("set_at", DateTime, nullable=False),
)

slot_assignments = Table(
    "slot_assignments",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("household_id", String(64), primary_key=True),
    # a household moving between sites holds one row at each until the first releases it
    # (the two sites' events lie on two partitions, read in any order)
    Column("site_id", String(64), primary_key=True),
    Column("day", Date, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("assigned_at", DateTime, nullable=False),
    Index("ix_slot_assignments_slot", "campaign_id", "site_id", "day", "hour"),
    Index("ix_slot_assignments_household", "household_id"),
)

# One row per household, language and assignment or change, for an SMS gateway to send and
# mark sent (`sent_at`); nothing here calls one.
slot_messages = Table(
    "slot_messages",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("household_id", String(64), nullable=False, index=True),
    Column("campaign_id", String(64), nullable=False),
    Column("site_id", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("language", String(2), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime, nullable=False, index=True),
    Column("sent_at", DateTime),
)

# The checkpoints of the chains' heads (events/checkpoints.py), as `aid ledger checkpoint`
# signed and published them to the checkpoints topic: the whole signed JSON in `body`.
ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("checkpoint_id", Integer, primary_key=True, autoincrement=True),
    Column("issued_at", DateTime, nullable=False, index=True),
    Column("key_id", String(32), nullable=False),
    Column("body", JSON, nullable=False),
)
