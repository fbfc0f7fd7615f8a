"""Theory-versus-experiment figures (the analogues of Figs. 4 and 5 of Meliakov et al. 2025).

1. ``g_vs_energy``: g_e and g_h versus transition energy — theory curves (colour = carrier, one
   line style per curve), the bulk k·p curve at Eg = E (dotted), systematic bands (shaded), and
   the measured values of the compared population, each marked and labelled with its sample
   (filled: sample stated; hollow and "(#n)": sample inferred), plus the paper's samples that
   have no value in the data;
2. ``gX_vs_energy``: g_X = g_e + g_h versus energy with the stated energy-independent levels/ranges;
3. ``residuals``: theory − measured per carrier (colour = curve, marker = sample, curves offset
   slightly in energy so that points at one energy stay apart), drawn from the metrics alone.

Other populations (e.g. solution-grown NCs) are drawn only when asked for (``show``), each with
its own marker and legend entry; they never enter the metrics. Every function draws from saved
data only (curves, a measurement table, a metrics dict); nothing is recomputed. Energies eV,
g dimensionless (J-convention). Style: :mod:`comparisons.theory_vs_data.style`, marks:
:mod:`comparisons.theory_vs_data.figure_marks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.patches import Patch

from confinement.io import save_figure

from ..experiment.measured import DEFAULT_POPULATION, PAPER_SAMPLES, MeasurementTable
from ..experiment.points import MeasuredPoints, measured_points, select_populations
from . import figure_marks as fm
from . import style
from .report import who
from .results import CARRIERS, TheoryCurve
from .systematics import SystematicBand

#: Energy window of the figures (eV), the measured range with margins.
ENERGY_WINDOW = (1.6, 2.4)
#: Horizontal spacing (eV) between the residuals of different curves at one measured energy.
RESIDUAL_OFFSET_EV = 0.012
_SYMBOL = {"g_e": "$g_e$", "g_h": "$g_h$", "g_X": "$g_X$"}
XLABEL = "transition energy $E$ (eV)"
DEFAULT_POPULATIONS = (DEFAULT_POPULATION,)


class _Legend:
    """Legend entries collected while drawing, in sections: curves, carriers, bands, samples, notes."""

    def __init__(self) -> None:
        self.sections: dict[str, list[Any]] = {k: [] for k in ("curves", "carriers", "bands", "samples", "notes")}

    def add(self, section: str, handle: Any) -> None:
        self.sections[section].append(handle)

    def draw(self, ax) -> None:
        self.sections["samples"].sort(key=lambda h: h.get_label())        # #1 … #6, then other labels
        handles = fm.unique(h for hs in self.sections.values() for h in hs)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7)


def _drawn_curves(curves: Sequence[TheoryCurve], bulk: TheoryCurve | None,
                  bands: Sequence[SystematicBand]) -> list[TheoryCurve]:
    """Curves drawn as lines: every curve but the variants of a band, then the bulk curve."""
    variants = {v.key for b in bands for v in b.variants} - {b.central.key for b in bands}
    return [c for c in curves if c.key not in variants] + ([bulk] if bulk is not None else [])


def _theory(ax, legend: _Legend, drawn: Sequence[TheoryCurve], carrier: str) -> None:
    info = [fm.describe(c) for c in drawn]
    styles, names = fm.curve_styles(info), fm.legend_names(info)
    for c in drawn:
        st = styles[c.key]
        ax.plot(c.energy_eV, c.values(carrier), color=style.COLORS[carrier], **st.line())
        legend.add("curves", fm.line_handle(names[c.key], **st.line()))
    legend.add("carriers", fm.line_handle(f"{_SYMBOL[carrier]} (colour)", color=style.COLORS[carrier], lw=3))


def _bands(ax, legend: _Legend, bands: Sequence[SystematicBand], names: dict[str, str], carrier: str) -> None:
    for band in bands:
        grid = band.grid()
        if grid.size == 0:
            continue
        low, high, _ = band.envelope(carrier, grid)
        ax.fill_between(grid, low, high, color=style.COLORS[carrier], alpha=0.2, lw=0, zorder=1)
        variants = ", ".join(fm.short_name(v.model, v.parameter_set, v.shape) for v in band.variants)
        legend.add("bands", Patch(facecolor="0.6", alpha=0.45, label=f"shaded: {names[band.central.key]} "
                                                                       f"with its systematics ({variants})"))


def _measured(ax, legend: _Legend, pts: MeasuredPoints, table: MeasurementTable, carrier: str) -> set[str]:
    """The compared population's points: marker per sample, hollow when inferred, labelled.
    Returns the samples drawn."""
    markers = fm.sample_markers(table)
    color = style.COLORS[carrier]
    for i in np.flatnonzero(~pts.duplicate):
        inferred, small = pts.assignment[i] == "inferred", pts.kind[i] == "digitised"
        size = fm.DIGITISED_SIZE if small else fm.MEASURED_SIZE
        sigma = pts.sigma[i] if np.isfinite(pts.sigma[i]) else None
        ax.errorbar(pts.energy_eV[i], pts.value[i], yerr=sigma, ls="none", marker=markers[pts.sample[i]], ms=size,
                    mfc="white" if inferred else color, mec=color if inferred else "0.1", mew=1.4,
                    ecolor="0.2", capsize=2, zorder=5)
        left = pts.energy_eV[i] < ENERGY_WINDOW[0] + 0.2 * (ENERGY_WINDOW[1] - ENERGY_WINDOW[0])  # curves start there
        ax.annotate(pts.who(i), (pts.energy_eV[i], pts.value[i]), xytext=(-6 if left else 5, 3),
                    textcoords="offset points", ha="right" if left else "left", fontsize=7, color=color, zorder=6)
        if pts.sample[i]:
            legend.add("samples", fm.marker_handle(markers[pts.sample[i]], fm.sample_name(table, pts.sample[i])))
        if inferred:
            legend.add("notes", fm.marker_handle("o", "hollow, (#n): sample inferred (docs/data.md)", filled=False))
        elif pts.sample[i]:
            legend.add("notes", fm.marker_handle("o", "filled: sample stated"))
        if small:
            legend.add("notes", fm.marker_handle("o", "small: digitised from a figure", size=fm.DIGITISED_SIZE))
        if pts.kind[i] == "derived":
            legend.add("notes", fm.text_handle(f"{_SYMBOL[carrier]} of a sample: its $g_e + g_h$ at one energy"))
    return {pts.sample[i] for i in np.flatnonzero(~pts.duplicate)}


def _other_populations(ax, legend: _Legend, table: MeasurementTable, carrier: str, show: Sequence[str]) -> None:
    """Points of other populations, one marker each, labelled by code, never in the metrics."""
    for k, population in enumerate(show):
        pts = measured_points(table, carrier, [population])
        marker = fm.POPULATION_MARKERS[k % len(fm.POPULATION_MARKERS)]
        for i in np.flatnonzero(~pts.duplicate):
            ax.plot(pts.energy_eV[i], pts.value[i], ls="none", marker=marker, ms=9, mfc=style.COLORS[carrier],
                    mec="0.1", mew=1.0, zorder=5)
            ax.annotate(pts.who(i), (pts.energy_eV[i], pts.value[i]), xytext=(5, -9), textcoords="offset points",
                        fontsize=6, color="0.2")
            legend.add("samples", fm.marker_handle(marker, f"{population}: shown, not in the metrics", size=9))


def _levels(ax, legend: _Legend, table: MeasurementTable, carrier: str, populations: Sequence[str]) -> None:
    """Stated values without an energy: a pair of series end-points → band, a single value → level."""
    groups: dict[tuple[str, str, str, str], list] = {}
    for m in select_populations(table, populations):
        if m.quantity == carrier and m.energy_eV is None:
            groups.setdefault((m.population, m.code, m.sample, m.kind), []).append(m)
    for (population, code, sample, kind), ms in groups.items():
        who = sample or code or population
        if kind == "series_endpoint" and len(ms) == 2:
            lo, hi = sorted(m.value for m in ms)
            span = ax.axhspan(lo, hi, color="0.6", alpha=0.18, lw=0,
                              label=f"stated range {lo:+.1f} to {hi:+.1f} ({who}, no energy)")
            legend.add("notes", span)
            continue
        for m in ms:
            line = ax.axhline(m.value, color=style.COLORS["data"], ls="--", lw=1,
                              label=f"stated {_SYMBOL[carrier]} ≈ {m.value:+.1f} ({kind}, {who}, no energy)")
            legend.add("notes", line)


def _missing(legend: _Legend, table: MeasurementTable, drawn: set[str], what: str) -> None:
    """A legend line naming the paper's samples without a point in the figure (if the table has any)."""
    if any(m.sample in PAPER_SAMPLES for m in table):
        missing = [s for s in PAPER_SAMPLES if s not in drawn]
        if missing:
            legend.add("notes", fm.text_handle(f"{what}: {', '.join(missing)}"))


