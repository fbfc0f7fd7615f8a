"""The import layers of the toolkit, down to the sub-packages of ``comparisons`` (issue 16).

Order, lowest first::

    confinement < kp, tightbinding < comparisons.experiment < comparisons.theory_vs_data
                < comparisons.sweeps, comparisons.search < comparisons.cli

Rule enforced: a module may import its own layer unit (package or sub-package) and any unit of a
*lower* layer, never one of the same or a higher layer. So ``confinement`` (shared machinery)
imports none of the others; ``kp`` and ``tightbinding`` (the two models) import ``confinement``
only — not each other, so the two models stay independent; inside ``comparisons`` the measured
data (``experiment``) knows no theory, the theory-versus-data layer may read the measured data but
never runs a sweep, the sweep engine may use both, and only the command line (``cli``) sits on
top. ``comparisons.search`` (the second-neighbour bound search) sits at the sweep level and may,
as the one sideways arrow, run its points through ``comparisons.sweeps`` (never the reverse).
The scripts around the packages (``benchmarks``, ``examples``, ``tests``) sit above every layer
and are imported by none. Every import counts — top-level, inside functions, under
``if TYPE_CHECKING``, relative (resolved against the module's own package), and
``importlib.import_module("...")`` with a literal name — because a function-level import is still
a dependency (it once hid a circle: tightbinding.family_report → comparisons.size_series → … →
tightbinding.family_report). Inside the packages, the old flat names of ``comparisons``
(``comparisons.runner``, …; :data:`comparisons.MOVED`) are refused: they are for outside callers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from comparisons import MOVED

ROOT = Path(__file__).resolve().parents[1]
#: Layer of each unit of the project (a top-level package or a sub-package of comparisons).
LAYERS = {"confinement": 0, "kp": 1, "tightbinding": 1,
          "comparisons.experiment": 2, "comparisons.theory_vs_data": 3,
          "comparisons.sweeps": 4, "comparisons.search": 4, "comparisons.cli": 5,
          "benchmarks": 6, "examples": 6, "tests": 6}
#: Imports between two units of one layer that are allowed, (importer, imported): one direction only.
SIDEWAYS = {("comparisons.search", "comparisons.sweeps")}
ORDER = ("confinement < kp, tightbinding < comparisons.experiment < comparisons.theory_vs_data "
         "< comparisons.sweeps, comparisons.search < comparisons.cli")
PACKAGES = ("confinement", "kp", "tightbinding", "comparisons")


def module_name(path: Path) -> str:
    """Dotted name of the module at ``path`` (relative to the repository root)."""
    parts = list(path.with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(name: str) -> str | None:
    """The layer unit a dotted name belongs to (longest prefix in :data:`LAYERS`), or None outside the project."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in LAYERS:
            return ".".join(parts[:n])
    return None


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in ``tree``, the source of ``module``.

    ``from X import a`` gives ``X.a`` (``a`` may be a sub-module); relative imports are resolved
    against the module's package; one that climbs above the top level gives a name starting with '.'.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parts = package.split(".") if package else []
                if node.level - 1 >= len(parts):   # climbs out of the top-level package
                    found.append((node.lineno, "." * node.level + (node.module or "")))
                    continue
                base = ".".join(parts[:len(parts) - (node.level - 1)] + ([node.module] if node.module else []))
            found += [(node.lineno, f"{base}.{alias.name}" if alias.name != "*" else base) for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("import_module", "__import__")))):
            found.append((node.lineno, node.args[0].value))
    return found


def violations(path: Path, source: str | None = None) -> list[str]:
    """One message per import of the module at ``path`` that goes against the layer order."""
    rel = path.relative_to(ROOT) if path.is_absolute() else path
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8") if source is None else source, filename=str(rel))
    module = module_name(rel)
    own = unit_of(module)
    messages = []
    for line, name in imported_modules(tree, module, rel.name == "__init__.py"):
        if name.startswith("."):
            messages.append(f"{rel}:{line} imports {name!r}, above the top-level package of {module}")
            continue
        parts = name.split(".")
        if parts[0] == "comparisons" and own != "comparisons" and (len(parts) < 2 or parts[1] in MOVED):
            old = ".".join(parts[:2])
            new = MOVED.get(parts[1], "a sub-package") if len(parts) > 1 else "a sub-package"
            messages.append(f"{rel}:{line} imports {name} through the old flat path {old}; import {new}")
            continue
        unit = unit_of(name)
        if unit is None or unit == own:            # the standard library, third-party packages, itself
            continue
        if own is None:                            # the root of comparisons (its alias table) imports no layer
            messages.append(f"{rel}:{line} imports {name}; the package root {module} imports no layer")
            continue
        if LAYERS[unit] > LAYERS[own] or (LAYERS[unit] == LAYERS[own] and (own, unit) not in SIDEWAYS):
            where = "the same layer as" if LAYERS[unit] == LAYERS[own] else "a layer above"
            messages.append(f"{rel}:{line} imports {name} ({unit} is {where} {own}; order: {ORDER})")
    return messages


