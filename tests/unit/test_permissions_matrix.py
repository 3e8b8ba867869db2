"""Who may call what, generated from `api.permissions.PERMISSIONS`: the one permission table.

`ENDPOINTS` maps every `/v1` route to the action it needs; the tests cross it with every role
(and, for scoped grants, with every location) and expect exactly what the table grants.
A route added without an entry here fails `test_the_matrix_covers_every_v1_route`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from api.permissions import PERMISSIONS, ROLES, Scope, grant
from events.households import (
    AidDistributed,
    CampaignOpened,
    DuplicateDistributionFlagged,
    HouseholdCardIssued,
    HouseholdRegistered,
)
from events.kits import ComponentLine, KitComponent, KitCompositionSet, KitsAssembled
from events.pledges import PledgeMade
from events.reference import ItemDefined, LocationRegistered
from events.relief import (
    CashDonationReceived,
    DeploymentDelivered,
    DeploymentDispatched,
    DeploymentPlanned,
    DonationReceived,
    DonorRegistered,
    OperationOpened,
    PlannedLine,
)
from events.requisitions import RequisitionApproved, RequisitionLine, RequisitionRaised
from events.slots import ExpectedHousehold, HouseholdsExpected, SlotAssigned, SlotPlanSet
from events.stock import (
    StockAdjusted,
    StockCounted,
    StockReceived,
    TransferDispatched,
    TransferLine,
    TransferReceived,
)
from projections import imports_queries
from services.app.kept_rows import USERS, KeptRows
from services.domain.privacy import pseudonym
from tests.support.api import (
    ROLE_SCOPES,
    SEEDED_AT,
    SITE,
    USERNAMES,
    WAREHOUSES,
    ApiHarness,
    Seeded,
)
from tests.support.fakes import FakeClock

LOCATIONS = (*WAREHOUSES, SITE)
# A second distribution site, assigned to nobody: where the Al Haouz agent may not record aid.
ASNI = "site-asni"
SITES = (SITE, ASNI)
CAMPAIGN, HOUSEHOLD, HOUSEHOLD_CIN = "ramadan-2026", "hh-ait-ourir-017", "EE482913"
IMPORT = "imp-rsu-marrakech-safi"  # a registry export imported earlier
# The Al Haouz earthquake response; its convoys leave Marrakech for the Al Haouz site.
OPERATION, CONVOY_FROM, CONVOY_TO = "op-seisme-al-haouz", "wh-marrakech", SITE
# The harness's donor user sees this donor's donations; another donor's are not its business.
DONOR, OTHER_DONOR = ROLE_SCOPES["donor"]["donors"][0], "donor-croissant-rouge"
DONATION, OTHER_DONATION = "don-atlas-001", "don-croissant-001"
PLEDGE, CASH_DONATION = "pl-atlas-flour", "don-atlas-cash"
# Two baskets in a family kit, assembled at each warehouse, to assemble or break up more.
FAMILY_KIT = "family-kit"
# Actions with no HTTP endpoint yet, and why; any other action must be exercised below.
NOT_ON_HTTP = {
    "operations.read": "outside /v1: /metrics and the detail of /healthz, in test_metrics.py",
}


def new_location(_: str) -> dict[str, Any]:
    return {
        "id": "site-tahannaout",
        "name": "Point de distribution Tahannaout",
        "kind": "site",
        "region_code": "MA07",
        "region_name": "Marrakech-Safi",
    }


def coordinates(_: str) -> dict[str, Any]:
    return {"latitude": 33.5731, "longitude": -7.5898}


def new_item(_: str) -> dict[str, Any]:
    return {"id": "blanket-wool", "name": "Couverture laine", "unit": "piece"}


def receipt_at(location_id: str) -> dict[str, Any]:
    return {"location_id": location_id, "item_id": "ramadan-basket", "quantity": 120}


def elsewhere(location_id: str) -> str:
    return next(loc for loc in LOCATIONS if loc != location_id)


def transfer_from(location_id: str) -> dict[str, Any]:
    return {
        "from_location_id": location_id,
        "to_location_id": elsewhere(location_id),
        "lines": [{"item_id": "ramadan-basket", "quantity": 5}],
    }


def adjustment_at(location_id: str) -> dict[str, Any]:
    return {"location_id": location_id, "item_id": "ramadan-basket", "quantity": 2,
            "reason": "damaged"}  # fmt: skip


def count_at(location_id: str) -> dict[str, Any]:
    return {"location_id": location_id, "item_id": "ramadan-basket", "counted_quantity": 990}


def threshold_at(location_id: str) -> dict[str, Any]:
    return {"location_id": location_id, "item_id": "ramadan-basket", "minimum": 100}


def arrival(_: str) -> dict[str, Any]:
    return {"lines": [{"item_id": "ramadan-basket", "quantity": 5}]}


def new_campaign(_: str) -> dict[str, Any]:
    return {"id": "winter-2026", "name": "Vague de froid 2026", "item_id": "flour-25kg",
            "quantity_per_household": 2,
            "starts_on": "2026-12-01", "ends_on": "2027-02-28"}  # fmt: skip


def new_household(_: str) -> dict[str, Any]:
    return {"id": "hh-tahannaout-102", "national_id": "JB771204", "head_name": "Rachid Amrani",
            "size": 5, "region_code": "MA07", "groups": ["children"]}  # fmt: skip


def reassessed(_: str) -> dict[str, Any]:
    """The Aït Ourir household assessed again: a seventh member, a newborn girl."""
    members = [{"sex": "f", "year_of_birth": 2026, "relation": "child"}] + [
        {"sex": "m", "year_of_birth": 1950 + n, "relation": "other"} for n in range(6)
    ]
    return {"region_code": "MA07", "province_code": "MA0701", "groups": ["children", "elderly"],
            "members": members}  # fmt: skip


def registry_export(_: str) -> str:
    """A CSV body (sent as text/csv): one household of Tahannaout."""
    return "national_id,head_name,size,region_code\nJB771204,Rachid Amrani,5,MA07\n"


def identifier(_: str) -> dict[str, Any]:
    return {"national_id": HOUSEHOLD_CIN}


def distribution_at(site_id: str) -> dict[str, Any]:
    return {"id": f"dist-{site_id}", "campaign_id": CAMPAIGN, "household_id": HOUSEHOLD,
            "site_id": site_id, "quantity": 1,
            "occurred_at": "2026-03-01T10:00:00+00:00"}  # fmt: skip


def offline_batch(site_id: str) -> dict[str, Any]:
    return {"records": [distribution_at(site_id) | {"id": f"offline-{site_id}"}]}


def new_operation(_: str) -> dict[str, Any]:
    return {"id": "op-inondations-2026", "name": "Inondations du Souss", "kind": "flood",
            "region_codes": ["MA09"], "starts_on": "2026-03-01"}  # fmt: skip


def new_donor(_: str) -> dict[str, Any]:
    return {"id": "donor-banque-alimentaire", "name": "Banque alimentaire"}


def donation_at(location_id: str) -> dict[str, Any]:
    return {"id": f"don-{location_id}", "donor_id": DONOR, "location_id": location_id,
            "item_id": "ramadan-basket", "quantity": 50}  # fmt: skip


def new_pledge(_: str) -> dict[str, Any]:
    return {"id": "pl-atlas-oil", "donor_id": DONOR, "due_on": "2027-06-30",
            "amount": "1000.00", "currency": "MAD"}  # fmt: skip


def new_cash_donation(_: str) -> dict[str, Any]:
    return {"id": "don-cash-new", "donor_id": DONOR, "amount": 500_00, "currency": "EUR"}


def purchase_at(location_id: str) -> dict[str, Any]:
    return {"id": f"buy-{location_id}", "donation_id": CASH_DONATION, "supplier": "Souss Farine",
            "location_id": location_id, "item_id": "flour-25kg", "quantity": 10,
            "amount": "100.00", "currency": "MAD"}  # fmt: skip


def pledge_cancellation(_: str) -> dict[str, Any]:
    return {"reason": "the second shipment will not come"}


def new_deployment(location_id: str) -> dict[str, Any]:
    return {"id": f"dep-plan-{location_id}", "operation_id": OPERATION,
            "from_location_id": CONVOY_FROM, "to_location_id": CONVOY_TO,
            "lines": [{"item_id": "ramadan-basket", "quantity": 10}]}  # fmt: skip


def new_composition(_: str) -> dict[str, Any]:
    return {"components": [{"item_id": "ramadan-basket", "quantity": 3}]}


def assembly_at(location_id: str) -> dict[str, Any]:
    return {"location_id": location_id, "kit_item_id": FAMILY_KIT, "quantity": 1}


def disassembly_at(location_id: str) -> dict[str, Any]:
    return assembly_at(location_id) | {"lot": f"FK-{location_id}"}


def new_user(_: str) -> dict[str, Any]:
    return {"username": "salma.operator", "role": "operator", "warehouses": ["wh-marrakech"]}


def new_scopes(_: str) -> dict[str, Any]:
    return {"warehouses": ["wh-casablanca", "wh-marrakech"]}


def no_body(_: str) -> dict[str, Any]:
    return {}  # the route takes none


def delivery(_: str) -> dict[str, Any]:
    return {"lines": [{"item_id": "ramadan-basket", "quantity": 10}]}


def extension(_: str) -> dict[str, Any]:
    return {"ends_on": "2099-04-30", "reason": "Aïd el-Fitr"}


def sent_back(loc: str) -> dict[str, Any]:
    return {"id": f"tr-home-back-{loc}", "reason": "farine du mauvais lot"}


def areas(_: str) -> dict[str, Any]:
    return {"region_codes": ["MA06", "MA07"], "reason": "les vallées d'Azilal"}


def void(_: str) -> dict[str, Any]:
    return {"reason": "saisi deux fois"}


def resolution(_: str) -> dict[str, Any]:
    return {"resolution": "accept", "reason": "famille de onze personnes"}


SLOT_DAYS = (date(2026, 3, 2), date(2026, 3, 3))


def slot_plan(_: str) -> dict[str, Any]:
    return {"days": [str(d) for d in SLOT_DAYS], "opens_at": 9, "closes_at": 11, "per_hour": 10}


def slot_move(_: str) -> dict[str, Any]:
    return {"household_id": HOUSEHOLD, "day": str(SLOT_DAYS[1]), "hour": 10}


def closed_day(_: str) -> dict[str, Any]:
    return {"day": str(SLOT_DAYS[0]), "reason": "crue de l'oued"}


def added_day(_: str) -> dict[str, Any]:
    return {"day": "2026-03-04"}


def slots_at(site: str, tail: str = "") -> str:
    return f"/v1/campaigns/{CAMPAIGN}/sites/{site}/slot-plan{tail}"


def cancellation(_: str) -> dict[str, Any]:
    return {"reason": "route de Tizi n'Test coupée"}


def requisition_at(location_id: str) -> dict[str, Any]:
    supplier = "wh-casablanca" if location_id == "wh-marrakech" else "wh-marrakech"
    return {"requesting_location_id": location_id, "supplying_location_id": supplier,
            "lines": [{"item_id": "ramadan-basket", "quantity": 40}],
            "needed_by": "2099-12-31"}  # fmt: skip


def fewer_baskets(_: str) -> dict[str, Any]:
    return {"lines": [{"item_id": "ramadan-basket", "quantity": 30}]}


@dataclass(frozen=True)
class Endpoint:
    """A route, the action it needs, and how to call it at a given location."""

    method: str
    path: str
    action: str
    body: Callable[[str], dict[str, Any] | str] | None = None  # a str is sent as text/csv
    scoped: bool = False  # narrowed to a location: the body's, the path's or ?location_id=
    url: Callable[[str], str] | None = None  # the concrete path, when the template has ids
    query: dict[str, str] | None = None  # required query parameters
    locations: tuple[str, ...] = LOCATIONS  # where the call makes sense (aid goes to sites)

    def call(self, api: ApiHarness, role: str, location_id: str | None = None) -> httpx.Response:
        where = location_id or home(role, self.locations)
        path = self.url(where) if self.url else self.path
        if self.method == "POST":
            assert self.body is not None
            body = self.body(where)
            if isinstance(body, str):
                csv = api.headers(role) | {"Content-Type": "text/csv"}
                return api.client.post(path, content=body.encode(), headers=csv)
            return api.post(role, path, body)
        if self.method == "DELETE":
            return api.client.delete(path, headers=api.headers(role))
        if self.method == "PUT":
            assert self.body is not None
            return api.client.put(path, json=self.body(where), headers=api.headers(role))
        params = {"location_id": location_id} if location_id and not self.url else None
        if self.query:
            params = (params or {}) | self.query
        return api.get(role, path, params=params)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = (
    Endpoint("POST", "/v1/locations", "reference.write", new_location),
    Endpoint("GET", "/v1/locations", "reference.read"),
    Endpoint("POST", "/v1/locations/{location_id}/coordinates", "reference.write", coordinates,
             url=lambda _: "/v1/locations/wh-casablanca/coordinates"),
    Endpoint("POST", "/v1/items", "reference.write", new_item),
    Endpoint("GET", "/v1/items", "reference.read"),
    Endpoint("POST", "/v1/stock/receipts", "stock.write", receipt_at, scoped=True),
    Endpoint("GET", "/v1/inventory", "stock.read", scoped=True),
    Endpoint("GET", "/v1/inventory/expiring", "stock.read", scoped=True),
    Endpoint("GET", "/v1/inventory/months-of-stock", "stock.read", scoped=True),
    Endpoint("GET", "/v1/inventory/{location_id}/{item_id}/card", "stock.read", scoped=True,
             url=lambda loc: f"/v1/inventory/{loc}/ramadan-basket/card"),
    Endpoint("POST", "/v1/stock/transfers", "stock.write", transfer_from, scoped=True),
    Endpoint("POST", "/v1/stock/transfers/{transfer_id}/receipt", "stock.write", arrival,
             scoped=True, url=lambda loc: f"/v1/stock/transfers/tr-to-{loc}/receipt"),
    Endpoint("POST", "/v1/stock/transfers/{transfer_id}/cancel", "stock.write", void,
             scoped=True, url=lambda loc: f"/v1/stock/transfers/tr-back-{loc}/cancel"),
    Endpoint("POST", "/v1/stock/transfers/{transfer_id}/return", "stock.write", sent_back,
             scoped=True, url=lambda loc: f"/v1/stock/transfers/tr-home-{loc}/return"),
    Endpoint("GET", "/v1/stock/transfers", "stock.read"),
    Endpoint("GET", "/v1/stock/transfers/{transfer_id}", "stock.read",
             url=lambda loc: f"/v1/stock/transfers/tr-to-{loc}"),
    Endpoint("POST", "/v1/stock/adjustments", "stock.write", adjustment_at, scoped=True),
    Endpoint("POST", "/v1/stock/counts", "stock.write", count_at, scoped=True),
    Endpoint("POST", "/v1/stock/thresholds", "stock.thresholds", threshold_at, scoped=True),
    Endpoint("POST", "/v1/stock/{entries}/{entry_id}/void", "stock.write", void, scoped=True,
             url=lambda loc: f"/v1/stock/receipts/rcpt-void-{loc}/void"),
    Endpoint("GET", "/v1/alerts", "alerts.read"),
    Endpoint("POST", "/v1/items/{item_id}/composition", "reference.write", new_composition,
             url=lambda _: f"/v1/items/{FAMILY_KIT}/composition"),
    Endpoint("GET", "/v1/items/{item_id}/composition", "reference.read",
             url=lambda _: f"/v1/items/{FAMILY_KIT}/composition"),
    Endpoint("POST", "/v1/stock/assemblies", "stock.write", assembly_at, scoped=True,
             locations=WAREHOUSES),
    Endpoint("POST", "/v1/stock/disassemblies", "stock.write", disassembly_at, scoped=True,
             locations=WAREHOUSES),
    Endpoint("GET", "/v1/inventory/kits", "stock.read", scoped=True),
    Endpoint("GET", "/v1/stock/assemblies/preview", "stock.write", scoped=True,
             locations=WAREHOUSES, url=lambda loc: "/v1/stock/assemblies/preview?"
             f"location_id={loc}&kit_item_id={FAMILY_KIT}&quantity=1"),
    Endpoint("POST", "/v1/campaigns", "campaigns.write", new_campaign),
    Endpoint("GET", "/v1/campaigns", "reference.read"),
    Endpoint("GET", "/v1/campaigns/{campaign_id}", "reference.read",
             url=lambda _: f"/v1/campaigns/{CAMPAIGN}"),
    Endpoint("POST", "/v1/campaigns/{campaign_id}/extend", "campaigns.write", extension,
             url=lambda _: f"/v1/campaigns/{CAMPAIGN}/extend"),
    Endpoint("POST", "/v1/campaigns/{campaign_id}/areas", "campaigns.write", areas,
             url=lambda _: f"/v1/campaigns/{CAMPAIGN}/areas"),
    Endpoint("POST", "/v1/campaigns/{campaign_id}/close", "campaigns.write", void,
             url=lambda _: f"/v1/campaigns/{CAMPAIGN}/close"),
    Endpoint("GET", "/v1/campaigns/{campaign_id}/coverage", "registry.read",
             url=lambda _: f"/v1/campaigns/{CAMPAIGN}/coverage"),
    Endpoint("GET", "/v1/campaigns/{campaign_id}/needs", "registry.read",
             url=lambda _: f"/v1/campaigns/{CAMPAIGN}/needs"),
    Endpoint("GET", "/v1/campaigns/{campaign_id}/sites", "sitelists.read",
             url=lambda _: f"/v1/campaigns/{CAMPAIGN}/sites"),
    Endpoint("GET", "/v1/campaigns/{campaign_id}/sites/{site_id}/households", "sitelists.read",
             scoped=True, locations=SITES,
             url=lambda site: f"/v1/campaigns/{CAMPAIGN}/sites/{site}/households"),
    Endpoint("GET", "/v1/campaigns/{campaign_id}/sites/{site_id}/households.csv",
             "sitelists.read", scoped=True, locations=SITES,
             url=lambda site: f"/v1/campaigns/{CAMPAIGN}/sites/{site}/households.csv"),
    Endpoint("GET", "/v1/campaigns/{campaign_id}/sites/{site_id}/offline", "sitelists.read",
             scoped=True, locations=SITES,
             url=lambda site: f"/v1/campaigns/{CAMPAIGN}/sites/{site}/offline"),
    Endpoint("POST", "/v1/households", "households.write", new_household),
    Endpoint("POST", "/v1/households/lookup", "households.read", identifier),
    Endpoint("POST", "/v1/households/imports", "households.write", registry_export),
    Endpoint("GET", "/v1/households/imports/{import_id}", "households.write",
             url=lambda _: f"/v1/households/imports/{IMPORT}"),
    Endpoint("GET", "/v1/households/{household_id}", "households.read",
             url=lambda _: f"/v1/households/{HOUSEHOLD}"),
    Endpoint("PUT", "/v1/households/{household_id}/profile", "households.write", reassessed,
             url=lambda _: f"/v1/households/{HOUSEHOLD}/profile"),
    Endpoint("POST", "/v1/households/{household_id}/card", "households.write", no_body,
             url=lambda _: f"/v1/households/{HOUSEHOLD}/card"),
    Endpoint("GET", "/v1/households/{household_id}/card", "households.read",
             url=lambda _: f"/v1/households/{HOUSEHOLD}/card"),
    Endpoint("DELETE", "/v1/households/{household_id}/personal-data", "households.erase",
             url=lambda _: f"/v1/households/{HOUSEHOLD}/personal-data"),
    Endpoint("GET", "/v1/households/{household_id}/eligibility", "households.read",
             url=lambda _: f"/v1/households/{HOUSEHOLD}/eligibility",
             query={"campaign_id": CAMPAIGN}),
    Endpoint("GET", "/v1/households/{household_id}/slots", "households.read",
             url=lambda _: f"/v1/households/{HOUSEHOLD}/slots"),
    Endpoint("PUT", "/v1/campaigns/{campaign_id}/sites/{site_id}/slot-plan", "slots.write",
             slot_plan, url=lambda _: slots_at(SITE)),
    Endpoint("GET", "/v1/campaigns/{campaign_id}/sites/{site_id}/slot-plan", "sitelists.read",
             scoped=True, locations=SITES, url=slots_at),
    Endpoint("POST", "/v1/campaigns/{campaign_id}/sites/{site_id}/slot-plan/moves",
             "slots.write", slot_move, url=lambda _: slots_at(SITE, "/moves")),
    Endpoint("POST", "/v1/campaigns/{campaign_id}/sites/{site_id}/slot-plan/closed-days",
             "slots.write", closed_day, url=lambda _: slots_at(SITE, "/closed-days")),
    Endpoint("POST", "/v1/campaigns/{campaign_id}/sites/{site_id}/slot-plan/days",
             "slots.write", added_day, url=lambda _: slots_at(SITE, "/days")),
    Endpoint("POST", "/v1/distributions", "distributions.write", distribution_at, scoped=True,
             locations=SITES),
    Endpoint("POST", "/v1/distributions/batch", "distributions.write", offline_batch,
             locations=SITES),
    Endpoint("GET", "/v1/distributions/duplicates", "registry.read"),
    Endpoint("POST", "/v1/distributions/{distribution_id}/void", "distributions.void", void,
             url=lambda _: "/v1/distributions/dist-to-void/void"),
    Endpoint("POST", "/v1/distributions/duplicates/{distribution_id}/resolve",
             "distributions.resolve", resolution,
             url=lambda _: "/v1/distributions/duplicates/dup-to-resolve/resolve"),
    Endpoint("POST", "/v1/operations", "relief.write", new_operation),
    Endpoint("GET", "/v1/operations", "reference.read"),
    Endpoint("POST", "/v1/operations/{operation_id}/close", "relief.write", void,
             url=lambda _: f"/v1/operations/{OPERATION}/close"),
    Endpoint("POST", "/v1/donors", "relief.write", new_donor),
    Endpoint("GET", "/v1/donors", "donations.read"),
    Endpoint("POST", "/v1/donations", "donations.write", donation_at, scoped=True),
    Endpoint("GET", "/v1/donations", "donations.read"),
    Endpoint("GET", "/v1/donations/{donation_id}/trace", "donations.read",
             url=lambda _: f"/v1/donations/{DONATION}/trace"),
    Endpoint("POST", "/v1/pledges", "pledges.write", new_pledge),
    Endpoint("GET", "/v1/pledges", "pledges.read"),
    Endpoint("GET", "/v1/pledges/{pledge_id}", "pledges.read",
             url=lambda _: f"/v1/pledges/{PLEDGE}"),
    Endpoint("POST", "/v1/pledges/{pledge_id}/cancel", "pledges.write", pledge_cancellation,
             url=lambda _: f"/v1/pledges/{PLEDGE}/cancel"),
    Endpoint("POST", "/v1/cash-donations", "relief.write", new_cash_donation),
    Endpoint("POST", "/v1/purchases", "donations.write", purchase_at, scoped=True),
    Endpoint("GET", "/v1/cash-donations/{donation_id}", "donations.read",
             url=lambda _: f"/v1/cash-donations/{CASH_DONATION}"),
    Endpoint("POST", "/v1/deployments", "relief.write", new_deployment),
    Endpoint("GET", "/v1/deployments", "relief.read"),
    Endpoint("POST", "/v1/deployments/{deployment_id}/dispatch", "relief.write", no_body,
             url=lambda loc: f"/v1/deployments/dep-dispatch-{loc}/dispatch"),
    Endpoint("POST", "/v1/deployments/{deployment_id}/deliver", "relief.write", delivery,
             url=lambda loc: f"/v1/deployments/dep-deliver-{loc}/deliver"),
    Endpoint("POST", "/v1/deployments/{deployment_id}/cancel", "relief.write", cancellation,
             url=lambda loc: f"/v1/deployments/dep-cancel-{loc}/cancel"),
    Endpoint("POST", "/v1/deployments/{deployment_id}/close", "relief.write", void,
             url=lambda loc: f"/v1/deployments/dep-close-{loc}/close"),
    Endpoint("POST", "/v1/requisitions", "requisitions.write", requisition_at, scoped=True),
    Endpoint("GET", "/v1/requisitions", "requisitions.read"),
    Endpoint("GET", "/v1/requisitions/{requisition_id}", "requisitions.read",
             url=lambda _: "/v1/requisitions/req-to-approve"),
    Endpoint("POST", "/v1/requisitions/{requisition_id}/approval", "requisitions.decide",
             fewer_baskets, url=lambda _: "/v1/requisitions/req-to-approve/approval"),
    Endpoint("POST", "/v1/requisitions/{requisition_id}/rejection", "requisitions.decide", void,
             url=lambda _: "/v1/requisitions/req-to-approve/rejection"),
    Endpoint("POST", "/v1/requisitions/{requisition_id}/closure", "requisitions.decide", void,
             url=lambda _: "/v1/requisitions/req-to-close/closure"),
    Endpoint("GET", "/v1/reports/iati.csv", "pledges.read"),
    Endpoint("GET", "/v1/reports/4w.csv", "reports.read", query={"operation_id": OPERATION}),
    Endpoint("GET", "/v1/reports/distributions.csv", "reports.read"),
    Endpoint("GET", "/v1/reports/social-watch.csv", "registry.read",
             query={"campaign_id": CAMPAIGN}),
    Endpoint("GET", "/v1/social-watch", "registry.read", query={"campaign_id": CAMPAIGN}),
    Endpoint("GET", "/v1/reports/stock.csv", "reports.read"),
    Endpoint("GET", "/v1/history/{kind}/{subject_id}", "history.read",
             url=lambda loc: f"/v1/history/location/{loc}"),
    Endpoint("GET", "/v1/ledger/checkpoints", "ledger.read"),
    Endpoint("GET", "/v1/users", "users.manage"),
    Endpoint("POST", "/v1/users", "users.manage", new_user),
    Endpoint("POST", "/v1/users/{username}/scopes", "users.manage", new_scopes,
             url=lambda _: f"/v1/users/{USERNAMES['operator']}/scopes"),
    Endpoint("POST", "/v1/users/{username}/password", "users.manage", no_body,
             url=lambda _: f"/v1/users/{USERNAMES['operator']}/password"),
    Endpoint("POST", "/v1/users/{username}/revoke", "users.manage", no_body,
             url=lambda _: f"/v1/users/{USERNAMES['operator']}/revoke"),
)  # fmt: skip


def home(role: str, among: tuple[str, ...] = LOCATIONS) -> str:
    """A location (among those given) the role's user is assigned to, or the first of them."""
    scopes = ROLE_SCOPES.get(role, {})
    assigned = scopes.get("warehouses", []) + scopes.get("sites", [])
    return next((loc for loc in among if loc in assigned), among[0])


