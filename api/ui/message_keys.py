"""Message keys the code builds at run time, listed so that `make messages` finds them.

Babel's extraction sees `t("signin.failed")` but not `t(f"refusal.{exc.error}")` or
`t("role." ~ user.role)`. Every key built that way is written out here inside `N_()`, a
marker Babel extracts by default; without it, `pybabel update` would mark the key
obsolete in every catalog. Nothing imports this module at run time.
"""

from __future__ import annotations


def N_(key: str) -> str:
    """Marks a message key for extraction; returns it unchanged."""
    return key


# Alert kinds (services/app/inventory.py): a title and a sentence with the details,
# "alert." ~ a.kind in macros.html and f"alertmsg.{kind}" in Translator.alert.
ALERTS = (
    N_("alert.expiring"), N_("alert.low_stock"), N_("alert.negative_stock"),
    N_("alert.transfer_discrepancy"), N_("alert.months_of_stock"), N_("alert.campaign_needs"),
    N_("alertmsg.expiring"), N_("alertmsg.low_stock"), N_("alertmsg.negative_stock"),
    N_("alertmsg.transfer_discrepancy"), N_("alertmsg.months_of_stock"),
    N_("alertmsg.campaign_needs"),
)  # fmt: skip

# The notice after a form went through: `done=` in the pages' redirects, "done." ~ done.
DONE = (
    N_("done.adjustment"), N_("done.arrival"), N_("done.assembly"), N_("done.campaign"),
    N_("done.campaign_close"), N_("done.campaign_extend"), N_("done.cancel"),
    N_("done.convoy"), N_("done.count"), N_("done.deliver"), N_("done.disassembly"),
    N_("done.dispatch"), N_("done.operation"), N_("done.receipt"), N_("done.transfer"),
    N_("done.void"), N_("done.card_issued"),
)  # fmt: skip

# The agent's verdict, from the domain's reason (REASONS in pages/agent.py).
ELIGIBILITY = (
    N_("eligibility.groups"), N_("eligibility.received"), N_("eligibility.region"),
    N_("eligibility.score"), N_("eligibility.yes"),
)  # fmt: skip

# The error page and the agent's JSON answers: f"error.{status}" and key ~ ".help".
ERRORS = (
    N_("error.400"), N_("error.400.help"), N_("error.401"), N_("error.401.help"),
    N_("error.403"), N_("error.403.help"), N_("error.404"), N_("error.404.help"),
    N_("error.409"), N_("error.409.help"), N_("error.422"), N_("error.422.help"),
    N_("error.429"), N_("error.429.help"), N_("error.503"), N_("error.503.help"),
)  # fmt: skip

# A lot's expiry badge on the stock page (expiry_class in pages/operator.py).
EXPIRY = (N_("expiry.expired"), N_("expiry.expiring"))

# Form labels, "field." ~ f.name in form.html, for the fields no template names.
FIELDS = (
    N_("field.counted_quantity"), N_("field.ends_on"), N_("field.expected_hours"),
    N_("field.from_location_id"), N_("field.id"), N_("field.kind"), N_("field.name"),
    N_("field.quantity_per_household"), N_("field.reason"), N_("field.region_codes"),
    N_("field.starts_on"), N_("field.to_location_id"),
)  # fmt: skip

# The campaign form's rule for larger households (relief_forms.py) and its refused quantity.
LARGER_HOUSEHOLDS = (
    N_("field.larger_min_size"), N_("field.larger_quantity"), N_("form.larger_quantity"),
)  # fmt: skip

# A form's refused input, by pydantic's error type (PYDANTIC_KEYS in forms.py).
FORM_ERRORS = (
    N_("form.choice"), N_("form.date"), N_("form.integer"), N_("form.not_negative"),
    N_("form.pattern"), N_("form.positive"), N_("form.required"), N_("form.too_large"),
)  # fmt: skip

# What the auditor's history is about (projections/history.py KINDS).
HISTORY_KINDS = (
    N_("history.kind.campaign"), N_("history.kind.convoy"), N_("history.kind.donation"),
    N_("history.kind.household"), N_("history.kind.item"), N_("history.kind.location"),
    N_("history.kind.requisition"), N_("history.kind.user"), N_("history.kind.pledge"),
)  # fmt: skip

