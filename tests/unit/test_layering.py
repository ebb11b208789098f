"""The layering standard, checked on the source (AST), not by importing it.

- ``drp_tui/domain`` is pure Python: no textual, no peewee/playhouse, nothing from
  the layers above it (store, services, ui, cli);
- ``drp_tui/services`` and ``drp_tui/store`` never import textual (nor the ui/cli); the store
  never reaches up into the services;
- ``drp_tui/ui`` never imports the store (nor peewee/playhouse, nor the cli): screens go
  through ``Desk`` and the services;
- no real authority or case-management system is named in the code: profiles are
  data. (Durham, Knowsley, Tower Hamlets and Mosaic are checked by
  ``test_policies.test_no_authority_names_in_python_source``; this adds the
  systems, Liquidlogic and FWi.)

Imports are found anywhere in a module (inside functions too), including
``importlib.import_module("...")`` / ``__import__("...")`` with a literal name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import drp_tui

PACKAGE = Path(drp_tui.__file__).parent

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": ("textual", "peewee", "playhouse", "drp_tui.store", "drp_tui.services", "drp_tui.ui",
               "drp_tui.cli", "drp_tui.bootstrap"),
    "services": ("textual", "drp_tui.ui", "drp_tui.cli"),
    "store": ("textual", "drp_tui.ui", "drp_tui.cli", "drp_tui.services"),
    # the desk reads and writes through ``Desk`` and the services, never the store itself
    "ui": ("drp_tui.store", "peewee", "playhouse", "drp_tui.cli"),
}


def modules(layer: str) -> list[Path]:
    found = sorted((PACKAGE / layer).rglob("*.py"))
    assert found, f"no modules under drp_tui/{layer}"
    return found


def imported_names(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """Every module name ``path`` (inside package ``root``) imports, with its line,
    relative imports resolved to absolute names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            out.extend((node.lineno, f"{name}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in ("import_module", "__import__"):
                out.append((node.lineno, node.args[0].value))
    return out


def offends(name: str, banned: str) -> bool:
    return name == banned or name.startswith(banned + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports(layer: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for path in modules(layer)
        for line, name in imported_names(path)
        for banned in FORBIDDEN[layer]
        if offends(name, banned)
    ]
    assert offenders == []


def test_the_checker_sees_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "drp_tui" / "domain"
    pkg.mkdir(parents=True)
    src = pkg / "bad.py"
    src.write_text(
        "import textual.app\n"
        "from peewee import Model\n"
        "def f():\n"
        "    from playhouse import db_url\n"
        "    import importlib\n"
        "    importlib.import_module('textual.widgets')\n"
        "from ..store import models\n"
        "from . import calendar\n",
        encoding="utf-8")
    names = [n for _, n in imported_names(src, tmp_path / "drp_tui")]
    for banned in ("textual", "peewee", "playhouse", "drp_tui.store"):
        assert any(offends(n, banned) for n in names), (banned, names)
    assert "drp_tui.domain.calendar" in names


SYSTEM_NAMES = (re.compile(r"liquid\s*logic", re.IGNORECASE), re.compile(r"\bFWi\b"))


def test_no_case_management_system_names_in_python_source() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}: {pattern.pattern}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for pattern in SYSTEM_NAMES
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
