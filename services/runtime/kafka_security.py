"""How every Kafka client of the runtime authenticates: the settings turned into client options.

kafka-python and aiokafka take the same option names, so one dictionary serves both; Faust
takes the same facts as its `broker_credentials`.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust
from aiokafka.helpers import create_ssl_context

from services.runtime.settings import Settings


def client_options(settings: Settings) -> dict[str, Any]:
    """Options for KafkaProducer/KafkaConsumer/KafkaAdminClient and the aiokafka clients."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {"security_protocol": protocol}
    return {
        "security_protocol": protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_username,
        "sasl_plain_password": settings.kafka_password.get_secret_value(),
        "ssl_context": tls_context(settings),
    }


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The brokers' certificates checked against AID_KAFKA_CA_FILE (or the system's CAs), host
    names included; None when the protocol has no TLS."""
    if settings.kafka_security_protocol != "SASL_SSL":
        return None
    cafile = str(settings.kafka_ca_file) if settings.kafka_ca_file else None
    return create_ssl_context(cafile=cafile)


def faust_credentials(settings: Settings) -> faust.SASLCredentials | None:
    """The worker app's `broker_credentials` (None for PLAINTEXT)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    return faust.SASLCredentials(
        username=settings.kafka_username,
        password=settings.kafka_password.get_secret_value(),
        ssl_context=tls_context(settings),
        mechanism=settings.kafka_sasl_mechanism,
    )
