"""Layering rules, read from the source with `ast`: who may import what, where SQL may live."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "bot" / "jobs" / "store"  # the package holding every SQL statement
MIGRATIONS = ROOT / "bot" / "jobs" / "migrations"
# Uppercase SQL at the start of a string literal, as the project writes it.
_SQL_START = re.compile(
    r"^\s*(SELECT\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b"
    r"|CREATE\s+(TABLE|(UNIQUE\s+)?INDEX)\b|DROP\s+(TABLE|INDEX)\b|ALTER\s+TABLE\b"
    r"|PRAGMA\s|BEGIN\b|COMMIT\b|ROLLBACK\b)"
)
_EXECUTE = frozenset({"execute", "executemany", "executescript"})


def python_files(*folders: str) -> list[Path]:
    found = [
        path
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "__pycache__" not in path.parts
    ]
    assert found, f"no Python files under {folders}"
    return found


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in a file of the project."""
    return imports_of(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def imports_of(source: str, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """Every import of `source` (placed at `module`), with `from x import y` also as x.y."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return found


def is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def sql_uses(path: Path) -> list[str]:
    """Where a file executes SQL or holds an SQL statement in a string literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _EXECUTE
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.func.attr}(")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SQL_START.match(node.value)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.strip()[:40]!r}")
    return found


def test_import_scanner_sees_every_spelling() -> None:
    """Guard for the checks below: absolute, from, relative and nested imports."""
    source = (
        "import discord.ext.commands\n"
        "from discord import ui\n"
        "from .. import settings\n"
        "from ..jobs.store import Store\n"
        "from . import errors\n"
        "def late():\n"
        "    import cogs.admin\n"
    )
    modules = {name for _line, name in imports_of(source, "bot.provider.probe", is_package=False)}
    assert {
        "discord.ext.commands",
        "discord.ui",
        "bot.settings",
        "bot.jobs.store",
        "bot.provider.errors",
        "cogs.admin",
    } <= modules
    in_package = imports_of("from .models import X", "bot.provider", is_package=True)
    assert (1, "bot.provider.models") in in_package


@pytest.mark.parametrize(
    "path", python_files("bot/provider", "bot/jobs"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_provider_and_jobs_never_import_discord(path: Path) -> None:
    offending = [
        f"line {line}: {module}"
        for line, module in imported_modules(path)
        if is_under(module, "discord")
    ]
    assert offending == []


@pytest.mark.parametrize("path", python_files("bot/provider"), ids=lambda p: p.name)
def test_provider_imports_nothing_from_the_rest_of_the_bot(path: Path) -> None:
    forbidden = ("bot.jobs", "bot.settings", "cogs", "bot.logs", "bot.runner")
    offending = [
        f"line {line}: {module}"
        for line, module in imported_modules(path)
        if any(is_under(module, package) for package in forbidden)
    ]
    assert offending == []


def test_sql_scanner_finds_the_stores_sql() -> None:
    """Guard: the scanner does see SQL where it is known to be."""
    found = [use for path in sorted(STORE.glob("*.py")) for use in sql_uses(path)]
    assert any(".execute(" in use for use in found)
    assert any("SELECT" in use for use in found)
    assert any("UPDATE" in use for use in found)
    assert any("INSERT" in use for use in found)


def test_no_sql_outside_the_store() -> None:
    files = [path for path in python_files("bot", "cogs") if STORE not in path.parents]
    found = [use for path in files for use in sql_uses(path)]
    assert found == []


def test_sql_files_are_only_migrations() -> None:
    sql_files = {
        path
        for folder in ("bot", "cogs")
        if (ROOT / folder).is_dir()
        for path in (ROOT / folder).rglob("*.sql")
    }
    assert sql_files
    assert {path.parent for path in sql_files} == {MIGRATIONS}


@pytest.mark.parametrize("path", python_files("bot/web"), ids=lambda p: p.name)
def test_web_never_imports_discord_or_the_ui(path: Path) -> None:
    """The editor runs the jobs service; Discord is reached only through the publisher."""
    forbidden = ("discord", "bot.ui", "cogs", "bot.app")
    offending = [
        f"line {line}: {module}"
        for line, module in imported_modules(path)
        if any(is_under(module, package) for package in forbidden)
    ]
    assert offending == []


@pytest.mark.parametrize("path", python_files("bot/jobs", "bot/provider"), ids=lambda p: p.name)
def test_jobs_and_provider_never_import_web(path: Path) -> None:
    offending = [
        f"line {line}: {module}"
        for line, module in imported_modules(path)
        if is_under(module, "bot.web")
    ]
    assert offending == []


def offending_imports(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    """`line N: module` for each import of `path` that falls under a forbidden package."""
    return [
        f"line {line}: {module}"
        for line, module in imported_modules(path)
        if any(is_under(module, package) for package in forbidden)
    ]


@pytest.mark.parametrize("path", python_files("bot/jobs"), ids=lambda p: p.name)
def test_jobs_never_import_the_layers_above(path: Path) -> None:
    assert offending_imports(path, ("bot.ui", "cogs", "bot.app", "bot.web")) == []


@pytest.mark.parametrize("path", python_files("bench"), ids=lambda p: p.name)
def test_bench_never_imports_tests(path: Path) -> None:
    """The benchmarks share the fakes (fakes/) with the tests, never the tests themselves."""
    assert offending_imports(path, ("tests",)) == []


@pytest.mark.parametrize(
    "path", python_files("fakes"), ids=lambda p: str(p.relative_to(ROOT / "fakes"))
)
def test_fakes_never_import_tests(path: Path) -> None:
    assert offending_imports(path, ("tests",)) == []


@pytest.mark.parametrize(
    "path", python_files("bot", "cogs"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_shipped_code_never_imports_dev_packages(path: Path) -> None:
    """bot and cogs are what pip installs; fakes, bench and tests are not shipped."""
    assert offending_imports(path, ("fakes", "bench", "tests")) == []
