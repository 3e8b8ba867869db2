"""Upcasters turn the data of an older event version into the next one.

Events are immutable in the log; readers upcast on the way in, one version
step at a time, so a v1 event is read as the current version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]

_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register the function that lifts `type_name` data from `from_version` to the next."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(type_name, from_version)] = fn
        return fn

    return register


class MissingUpcaster(LookupError):
    """An event version has no path to the current version."""


def upcast(type_name: str, version: int, target: int, data: Data) -> Data:
    """Lift `data` from `version` to `target`, step by step."""
    while version < target:
        step = _UPCASTERS.get((type_name, version))
        if step is None:
            raise MissingUpcaster(f"no upcaster for {type_name} v{version}")
        data = step(dict(data))
        version += 1
    return data


def has_upcaster(type_name: str, from_version: int) -> bool:
    """Whether an upcaster lifts `type_name` from `from_version` to the next version."""
    return (type_name, from_version) in _UPCASTERS


@upcaster("LocationRegistered", 1)
def _location_v1_to_v2(data: Data) -> Data:
    """v1 carried only admin codes (`region`, `province`); v2 names them too."""
    region = data.pop("region")
    province = data.pop("province", None)
    data["region_code"] = region
    data["region_name"] = region
    data["province_code"] = province
    data["province_name"] = None
    return data
