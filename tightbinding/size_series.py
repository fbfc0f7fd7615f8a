"""Tight-binding g-factors versus NC size: a resumable series of cubes, a table and a figure.

Each size is computed once and stored as ``point_N<n>.json`` (atomic write); re-running skips
finished points, so an interrupted series loses at most the point in flight. The figure shows
g_e and g_h against the transition energy with the bulk values as the large-size limit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from comparisons import style
from comparisons.io import save_figure, write_json, write_table

from .bulk import bulk_tb
from .crystal import Crystal
from .nanocrystal import DEFAULT_PASSIVATION_SHIFT, make_shape, nanocrystal_gfactors

COLUMNS = ("n_pb", "edge_nm", "n_orbitals", "E_vb", "E_cb", "E_transition", "g_e", "g_h", "g_X",
           "g_e_finite_field", "g_h_finite_field", "surface_weight_cb", "surface_weight_vb", "solver", "seconds")


def run_size_series(crystal: Crystal, n_values: list[int], out_dir: str | Path, *, passivation: bool = True,
                    passivation_shift: float = DEFAULT_PASSIVATION_SHIFT, solver: str = "auto",
                    finite_field_T: float | None = 1.0, progress=print) -> list[Path]:
    """Compute (or reuse) every cube size in ``n_values`` and write table, metadata and figure."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for i, n in enumerate(n_values):
        path = out / f"point_N{n}.json"
        if path.exists():
            records.append(json.loads(path.read_text()))
            progress(f"[{i + 1}/{len(n_values)}] N = {n}: cached")
            continue
        record = nanocrystal_gfactors(crystal, make_shape(crystal, "cube", n_pb=n), passivation=passivation,
                                      passivation_shift=passivation_shift, solver=solver, finite_field_T=finite_field_T)
        write_json(path, record)
        records.append(record)
        progress(f"[{i + 1}/{len(n_values)}] N = {n}: {record['edge_nm']:.2f} nm, E = {record['E_transition']:.3f} eV, "
                 f"g_e = {record['g_e']:.3f}, g_h = {record['g_h']:.3f} ({record['seconds']:.1f} s, {record['solver']})")
    bulk = bulk_tb(crystal)
    table = {key: [r.get(key, np.nan) for r in records] for key in COLUMNS}
    paths = [write_table(out / "nc_size_series.csv", table, [
        f"tight-binding cubes, {crystal.params.name}, shells {', '.join(crystal.shells)}, passivation "
        f"{'on, shift ' + str(passivation_shift) + ' eV' if passivation else 'off'}; energies eV, lengths nm",
        f"bulk: Eg = {bulk.Eg:.4f} eV, g_e = {bulk.g_e:.4f}, g_h = {bulk.g_h:.4f}"])]
    paths.append(write_json(out / "bulk.json", bulk.as_dict()))
    fig = _figure(table, bulk, crystal.params.name)
    paths += save_figure(fig, out / "nc_g_vs_energy", ("png", "pdf"))
    style.close(fig)
    return paths


def _figure(table: dict, bulk, label: str):
    fig, ax = style.figure(4.2, 3.2)
    with style.rc():
        e = np.array(table["E_transition"], float)
        for key in ("g_e", "g_h"):
            ax.plot(e, table[key], "o-", color=style.COLORS[key], ms=4, label=f"{style.LABELS[key]} ETB cubes ({label})")
            ax.axhline(getattr(bulk, key), color=style.COLORS[key], ls=":", lw=1, label=f"bulk {style.LABELS[key]}")
        ax.axvline(bulk.Eg, color="0.5", lw=0.6)
        for n, x, y in zip(table["n_pb"], e, table["g_h"]):
            ax.annotate(f"{n}", (x, y), xytext=(2, 3), textcoords="offset points", fontsize=6)
        ax.set_xlabel("transition energy $E_{cb} - E_{vb}$ (eV)")
        ax.set_ylabel("g-factor")
        ax.set_title("Tight-binding CsPbI$_3$ cubes (labels: Pb per edge)", fontsize=9)
        ax.legend(fontsize=7)
    return fig
