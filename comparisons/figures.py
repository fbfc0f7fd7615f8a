"""Theory-versus-experiment figures (the analogues of Figs. 4 and 5 of Meliakov et al. 2025).

1. ``g_vs_energy``: g_e and g_h versus transition energy — theory curves, the bulk k·p curve at
   Eg = E, measured values with error bars, series end-points as open diamonds;
2. ``gX_vs_energy``: g_X = g_e + g_h versus energy with the stated energy-independent levels/ranges;
3. ``residuals``: theory − measured per carrier, drawn from the metrics alone.

Every function draws from saved data only (curves, a measurement table, a metrics dict); nothing is
recomputed. Energies eV, g dimensionless (J-convention). Style: :mod:`comparisons.style`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from . import style
from .io import save_figure
from .measured import MeasurementTable
from .metrics import measured_points
from .results import CARRIERS, TheoryCurve

#: Energy window of the figures (eV), the measured range with margins.
ENERGY_WINDOW = (1.6, 2.4)
_MARKERS = ("o", "s", "D", "v", "P", "X", "<", ">")
_LINES = ("-", "--", "-.", (0, (5, 1, 1, 1, 1, 1)))
_DATA_MARKER = {"g_e": "o", "g_h": "^", "g_X": "s"}
_SYMBOL = {"g_e": "$g_e$", "g_h": "$g_h$", "g_X": "$g_X$"}
XLABEL = "transition energy $E$ (eV)"


def _curve_style(index: int, curve_or_model: TheoryCurve | str, n_points: int) -> dict[str, Any]:
    model = curve_or_model if isinstance(curve_or_model, str) else curve_or_model.model
    if model == "kp-bulk":
        return {"ls": ":", "lw": 1.2, "marker": "d" if n_points <= 15 else None}
    return {"ls": _LINES[index % len(_LINES)], "marker": _MARKERS[index % len(_MARKERS)] if n_points <= 15 else None,
            "ms": 3.5}


def _name(curve: TheoryCurve | dict[str, Any]) -> str:
    """Legend name of a curve (or of a metrics ``curve`` description)."""
    get = curve.get if isinstance(curve, dict) else lambda k: getattr(curve, k)
    if get("model") == "kp-bulk":
        return f"bulk k·p at $E_g = E$, {get('parameter_set')}"
    return get("label")


def _theory(ax, curves: Sequence[TheoryCurve], carrier: str) -> None:
    for i, c in enumerate(curves):
        ax.plot(c.energy_eV, c.values(carrier), color=style.COLORS[carrier], **_curve_style(i, c, len(c.energy_eV)),
                label=f"{_SYMBOL[carrier]}: {_name(c)}")


def _measured(ax, table: MeasurementTable, carrier: str) -> None:
    pts = measured_points(table, carrier)
    end = pts.series_endpoint
    err = np.where(np.isfinite(pts.sigma), pts.sigma, 0.0)
    for derived in (False, True):
        sel = ~end & (np.array([k == "derived" for k in pts.kind], bool) == derived)
        if sel.any():
            ax.errorbar(pts.energy_eV[sel], pts.value[sel], yerr=err[sel], ls="none", marker=_DATA_MARKER[carrier],
                        ms=6, mec=style.COLORS["data"], mfc="white" if derived else style.COLORS[carrier],
                        ecolor=style.COLORS["data"], capsize=2, zorder=5,
                        label=f"measured {_SYMBOL[carrier]}" + (" (sum of measured $g_e$, $g_h$)" if derived else ""))
    if end.any():
        ax.plot(pts.energy_eV[end], pts.value[end], ls="none", marker="D", ms=6, mfc="none",
                color=style.COLORS[carrier], mew=1.4, zorder=5,
                label=f"measured {_SYMBOL[carrier]}: series end-points")


def _levels(ax, table: MeasurementTable, carrier: str) -> None:
    """Stated values without an energy: a pair of series end-points → band, a single value → level."""
    rows = [m for m in table if m.quantity == carrier and m.energy_eV is None]
    groups: dict[tuple[str, str, str], list] = {}
    for m in rows:
        groups.setdefault((m.code, m.sample, m.kind), []).append(m)
    for (code, sample, kind), ms in groups.items():
        who = sample or code
        if kind == "series_endpoint" and len(ms) == 2:
            lo, hi = sorted(m.value for m in ms)
            ax.axhspan(lo, hi, color="0.6", alpha=0.18, lw=0,
                       label=f"stated range {lo:+.1f} to {hi:+.1f}" + (f" ({who})" if who else ""))
            continue
        for m in ms:
            ax.axhline(m.value, color=style.COLORS["data"], ls="--", lw=1,
                       label=f"stated {_SYMBOL[carrier]} ≈ {m.value:+.1f} ({kind}{', ' + who if who else ''}, no energy)")


def _finish(ax, ylabel: str, title: str) -> None:
    ax.set_xlim(*ENERGY_WINDOW)
    ax.set_xlabel(XLABEL)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7)


def g_vs_energy_figure(curves: Sequence[TheoryCurve], bulk: TheoryCurve | None, table: MeasurementTable):
    """g_e and g_h versus transition energy (the analogue of Fig. 4)."""
    fig, ax = style.figure(6.6, 3.6)
    with style.rc():
        every = [*curves, *([bulk] if bulk is not None else [])]
        for carrier in ("g_e", "g_h"):
            _theory(ax, every, carrier)
            _measured(ax, table, carrier)
        ax.axhline(0, color="0.5", lw=0.6)
        _finish(ax, "g-factor (J-convention)", "$g_e$, $g_h$ versus transition energy")
    return fig


def gx_figure(curves: Sequence[TheoryCurve], bulk: TheoryCurve | None, table: MeasurementTable):
    """g_X = g_e + g_h versus transition energy with the stated levels (the analogue of Fig. 5)."""
    fig, ax = style.figure(6.6, 3.2)
    with style.rc():
        _theory(ax, [*curves, *([bulk] if bulk is not None else [])], "g_X")
        _measured(ax, table, "g_X")
        _levels(ax, table, "g_X")
        _finish(ax, "bright-exciton g-factor $g_X$", "$g_X = g_e + g_h$ versus transition energy")
    return fig


def residual_figure(metrics: dict[str, dict[str, Any]]):
    """Residual (theory − measured) versus energy, one panel per carrier, from a metrics dict."""
    from matplotlib.lines import Line2D

    fig, axes = style.figure(6.6, 1.9, nrows=3, sharex=True)
    with style.rc():
        handles = []
        for i, entry in enumerate(metrics.values()):
            marker = _curve_style(i, entry["curve"]["model"], 0)["marker"] or "o"
            handles.append(Line2D([], [], ls="none", marker=marker, color="0.3", label=_name(entry["curve"])))
            for ax, carrier in zip(axes, CARRIERS):
                used = [p for p in entry[carrier]["points"] if p["used"]]
                for end in (False, True):
                    sel = [p for p in used if p["series_endpoint"] == end]
                    if sel:
                        ax.plot([p["energy_eV"] for p in sel], [p["residual"] for p in sel], ls="none",
                                marker=marker, ms=5, color=style.COLORS[carrier],
                                mfc="none" if end else style.COLORS[carrier])
        handles.append(Line2D([], [], ls="none", marker="o", mfc="none", color="0.3",
                              label="open symbols: series end-points"))
        for ax, carrier in zip(axes, CARRIERS):
            ax.axhline(0, color="0.4", lw=0.8)
            ax.set_ylabel(f"{_SYMBOL[carrier]}: theory − meas.")
        axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7)
        axes[-1].set_xlim(*ENERGY_WINDOW)
        axes[-1].set_xlabel(XLABEL)
        axes[0].set_title("Residuals at the measured energies", fontsize=9)
    return fig


def write_figures(out_dir: str | Path, curves: Sequence[TheoryCurve], bulk: TheoryCurve | None,
                  table: MeasurementTable, metrics: dict[str, dict[str, Any]],
                  formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Draw and save the three figures as ``<out_dir>/<name>.<fmt>``; returns the files written."""
    out = Path(out_dir)
    paths: list[Path] = []
    for name, fig in (("g_vs_energy", g_vs_energy_figure(curves, bulk, table)),
                      ("gX_vs_energy", gx_figure(curves, bulk, table)),
                      ("residuals", residual_figure(metrics))):
        paths += save_figure(fig, out / name, formats)
        style.close(fig)
    return paths


__all__ = ["ENERGY_WINDOW", "XLABEL", "g_vs_energy_figure", "gx_figure", "residual_figure", "write_figures"]
