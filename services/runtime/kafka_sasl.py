"""The local broker with SASL: SCRAM-SHA-512 sign-in on loopback, ACLs enforced.

The passwords are generated once into ``<data_dir>/kafka/credentials.json`` (readable by its
owner only) and never printed. The broker's own user and the admin user get their SCRAM
credentials when the storage is formatted; `kafka_access.grant` gives the components theirs.
The controller listener cannot use SCRAM (its credentials live in the metadata the controller
serves), so the broker signs in there with PLAIN and a password only the broker's file holds.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from services.runtime.kafka_access import ADMIN_USER, API_USER, WORKER_USER
from services.runtime.kafka_security import client_options
from services.runtime.settings import Settings

BROKER_USER = "aid-broker"
USERS = (BROKER_USER, ADMIN_USER, API_USER, WORKER_USER)
MECHANISM = "SCRAM-SHA-512"
PROTOCOL = "SASL_PLAINTEXT"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def credentials(kdir: Path) -> dict[str, str]:
    """Each local user's password, generated on first use."""
    path = kdir / "credentials.json"
    if not path.exists():
        kdir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps({user: secrets.token_hex(24) for user in USERS}))
    return dict(json.loads(path.read_text()))


def broker_properties(kdir: Path) -> str:
    """The security part of server.properties (listeners are named by the caller)."""
    password = credentials(kdir)[BROKER_USER]
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    signed_in = f'username="{BROKER_USER}" password="{password}"'
    return (
        f"inter.broker.listener.name={PROTOCOL}\n"
        f"listener.security.protocol.map={PROTOCOL}:{PROTOCOL},CONTROLLER:{PROTOCOL}\n"
        f"sasl.enabled.mechanisms={MECHANISM}\n"
        f"sasl.mechanism.inter.broker.protocol={MECHANISM}\n"
        f"listener.name.{PROTOCOL.lower()}.{MECHANISM.lower()}.sasl.jaas.config="
        f"{scram} required {signed_in};\n"
        "sasl.mechanism.controller.protocol=PLAIN\n"
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN\n"
        "listener.name.controller.plain.sasl.jaas.config="
        f'{plain} required {signed_in} user_{BROKER_USER}="{password}";\n'
        f"authorizer.class.name={AUTHORIZER}\n"
        "allow.everyone.if.no.acl.found=false\n"
        f"super.users=User:{BROKER_USER};User:{ADMIN_USER}\n"
    )


def format_flags(kdir: Path) -> tuple[str, ...]:
    """`kafka-storage format` flags that create the broker's and the admin's SCRAM users."""
    passwords = credentials(kdir)
    flags: list[str] = []
    for user in (BROKER_USER, ADMIN_USER):
        flags += ["--add-scram", f"{MECHANISM}=[name={user},password={passwords[user]}]"]
    return tuple(flags)


def enabled(kdir: Path) -> bool:
    """Whether the broker of this directory was configured with SASL."""
    config = kdir / "server.properties"
    return config.exists() and f"{PROTOCOL}://" in config.read_text()


def signed_in_as(settings: Settings, kdir: Path, user: str) -> Settings:
    """The settings with the local SASL credentials of one user."""
    return settings.model_copy(
        update={
            "kafka_security_protocol": PROTOCOL,
            "kafka_sasl_mechanism": MECHANISM,
            "kafka_username": user,
            "kafka_password": SecretStr(credentials(kdir)[user]),
        }
    )


def admin_options(kdir: Path) -> dict[str, Any]:
    """Client options of the admin user ({} for a broker without SASL)."""
    if not enabled(kdir):
        return {}
    return client_options(signed_in_as(Settings.model_construct(), kdir, ADMIN_USER))