# A stock card's lines, "movement." ~ ln.kind: the event type that moved the stock.
MOVEMENTS = (
    N_("movement.KitsAssembled"), N_("movement.KitsDisassembled"),
    N_("movement.StockAdjusted"), N_("movement.StockAdjustmentVoided"),
    N_("movement.StockCountVoided"), N_("movement.StockCounted"),
    N_("movement.StockDistributed"), N_("movement.StockDistributionVoided"),
    N_("movement.StockReceiptVoided"), N_("movement.StockReceived"),
    N_("movement.TransferDispatched"), N_("movement.TransferReceived"),
    N_("movement.TransferReturned"),
)  # fmt: skip

# Kinds of relief operation (KINDS in pages/relief_forms.py).
OPERATION_KINDS = (
    N_("operation.kind.cold_wave"), N_("operation.kind.drought"),
    N_("operation.kind.earthquake"), N_("operation.kind.fire"), N_("operation.kind.flood"),
    N_("operation.kind.other"),
)  # fmt: skip

# Reasons of a stock adjustment (REASONS in pages/stock_forms.py).
REASONS = (
    N_("reason.damaged"), N_("reason.expired"), N_("reason.found"), N_("reason.lost"),
    N_("reason.stolen"),
)  # fmt: skip

# The API's refusal codes worded next to a field, f"refusal.{exc.error}" in forms.py.
REFUSALS = (
    N_("refusal.already_exists"), N_("refusal.already_received"),
    N_("refusal.already_registered"), N_("refusal.already_voided"),
    N_("refusal.campaign_closed"), N_("refusal.card_invalid"), N_("refusal.card_replaced"),
    N_("refusal.forbidden"),
    N_("refusal.insufficient_components"), N_("refusal.insufficient_stock"),
    N_("refusal.kit_contents_unknown"), N_("refusal.not_eligible"), N_("refusal.not_later"),
    N_("refusal.same_location"),
    # and those worded on any form or on the error page (forms.refusal_text)
    N_("refusal.already_cancelled"), N_("refusal.already_recorded"),
    N_("refusal.already_returned"), N_("refusal.convoy_transfer"),
    N_("refusal.date_out_of_range"), N_("refusal.due_on_past"), N_("refusal.duplicate_item"),
    N_("refusal.expired_lot"), N_("refusal.goods_or_money"), N_("refusal.idempotency_conflict"),
    N_("refusal.insufficient_funds"), N_("refusal.invalid_command"),
    N_("refusal.invalid_hours"), N_("refusal.log_unreadable"), N_("refusal.lot_exists"),
    N_("refusal.lot_required"), N_("refusal.more_than_approved"),
    N_("refusal.more_than_dispatched"), N_("refusal.more_than_received"),
    N_("refusal.needed_by_past"), N_("refusal.no_card"), N_("refusal.no_checkpoint"),
    N_("refusal.no_slot_plan"), N_("refusal.not_a_kit"), N_("refusal.not_caught_up"),
    N_("refusal.not_checkpointed"), N_("refusal.not_decided"), N_("refusal.not_in_transfer"),
    N_("refusal.not_its_transfer"), N_("refusal.not_received"), N_("refusal.not_voidable"),
    N_("refusal.not_what_was_pledged"), N_("refusal.nothing_to_prove"),
    N_("refusal.occurred_at_out_of_range"), N_("refusal.occurred_at_required"),
    N_("refusal.other_currency"), N_("refusal.other_partition"), N_("refusal.pledge_cancelled"),
    N_("refusal.pledge_exists"), N_("refusal.pledge_fulfilled"), N_("refusal.proof_too_large"),
    N_("refusal.requisition_exists"), N_("refusal.transfer_cancelled"),
    N_("refusal.transfer_id_taken"), N_("refusal.unknown_campaign"),
    N_("refusal.unknown_cash_donation"), N_("refusal.unknown_command"),
    N_("refusal.unknown_deployment"), N_("refusal.unknown_distribution"),
    N_("refusal.unknown_donation"), N_("refusal.unknown_household"),
    N_("refusal.unknown_import"), N_("refusal.unknown_item"), N_("refusal.unknown_kind"),
    N_("refusal.unknown_lot"), N_("refusal.unknown_operation"), N_("refusal.unknown_pledge"),
    N_("refusal.unknown_requisition"), N_("refusal.unknown_site"),
    N_("refusal.unknown_transfer"), N_("refusal.unknown_user"),
    # codes built at run time: a late distribution's why, a requisition's status, a void's entry
    N_("refusal.outside_campaign"), N_("refusal.requisition_approved"),
    N_("refusal.requisition_closed"), N_("refusal.requisition_dispatch_refused"),
    N_("refusal.requisition_dispatched"), N_("refusal.requisition_raised"),
    N_("refusal.requisition_received"), N_("refusal.requisition_rejected"),
    N_("refusal.unknown_adjustment"), N_("refusal.unknown_count"), N_("refusal.unknown_receipt"),
)  # fmt: skip

