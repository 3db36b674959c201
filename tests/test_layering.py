"""The package layering, read from the source with ast: what may import what."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "tools", "domain", "integrations", "api", "prompts", "cli", "demo")
# What sits on top: each may be imported by the packages listed beside it, and by nothing else.
TOP = {"cli": set(), "demo": {"cli"}}
# The chat-model factory is where the offline model is chosen instead of an LLM; nothing else may need it.
OFFLINE_USERS = {"agent.models"}
# Endpoints call services; queries live below them. A route may name the Session type, not build SQL with it.
ROUTE_SQLALCHEMY = {"sqlalchemy.orm", "sqlalchemy.orm.Session", "sqlalchemy.orm.sessionmaker"}
QUERY_METHODS = {"execute", "scalars", "scalar"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every absolute module a file imports, at any depth (function-local imports included)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _sql_uses(path: Path) -> set[str]:
    """What in a file builds or runs SQL: sqlalchemy imports beyond the Session types, and query calls."""
    found = {m for m in _imports(path) if _within(m, "sqlalchemy") and m not in ROUTE_SQLALCHEMY}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERY_METHODS
        ):
            found.add(f".{node.func.attr}()")
    return found


def _production() -> Iterator[tuple[str, set[str]]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield _module_name(path), set(_imports(path))


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_only_the_model_factory_imports_the_offline_model() -> None:
    users = {
        name
        for name, imported in _production()
        if not _within(name, "agent.offline") and any(_within(m, "agent.offline") for m in imported)
    }
    assert users == OFFLINE_USERS


def test_cli_and_demo_sit_on_top() -> None:
    for top, allowed in TOP.items():
        importers = {
            name.split(".")[0]
            for name, imported in _production()
            if not _within(name, top) and any(_within(m, top) for m in imported)
        }
        assert importers <= allowed, f"{top} is imported by {sorted(importers - allowed)}"


def test_the_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from agent.offline.model import OfflineChatModel\n")
    assert "agent.offline.model" in set(_imports(source))


def test_app_state_has_only_typed_fields() -> None:
    tree = ast.parse((ROOT / "api" / "state.py").read_text(encoding="utf-8"))
    (state,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AppState")
    fields = {
        n.target.id: ast.unparse(n.annotation)
        for n in state.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    }
    assert "extras" not in fields
    assert not {name for name, kind in fields.items() if kind.replace(" ", "").startswith("dict[str,Any]")}
    assert {"qbo", "turns", "origins"} <= fields.keys()


def test_routes_hold_no_sql() -> None:
    """The routes and the list dependency they share reach the database only through services."""
    routes = [*sorted((ROOT / "api" / "routes").rglob("*.py")), ROOT / "api" / "pagination.py"]
    assert len(routes) > 10
    offenders = {_module_name(p): sorted(uses) for p in routes if (uses := _sql_uses(p))}
    assert offenders == {}


def test_the_sql_scan_sees_select_and_query_calls(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from sqlalchemy.orm import Session\n"
        "def f(session: Session):\n"
        "    from sqlalchemy import select\n"
        "    return session.scalars(select(1))\n"
    )
    assert _sql_uses(source) == {"sqlalchemy", "sqlalchemy.select", ".scalars()"}
    source.write_text(
        "from sqlalchemy.orm import Session\ndef f(session: Session):\n    return session.get(1)\n"
    )
    assert _sql_uses(source) == set()