def may(role: str, action: str, location_id: str | None = None) -> bool:
    """What the permission table says, computed from the table alone."""
    scope = grant(role, action)
    if scope is None:
        return False
    if location_id is None or scope in (Scope.ALL, Scope.DONOR):
        return True
    scopes = ROLE_SCOPES.get(role, {})
    assigned = {
        Scope.WAREHOUSES: scopes.get("warehouses", []),
        Scope.SITES: scopes.get("sites", []),
        Scope.LOCATIONS: scopes.get("warehouses", []) + scopes.get("sites", []),
    }[scope]
    return location_id in assigned


@pytest.fixture
def api(tmp_path: Path) -> Iterator[ApiHarness]:
    with ApiHarness(tmp_path) as harness:
        yield harness


@pytest.fixture(scope="module")
def one_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    """One harness for the tests that must change nothing."""
    with ApiHarness(tmp_path_factory.mktemp("api")) as harness:
        yield harness


@pytest.fixture(scope="module")
def stocked_seed(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """Every location holds 1,000 baskets, and a transfer is on its way to each; a second
    site, a Ramadan campaign and one registered household are there for the aid routes;
    an operation, two donors with a donation each, and convoys to dispatch, deliver or cancel
    are there for the relief routes."""
    with ApiHarness(tmp_path_factory.mktemp("stocked")) as harness:
        seed_aid(harness)
        seed_slots(harness)
        harness.apply(
            *(
                StockReceived(
                    receipt_id=f"rcpt-seed-{loc}",
                    location_id=loc,
                    item_id="ramadan-basket",
                    quantity=1000,
                    lot=f"RB-{loc}",
                )
                for loc in LOCATIONS
            )
        )
        harness.apply(
            *(
                TransferDispatched(
                    transfer_id=f"tr-to-{loc}",
                    from_location_id=elsewhere(loc),
                    to_location_id=loc,
                    lines=[
                        TransferLine(
                            item_id="ramadan-basket", lot=f"RB-{elsewhere(loc)}", quantity=5
                        )
                    ],
                )
                for loc in LOCATIONS
            )
        )
        seed_relief(harness)
        seed_entries_to_void(harness)
        seed_kits(harness)
        seed_requisitions(harness)
    return harness.seeded()


@pytest.fixture
def stocked(tmp_path: Path, stocked_seed: Seeded) -> Iterator[ApiHarness]:
    """A copy of the stocked harness of its own: a test's writes never reach another's."""
    with ApiHarness.from_seeded(tmp_path, stocked_seed) as harness:
        yield harness


@pytest.fixture(scope="module")
def stocked_unchanged(
    tmp_path_factory: pytest.TempPathFactory, stocked_seed: Seeded
) -> Iterator[ApiHarness]:
    """One copy of the stocked harness for the calls that change nothing, shared: reads, and
    writes the table refuses (each checks that it published nothing)."""
    with ApiHarness.from_seeded(tmp_path_factory.mktemp("unchanged"), stocked_seed) as harness:
        yield harness


def harness_for(request: pytest.FixtureRequest, endpoint: Endpoint, allowed: bool) -> ApiHarness:
    """A write the table allows gets a copy of the stocked harness of its own; anything else
    shares `stocked_unchanged` (a new harness, app and read model per call was about half of
    this module's time)."""
    if endpoint.method == "GET" or not allowed:
        return request.getfixturevalue("stocked_unchanged")
    return request.getfixturevalue("stocked")


def seed_kits(api: ApiHarness) -> None:
    """A family kit of two baskets, and ten of them assembled at each warehouse."""
    api.apply(
        ItemDefined(item_id=FAMILY_KIT, name="Kit familial", unit="kit"),
        KitCompositionSet(kit_item_id=FAMILY_KIT, version=1,
                          components=[KitComponent(item_id="ramadan-basket", quantity=2)]),
        *(
            KitsAssembled(assembly_id=f"asm-seed-{loc}", location_id=loc, kit_item_id=FAMILY_KIT,
                          composition_version=1, quantity=10, lot=f"FK-{loc}",
                          components=[ComponentLine(item_id="ramadan-basket", lot=f"RB-{loc}",
                                                    quantity=20)])
            for loc in WAREHOUSES
        ),
    )  # fmt: skip


def seed_requisitions(api: ApiHarness) -> None:
    """Al Haouz asked Casablanca for baskets twice: one request waits for a coordinator, the
    other was approved (its transfer not yet dispatched), to close short."""
    asked = [RequisitionLine(item_id="ramadan-basket", quantity=40)]
    api.apply(
        *(
            RequisitionRaised(requisition_id=rid, requesting_location_id=SITE,
                              supplying_location_id="wh-casablanca", lines=asked,
                              needed_by=date(2099, 12, 31))
            for rid in ("req-to-approve", "req-to-close")
        ),
        RequisitionApproved(requisition_id="req-to-close", transfer_id="tr-req-to-close",
                            supplying_location_id="wh-casablanca", requesting_location_id=SITE,
                            lines=asked),
    )  # fmt: skip


def seed_aid(api: ApiHarness) -> None:
    """The Asni site, the Ramadan 2026 campaign, and a household of Aït Ourir with its key
    and its card."""
    personal = api.app.state.services.personal
    personal.new_key(HOUSEHOLD)
    sealed = personal.seal(HOUSEHOLD, {"head_name": "Zahra Ouhammou", "national_id": HOUSEHOLD_CIN})
    cin = pseudonym(api.settings.pseudonym_key, "cin", HOUSEHOLD_CIN)
    api.apply(
        LocationRegistered(location_id=ASNI, name="Point de distribution Asni", kind="site",
                           region_code="MA07", region_name="Marrakech-Safi"),
        CampaignOpened(campaign_id=CAMPAIGN, name="Ramadan 2026", item_id="ramadan-basket",
                       quantity_per_household=1, starts_on=date(2026, 2, 18),
                       ends_on=date(2099, 3, 31)),  # open whatever today is: areas change
        HouseholdRegistered(household_id=HOUSEHOLD, identity=cin, national_id_pseudonym=cin,
                            size=6, region_code="MA07", province_code="MA0701",
                            groups=["children", "elderly"], sealed_personal_data=sealed),
        HouseholdCardIssued(household_id=HOUSEHOLD, identity=cin, card_number=1,
                            check="K7M4Q9TX"),
    )  # fmt: skip
    imports_queries.start(api.engine, IMPORT, False, USERNAMES["admin"], SEEDED_AT)


def seed_slots(api: ApiHarness) -> None:
    """The campaign's slot plan at both sites; the Aït Ourir household holds a slot at the
    first."""
    api.apply(
        *(
            SlotPlanSet(campaign_id=CAMPAIGN, site_id=site, days=list(SLOT_DAYS), opens_at=9,
                        closes_at=11, per_hour=10)
            for site in SITES
        ),
        HouseholdsExpected(site_id=SITE, households=[
            ExpectedHousehold(household_id=HOUSEHOLD, region_code="MA07")]),
        SlotAssigned(campaign_id=CAMPAIGN, site_id=SITE, household_id=HOUSEHOLD,
                     day=SLOT_DAYS[0], hour=9),
    )  # fmt: skip


def came_home(loc: str) -> TransferLine:
    return TransferLine(item_id="flour-25kg", lot=f"FH-{loc}", quantity=4)


def seed_entries_to_void(api: ApiHarness) -> None:
    """At every location, a receipt, an adjustment and a count of flour (its own lot, so the
    baskets stay one lot) that the void routes cancel, flour sent elsewhere to call back,
    and flour received from elsewhere to send back; and a basket handed to another household
    of Aït Ourir, to void, and a second one synced late for it, flagged as a duplicate, to
    resolve."""
    other = pseudonym(api.settings.pseudonym_key, "cin", "EE100200")
    api.apply(
        HouseholdRegistered(household_id="hh-ait-ourir-018", identity=other,
                            national_id_pseudonym=other, size=3, region_code="MA07",
                            province_code="MA0701", groups=["children"],
                            sealed_personal_data="sealed"),
        AidDistributed(distribution_id="dist-to-void", household_id="hh-ait-ourir-018",
                       identity=other, campaign_id=CAMPAIGN, site_id=ASNI,
                       item_id="ramadan-basket", quantity=1, region_code="MA07",
                       distributed_at=SEEDED_AT),
        DuplicateDistributionFlagged(distribution_id="dup-to-resolve",
                                     household_id="hh-ait-ourir-018", identity=other,
                                     campaign_id=CAMPAIGN, site_id=ASNI,
                                     item_id="ramadan-basket", quantity=1, region_code="MA07",
                                     first_distribution_id="dist-to-void", already_received=1,
                                     distributed_at=SEEDED_AT),
    )  # fmt: skip
    api.apply(
        *(
            event
            for loc in LOCATIONS
            for event in (
                StockReceived(receipt_id=f"rcpt-void-{loc}", location_id=loc,
                              item_id="flour-25kg", quantity=10, lot=f"FL-{loc}"),
                StockAdjusted(adjustment_id=f"adj-void-{loc}", location_id=loc,
                              item_id="flour-25kg", lot=f"FL-{loc}", quantity=2,
                              reason="found"),
                StockCounted(count_id=f"cnt-void-{loc}", location_id=loc, item_id="flour-25kg",
                             lot=f"FL-{loc}", counted_quantity=12, variance=0),
                StockReceived(receipt_id=f"rcpt-back-{loc}", location_id=loc,
                              item_id="flour-25kg", quantity=5, lot=f"FX-{loc}"),
                TransferDispatched(transfer_id=f"tr-back-{loc}", from_location_id=loc,
                                   to_location_id=elsewhere(loc),
                                   lines=[TransferLine(item_id="flour-25kg", lot=f"FX-{loc}",
                                                       quantity=5)]),
                StockReceived(receipt_id=f"rcpt-home-{loc}", location_id=elsewhere(loc),
                              item_id="flour-25kg", quantity=4, lot=f"FH-{loc}"),
                TransferDispatched(transfer_id=f"tr-home-{loc}", from_location_id=elsewhere(loc),
                                   to_location_id=loc, lines=[came_home(loc)]),
                TransferReceived(transfer_id=f"tr-home-{loc}", from_location_id=elsewhere(loc),
                                 to_location_id=loc, lines=[came_home(loc)]),
            )
        )
    )  # fmt: skip


def planned(deployment_id: str) -> DeploymentPlanned:
    return DeploymentPlanned(
        deployment_id=deployment_id, operation_id=OPERATION, from_location_id=CONVOY_FROM,
        to_location_id=CONVOY_TO, lines=[PlannedLine(item_id="ramadan-basket", quantity=10)],
    )  # fmt: skip


def seed_relief(api: ApiHarness) -> None:
    """The earthquake operation; the Fondation Atlas (the donor user's) and the Croissant-Rouge,
    each with a donation of flour received in Casablanca (flour, so that the baskets there stay
    one lot for `POST /v1/stock/counts`); and, for every location a role may call from
    (`Endpoint.url` is given the caller's home), a convoy planned to dispatch, one to cancel,
    one already on the road to deliver, and one delivered to close."""
    api.apply(
        OperationOpened(operation_id=OPERATION, name="Séisme d'Al Haouz", kind="earthquake",
                        region_codes=["MA07"], starts_on=date(2026, 2, 16)),
        DonorRegistered(donor_id=DONOR, name="Fondation Atlas"),
        DonorRegistered(donor_id=OTHER_DONOR, name="Croissant-Rouge marocain"),
        PledgeMade(pledge_id=PLEDGE, donor_id=DONOR, due_on=date(2026, 3, 31),
                   item_id="flour-25kg", quantity=400),
        CashDonationReceived(donation_id=CASH_DONATION, donor_id=DONOR, amount=10_000_000,
                             currency="MAD"),
    )  # fmt: skip
    gifts = ((DONATION, DONOR), (OTHER_DONATION, OTHER_DONOR))
    api.apply(
        *(
            DonationReceived(donation_id=gift, donor_id=donor, location_id="wh-casablanca",
                             item_id="flour-25kg", quantity=200)
            for gift, donor in gifts
        ),
        *(
            StockReceived(receipt_id=gift, location_id="wh-casablanca", item_id="flour-25kg",
                          quantity=200, lot=gift, donation_id=gift)
            for gift, _ in gifts
        ),
    )  # fmt: skip
    api.apply(
        *(
            planned(f"dep-{step}-{loc}")
            for loc in LOCATIONS
            for step in ("dispatch", "cancel", "deliver", "close")
        )
    )
    on_the_road = [PlannedLine(item_id="ramadan-basket", quantity=10)]
    api.apply(
        *(
            event
            for loc in LOCATIONS
            for event in (
                TransferDispatched(
                    transfer_id=f"dep-deliver-{loc}",
                    deployment_id=f"dep-deliver-{loc}",
                    from_location_id=CONVOY_FROM,
                    to_location_id=CONVOY_TO,
                    lines=[TransferLine(item_id="ramadan-basket", lot=f"RB-{CONVOY_FROM}",
                                        quantity=10)],
                ),
                DeploymentDispatched(
                    deployment_id=f"dep-deliver-{loc}",
                    dispatched=on_the_road,
                    dispatched_at=SEEDED_AT,
                ),
                DeploymentDispatched(
                    deployment_id=f"dep-close-{loc}", dispatched=on_the_road,
                    dispatched_at=SEEDED_AT,
                ),
                DeploymentDelivered(
                    deployment_id=f"dep-close-{loc}", delivered=on_the_road,
                    delivered_at=SEEDED_AT,
                ),
            )
        )
    )  # fmt: skip


def assert_answer(r: httpx.Response, allowed: bool, action: str) -> None:
    if allowed:
        assert r.status_code in (200, 201, 202), r.text
        return
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "forbidden"
    assert r.json()["permission"] == action


# ---- the table itself ------------------------------------------------------------------------


def test_the_matrix_covers_every_v1_route(api: ApiHarness) -> None:
    assert {(e.method, e.path) for e in ENDPOINTS} == v1_routes(api)


def test_every_action_of_the_table_is_exercised_or_explained() -> None:
    used = {e.action for e in ENDPOINTS}
    assert used <= set(PERMISSIONS), used - set(PERMISSIONS)
    assert set(PERMISSIONS) - used == set(NOT_ON_HTTP)


def v1_routes(api: ApiHarness) -> set[tuple[str, str]]:
    try:  # FastAPI ≥ 0.120 nests included routers; this flattens them again
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = [c.original_route for c in iter_route_contexts(api.app.routes)]
    except ImportError:
        routes = list(api.app.routes)
    return {
        (method, route.path)
        for route in routes
        if isinstance(route, APIRoute) and route.path.startswith("/v1")
        for method in route.methods - {"HEAD"}
    }


# ---- every role, every endpoint ----------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_grants(
    request: pytest.FixtureRequest, role: str, endpoint: Endpoint
) -> None:
    allowed = may(role, endpoint.action)
    api = harness_for(request, endpoint, allowed)
    published = len(api.published())

    r = endpoint.call(api, role)

    assert_answer(r, allowed, endpoint.action)
    if r.status_code == 403:
        assert endpoint.action in r.json()["message"]  # names the missing permission
        assert len(api.published()) == published