# Roles beside the user's name, and the sections of the menu (web.py SECTIONS).
ROLES = (
    N_("role.admin"), N_("role.agent"), N_("role.auditor"), N_("role.coordinator"),
    N_("role.donor"), N_("role.operator"), N_("role.social_worker"),
)  # fmt: skip
SECTIONS = (
    N_("section.auditor"), N_("section.coordinator"), N_("section.desk"), N_("section.donor"),
    N_("section.operator"), N_("section.sites"),
)  # fmt: skip
# A household's status on a site's list ("sites.status." ~ h.status).
SITE_STATUSES = (N_("sites.status.flagged"), N_("sites.status.served"), N_("sites.status.waiting"))

# A convoy's status and the steps the board offers ("status." ~ d.status, "step." ~ step).
STATUSES = (
    N_("status.cancelled"), N_("status.closed"), N_("status.delivered"),
    N_("status.delivering"), N_("status.dispatched"), N_("status.dispatching"),
    N_("status.planned"), N_("status.returned"),
)  # fmt: skip
STEPS = (N_("step.cancel"), N_("step.deliver"), N_("step.dispatch"))

# Each record's result in the agent's batch sync, f"sync.{r.status}".
SYNC = (N_("sync.accepted"), N_("sync.duplicate"), N_("sync.refused"), N_("sync.rejected"))

# The parts of a donor's trace (PARTS in pages/donor.py).
TRACE = (
    N_("trace.distributed"), N_("trace.in_kits"), N_("trace.in_stock"), N_("trace.in_transit"),
    N_("trace.lost"),
)  # fmt: skip

# A pledge's status on the donor's page, "pledges.status_" ~ p.status (pages/pledges.py).
PLEDGES = (
    N_("pledges.status_cancelled"), N_("pledges.status_fulfilled"), N_("pledges.status_open"),
)  # fmt: skip

# The admin desk's forms and lists (pages/admin.py, admin_forms.py, admin_erasure.py), by
# the names their specs and steps give them.
ADMIN = (
    N_("admin.coordinates.title"), N_("admin.donor.new"), N_("admin.donors.table"),
    N_("admin.item.new"), N_("admin.items.table"), N_("admin.kits.table"),
    N_("admin.location.new"), N_("admin.locations.table"), N_("admin.threshold.new"),
    N_("admin.thresholds.table"), N_("done.coordinates"), N_("done.donor"), N_("done.item"),
    N_("done.kit"), N_("done.location"), N_("done.threshold"), N_("done.erasure_erased"),
    N_("erasure.reason.person_asked"), N_("erasure.reason.registered_by_mistake"),
    N_("erasure.reason.retention_ended"), N_("field.latitude"), N_("field.longitude"),
    N_("field.province_code"), N_("field.province_name"), N_("field.region_code"),
    N_("field.region_name"), N_("location.kind.site"), N_("location.kind.warehouse"),
    N_("section.admin"),
)  # fmt: skip

# Lifecycles: campaigns moved or ended, operations and convoys closed.
LIFECYCLES = (
    N_("done.campaign_areas"), N_("done.close"), N_("done.operation_close"), N_("step.close"),
    N_("refusal.campaign_ended"), N_("refusal.no_change"), N_("refusal.operation_closed"),
    N_("refusal.deployment_cancelled"), N_("refusal.deployment_closed"),
    N_("refusal.deployment_delivered"), N_("refusal.deployment_delivering"),
    N_("refusal.deployment_dispatched"), N_("refusal.deployment_dispatching"),
    N_("refusal.deployment_planned"), N_("refusal.invalid_composition"),
    N_("refusal.unknown_location"),
)  # fmt: skip

