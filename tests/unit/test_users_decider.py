"""Stories of the users' writer: Amina, an admin, creates Youssef, an operator in Casablanca,
moves him to Marrakech, resets his credentials and revokes him; what it refuses on the way.

Pure: the decider alone (and its bookkeeping for retries), no database and no Kafka. Facts
already in a username's log are folded with `evolve`, then one command is decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from events import Actor, Event
from events.users import (
    PersonalDataRead,
    SessionEnded,
    UserCreated,
    UserPasswordReset,
    UserRevoked,
    UserScopesChanged,
)
from services.app.permissions import PERMISSIONS, ROLES, Scope
from services.domain.commands import Command, CommandEnvelope
from services.domain.deciding import AggregateStore
from services.domain.decisions import Refused, Rejected
from services.domain.users.decider import (
    Account,
    ChangeUserScopes,
    CreateUser,
    EndSession,
    RecordPersonalDataRead,
    ResetUserPassword,
    RevokeUser,
    UsersDecider,
)
from services.domain.users.scopes import SCOPE_OF_ROLE

ADMIN, YOUSSEF = "amina.admin", "youssef.operator"
CASABLANCA, MARRAKECH = "wh-casablanca", "wh-marrakech"
MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DECIDER = UsersDecider()
FIRST_TOKEN, SECOND_TOKEN = "a1" * 32, "b2" * 32
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VsMQ$aGFzaDE"


def create(**changes: object) -> CreateUser:
    fields: dict[str, object] = {"username": YOUSSEF, "role": "operator",
                                 "warehouses": [CASABLANCA], "token_hash": FIRST_TOKEN}  # fmt: skip
    return CreateUser.model_validate(fields | changes)


def created(**changes: object) -> UserCreated:
    return UserCreated(**create(**changes).model_dump(exclude={"anew"}))


def move_to(*warehouses: str) -> ChangeUserScopes:
    return ChangeUserScopes(username=YOUSSEF, warehouses=list(warehouses))


def revoke(by: str = ADMIN) -> RevokeUser:
    return RevokeUser(username=YOUSSEF, by=by)


def fold(events: Iterable[Event]) -> Account:
    state = DECIDER.initial()
    for event in events:
        state = DECIDER.evolve(state, event)
    return state


def decide(past: list[Event], command: Command) -> list[Event]:
    return DECIDER.decide(fold(past), command, MORNING)


def story(*commands: Command) -> list[Event]:
    log: list[Event] = []
    for command in commands:
        log += decide(log, command)
    return log


def refusal(past: list[Event], command: Command) -> Refused:
    with pytest.raises(Refused) as refused:
        decide(past, command)
    assert refused.value.message
    return refused.value


def rejection(past: list[Event], command: Command) -> Rejected:
    with pytest.raises(Rejected) as rejected:
        decide(past, command)
    return rejected.value


# ---- a user's life -------------------------------------------------------------------------


def test_an_operator_is_created_moved_given_a_new_token_and_revoked() -> None:
    log = story(
        create(),
        move_to(MARRAKECH),
        ResetUserPassword(username=YOUSSEF, token_hash=SECOND_TOKEN),
        revoke(),
    )

    assert log == [
        created(),
        UserScopesChanged(username=YOUSSEF, warehouses=[MARRAKECH]),
        UserPasswordReset(username=YOUSSEF, token_hash=SECOND_TOKEN),
        UserRevoked(username=YOUSSEF),
    ]
    assert fold(log) == Account("operator", revoked=True, warehouses=(MARRAKECH,))


def test_scopes_are_recorded_each_once_in_order() -> None:
    [event] = story(create(warehouses=[MARRAKECH, CASABLANCA, MARRAKECH]))

    assert isinstance(event, UserCreated)
    assert event.warehouses == [CASABLANCA, MARRAKECH]


def test_the_same_scopes_again_record_nothing() -> None:
    log = story(create(warehouses=[CASABLANCA, MARRAKECH]))

    assert decide(log, move_to(MARRAKECH, CASABLANCA)) == []


def test_a_password_alone_can_be_reset_and_the_token_stays() -> None:
    reset = ResetUserPassword(username=YOUSSEF, password_hash=PASSWORD_HASH)

    assert story(create(), reset)[-1] == UserPasswordReset(
        username=YOUSSEF, password_hash=PASSWORD_HASH
    )


def test_a_reset_that_gives_nothing_new_is_no_command() -> None:
    with pytest.raises(ValidationError, match="a new token, a new password, or both"):
        ResetUserPassword(username=YOUSSEF)


def test_sign_outs_and_reads_of_personal_data_change_nothing_of_the_account() -> None:
    log = story(create())
    noise: list[Event] = [
        SessionEnded(username=YOUSSEF, session_hash="c3" * 32),
        PersonalDataRead(username=YOUSSEF, household_id="hh-ait-ourir-017", via="lookup"),
    ]

    assert fold(log + noise) == fold(log)


def test_a_read_and_a_sign_out_are_recorded_whatever_the_account_even_revoked() -> None:
    read = RecordPersonalDataRead(username=YOUSSEF, household_id="hh-ait-ourir-017", via="lookup")
    out = EndSession(username=YOUSSEF, session_hash="c3" * 32)

    for past in ([], story(create()), story(create(), revoke())):
        assert decide(past, read) == [
            PersonalDataRead(username=YOUSSEF, household_id="hh-ait-ourir-017", via="lookup")
        ]
        assert decide(past, out) == [SessionEnded(username=YOUSSEF, session_hash="c3" * 32)]


def test_a_user_created_again_from_the_command_line_is_active_with_the_new_scopes() -> None:
    log = [*story(create(), revoke()), created(warehouses=[MARRAKECH], token_hash=SECOND_TOKEN)]

    assert fold(log) == Account("operator", warehouses=(MARRAKECH,))
    assert decide(log, move_to(CASABLANCA)) == [
        UserScopesChanged(username=YOUSSEF, warehouses=[CASABLANCA])
    ]


def test_the_command_line_creates_a_taken_name_anew_through_the_users_writer() -> None:
    """`aid users create` sends CreateUser with `anew` to the users' writer: a lost admin
    token is replaced by a new one, written by the partition's one writer."""
    for log in (story(create()), story(create(), revoke())):
        [event] = decide(log, create(token_hash=SECOND_TOKEN, anew=True))

        assert event == created(token_hash=SECOND_TOKEN)
        assert fold([*log, event]) == Account("operator", warehouses=(CASABLANCA,))