@pytest.mark.parametrize(
    ("endpoint", "location_id"),
    [(e, loc) for e in ENDPOINTS if e.scoped for loc in e.locations],
    ids=lambda v: str(v),
)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_the_locations_its_scope_allows(
    request: pytest.FixtureRequest, role: str, endpoint: Endpoint, location_id: str
) -> None:
    allowed = may(role, endpoint.action, location_id)
    api = harness_for(request, endpoint, allowed)
    published = len(api.published())

    r = endpoint.call(api, role, location_id)

    assert_answer(r, allowed, endpoint.action)
    if r.status_code == 403:
        assert len(api.published()) == published
        if grant(role, endpoint.action) is not None:
            assert location_id in r.json()["message"]


# ---- scoped stories ----------------------------------------------------------------------------


def test_the_casablanca_operator_receives_in_casablanca_but_not_in_marrakech(
    api: ApiHarness,
) -> None:
    refused = api.post("operator", "/v1/stock/receipts", receipt_at("wh-marrakech"))
    accepted = api.post("operator", "/v1/stock/receipts", receipt_at("wh-casablanca"))

    assert refused.status_code == 403, refused.text
    assert "wh-marrakech" in refused.json()["message"]
    assert accepted.status_code == 201, accepted.text
    assert [e.data["location_id"] for e in api.published("stock")] == ["wh-casablanca"]


