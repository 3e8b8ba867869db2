"""Dependencies point inward: the import rules between the layers, read from the source.

The domain, the projections and the application layer never import the HTTP API (nor
FastAPI); a route never imports another route; a web page never imports a route (both
call the use cases of `services.app` instead)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path = ROOT) -> Iterator[str]:
    """Every module (and imported name) a file imports, anywhere in it, fully named."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package, up `level - 1` packages
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def offending(folders: tuple[str, ...], forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """`file imports name` for every import of a forbidden package under the folders."""
    return [
        f"{path.relative_to(root)} imports {name}"
        for folder in folders
        for path in sorted((root / folder).rglob("*.py"))
        for name in imported(path, root)
        if any(within(name, f) for f in forbidden)
    ]


def other_routes(route: Path, root: Path = ROOT) -> list[str]:
    own = module_name(route, root)
    return [
        name
        for name in imported(route, root)
        if within(name, "api.routes") and name != "api.routes" and not within(name, own)
    ]


def test_the_domain_projections_and_application_layer_never_import_the_http_api() -> None:
    assert offending(("events", "services", "projections"), ("api", "fastapi")) == []


@pytest.mark.parametrize(
    "route", sorted((ROOT / "api" / "routes").glob("*.py")), ids=lambda p: p.name
)
def test_a_route_module_imports_no_other_route_module(route: Path) -> None:
    assert other_routes(route) == [], "call a use case in services.app instead"


def test_no_web_page_imports_a_route_module() -> None:
    assert offending(("api/ui",), ("api.routes",)) == []


def test_the_checks_catch_plain_from_relative_and_late_imports(tmp_path: Path) -> None:
    (tmp_path / "api" / "routes").mkdir(parents=True)
    (tmp_path / "api" / "ui").mkdir(parents=True)
    (tmp_path / "services").mkdir()
    (tmp_path / "api" / "routes" / "relief.py").write_text(
        "from . import stock\nfrom .relief import router\n"
    )
    (tmp_path / "api" / "ui" / "page.py").write_text(
        "import api.routes.stock\nfrom api.routes import campaigns\n"
    )
    (tmp_path / "services" / "bus.py").write_text(
        "def later():\n    from fastapi.concurrency import run_in_threadpool\n"
    )
    route = tmp_path / "api" / "routes" / "relief.py"
    assert other_routes(route, tmp_path) == ["api.routes.stock"]
    assert offending(("api/ui",), ("api.routes",), tmp_path) == [
        "api/ui/page.py imports api.routes.stock",
        "api/ui/page.py imports api.routes",
        "api/ui/page.py imports api.routes.campaigns",
    ]
    assert offending(("services",), ("api", "fastapi"), tmp_path) == [
        "services/bus.py imports fastapi.concurrency",
        "services/bus.py imports fastapi.concurrency.run_in_threadpool",
    ]


def test_deciding_loads_no_kafka_client_web_framework_or_database() -> None:
    """The deciders and their bookkeeping stay pure: importing them pulls in no I/O library."""
    probe = (
        "import sys, services.deciders, services.deciding\n"
        "print(' '.join(m for m in ('kafka', 'aiokafka', 'faust', 'fastapi', 'sqlalchemy')"
        " if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.split() == []
