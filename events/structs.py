"""msgspec Structs generated from the pydantic event models, for the hot decode path.

The pydantic models stay the contract; each Struct is derived from one model's fields (same
names, defaults and constraints), so the two cannot drift. What a Struct cannot check the way
pydantic does is listed in its `unchecked` reasons, and an event of such a type is always
decoded by pydantic (events/hot_decode.py).

Identifiers (the `Identifier` pattern) are checked by `events.base.is_identifier` when the
model is built, not by a regular expression in msgspec: Python's `re` made most of the cost.
Where msgspec and pydantic-core differ, the Struct is the stricter one, so a value it accepts
pydantic accepts with the same result: a pattern's `$` becomes `\\Z` (Python's `$` also
matches before a final newline, the Rust engine's does not), and an aware datetime with more
than 6 fractional digits is left to pydantic (msgspec rounds the seventh, pydantic truncates).
Anything else the Struct refuses goes to pydantic, which accepts it or names why not.

A Struct also reads as its model where a projection looks: `isinstance` and `singledispatch`
see the model (both go by `__class__`), and the model's class variables and properties are
the Struct's. So a projection can fold the Structs themselves (`events.hot_decode.view`)
instead of pydantic instances built from them; `check` does what building would have checked.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union
from uuid import UUID

import annotated_types as at
import msgspec
from pydantic import AllowInfNan, AwareDatetime, BaseModel, Strict
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from events.base import IDENTIFIER_PATTERN, is_identifier

# Turns a decoded value into the field's value, given the field's JSON (nested models' fields).
Convert = Callable[[Any, Any], Any]
# How a field's value is found: the JSON value itself, the decoded value, or a conversion.
How = Convert | Literal["json", "decoded"]

LONG_FRACTION = re.compile(r"\.[0-9]{7}")
_BOUNDS = {at.Ge: "ge", at.Gt: "gt", at.Le: "le", at.Lt: "lt"}
_LENGTHS = {at.MinLen: "min_length", at.MaxLen: "max_length"}
_AS_IN_JSON = (str, int, bool)  # decoded to the very value JSON holds
_SCALARS = (*_AS_IN_JSON, float, date, UUID)
_INTERNED_AT_MOST = 10_000
# Identifiers already checked: locations, items and donations come back in event after event.
_IDENTIFIERS: set[str] = set()
_IDENTIFIERS_AT_MOST = 100_000


@dataclass
class ModelStruct:
    """The Struct of one pydantic model and how to turn an input it accepted into the model."""

    model: type[BaseModel]
    struct: type[msgspec.Struct]
    hows: dict[str, How]
    unchecked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        fields = self.model.model_fields
        self._template = {
            n: None if f.default is PydanticUndefined else f.default for n, f in fields.items()
        }
        self._names = frozenset(fields)
        self._identifiers = tuple(n for n, how in self.hows.items() if how is _identifier)
        self._datetimes = tuple(n for n, how in self.hows.items() if how is _datetime)
        self._decoded: tuple[tuple[str, Convert | None], ...] = tuple(
            (name, how if callable(how) else None)
            for name, how in self.hows.items()
            if how not in ("json", _identifier, _datetime)
        )
        # Small frozen models made only of required text checked by msgspec alone (an actor)
        # are shared, not rebuilt.
        interned = self.model.model_config.get("frozen") and all(
            f.is_required() and f.annotation is str and self.hows[n] == "json"
            for n, f in fields.items()
        )
        self._interned: dict[tuple[Any, ...], BaseModel] | None = {} if interned else None
        self._checks: tuple[tuple[str, Convert], ...] = tuple(
            (name, how)
            for name, how in self.hows.items()
            if callable(how) and _checks_something(how)
        )

    def check(self, decoded: msgspec.Struct) -> None:
        """Raise ValueError where `build` would: what the Struct itself did not check
        (identifiers, nested models'). Datetimes with more than 6 fractional digits are the
        caller's to refuse, on the message's text."""
        for name, how in self._checks:
            value = getattr(decoded, name)
            if value is not None:
                _checked(how, value)

    def build(self, decoded: msgspec.Struct, given: dict[str, Any]) -> BaseModel:
        """The model instance of an input its Struct accepted (`decoded`), not validated again:
        the JSON's values where they are the field's, the decoded ones elsewhere."""
        if self._interned is not None:
            return self._intern(decoded, given)
        values = self._template.copy()
        values.update(given)
        if len(values) == len(self._template):
            fields_set = set(given)
        else:  # extra fields, ignored (the envelope's)
            fields_set = given.keys() & self._names
            values = {name: values[name] for name in self._template}
        for name in self._identifiers:  # text already, as in the JSON
            value = values[name]
            if value is not None and value not in _IDENTIFIERS:
                _identifier(value, None)
        for name in self._datetimes:
            value = getattr(decoded, name)
            values[name] = value if value is None else _datetime(value, given.get(name, ""))
        for name, convert in self._decoded:
            value = getattr(decoded, name)
            if convert is not None and value is not None:
                value = convert(value, given.get(name))
            values[name] = value
        return constructed(self.model, values, fields_set)

    def _intern(self, decoded: msgspec.Struct, given: dict[str, Any]) -> BaseModel:
        assert self._interned is not None
        key = msgspec.structs.astuple(decoded)
        instance = self._interned.get(key)
        if instance is None:
            if len(self._interned) >= _INTERNED_AT_MOST:
                self._interned.clear()
            values = dict(zip(self._template, key, strict=True))
            instance = self._interned[key] = constructed(self.model, values, set(self._names))
        return instance


def _dump(
    view: msgspec.Struct,
    *,
    mode: Literal["python", "json"] = "python",
    include: Collection[str] | None = None,
    exclude: Collection[str] | None = None,
    exclude_none: bool = False,
) -> dict[str, Any]:
    """`BaseModel.model_dump` of a view, with the arguments the projections give it: fields
    (and nested models' fields) as dicts, JSON values in mode "json"; `exclude_none` leaves
    out fields, not None items of a list or dict field, as pydantic does."""
    if mode == "json" and include is None and exclude is None and not exclude_none:
        whole: dict[str, Any] = msgspec.to_builtins(view)  # history's, every event: at once
        return whole
    dumped = {}
    for name in view.__struct_fields__:
        if (include is None or name in include) and (exclude is None or name not in exclude):
            value = _dumped(getattr(view, name), mode, exclude_none)
            if value is not None or not exclude_none:
                dumped[name] = value
    return dumped


def _dumped(value: Any, mode: Literal["python", "json"], exclude_none: bool) -> Any:
    if isinstance(value, msgspec.Struct):
        return _dump(value, mode=mode, exclude_none=exclude_none)
    if type(value) is list:
        return [_dumped(item, mode, exclude_none) for item in value]
    return msgspec.to_builtins(value) if mode == "json" else value


def constructed(model: type[BaseModel], values: dict[str, Any], given: set[str]) -> BaseModel:
    """An instance holding already checked values, as `model_construct` makes one."""
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", given)
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def struct_of(model: type[BaseModel]) -> ModelStruct:
    """The Struct of `model`, how each field's value is found, and what it leaves unchecked."""
    unchecked: list[str] = []
    decorators = model.__pydantic_decorators__
    for kind in ("validators", "field_validators", "root_validators", "model_validators"):
        unchecked += [f"{kind[:-1]} {name}" for name in getattr(decorators, kind)]
    if model.__private_attributes__ or model.model_post_init is not BaseModel.model_post_init:
        unchecked.append("private attributes or post-init")
    extra = model.model_config.get("extra") or "ignore"
    if extra == "allow":
        unchecked.append("extra fields allowed")
    fields: list[tuple[Any, ...]] = []
    hows: dict[str, How] = {}
    for name, info in model.model_fields.items():
        kind, how = _field_type(info, unchecked, name)
        fields.append((name, kind, *_default(info, unchecked, name)))
        hows[name] = "decoded" if how == "json" and info.default_factory else how  # a fresh one
    struct = msgspec.defstruct(
        f"{model.__name__}Struct",
        fields,
        kw_only=True,
        forbid_unknown_fields=extra == "forbid",
        frozen=bool(model.model_config.get("frozen")),
        namespace=read_as(model),
    )
    return ModelStruct(model, struct, hows, unchecked)


def read_as(model: type[BaseModel]) -> dict[str, Any]:
    """A Struct's namespace that makes it read as `model`: `__class__` (which `isinstance`
    and `singledispatch` consult), the model's class variables and properties, and
    `model_dump` as the projections call it."""
    namespace: dict[str, Any] = {"__class__": property(lambda _: model), "model_dump": _dump}
    for cls in reversed(model.__mro__[: model.__mro__.index(BaseModel)]):
        namespace |= {n: a for n, a in vars(cls).items() if isinstance(a, property)}
    namespace |= {n: getattr(model, n) for n in model.__class_vars__ if hasattr(model, n)}
    return namespace


def _field_type(info: FieldInfo, unchecked: list[str], name: str) -> tuple[Any, How]:
    if info.alias not in (None, name) or info.validation_alias not in (None, name):
        unchecked.append(f"{name}: alias")
    return _type_of(info.annotation, list(info.metadata), unchecked, name)


def _default(info: FieldInfo, unchecked: list[str], name: str) -> tuple[Any, ...]:
    if info.default_factory is not None:
        return (msgspec.field(default_factory=info.default_factory),)  # type: ignore[arg-type]
    if info.default is PydanticUndefined:
        return ()
    if info.default is not None and not isinstance(info.default, (*_SCALARS, tuple)):
        unchecked.append(f"{name}: default {type(info.default).__name__}")
        return (None,)
    return (info.default,)


def _type_of(kind: Any, metadata: list[Any], unchecked: list[str], name: str) -> tuple[Any, How]:
    """The msgspec type of a pydantic annotation with its constraints, and how the field's
    value is found."""
    origin = typing.get_origin(kind)
    if kind is AwareDatetime:
        return Annotated[datetime, _meta(metadata, unchecked, name, tz=True)], _datetime
    if origin is Annotated:
        base, *extras = typing.get_args(kind)
        for extra in extras:
            metadata += extra.metadata if isinstance(extra, FieldInfo) else [extra]
        return _type_of(base, metadata, unchecked, name)
    if origin in (Union, types.UnionType):
        arms = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(arms) != 1:
            unchecked.append(f"{name}: union {kind}")
            return Any, "decoded"
        inner, how = _type_of(arms[0], metadata, unchecked, name)
        return inner | None, how
    if origin is list:
        (item,) = typing.get_args(kind)
        inner, convert = _type_of(item, [], unchecked, f"{name}[]")
        lists = Annotated[list[inner], _meta(metadata, unchecked, name)]  # type: ignore[valid-type]
        return lists, convert if isinstance(convert, str) else _Each(convert)
    if origin is dict and typing.get_args(kind) == (str, Any) and not metadata:
        return dict[str, Any], "json"
    if (
        origin is Literal
        and not metadata
        and all(isinstance(a, str) for a in typing.get_args(kind))
    ):
        return kind, "json"
    if isinstance(kind, type) and issubclass(kind, BaseModel) and not metadata:
        nested = struct_of(kind)
        unchecked += [f"{name}.{reason}" for reason in nested.unchecked]
        return nested.struct, nested.build
    rest = [item for item in metadata if not _is_identifier_pattern(item)]
    if kind is str and len(rest) < len(metadata):  # checked without a regex, by `build`
        return Annotated[str, _meta(rest, unchecked, name)], _identifier
    if kind in _SCALARS:
        return Annotated[kind, _meta(metadata, unchecked, name)], (
            "json" if kind in _AS_IN_JSON else "decoded"
        )
    unchecked.append(f"{name}: type {kind}")
    return Any, "decoded"


def _meta(metadata: list[Any], unchecked: list[str], name: str, **given: Any) -> msgspec.Meta:
    """msgspec's constraints for pydantic's; strictness is msgspec's own (it converts less)."""
    constraints = dict(given)
    for item in metadata:
        if type(item) in _BOUNDS:
            constraints[_BOUNDS[type(item)]] = getattr(item, _BOUNDS[type(item)])
        elif type(item) in _LENGTHS:
            constraints[_LENGTHS[type(item)]] = getattr(item, _LENGTHS[type(item)])
        elif isinstance(item, Strict | AllowInfNan):
            continue  # msgspec converts less than pydantic's lax mode; JSON holds no inf, nan
        elif type(item).__name__ == "_PydanticGeneralMetadata":
            for key, value in vars(item).items():
                if key == "pattern":
                    constraints["pattern"] = re.sub(r"(?<!\\)\$", r"\\Z", value)
                elif key not in ("strict", "allow_inf_nan"):
                    unchecked.append(f"{name}: {key}")
        else:
            unchecked.append(f"{name}: {item!r}")
    return msgspec.Meta(**constraints)


def _datetime(value: datetime, text: str) -> datetime:
    if "." in text and LONG_FRACTION.search(text):
        raise ValueError("more than 6 fractional digits: msgspec rounds them, pydantic does not")
    return value


def _is_identifier_pattern(item: Any) -> bool:
    return type(item).__name__ == "_PydanticGeneralMetadata" and vars(item) == {
        "pattern": IDENTIFIER_PATTERN
    }


def _identifier(value: str, _given: Any) -> str:
    if not is_identifier(value):
        raise ValueError("not an identifier")
    if len(_IDENTIFIERS) >= _IDENTIFIERS_AT_MOST:
        _IDENTIFIERS.clear()
    _IDENTIFIERS.add(value)
    return value


class _Each:
    """A list's conversion: its items' one, item by item."""

    def __init__(self, convert: Convert) -> None:
        self.convert = convert

    def __call__(self, values: list[Any], given: list[Any]) -> list[Any]:
        convert = self.convert
        if given is None:  # absent from the JSON: a fresh default
            return [convert(v, None) for v in values]
        return [convert(v, g) for v, g in zip(values, given, strict=True)]


def _checks_something(how: How) -> bool:
    """Whether `_checked` would check anything with `how` (datetimes are the caller's)."""
    if how is _identifier:
        return True
    if type(how) is _Each:
        return _checks_something(how.convert)
    nested = getattr(how, "__self__", None)
    return isinstance(nested, ModelStruct) and bool(nested._checks)


def _checked(how: Convert, value: Any) -> None:
    """What converting `value` by `how` would check, without building anything."""
    if how is _identifier:
        if value not in _IDENTIFIERS:
            _identifier(value, None)
    elif type(how) is _Each:
        for item in value:
            if item is not None:
                _checked(how.convert, item)
    elif isinstance(nested := getattr(how, "__self__", None), ModelStruct):
        nested.check(value)