def _finish(ax, legend: _Legend, ylabel: str, title: str) -> None:
    ax.set_xlim(*ENERGY_WINDOW)
    ax.set_xlabel(XLABEL)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    legend.draw(ax)


def _carrier_figure(carriers: Sequence[str], curves: Sequence[TheoryCurve], bulk: TheoryCurve | None,
                    table: MeasurementTable, populations: Sequence[str], show: Sequence[str],
                    bands: Sequence[SystematicBand], size: tuple[float, float], missing: str):
    fig, ax = style.figure(*size)
    legend = _Legend()
    drawn = _drawn_curves(curves, bulk, bands)
    names = fm.legend_names([fm.describe(c) for c in drawn])
    samples: set[str] = set()
    with style.rc():
        for carrier in carriers:
            _theory(ax, legend, drawn, carrier)
            _bands(ax, legend, bands, names, carrier)
            samples |= _measured(ax, legend, measured_points(table, carrier, populations), table, carrier)
            _other_populations(ax, legend, table, carrier, show)
            if carrier == "g_X":           # g_e, g_h without an energy (the 430 mT caption values) are not drawn
                _levels(ax, legend, table, carrier, [*populations, *show])
        _missing(legend, table, samples, missing)
    return fig, ax, legend


def g_vs_energy_figure(curves: Sequence[TheoryCurve], bulk: TheoryCurve | None, table: MeasurementTable, *,
                       populations: Sequence[str] = DEFAULT_POPULATIONS, show: Sequence[str] = (),
                       bands: Sequence[SystematicBand] = ()):
    """g_e and g_h versus transition energy (the analogue of Fig. 4)."""
    fig, ax, legend = _carrier_figure(("g_e", "g_h"), curves, bulk, table, populations, show, bands, (6.8, 3.9),
                                      "no value in the data")
    with style.rc():
        ax.axhline(0, color="0.5", lw=0.6)
        _finish(ax, legend, "g-factor (J-convention)", "$g_e$, $g_h$ versus transition energy")
    return fig


