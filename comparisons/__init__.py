"""Theory versus experiment, sweeps and the ``landeg`` command line, in four layers.

Sub-packages, lowest first (a module imports only its own sub-package or a lower one;
``tests/test_layers.py`` enforces it):

- :mod:`comparisons.experiment` — measured g-factor tables, measured points, TRFE helpers;
- :mod:`comparisons.theory_vs_data` — theory-results loader, metrics, report, figures, style,
  the ``landeg compare`` job (may read ``experiment``);
- :mod:`comparisons.sweeps` — run configs, planning, cache, runner, run directories, size series,
  family study, ensembles (``comparisons.search``, the bound search, sits at this level too);
- :mod:`comparisons.cli` — the ``landeg`` command line.

The modules of the old flat layout (``comparisons.measured``, ``comparisons.runner``, …) still
import, with a :class:`DeprecationWarning`, as the same module objects as their new homes: the
table :data:`MOVED` maps each old name to its new dotted path.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

#: Old flat module name → the module it is now (issue 16 split ``comparisons/`` into sub-packages).
MOVED: dict[str, str] = {
    "measured": "comparisons.experiment.measured",
    "points": "comparisons.experiment.points",
    **{name: f"comparisons.theory_vs_data.{name}"
       for name in ("results", "metrics", "figures", "figure_marks", "compare", "style", "report", "systematics",
                    "band_figure", "bulk_curve")},
    **{name: f"comparisons.sweeps.{name}"
       for name in ("sweep_config", "sweep", "runner", "size_series", "config", "config_reference", "run_dir",
                    "family_study", "ensemble", "ensemble_config", "figures_ensemble", "progress")},
    "bulk_job": "comparisons.cli.bulk_job",
    "config_kinds": "comparisons.cli.config_kinds",
    "io": "confinement.io",
    "metadata": "confinement.metadata",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import ``comparisons.<old name>`` as the module of :data:`MOVED` it became (one object, two names)."""

    def find_spec(self, fullname: str, path=None, target=None) -> importlib.machinery.ModuleSpec | None:
        parent, _, name = fullname.rpartition(".")
        if parent != __name__ or name not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name.rpartition(".")[2]]
        warnings.warn(f"{spec.name} moved to {new}; import it from there", DeprecationWarning, stacklevel=2)
        module = importlib.import_module(new)
        self._own_spec = module.__spec__            # the import system sets __spec__ to the alias's spec …
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._own_spec            # … so give the module its own spec back


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.append(_MovedModules())