def test_the_al_haouz_agent_records_aid_at_al_haouz_but_not_at_asni(stocked: ApiHarness) -> None:
    refused = stocked.post("agent", "/v1/distributions", distribution_at(ASNI))
    synced = stocked.post("agent", "/v1/distributions/batch", offline_batch(ASNI))

    assert refused.status_code == 403, refused.text
    assert ASNI in refused.json()["message"]
    assert synced.status_code == 200, synced.text
    [result] = synced.json()["results"]
    assert (result["id"], result["status"]) == (f"offline-{ASNI}", "rejected")
    assert ASNI in result["reason"]
    assert stocked.published("distributions") == []


def test_a_donor_follows_its_own_donations_and_no_one_elses(stocked: ApiHarness) -> None:
    own = stocked.get("donor", f"/v1/donations/{DONATION}/trace")
    other = stocked.get("donor", f"/v1/donations/{OTHER_DONATION}/trace")
    donations = stocked.get("donor", "/v1/donations").json()["items"]
    donors = stocked.get("donor", "/v1/donors").json()["items"]

    assert own.status_code == 200, own.text
    assert (own.json()["received"], own.json()["in_stock"]) == (
        200, [{"location_id": "wh-casablanca", "quantity": 200, "in_kits": 0}],
    )  # fmt: skip
    assert other.status_code == 403, other.text
    assert other.json()["error"] == "forbidden"
    assert other.json()["permission"] == "donations.read"
    assert [d["donation_id"] for d in donations] == [DONATION]
    assert [d["donor_id"] for d in donors] == [DONOR]
    # Whoever holds donations.read for all donors traces the other donor's gift.
    assert stocked.get("auditor", f"/v1/donations/{OTHER_DONATION}/trace").status_code == 200


