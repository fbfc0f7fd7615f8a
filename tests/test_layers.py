"""The import layers of the toolkit: confinement < kp, tightbinding < comparisons (issue 16).

Rule enforced: a module may import its own package and any package of a *lower* layer, never one
of the same or a higher layer. So ``confinement`` (shared machinery) imports none of the others;
``kp`` and ``tightbinding`` (the two models) import ``confinement`` only — not each other, which
neither does today, so the two models stay independent; ``comparisons`` (data, theory-vs-data,
sweeps, CLI) may import all three. The scripts around the packages (``benchmarks``, ``examples``,
``tests``) sit above every layer and are imported by none. Every import counts — top-level, inside
functions, under ``if TYPE_CHECKING``, relative, and ``importlib.import_module("...")`` with a
literal name — because a function-level import is still a dependency (it once hid a circle:
tightbinding.family_report → comparisons.size_series → … → tightbinding.family_report).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Layer of each top-level name of the project; a module imports only its own package or lower layers.
LAYERS = {"confinement": 0, "kp": 1, "tightbinding": 1, "comparisons": 2,
          "benchmarks": 3, "examples": 3, "tests": 3}
PACKAGES = ("confinement", "kp", "tightbinding", "comparisons")


def imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in ``tree``, a module of the top-level ``package``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append((node.lineno, node.module or ""))
            elif node.level == 1:                  # the packages are flat: '.' is the package itself
                found.append((node.lineno, f"{package}.{node.module}" if node.module else package))
            else:                                  # '..' leaves the package: the parent of all layers
                found.append((node.lineno, "." * node.level + (node.module or "")))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            found.append((node.lineno, node.args[0].value))
    return found


def violations(path: Path, package: str, source: str | None = None) -> list[str]:
    """One message per import of ``path`` (in ``package``) that reaches the same or a higher layer."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source, filename=str(path))
    rel = path.relative_to(ROOT) if path.is_absolute() else path
    messages = []
    for line, name in imported_modules(tree, package):
        if name.startswith("."):
            messages.append(f"{rel}:{line} imports {name!r}, outside its package {package!r}")
            continue
        top = name.split(".")[0]
        if top == package or top not in LAYERS:    # itself, the standard library, third-party packages
            continue
        if LAYERS[top] >= LAYERS[package]:
            where = "the same layer as" if LAYERS[top] == LAYERS[package] else "a layer above"
            messages.append(f"{rel}:{line} imports {name} ({top} is {where} {package}; "
                            "order: confinement < kp, tightbinding < comparisons)")
    return messages


def modules() -> list[tuple[str, Path]]:
    return [(package, path) for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def test_every_package_has_modules():
    # The glob must see the packages (a wrong ROOT would pass the layer test vacuously).
    counts = {p: sum(pkg == p for pkg, _ in modules()) for p in PACKAGES}
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_a_higher_or_sibling_layer(package):
    problems = [m for pkg, path in modules() if pkg == package for m in violations(path, pkg)]
    assert not problems, "imports against the layer order:\n" + "\n".join(problems)


@pytest.mark.parametrize("source, package, offending", [
    ("from comparisons.io import write_table\n", "tightbinding", "comparisons.io"),
    ("def f():\n    from comparisons import style\n", "kp", "comparisons"),       # function-level
    ("import kp.bulk\n", "tightbinding", "kp.bulk"),                                # sibling model
    ("from tightbinding.crystal import Crystal\n", "confinement", "tightbinding.crystal"),
    ("import importlib\nm = importlib.import_module('comparisons.cli')\n", "kp", "comparisons.cli"),
    ("from ..comparisons import io\n", "kp", "..comparisons"),
])
def test_checker_names_the_offending_module_and_import(source, package, offending):
    # The checker itself: a back-arrow in any form is reported with the module, line and import.
    (message,) = violations(Path(package) / "example.py", package, source)
    assert message.startswith(f"{package}/example.py:") and offending in message


@pytest.mark.parametrize("source, package", [
    ("from confinement.errors import ParameterError\nfrom .crystal import Crystal\n", "tightbinding"),
    ("import numpy as np\nfrom kp.bulk import bulk_kp\nfrom tightbinding import bands\n", "comparisons"),
    ("from . import units\n", "confinement"),
])
def test_checker_allows_downward_and_own_package_imports(source, package):
    assert violations(Path(package) / "example.py", package, source) == []
