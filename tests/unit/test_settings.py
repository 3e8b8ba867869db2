"""Settings: defaults that work on one machine, and no default secret outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.runtime.settings import DEV_SECRET, Settings

STRONG = {"token_pepper": "a" * 64, "pseudonym_key": "b" * 64, "master_key": "c" * 64}


def test_development_runs_with_the_embedded_defaults() -> None:
    settings = Settings()
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.topic("stock") == "aid.stock"
    assert settings.db_url.startswith("sqlite:///") and settings.db_url.endswith("aidledger.db")


@pytest.mark.parametrize("secret", ["token_pepper", "pseudonym_key", "master_key"])
@pytest.mark.parametrize("weak", [DEV_SECRET, ""])
def test_production_refuses_a_default_or_empty_secret_and_says_how_to_set_it(
    secret: str, weak: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(environment="production", **(STRONG | {secret: weak}))
    message = str(refused.value)
    assert f"AID_{secret.upper()}" in message and "secrets.token_hex" in message


def test_production_accepts_real_secrets_and_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AID_KAFKA_BOOTSTRAP", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("AID_DATABASE_URL", "postgresql://aid@db/aid")
    settings = Settings(environment="production", **STRONG)
    assert settings.kafka_bootstrap == "kafka-1:9092,kafka-2:9092"
    assert settings.db_url == "postgresql://aid@db/aid"