# ---- refusals ------------------------------------------------------------------------------


def test_a_username_is_taken_by_its_user_even_once_revoked() -> None:
    for log in (story(create()), story(create(), revoke())):
        refused = refusal(log, create(token_hash=SECOND_TOKEN))

        assert refused.code == "username_taken"
        assert refused.details == {"username": YOUSSEF}


@pytest.mark.parametrize(
    "command",
    [move_to(MARRAKECH), ResetUserPassword(username=YOUSSEF, token_hash=SECOND_TOKEN), revoke()],
    ids=["scopes", "reset", "revoke"],
)
def test_nobody_created_under_a_name_is_an_unknown_user(command: Command) -> None:
    assert refusal([], command).code == "unknown_user"


@pytest.mark.parametrize(
    "command",
    [move_to(MARRAKECH), ResetUserPassword(username=YOUSSEF, token_hash=SECOND_TOKEN), revoke()],
    ids=["scopes", "reset", "revoke"],
)
def test_a_revoked_user_changes_no_more(command: Command) -> None:
    log = story(create(), revoke())

    refused = refusal(log, command)

    assert refused.code == "user_revoked"
    assert "revoked" in refused.message


def test_an_admin_cannot_revoke_themself() -> None:
    log = story(create(username=ADMIN, role="admin", warehouses=[]))

    refused = refusal(log, RevokeUser(username=ADMIN, by=ADMIN))

    assert refused.code == "cannot_revoke_self"
    assert fold(log).revoked is False


@pytest.mark.parametrize(
    ("role", "scopes", "code", "field"),
    [
        ("coordinator", {"warehouses": [CASABLANCA]}, "scope_not_for_role", "warehouses"),
        ("operator", {"warehouses": [CASABLANCA], "sites": ["site-al-haouz"]},
         "scope_not_for_role", "sites"),
        ("agent", {"sites": ["site-al-haouz"], "donors": ["donor-atlas"]},
         "scope_not_for_role", "donors"),
        ("operator", {"warehouses": []}, "scope_required", "warehouses"),
        ("agent", {"warehouses": []}, "scope_required", "sites"),
        ("donor", {"warehouses": []}, "scope_required", "donors"),
        ("social_worker", {"warehouses": [CASABLANCA], "sites": ["site-al-haouz"]},
         "scope_not_for_role", "warehouses"),
        ("social_worker", {"warehouses": []}, "scope_required", "sites"),
    ],
)  # fmt: skip
def test_a_role_is_given_only_the_scopes_it_uses_and_at_least_one_of_them(
    role: str, scopes: dict[str, list[str]], code: str, field: str
) -> None:
    rejected = rejection([], create(role=role, **({"warehouses": []} | scopes)))

    assert (rejected.code, rejected.details["field"]) == (code, field)
    assert role in rejected.message


def test_an_operator_cannot_be_left_without_a_warehouse() -> None:
    rejected = rejection(story(create()), move_to())

    assert (rejected.code, rejected.details["field"]) == ("scope_required", "warehouses")


def test_the_scopes_each_role_takes_are_those_the_permission_table_narrows_it_to() -> None:
    names = {Scope.WAREHOUSES: "warehouses", Scope.SITES: "sites", Scope.DONOR: "donors"}
    # The table grants a social worker every household; their sites bound which ones they
    # reach (the regions the sites serve, as for an agent), a narrowing the table cannot show.
    beyond_the_table = {"social_worker": {"sites"}}
    narrowed = {
        role: {names[scope] for grants in PERMISSIONS.values()
               if (scope := grants.get(role)) in names} | beyond_the_table.get(role, set())
        for role in ROLES
    }  # fmt: skip

    assert narrowed == {role: {SCOPE_OF_ROLE[role]} if role in SCOPE_OF_ROLE else set()
                        for role in ROLES}  # fmt: skip


# ---- retries -------------------------------------------------------------------------------


def wire(command: Command, client_id: str) -> CommandEnvelope:
    actor = Actor(user_id=ADMIN, role="admin")
    return CommandEnvelope.of(command, client_id, actor, MORNING)


def test_a_creation_asked_again_with_a_new_token_is_an_idempotency_conflict() -> None:
    store = AggregateStore(DECIDER)
    first = store.take(wire(create(), YOUSSEF))
    store.fold(first)

    again = store.take(wire(create(token_hash=SECOND_TOKEN), YOUSSEF))

    assert [type(e) for _, e in first.events] == [UserCreated]
    assert first.events[0][0].actor.user_id == ADMIN
    assert again.reply is not None and again.reply.error == "idempotency_conflict"


def test_a_revocation_retried_is_answered_again_not_refused() -> None:
    store = AggregateStore(DECIDER)
    store.fold(store.take(wire(create(), YOUSSEF)))
    first = store.take(wire(revoke(), "revoke-1"))
    store.fold(first)

    retried = store.take(wire(revoke(), "revoke-1"))

    assert retried.reply is not None
    assert (retried.reply.status, retried.reply.replayed) == ("accepted", True)
