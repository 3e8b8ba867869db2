"""The web UI: server-rendered pages for each role, in French, Arabic and English."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.ui.pages import (
    admin,
    admin_erasure,
    admin_users,
    agent,
    auditor,
    cards,
    coordinator,
    desk,
    donor,
    duplicates,
    needs,
    operator,
    pledges,
    requisitions,
    signin,
    site_lists,
    slots,
    social_watch,
)


def install(app: FastAPI) -> None:
    """Serve the pages under `/` and their CSS and scripts under `/static/ui`."""
    static = StaticFiles(directory=Path(__file__).parent / "static")
    app.mount("/static/ui", static, name="ui-static")
    pages = (signin, operator, agent, coordinator, duplicates, donor, auditor, admin, admin_users,
             desk, site_lists, social_watch, slots, needs, pledges)  # fmt: skip
    for module in (*pages, admin_erasure, cards):
        app.include_router(module.router)
    app.include_router(requisitions.requests_router)
    app.include_router(requisitions.approvals_router)
