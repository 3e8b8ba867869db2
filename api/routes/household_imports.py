"""Imports of a social registry's export: sent as a CSV body, followed by their id."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from starlette.requests import ClientDisconnect

from api.deps import CurrentUser, Now, PageOf, ServicesDep
from api.routing import Router
from api.schemas.household_imports import ImportPublic
from services.app import import_runs
from services.app.errors import Invalid

router = Router(prefix="/v1/households/imports", tags=["households"])
CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": "The export: CSV in UTF-8 with a header line naming the household "
        "body's fields (`groups` `;`-separated, an optional `id`), one household a line.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.post("", status_code=202, response_model=ImportPublic, openapi_extra=CSV_BODY)
async def start_import(
    request: Request,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    dry_run: Annotated[bool, Query(description="Check and report; register nothing.")] = False,
) -> ImportPublic:
    """Import a registry export (`text/csv` body) in the background; follow it by its id.
    The same file again answers the same import (200 once it is done), or resumes it."""
    try:
        body = await request.body()
    except ClientDisconnect:  # or cut short past the size limit (the 413 is already sent)
        raise Invalid("the upload ended before the whole file was sent", field="file") from None
    state, started = await import_runs.start_import(
        services, services.imports, user, now, body, dry_run
    )
    if not started and state["done"]:
        response.status_code = 200
    response.headers["Location"] = f"/v1/households/imports/{state['import_id']}"
    return ImportPublic.model_validate(state)


@router.get("/{import_id}", response_model=ImportPublic)
async def import_state(
    import_id: str, services: ServicesDep, user: CurrentUser, page: PageOf
) -> ImportPublic:
    """Where an import stands: lines read, registered, updated, unchanged, refused (with
    why)."""
    return ImportPublic.model_validate(
        await import_runs.import_state(services, user, import_id, page)
    )