def modules() -> list[Path]:
    return [path.relative_to(ROOT) for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def test_every_unit_has_modules():
    # The glob must see every layer unit (a wrong ROOT or a typo in LAYERS would pass vacuously).
    counts = {u: sum(unit_of(module_name(p)) == u for p in modules()) for u in LAYERS if u.split(".")[0] in PACKAGES}
    assert all(n >= 3 for u, n in counts.items() if u != "comparisons.search"), counts


@pytest.mark.parametrize("unit", [u for u in LAYERS if u.split(".")[0] in PACKAGES])
def test_no_module_imports_a_higher_or_sibling_layer(unit):
    problems = [m for path in modules() if unit_of(module_name(path)) == unit for m in violations(path)]
    assert not problems, "imports against the layer order:\n" + "\n".join(problems)


def test_the_package_root_of_comparisons_imports_no_layer():
    assert violations(Path("comparisons/__init__.py")) == []


@pytest.mark.parametrize("source, path, offending", [
    ("from comparisons.experiment.measured import BUNDLED\n", "tightbinding/example.py", "comparisons.experiment"),
    ("def f():\n    from comparisons.theory_vs_data import style\n", "kp/example.py", "comparisons.theory_vs_data"),
    ("import kp.bulk\n", "tightbinding/example.py", "kp.bulk"),                              # sibling model
    ("from tightbinding.crystal import Crystal\n", "confinement/example.py", "tightbinding.crystal"),
    ("import importlib\nm = importlib.import_module('comparisons.cli')\n", "kp/example.py", "comparisons.cli"),
    ("from ..comparisons import io\n", "kp/example.py", "..comparisons"),
    # inside comparisons: each sub-layer only looks down
    ("from comparisons.sweeps.runner import run_sweep\n", "comparisons/experiment/example.py", "comparisons.sweeps"),
    ("from ..sweeps.runner import run_sweep\n", "comparisons/experiment/example.py", "comparisons.sweeps.runner"),
    ("def f():\n    from ..theory_vs_data import results\n", "comparisons/experiment/example.py",
     "comparisons.theory_vs_data.results"),                                      # experiment knows no theory
    ("from ..sweeps import run_dir\n", "comparisons/theory_vs_data/example.py", "comparisons.sweeps.run_dir"),
    ("from ..cli.commands import main\n", "comparisons/sweeps/example.py", "comparisons.cli.commands"),
    ("from ..search import bounds\n", "comparisons/sweeps/example.py", "comparisons.search.bounds"),  # not back
    ("from comparisons.runner import run_sweep\n", "comparisons/cli/example.py", "comparisons.runner"),  # old path
    ("from comparisons import style\n", "comparisons/sweeps/example.py", "comparisons.style"),          # old path
])
def test_checker_names_the_offending_module_and_import(source, path, offending):
    # The checker itself: a back-arrow in any form is reported with the module, line and import.
    (message,) = violations(Path(path), source)
    assert message.startswith(f"{path}:") and offending in message


@pytest.mark.parametrize("source, path", [
    ("from confinement.errors import ParameterError\nfrom .crystal import Crystal\n", "tightbinding/example.py"),
    ("import numpy as np\nfrom kp.bulk import bulk_kp\nfrom tightbinding import bands\n",
     "comparisons/theory_vs_data/example.py"),
    ("from . import units\n", "confinement/example.py"),
    ("from ..experiment.measured import CARRIERS\nfrom .results import TheoryCurve\n",
     "comparisons/theory_vs_data/example.py"),
    ("from ..experiment import fit_trfe\nfrom ..theory_vs_data.compare import run_comparison\n",
     "comparisons/sweeps/example.py"),
    ("from comparisons.sweeps.runner import run_sweep\n", "comparisons/search/example.py"),     # the one sideways
    ("from ..sweeps import runner\nfrom ..theory_vs_data import style\n", "comparisons/cli/example.py"),
    ("from .trfe import fit_trfe\n", "comparisons/experiment/__init__.py"),
])
def test_checker_allows_downward_and_own_unit_imports(source, path):
    assert violations(Path(path), source) == []


def test_old_flat_paths_import_as_the_moved_modules(monkeypatch):
    # Outside callers of the flat layout keep working: same module object, with a deprecation warning.
    import importlib
    import sys

    from comparisons.sweeps import runner
    for old in ("comparisons.runner", "comparisons.measured"):   # a first import, even if a test made one
        monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match="comparisons.runner moved to comparisons.sweeps.runner"):
        old = importlib.import_module("comparisons.runner")
    assert old is runner and runner.__spec__.name == "comparisons.sweeps.runner"
    with pytest.warns(DeprecationWarning):
        from comparisons.measured import load_measurements
    from comparisons.experiment.measured import load_measurements as new
    assert load_measurements is new
