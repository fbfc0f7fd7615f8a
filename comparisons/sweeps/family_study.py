"""The X–X second-neighbour family study: NC cubes of each refitted set, their table and figures.

Built on the family of :mod:`tightbinding.families` (its sets written by
:mod:`tightbinding.family_report`):

- :func:`family_nc_records`: tight-binding cubes of each refitted set (resumable size series,
  :func:`comparisons.sweeps.size_series.run_tb_size_series`).
- :func:`nc_results_table` / :func:`write_nc_results`: those cubes as a tidy results table that
  ``landeg compare`` reads.
- :func:`at_energies`: the cubes' g interpolated at the measured energies.
- :func:`bulk_g_figure`, :func:`nc_g_figure`: bulk g versus strength; NC g versus energy.

Units: eV, nm, m0; g in the J-convention (g_X = g_e + g_h).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from confinement.io import write_table
from tightbinding.families import FamilyMember
from tightbinding.family_report import SOURCE_NOTE, write_family_sets

from ..experiment.measured import Measurement
from ..theory_vs_data import style
from ..theory_vs_data.results import SCHEMA_VERSION, TheoryCurve
from .size_series import run_tb_size_series

#: Columns of the NC results table (``landeg-results/1`` plus the family's own columns).
NC_COLUMNS = ("model", "label", "strength_eV", "shape", "n_pb", "edge_nm", "E_transition", "g_e", "g_h", "g_X",
              "bulk_g_e", "bulk_g_h", "surface_weight_cb", "surface_weight_vb", "solver", "seconds")


def family_nc_records(members: Sequence[FamilyMember], n_values: Sequence[int], out_dir: str | Path, *,
                      progress: Callable[[str], None] = print) -> list[dict]:
    """Cubes with ``n_values`` Pb per edge for every refitted member (first-order g, default
    passivation); the member's set is written to ``out_dir/sets`` and its series runs through the
    sweep runner in ``out_dir/<name>`` (cached per point, resumable)."""
    records = []
    for m in members:
        if not m.ok:
            progress(f"{m.name}: skipped (refit failed)")
            continue
        (path,) = write_family_sets([m], Path(out_dir) / "sets")
        progress(f"{m.name}: cubes N = {', '.join(map(str, n_values))}")
        _, series = run_tb_size_series(str(path), list(n_values), Path(out_dir) / m.name, compare=False)
        records += [{**record, "strength_eV": m.strength} for record in series]
    return records


def nc_results_table(records: Sequence[dict]) -> dict[str, list]:
    """Tidy results columns (:data:`NC_COLUMNS`); ``label`` is the set name, ``model`` 'tb'."""
    def value(r: dict, key: str):
        if key == "label":
            return r["params"]
        if key == "g_X":
            return r["g_e"] + r["g_h"]
        if key.startswith("bulk_"):
            return r["bulk"][key[5:]]
        return r.get(key, "")
    return {k: [value(r, k) for r in records] for k in NC_COLUMNS}


def write_nc_results(path: str | Path, records: Sequence[dict]) -> Path:
    """Write :func:`nc_results_table` as a ``landeg-results/1`` CSV (readable by ``landeg compare``)."""
    return write_table(path, nc_results_table(records), [
        f"schema: {SCHEMA_VERSION}  (docs/data.md, 'Theory results')",
        "tight-binding cubes of complete PbI6 octahedra, n_pb Pb per edge; default passivation (infinite-shift "
        "limit, docs/nc.md); first-order g; energies eV, lengths nm, g in the J-convention",
        SOURCE_NOTE])


def bulk_g_figure(members: Sequence[FamilyMember]):
    """Bulk g_e, g_h, g_X of the refitted sets versus strength; failed refits marked on the axis."""
    fig, ax = style.figure(4.2, 3.0)
    with style.rc():
        ok = [m for m in members if m.ok]
        s = np.array([m.strength for m in ok])
        order = np.argsort(s)
        for key in ("g_e", "g_h", "g_X"):
            y = np.array([getattr(m.bulk, key) for m in ok])
            ax.plot(s[order], y[order], "o-", ms=3.5, color=style.COLORS[key], label=f"bulk {style.LABELS[key]}")
        failed = [m.strength for m in members if not m.ok]
        if failed:
            ax.plot(failed, np.full(len(failed), ax.get_ylim()[0]), "x", color="0.3", ms=6, clip_on=False,
                    label="refit failed")
        ax.axvline(0, color="0.5", lw=0.6)
        ax.set_xlabel(r"X–X strength $s$ = pp$\sigma$ (eV), pp$\pi = -s/4$")
        ax.set_ylabel("bulk g-factor (TB, at R)")
        ax.set_title("CsPbI$_3$-N21-exp + X–X, refitted to Eg, Eg(M), Δ, $m_e$, $m_h$", fontsize=8)
        ax.legend(fontsize=7)
    return fig


def nc_g_figure(records: Sequence[dict], measured: Iterable[Measurement], strengths: Sequence[float] | None = None):
    """g_e and g_h of the cubes versus transition energy, one line per strength (colour = s),
    with the measured values that state an energy (series end-points as open diamonds)."""
    import matplotlib as mpl

    fig, axes = style.figure(3.4, 3.0, ncols=2, sharex=True)
    by_s: dict[float, list[dict]] = {}
    for r in records:
        by_s.setdefault(float(r["strength_eV"]), []).append(r)
    keep = sorted(by_s if strengths is None else [s for s in strengths if s in by_s])
    cmap = mpl.colormaps["viridis"]
    norm = mpl.colors.Normalize(min(keep), max(keep))
    with style.rc():
        for ax, key in zip(axes, ("g_e", "g_h")):
            for s in keep:
                rs = sorted(by_s[s], key=lambda r: r["E_transition"])
                ax.plot([r["E_transition"] for r in rs], [r[key] for r in rs], "o-", ms=2.5, lw=1,
                        color=cmap(norm(s)), label=f"s = {s:+.2f}")
            for m in measured:
                if m.quantity == key and m.energy_eV is not None:
                    end = m.kind == "series_endpoint"
                    ax.plot(m.energy_eV, m.value, "D" if end else "s", ms=5, mfc="none" if end else "k", mec="k")
            sizes = sorted({r["n_pb"] for r in records})
            ax.set_title(f"{style.LABELS[key]}, TB cubes N = {sizes[0]}–{sizes[-1]}", fontsize=9)
            ax.set_xlabel("transition energy (eV)")
        axes[0].set_ylabel("g-factor")
        axes[1].legend(fontsize=6, title="X–X ppσ (eV)", title_fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig


def at_energies(curves: Sequence[TheoryCurve], energies: Sequence[float]) -> dict[str, list]:
    """g_e, g_h, g_X of each curve interpolated linearly at ``energies`` (eV); NaN outside a curve
    (never extrapolated). One row per (curve, energy)."""
    e = np.asarray(energies, dtype=float)
    cols: dict[str, list] = {"label": [], "E": []}
    for c in curves:
        cols["label"] += [c.parameter_set] * len(e)
        cols["E"] += list(e)
        for carrier in ("g_e", "g_h", "g_X"):
            cols.setdefault(carrier, []).extend(c.interpolate(carrier, e)[0])
    return cols