def gx_figure(curves: Sequence[TheoryCurve], bulk: TheoryCurve | None, table: MeasurementTable, *,
              populations: Sequence[str] = DEFAULT_POPULATIONS, show: Sequence[str] = (),
              bands: Sequence[SystematicBand] = ()):
    """g_X = g_e + g_h versus transition energy with the stated levels (the analogue of Fig. 5)."""
    fig, ax, legend = _carrier_figure(("g_X",), curves, bulk, table, populations, show, bands, (6.8, 3.4),
                                      "no $g_e$ and $g_h$ stated at one energy")
    with style.rc():
        _finish(ax, legend, "bright-exciton g-factor $g_X$", "$g_X = g_e + g_h$ versus transition energy")
    return fig


def residual_figure(metrics: dict[str, dict[str, Any]], table: MeasurementTable | None = None):
    """Residual (theory − measured) versus energy, one panel per carrier, from a metrics dict.

    Colour = curve, marker = sample (hollow: inferred); the curves are offset by
    :data:`RESIDUAL_OFFSET_EV` around each measured energy; bars span a systematic band.
    ``table`` (optional) gives the sample codes of the legend.
    """
    variants = {v for e in metrics.values() for v in e.get("systematics", {}).get("variants", [])}
    entries = {k: e for k, e in metrics.items() if k not in variants}
    info = [{"key": k, **e["curve"]} for k, e in entries.items()]
    styles, names = fm.curve_styles(info), fm.legend_names(info)
    markers = fm.sample_markers(table if table is not None else MeasurementTable())
    fig, axes = style.figure(6.8, 1.9, nrows=3, sharex=True)
    legend = _Legend()
    tops: dict[tuple[int, float], tuple[float, str, float]] = {}   # (panel, energy) → (highest residual, label, x)
    with style.rc():
        for n, (key, entry) in enumerate(entries.items()):
            shift = (n - (len(entries) - 1) / 2) * RESIDUAL_OFFSET_EV
            color = styles[key].color
            legend.add("curves", fm.line_handle(names[key], color=color, lw=3))
            for ax, carrier in zip(axes, CARRIERS):
                for p in (p for p in entry[carrier]["points"] if p["used"]):
                    inferred = p.get("sample_assignment") == "inferred"
                    marker = markers.get(p["sample"], "o")
                    low, high = p.get("systematic_low"), p.get("systematic_high")
                    yerr = None if low is None else [[p["residual"] - (low - p["measured"])],
                                                     [(high - p["measured"]) - p["residual"]]]
                    ax.errorbar(p["energy_eV"] + shift, p["residual"], yerr=yerr, ls="none", marker=marker, ms=5.5,
                                color=color, mfc="white" if inferred else color, mew=1.3, capsize=2, zorder=4)
                    if p["sample"]:
                        label = p["sample"] if table is None else fm.sample_name(table, p["sample"])
                        legend.add("samples", fm.marker_handle(marker, label, size=5.5))
                    where = (CARRIERS.index(carrier), round(p["energy_eV"], 4))
                    top = p["residual"] if yerr is None else high - p["measured"]
                    if where not in tops or top > tops[where][0]:
                        tops[where] = (top, who(p), p["energy_eV"] + shift)
                    if p["series_endpoint"]:
                        legend.add("notes", fm.text_handle("†: one end of a stated 'from A to B' series"))
                    if inferred:
                        legend.add("notes", fm.marker_handle("o", "hollow: sample inferred", filled=False, size=5.5))
                    if yerr is not None:
                        legend.add("notes", fm.line_handle("bar: systematic band", color="0.3", lw=1))
        for (panel, _), (top, label, x) in tops.items():
            axes[panel].annotate(label, (x, top), xytext=(0, 6), textcoords="offset points", ha="center",
                                 fontsize=7, color="0.2")
        for ax, carrier in zip(axes, CARRIERS):
            ax.margins(y=0.25)
            ax.axhline(0, color="0.4", lw=0.8)
            ax.set_ylabel(f"{_SYMBOL[carrier]}: theory − meas.")
        if len(entries) > 1:
            legend.add("notes", fm.text_handle(f"curves offset by {1000 * RESIDUAL_OFFSET_EV:.0f} meV for legibility"))
        legend.draw(axes[0])
        axes[-1].set_xlim(*ENERGY_WINDOW)
        axes[-1].set_xlabel(XLABEL)
        axes[0].set_title("Residuals at the measured energies", fontsize=9)
    return fig


def write_figures(out_dir: str | Path, curves: Sequence[TheoryCurve], bulk: TheoryCurve | None,
                  table: MeasurementTable, metrics: dict[str, dict[str, Any]],
                  formats: Sequence[str] = ("png", "pdf"), *, populations: Sequence[str] = DEFAULT_POPULATIONS,
                  show: Sequence[str] = (), bands: Sequence[SystematicBand] = ()) -> list[Path]:
    """Draw and save the three figures as ``<out_dir>/<name>.<fmt>``; returns the files written."""
    out = Path(out_dir)
    paths: list[Path] = []
    opts = {"populations": populations, "show": show, "bands": bands}
    for name, fig in (("g_vs_energy", g_vs_energy_figure(curves, bulk, table, **opts)),
                      ("gX_vs_energy", gx_figure(curves, bulk, table, **opts)),
                      ("residuals", residual_figure(metrics, table))):
        paths += save_figure(fig, out / name, formats)
        style.close(fig)
    return paths


__all__ = ["ENERGY_WINDOW", "RESIDUAL_OFFSET_EV", "XLABEL", "g_vs_energy_figure", "gx_figure", "residual_figure",
           "write_figures"]