def seed_stock(api: ApiHarness) -> None:
    """Baskets in both warehouses and at the Al Haouz site, flour in Marrakech."""
    stock = [
        ("rcpt-casa", "wh-casablanca", "ramadan-basket", 400),
        ("rcpt-kech", "wh-marrakech", "ramadan-basket", 250),
        ("rcpt-kech-flour", "wh-marrakech", "flour-25kg", 80),
        ("rcpt-haouz", SITE, "ramadan-basket", 60),
    ]
    api.apply(
        *(
            StockReceived(receipt_id=r, location_id=loc, item_id=item, quantity=q, lot=r)
            for r, loc, item, q in stock
        )
    )


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("operator", {"wh-casablanca"}),
        ("agent", {SITE}),
        ("admin", set(LOCATIONS)),
        ("coordinator", set(LOCATIONS)),
        ("auditor", set(LOCATIONS)),
    ],
)
def test_inventory_shows_only_the_stock_a_user_is_assigned_to(
    api: ApiHarness, role: str, visible: set[str]
) -> None:
    seed_stock(api)

    rows = api.get(role, "/v1/inventory").json()["items"]

    assert {row["location_id"] for row in rows} == visible


def test_the_al_haouz_agent_sees_the_site_stock_and_nothing_else(api: ApiHarness) -> None:
    seed_stock(api)

    rows = api.get("agent", "/v1/inventory", params={"location_id": SITE}).json()["items"]
    marrakech = api.get("agent", "/v1/inventory", params={"location_id": "wh-marrakech"})

    assert rows == [
        {"location_id": SITE, "item_id": "ramadan-basket", "lot": "rcpt-haouz",
         "expires_on": None, "on_hand": 60},
    ]  # fmt: skip
    assert marrakech.status_code == 403


