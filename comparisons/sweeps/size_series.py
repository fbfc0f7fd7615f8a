"""Tight-binding g-factors versus NC size: a cube-size sweep through the runner, plus its figure.

``landeg nc --n-pb N1:N2 --out DIR`` and the second-neighbour example use this: the series is an
ordinary one-model run config (:mod:`comparisons.sweeps.sweep_config`) executed by
:func:`comparisons.sweeps.runner.run_sweep` — the same per-point content-hash cache, resume and results
table as every other sweep — followed by the size-series figure: g_e and g_h against the
transition energy with the set's bulk values as the large-size limit. Energies eV, sizes nm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from confinement.io import read_table, save_figure, write_json
from confinement.solvers.filtered import DEFAULT_POLYNOMIAL

from ..theory_vs_data import style
from .config import OutputSection
from .run_dir import RESULTS_FILE
from .runner import run_sweep
from .sweep_config import CompareSection, RunConfig, RunSection, TBModel

#: The shape of a size series: cubes of N Pb per edge (the series sweeps N).
SERIES_SHAPE = "cube"


def size_series_config(params: str, n_values: Sequence[int], out_dir: str | Path, *, model_id: str = "etb",
                       shells: Sequence[str] | None = None, passivation: bool = True,
                       passivation_shift: float = float("inf"), solver: str = "auto",
                       finite_field_T: float | None = None, epsilon: float | None = None,
                       compare: bool = True, filter_polynomial: str = DEFAULT_POLYNOMIAL) -> RunConfig:
    """The run config of one cube-size series of the parameter set ``params`` (name or path);
    ``filter_polynomial``: ``[run] filter_polynomial``."""
    model = TBModel(id=model_id, kind="tb", params=str(params), shells=list(shells) if shells else None,
                    shape=SERIES_SHAPE, passivation=passivation,
                    passivation_shift="inf" if np.isinf(passivation_shift) else float(passivation_shift),
                    finite_field_T=finite_field_T or 0.0, epsilon=epsilon, sweep={"n_pb": [int(n) for n in n_values]})
    return RunConfig(run=RunSection(solver=solver, filter_polynomial=filter_polynomial), models=[model],
                     compare=CompareSection(enabled=compare),
                     output=OutputSection(dir=str(out_dir)))


def run_tb_size_series(params: str, n_values: Sequence[int], out_dir: str | Path, *,
                       progress: Callable | None = None, **options: Any) -> tuple[list[Path], list[dict]]:
    """Run (or resume) the series and write the size-series figure; returns (files, records by N).

    ``options``: see :func:`size_series_config`.
    """
    from tightbinding.bulk import bulk_tb
    from tightbinding.crystal import Crystal
    from tightbinding.parameters import load_tb_parameters

    out = Path(out_dir)
    config = size_series_config(params, n_values, out, **options)
    summary = run_sweep(config, out, progress=progress)
    crystal = Crystal(load_tb_parameters(params), shells=tuple(options["shells"]) if options.get("shells") else None)
    bulk = bulk_tb(crystal)
    files = [*summary.files, write_json(out / "bulk.json", bulk.as_dict())]
    fig = size_series_figure(read_table(out / RESULTS_FILE), bulk, crystal.params.name)
    files += save_figure(fig, out / "nc_g_vs_energy", ("png", "pdf"))
    style.close(fig)
    return files, summary.records


def size_series_figure(table: dict[str, list], bulk, label: str):
    """g_e, g_h of the cubes against E_transition (labels: Pb per edge), bulk values dotted."""
    fig, ax = style.figure(4.2, 3.2)
    with style.rc():
        e = np.array(table["E_transition"], float)
        for key in ("g_e", "g_h"):
            ax.plot(e, np.array(table[key], float), "o-", color=style.COLORS[key], ms=4,
                    label=f"{style.LABELS[key]} ETB cubes ({label})")
            ax.axhline(getattr(bulk, key), color=style.COLORS[key], ls=":", lw=1, label=f"bulk {style.LABELS[key]}")
        for n, x, y in zip(table["n_pb"], e, np.array(table["g_h"], float)):
            ax.annotate(f"{int(float(n))}", (x, y), xytext=(2, 3), textcoords="offset points", fontsize=6)
        ax.set_xlabel("transition energy $E_{cb} - E_{vb}$ (eV)")
        ax.set_ylabel("g-factor (J-convention)")
        ax.set_title("Tight-binding cubes (labels: Pb per edge)", fontsize=9)
        ax.legend(fontsize=7)
    return fig
