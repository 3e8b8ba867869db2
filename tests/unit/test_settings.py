"""Settings: defaults that work on one machine, and no default secret outside development."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from services.domain.keys import PURPOSES, purpose_key
from services.domain.users.credentials import token_hash
from services.runtime.cli import app
from services.runtime.kafka_security import client_options, faust_credentials
from services.runtime.settings import DEV_SECRET, SECRETS, Settings

STRONG = {
    "token_pepper": "a" * 64,
    "pseudonym_key": "b" * 64,
    "master_key": "c" * 64,
    "ledger_keys": "f" * 64,
    "key_store_url": "postgresql://aid@keys/aidledger_keys",
    "kafka_security_protocol": "SASL_SSL",
    "kafka_username": "aid-api",
    "kafka_password": "e" * 48,
}


def test_development_runs_with_the_embedded_defaults() -> None:
    settings = Settings()
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.topic("stock") == "aid.stock"
    assert settings.db_url.startswith("sqlite:///") and settings.db_url.endswith("aidledger.db")


@pytest.mark.parametrize("secret", SECRETS)
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


@pytest.mark.parametrize("secret", SECRETS)
def test_production_refuses_a_short_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match=f"AID_{secret.upper()}.*at least 32"):
        Settings(environment="production", **(STRONG | {secret: "s3cr3t-but-short"}))


def test_production_refuses_a_weak_ledger_key_beside_a_strong_one() -> None:
    for ring in (f"{'f' * 64},short", f"{'f' * 64},{DEV_SECRET}", ","):
        with pytest.raises(ValidationError, match=r"AID_LEDGER_KEYS.*at least 32"):
            Settings(environment="production", **(STRONG | {"ledger_keys": ring}))
    rotated = Settings(
        environment="production", **(STRONG | {"ledger_keys": "g" * 64 + ", " + "f" * 64})
    )
    assert len(rotated.ledger().key_ids) == 2


def test_production_refuses_one_secret_for_every_purpose() -> None:
    same = STRONG | {name: "d" * 64 for name in SECRETS}

    with pytest.raises(ValidationError, match="must differ"):
        Settings(environment="production", **same)


def test_the_api_refuses_to_listen_beyond_loopback_with_the_default_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: list[dict] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **kw: served.append(kw))
    cli = CliRunner()

    beyond = cli.invoke(app, ["api", "--host", "0.0.0.0"])
    local = cli.invoke(app, ["api", "--host", "127.0.0.1"])

    assert beyond.exit_code == 2, beyond.output
    assert "refusing to listen on 0.0.0.0" in beyond.output
    assert "AID_TOKEN_PEPPER" in beyond.output
    assert local.exit_code == 0, local.output
    assert [kw["host"] for kw in served] == ["127.0.0.1"]


def test_each_purpose_has_its_own_key_derived_from_the_secret() -> None:
    secret = "e" * 64
    keys = {purpose: purpose_key(secret, purpose) for purpose in PURPOSES}

    assert len(set(keys.values())) == len(PURPOSES)
    assert all(len(k) == 32 and secret.encode() not in k for k in keys.values())
    assert purpose_key("f" * 64, "tokens") != keys["tokens"]
    # a token's hash is not an HMAC keyed by the raw pepper any more
    raw = hmac.new(secret.encode(), b"aid_token", hashlib.sha256).hexdigest()
    assert token_hash("aid_token", secret) != raw
    with pytest.raises(ValueError, match="no key purpose"):
        purpose_key(secret, "everything")


@pytest.mark.parametrize("url", [None, "postgresql://aid@db/aid"])
def test_production_refuses_keys_kept_beside_the_read_models(url: str | None) -> None:
    read_models = "postgresql://aid@db/aid"

    with pytest.raises(ValidationError, match="AID_KEY_STORE_URL must name a database of its own"):
        Settings(
            environment="production", **(STRONG | {"key_store_url": url}), database_url=read_models
        )


def test_production_refuses_kafka_without_sign_in_unless_plaintext_is_allowed() -> None:
    plaintext = STRONG | {"kafka_security_protocol": "PLAINTEXT"}

    with pytest.raises(ValidationError, match="AID_KAFKA_SECURITY_PROTOCOL=PLAINTEXT"):
        Settings(environment="production", **plaintext)
    assert Settings(environment="production", kafka_plaintext_allowed=True, **plaintext)


def test_sasl_needs_a_user_and_a_password() -> None:
    with pytest.raises(ValidationError, match="AID_KAFKA_USERNAME and AID_KAFKA_PASSWORD"):
        Settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_username="aid-api")


def test_every_kafka_client_gets_the_same_sign_in_and_tls() -> None:
    settings = Settings(environment="production", **STRONG)

    options = client_options(settings)
    credentials = faust_credentials(settings)

    assert client_options(Settings()) == {"security_protocol": "PLAINTEXT"}
    assert faust_credentials(Settings()) is None
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("aid-api", "e" * 48)
    assert options["ssl_context"].check_hostname
    assert credentials is not None and credentials.protocol.value == "SASL_SSL"
    assert (credentials.username, credentials.mechanism.value) == ("aid-api", "SCRAM-SHA-512")
    assert "e" * 48 not in repr(settings)
