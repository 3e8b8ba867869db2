"""Web sign-in passwords: only a peppered Argon2id hash is recorded, short ones are refused."""

from __future__ import annotations

import pytest

from events.users import UserCreated
from services.domain.users.credentials import WeakPassword, hash_password, verify_password
from services.runtime.settings import Settings
from services.runtime.users import create_user
from tests.support.fakes import InMemoryPublisher

PEPPER = "a-pepper-kept-in-the-settings"


def test_a_password_matches_its_hash_and_nothing_else() -> None:
    stored = hash_password("couscous-du-vendredi", PEPPER)

    assert stored.startswith("$argon2id$")
    assert "couscous" not in stored
    assert verify_password(stored, "couscous-du-vendredi", PEPPER)
    assert not verify_password(stored, "couscous-du-samedi", PEPPER)
    assert not verify_password(stored, "couscous-du-vendredi", "another-pepper")
    assert not verify_password(None, "couscous-du-vendredi", PEPPER)
    assert not verify_password("not a hash", "couscous-du-vendredi", PEPPER)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("1234567", "at least 10 characters"),
        ("password123", "common"),  # on zxcvbn's list of common passwords
        ("qwertyuiop", "common"),
        ("azerty123456", "common"),
        ("nadia.agent2026", "too weak"),  # the username and a year
        ("aaaaaaaaaaaa", "too weak"),
    ],
)
def test_a_short_common_or_guessable_password_is_refused(password: str, why: str) -> None:
    with pytest.raises(WeakPassword, match=why):
        hash_password(password, PEPPER, known=["nadia.agent", "Entraide Nationale"])


def test_creating_a_user_with_a_weak_password_records_nothing() -> None:
    publisher = InMemoryPublisher()

    with pytest.raises(WeakPassword):
        create_user(Settings(token_pepper=PEPPER), publisher, "nadia.agent", "agent",
                    password="nadia.agent1")  # fmt: skip

    assert publisher.envelopes("users") == []


def test_a_user_created_with_a_password_records_only_its_hash() -> None:
    publisher, settings = InMemoryPublisher(), Settings(token_pepper=PEPPER)

    create_user(settings, publisher, "nadia.agent", "agent", sites=["site-amizmiz"],
                password="harira-chaude-2026")  # fmt: skip

    [envelope] = publisher.envelopes("users")
    event = UserCreated.model_validate(envelope.data)
    assert verify_password(event.password_hash, "harira-chaude-2026", PEPPER)
    assert "harira" not in str(envelope.data)


def test_the_command_line_creates_a_social_worker_at_their_site() -> None:
    publisher = InMemoryPublisher()

    create_user(Settings(token_pepper=PEPPER), publisher, "nadia.social", "social_worker",
                sites=["site-amizmiz"])  # fmt: skip

    event = UserCreated.model_validate(publisher.envelopes("users")[0].data)
    assert (event.role, event.sites) == ("social_worker", ["site-amizmiz"])


def test_a_user_created_without_a_password_has_none() -> None:
    publisher = InMemoryPublisher()

    create_user(Settings(token_pepper=PEPPER), publisher, "omar.auditor", "auditor")

    assert publisher.envelopes("users")[0].data["password_hash"] is None
