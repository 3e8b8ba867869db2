"""Users, for administrators: list, create, change scopes, reset credentials, revoke.

A token is in the answer that made it and nowhere else: keep it then. A reset or a creation
asked again makes a new token, so its retry is refused (409) rather than replayed."""

from __future__ import annotations

import uuid

from fastapi import Response

from api import answers
from api.deps import CurrentUser, IdempotencyKey, Now, PageOf, ServicesDep
from api.reads import ReadAfter
from api.routing import Router
from api.schemas.users import (
    CredentialsIssued,
    CredentialsReset,
    UserChanged,
    UserCreate,
    UserIssued,
    UserList,
    UserScopes,
)
from services.app import users
from services.app.users import NewUser, Scopes

router = Router(prefix="/v1/users", tags=["users"])


def _scopes(body: UserScopes) -> Scopes:
    return Scopes(body.warehouses, body.sites, body.donors)


@router.get("", response_model=UserList)
async def list_users(
    services: ServicesDep, user: CurrentUser, _: ReadAfter, page: PageOf
) -> UserList:
    """Every user by name: role, scopes, revoked or not, with a web password or not."""
    found = await users.list_users(services, user, page)
    return UserList(items=[answers.user_public(r) for r in found.items], next=found.next)


@router.post("", status_code=201, response_model=UserIssued)
async def create_user(
    body: UserCreate, services: ServicesDep, user: CurrentUser, now: Now
) -> UserIssued:
    """Create a user with a role and its scopes; the answer holds the token, this once
    (409 `username_taken` when the name is taken, even by a revoked user)."""
    new = NewUser(body.username, body.role, _scopes(body), body.password)
    issued = await users.create_user(services, user, now, new)
    assert issued.token is not None
    return UserIssued(
        username=body.username, role=body.role, warehouses=body.warehouses, sites=body.sites,
        donors=body.donors, token=issued.token, position=issued.outcome.position,
    )  # fmt: skip


@router.post("/{username}/scopes", status_code=201, response_model=UserChanged)
async def change_scopes(
    username: str,
    body: UserScopes,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> UserChanged:
    """Replace a user's scopes; they apply to the user's next request (200 when unchanged)."""
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await users.change_scopes(services, user, now, username, _scopes(body), command_id)
    answers.repeated(outcome, response)
    return UserChanged(username=username, position=outcome.position)


@router.post("/{username}/password", status_code=201, response_model=CredentialsIssued)
async def reset_credentials(
    username: str,
    body: CredentialsReset,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    idempotency_key: IdempotencyKey = None,
) -> CredentialsIssued:
    """Give a user a new token (shown this once), a new password, or both: the old ones stop
    working at once, and so do the web sessions opened with them."""
    command_id = idempotency_key or str(uuid.uuid4())
    issued = await users.reset_credentials(
        services, user, now, username, command_id, password=body.password,
        new_token=body.new_token,
    )  # fmt: skip
    return CredentialsIssued(
        username=username, token=issued.token, position=issued.outcome.position
    )


@router.post("/{username}/revoke", status_code=201, response_model=UserChanged)
async def revoke_user(
    username: str,
    services: ServicesDep,
    user: CurrentUser,
    now: Now,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> UserChanged:
    """Stop a user's token and web sessions at once (409 when already revoked, or when it is
    the caller)."""
    command_id = idempotency_key or str(uuid.uuid4())
    outcome = await users.revoke_user(services, user, now, username, command_id)
    answers.repeated(outcome, response)
    return UserChanged(username=username, position=outcome.position)
