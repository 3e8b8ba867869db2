"""Dependencies point inward: the import rules between the layers, read from the source.

`services/domain` (deciders, commands, policies) imports neither the use cases, the runtime,
the read models nor any I/O library; `services/app` (the use cases) imports no Kafka client,
no Faust and no HTTP, and of the runtime only its settings and log context; nothing under
`events/`, `services/` or `projections/` imports the HTTP API (nor FastAPI); a route never
imports another route; a web page never imports a route (both call the use cases instead)."""

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


IO_LIBRARIES = ("kafka", "aiokafka", "faust", "mode", "fastapi", "starlette", "sqlalchemy")
RUNTIME_FOR_USE_CASES = ("services.runtime.settings", "services.runtime.logs")


def test_the_domain_projections_and_application_layer_never_import_the_http_api() -> None:
    assert offending(("events", "services", "projections"), ("api", "fastapi")) == []


def test_the_domain_imports_no_use_case_runtime_read_model_or_io_library() -> None:
    forbidden = ("services.app", "services.runtime", "projections", "api", *IO_LIBRARIES)
    assert offending(("services/domain",), forbidden) == []


def test_the_use_cases_import_no_kafka_faust_or_http_and_of_the_runtime_only_its_settings() -> None:
    runtime = [
        line
        for line in offending(("services/app",), ("services.runtime",))
        if not any(within(line.rsplit(" ", 1)[1], r) for r in RUNTIME_FOR_USE_CASES)
    ]
    assert runtime == [], "the runtime implements the ports of services.app.ports instead"
    io = ("kafka", "aiokafka", "faust", "mode", "fastapi", "starlette", "api")
    assert offending(("services/app",), io) == []


@pytest.mark.parametrize(
    "route", sorted((ROOT / "api" / "routes").glob("*.py")), ids=lambda p: p.name
)
def test_a_route_module_imports_no_other_route_module(route: Path) -> None:
    assert other_routes(route) == [], "call a use case in services.app instead"


def test_no_web_page_imports_a_route_module() -> None:
    assert offending(("api/ui",), ("api.routes",)) == []


def read_model_imports(folders: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """Imports of the read models' queries or tables (paging types and constants are fine)."""
    return [
        line
        for line in offending(folders, ("projections",), root)
        if (module := line.rsplit(" ", 1)[1].split("."))[1:2]
        and (module[1].endswith("queries") or module[1] in ("tables", "database"))
    ]


def test_routes_and_pages_read_through_the_use_cases_never_the_read_models() -> None:
    assert read_model_imports(("api/routes", "api/ui/pages")) == [], (
        "call a use case in services.app (services.app.names for the reference lists)"
    )


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
    (tmp_path / "api" / "ui" / "names.py").write_text(
        "from projections import queries\nfrom projections.paging import Paging\n"
        "def later():\n    from projections.tables import users\n"
    )
    assert read_model_imports(("api/ui",), tmp_path) == [
        "api/ui/names.py imports projections.queries",
        "api/ui/names.py imports projections.tables",
        "api/ui/names.py imports projections.tables.users",
    ]
    assert offending(("services",), ("api", "fastapi"), tmp_path) == [
        "services/bus.py imports fastapi.concurrency",
        "services/bus.py imports fastapi.concurrency.run_in_threadpool",
    ]


def loaded_by(package: str) -> list[str]:
    """The I/O libraries in memory once every module of the package is imported."""
    probe = (
        "import importlib, pkgutil, sys\n"
        f"root = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(root.__path__, root.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print(' '.join(m for m in {IO_LIBRARIES!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return loaded.stdout.split()


def test_the_domain_loads_no_kafka_client_web_framework_or_database() -> None:
    """The deciders, their bookkeeping and the policies stay pure, through every import."""
    assert loaded_by("services.domain") == []


def test_the_use_cases_load_no_kafka_client_nor_web_framework() -> None:
    """They reach the log through the ports (`services.app.ports`), whatever the runtime is."""
    assert set(loaded_by("services.app")) <= {"sqlalchemy"}