# ---- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"Authorization": "Bearer aid_not-a-real-token"}, id="wrong-token"),
        pytest.param({"Authorization": "Basic YW1pbmE6c2VjcmV0"}, id="not-bearer"),
        pytest.param({"Authorization": "Bearer "}, id="empty-token"),
    ],
)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_without_a_valid_token_every_v1_route_is_a_401(
    one_api: ApiHarness, endpoint: Endpoint, headers: dict[str, str]
) -> None:
    body = endpoint.body("wh-casablanca") if endpoint.body else None
    r = one_api.client.request(endpoint.method, endpoint.path, json=body, headers=headers)

    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json()["error"] == "unauthenticated"
    assert one_api.published() == []  # nor by any earlier request: the harness is shared


def test_a_revoked_user_is_refused_once_the_moment_users_are_kept_is_over(api: ApiHarness) -> None:
    clock = FakeClock()
    api.app.state.services.users = KeptRows(USERS, 1.0, clock=clock.monotonic)
    assert api.get("operator", "/v1/inventory").status_code == 200

    api.revoke_user(USERNAMES["operator"])  # as `aid users revoke` does, from another process
    clock.advance(1.0)  # AID_USERS_CACHE_SECONDS

    r = api.get("operator", "/v1/inventory")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json", "/docs"])
def test_health_and_docs_need_no_token(api: ApiHarness, path: str) -> None:
    r = api.client.get(path)

    # /healthz honestly answers 503 when no Kafka runs next to the unit tests.
    assert r.status_code in ({200, 503} if path == "/healthz" else {200}), r.text


def test_the_docs_render_the_permission_table(api: ApiHarness) -> None:
    description = api.client.get("/openapi.json").json()["info"]["description"]

    assert all(action in description for action in PERMISSIONS)
