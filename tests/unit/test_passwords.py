"""Web sign-in passwords: only a peppered Argon2id hash is recorded, short ones are refused."""

from __future__ import annotations

import pytest

from events.users import UserCreated
from services.runtime.passwords import WeakPassword, hash_password, verify_password
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


def test_a_short_password_is_refused() -> None:
    with pytest.raises(WeakPassword):
        hash_password("1234567", PEPPER)


def test_a_user_created_with_a_password_records_only_its_hash() -> None:
    publisher, settings = InMemoryPublisher(), Settings(token_pepper=PEPPER)

    create_user(settings, publisher, "nadia.agent", "agent", sites=["site-amizmiz"],
                password="harira-chaude-2026")  # fmt: skip

    [envelope] = publisher.envelopes("users")
    event = UserCreated.model_validate(envelope.data)
    assert verify_password(event.password_hash, "harira-chaude-2026", PEPPER)
    assert "harira" not in str(envelope.data)


def test_a_user_created_without_a_password_has_none() -> None:
    publisher = InMemoryPublisher()

    create_user(Settings(token_pepper=PEPPER), publisher, "omar.auditor", "auditor")

    assert publisher.envelopes("users")[0].data["password_hash"] is None
