"""Published JSON Schemas of event data (`schemas/<Type>.v<VERSION>.json`) and their compatibility.

Within a version only compatible changes are allowed (adding an optional property); anything else
needs a new VERSION and an upcaster. `python -m events.schemas` writes the files; `--check` (CI)
lists the breaking changes of the current classes versus the committed files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from events.base import Event
from events.registry import event_types

Schema = dict[str, Any]
SCHEMA_DIR = Path(__file__).parent / "schemas"


class SchemaConflict(RuntimeError):
    """Writing the schemas would rewrite a published version incompatibly."""


def schema_of(cls: type[Event]) -> Schema:
    """The JSON Schema of `cls`'s data, titled with its type name and tagged with its version."""
    return {**cls.model_json_schema(), "title": cls.TYPE, "x-event-version": cls.VERSION}


def schema_path(cls: type[Event], directory: Path = SCHEMA_DIR) -> Path:
    """Where the schema of `cls`'s current version is published: `<Type>.v<VERSION>.json`."""
    return directory / f"{cls.TYPE}.v{cls.VERSION}.json"


def dumps(schema: Schema) -> str:
    """A schema as deterministic JSON text: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write the current version of every event type, leaving older version files alone; raise
    SchemaConflict, writing nothing, if a file of the same version would change incompatibly."""
    if problems := check(directory, require_files=False):
        raise SchemaConflict("\n".join(problems))
    directory.mkdir(parents=True, exist_ok=True)
    paths = [schema_path(cls, directory) for cls in event_types().values()]
    for cls, path in zip(event_types().values(), paths, strict=True):
        path.write_text(dumps(schema_of(cls)), encoding="utf-8")
    return paths


def check(directory: Path = SCHEMA_DIR, *, require_files: bool = True) -> list[str]:
    """Breaking changes of the current classes versus `directory`'s files (and missing files)."""
    problems: list[str] = []
    for cls in event_types().values():
        path, label = schema_path(cls, directory), f"{cls.TYPE} v{cls.VERSION}"
        if path.exists():
            committed = json.loads(path.read_text(encoding="utf-8"))
            problems += [f"{label}: {p}" for p in breaking_changes(committed, schema_of(cls))]
        elif require_files:
            problems.append(f"{label}: no {path.name}; run `python -m events.schemas` to add it")
    return problems


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Backward-incompatible differences from `old` to `new`, schemas of one type and version: a
    property removed, its JSON types/`format` changed (also in `anyOf`, nested objects and arrays),
    newly required or its enum narrowed; `additionalProperties` tightened. Adding an optional
    property is compatible."""
    return _compare(old, new, (old, new), "")


def _compare(old: Schema, new: Schema, roots: tuple[Schema, Schema], at: str) -> list[str]:
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name in sorted(old_props):
        if name in new_props:
            problems += _compare_value(old_props[name], new_props[name], roots, at + name)
        else:
            problems.append(f"property '{at}{name}' was removed")
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"property '{at}{name}' is newly required")
    was_extra, extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if was_extra != extra and was_extra is not False and extra is not True:
        problems.append(f"additionalProperties of '{at.rstrip('.') or '(root)'}' tightened")
    return problems


def _compare_value(old: Schema, new: Schema, roots: tuple[Schema, Schema], at: str) -> list[str]:
    was, now = _alts(old, roots[0]), _alts(new, roots[1])
    problems = [f"property '{at}' changed type from {_kinds(was)} to {_kinds(now)}"]
    problems = problems if _kinds(was) != _kinds(now) else []
    before, after = _enum_values(was), _enum_values(now)
    if after is not None:
        lost = [v for v in before if v not in after] if before is not None else "other values"
        problems += [f"property '{at}' no longer accepts {lost}"] if lost else []
    objects = [a for a in was if "properties" in a], [a for a in now if "properties" in a]
    if len(objects[0]) == len(objects[1]) == 1:
        problems += _compare(objects[0][0], objects[1][0], roots, at + ".")
    items = [[a["items"] for a in alts if isinstance(a.get("items"), dict)] for alts in (was, now)]
    if len(items[0]) == len(items[1]) == 1:
        problems += _compare_value(items[0][0], items[1][0], roots, at + "[]")
    return problems


def _alts(schema: Schema, root: Schema) -> list[Schema]:
    if "$ref" in schema:
        return _alts(root.get("$defs", {}).get(schema["$ref"].rsplit("/", 1)[-1], {}), root)
    if options := schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf"):
        return [alt for option in options for alt in _alts(option, root)]
    return [schema]


def _kinds(alternatives: list[Schema]) -> str:
    kinds: set[str] = set()
    for alt in alternatives:
        declared = alt.get("type", "any")
        for name in [declared] if isinstance(declared, str) else declared:
            kinds.add(f"{name} ({alt['format']})" if "format" in alt else name)
    return "|".join(sorted(kinds))


# The allowed non-null values, or None when an alternative allows any value of its type.
def _enum_values(alternatives: list[Schema]) -> list[Any] | None:
    if any("enum" not in a and "const" not in a and a.get("type") != "null" for a in alternatives):
        return None
    return [v for a in alternatives for v in a.get("enum", [a["const"]] if "const" in a else [])]


def main(argv: list[str] | None = None) -> int:
    """Write the schema files, or with `--check` list the breaking changes; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m events.schemas", description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="the schema directory")
    args = parser.parse_args(argv)
    problems = check(args.dir) if args.check else []
    if not args.check:
        try:
            print("\n".join(f"wrote {path}" for path in export(args.dir)))
        except SchemaConflict as exc:
            problems = [*str(exc).splitlines(), "bump the event's VERSION and add an upcaster"]
    print("\n".join(problems), file=sys.stderr, end="\n" if problems else "")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