# Form errors the admin desk's decimal fields add (PYDANTIC_KEYS and BOUNDS in forms.py).
DECIMALS = (
    N_("form.at_least"), N_("form.at_most"), N_("form.coordinates_pair"), N_("form.number"),
)  # fmt: skip

# The admin's users pages (pages/admin_users.py): notices, scope fields and refusals.
USERS = (
    N_("done.user_created"), N_("done.user_password"), N_("done.user_revoked"),
    N_("done.user_scopes"), N_("field.donors"), N_("field.sites"), N_("field.warehouses"),
    N_("refusal.cannot_revoke_self"), N_("refusal.scope_not_for_role"),
    N_("refusal.scope_required"), N_("refusal.user_revoked"), N_("refusal.username_taken"),
    N_("refusal.weak_password"), N_("role.monitor"),
)  # fmt: skip

# Flagged duplicates resolved from the coordinator's page (pages/duplicates.py).
DUPLICATES = (
    N_("done.duplicate_accept"), N_("done.duplicate_void"),
    N_("refusal.already_resolved.accept"), N_("refusal.already_resolved.void"),
    N_("refusal.household_erased"), N_("refusal.unknown_duplicate"),
    N_("duplicates.flag.campaign_closed"), N_("duplicates.flag.outside_campaign"),
)  # fmt: skip

# Weights on the stock pages (Translator.weight): in kg under a tonne, in tonnes from one.
WEIGHTS = (N_("weight.kg"), N_("weight.t"))

# The registration desk (pages/desk.py, desk.html): its fields, the choices of a member's
# row and of the groups, the member counts' rows, and its notices.
DESK = (
    N_("done.desk_registered"), N_("done.desk_updated"), N_("desk.unchanged"),
    N_("desk.females"), N_("desk.males"), N_("field.disability"), N_("field.head_name"),
    N_("field.household_id"), N_("field.housing_notes"), N_("field.income_notes"),
    N_("field.phone"), N_("field.registry_number"), N_("field.relation"), N_("field.sex"),
    N_("field.year_of_birth"), N_("group.children"), N_("group.disability"),
    N_("group.elderly"), N_("group.women"), N_("sex.f"), N_("sex.m"), N_("relation.child"),
    N_("relation.head"), N_("relation.other"), N_("relation.parent"), N_("relation.spouse"),
    N_("disability.moderate"), N_("disability.none"), N_("disability.severe"),
)  # fmt: skip

# The social watch (coordinator/social_watch.html): "watch.group_" ~ g.target_group and
# "watch.rising_" ~ what.
SOCIAL_WATCH = (
    N_("watch.group_all"), N_("watch.group_children"), N_("watch.group_women"),
    N_("watch.group_elderly"), N_("watch.group_disability"),
    N_("watch.rising_registrations"), N_("watch.rising_precarity"),
)  # fmt: skip

# Requisitions (pages/requisitions.py): the section, the request form and its fields, each
# status ("requisition.status." ~ r.status), the notices after a step, and the refusals.
REQUISITIONS = (
    N_("section.requisitions"), N_("requisition.title"), N_("field.requesting_location_id"),
    N_("field.supplying_location_id"), N_("field.needed_by"),
    N_("requisition.status.raised"), N_("requisition.status.approved"),
    N_("requisition.status.dispatch_refused"), N_("requisition.status.dispatched"),
    N_("requisition.status.received"), N_("requisition.status.rejected"),
    N_("requisition.status.closed"), N_("done.requisition"), N_("done.approval"),
    N_("done.rejection"), N_("done.closure"), N_("refusal.more_than_requested"),
    N_("refusal.nothing_approved"), N_("refusal.not_requested"),
)  # fmt: skip

# A site's appointments (pages/slots.py, sites/slots.html): the plan form's fields, built
# as "slots.field." ~ name, its notice, and the refusal it may meet.
SLOTS = (
    N_("done.slot_plan"), N_("slots.field.first_day"), N_("slots.field.day_count"),
    N_("slots.field.opens_at"), N_("slots.field.closes_at"), N_("slots.field.per_hour"),
    N_("refusal.plan_in_use"), N_("done.slot_move"), N_("done.slot_day_closed"),
    N_("done.slot_day_added"), N_("refusal.slot_full"), N_("refusal.not_a_slot"),
    N_("refusal.no_slot"), N_("refusal.no_room"), N_("refusal.not_a_day"),
)  # fmt: skip
