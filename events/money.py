"""Money as the events carry it: whole minor units of an ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field

# Active ISO 4217 codes and their minor unit (decimal places); 2 unless listed otherwise.
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
    "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD "
    "PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL"
)
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
MINOR_UNITS: dict[str, int] = (
    dict.fromkeys(_TWO.split(), 2)
    | dict.fromkeys(_ZERO.split(), 0)
    | dict.fromkeys(_THREE.split(), 3)
)


def _known_currency(code: str) -> str:
    if code not in MINOR_UNITS:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (e.g. EUR, USD, MAD)")
    return code


Currency = Annotated[
    str,
    Field(min_length=3, max_length=3, description="An ISO 4217 currency code, e.g. EUR."),
    AfterValidator(_known_currency),
]
MinorUnits = Annotated[
    int, Field(gt=0, lt=10**15, strict=True, description="Whole minor units (cents…).")
]


def to_minor(amount: Decimal, currency: str) -> int:
    """`amount` in minor units of `currency`; ValueError when it has finer fractions."""
    scaled = amount.scaleb(MINOR_UNITS[currency])
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{currency} has {MINOR_UNITS[currency]} decimal places")
    return int(scaled)


def to_decimal(minor: int, currency: str) -> str:
    """Minor units as a decimal string of `currency` (`1050`, EUR → `10.50`)."""
    places = MINOR_UNITS.get(currency, 2)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"
