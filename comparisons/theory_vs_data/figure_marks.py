"""Marks of the comparison figures: one style per curve, one marker per sample, short legend names.

Shared by every figure of :mod:`comparisons.theory_vs_data.figures`, so that a curve and a sample look the same
in all of them: a curve keeps its line style, width, theory marker and model colour (by its
position among the drawn curves; the bulk k·p curve is always dotted grey); a sample keeps its
marker (#1 ○, #2 □, #3 ◇, #4 △, #5 ▽, #6 ⬠; users' own samples get further shapes in order of
appearance); another population shown next to the compared one gets a marker of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.lines import Line2D

from ..experiment.measured import PAPER_SAMPLES, MeasurementTable
from . import style
from .bulk_curve import MODEL as BULK_MODEL

#: The paper's samples: one marker each.
SAMPLE_MARKERS = dict(zip(PAPER_SAMPLES, ("o", "s", "D", "^", "v", "p")))
_OTHER_SAMPLE_MARKERS = ("h", "8", "H", "d", "<", ">")
#: Markers of other populations drawn next to the compared one (in order of the request).
POPULATION_MARKERS = ("*", "X", "P", "<", ">")
#: Line-art markers on theory curves of ≤ :data:`MARKED_CURVE_POINTS` points (never a sample's shape).
THEORY_MARKERS = ("x", "+", "1", "2", "3", "4", "|")
MARKED_CURVE_POINTS = 15
LINESTYLES = ("-", (0, (5, 2)), "-.", (0, (6, 2, 1, 2, 1, 2)), (0, (10, 3)), (0, (2, 2, 6, 2)))
#: Size (points) of a measured marker; digitised points are drawn smaller.
MEASURED_SIZE, DIGITISED_SIZE = 7.0, 4.5


@dataclass(frozen=True)
class CurveStyle:
    """How one theory curve is drawn: line style, width (pt), marker (or None), model colour, z-order,
    opacity."""

    ls: Any
    lw: float
    marker: str | None
    color: str
    zorder: float
    alpha: float = 1.0

    def line(self) -> dict[str, Any]:
        """Keyword arguments of ``Axes.plot`` for the curve (without its colour)."""
        return {"ls": self.ls, "lw": self.lw, "marker": self.marker, "ms": 5, "mew": 1.0, "zorder": self.zorder,
                "alpha": self.alpha}


def curve_styles(curves: Sequence[Mapping[str, Any]]) -> dict[str, CurveStyle]:
    """Style per curve key. ``curves``: ``{"key", "model", "n_points"}`` in drawing order.

    Earlier curves are drawn wider and underneath (the first one half transparent), so two curves
    that coincide stay visible as a narrow line inside a wide one.
    """
    out: dict[str, CurveStyle] = {}
    i = 0
    for c in curves:
        if c["model"] == BULK_MODEL:
            out[c["key"]] = CurveStyle(":", 1.5, None, style.BULK_COLOR, 1.5)
            continue
        marker = THEORY_MARKERS[i % len(THEORY_MARKERS)] if c["n_points"] <= MARKED_CURVE_POINTS else None
        out[c["key"]] = CurveStyle(LINESTYLES[i % len(LINESTYLES)], max(3.6 - 1.0 * i, 1.2), marker,
                                   style.MODEL_COLORS[i % len(style.MODEL_COLORS)], 2 + 0.1 * i,
                                   0.45 if i == 0 else 1.0)
        i += 1
    return out


def short_name(model: str, parameter_set: str, shape: str) -> str:
    """Legend name without repetition: 'kp | kp-sphere | sphere' → 'kp-sphere', 'tb | etb | cube' →
    'etb (cube)', 'tb | toy | cube' → 'tb, toy (cube)'; the bulk curve says what it is."""
    if model == BULK_MODEL:
        return f"bulk k·p at $E_g = E$ ({parameter_set})"
    name = parameter_set if model.lower() in parameter_set.lower() else f"{model}, {parameter_set}"
    return name if not shape or shape.lower() in name.lower() else f"{name} ({shape})"


def legend_names(curves: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Short name per curve key (``{"key", "model", "parameter_set", "shape"}``); the full key where
    two short names would coincide."""
    short = {c["key"]: short_name(c["model"], c["parameter_set"], c["shape"]) for c in curves}
    counts: dict[str, int] = {}
    for name in short.values():
        counts[name] = counts.get(name, 0) + 1
    return {k: (n if counts[n] == 1 else k) for k, n in short.items()}


def describe(curve: Any) -> dict[str, Any]:
    """``{"key", "model", "parameter_set", "shape", "n_points"}`` of a :class:`TheoryCurve`."""
    return {"key": curve.key, "model": curve.model, "parameter_set": curve.parameter_set, "shape": curve.shape,
            "n_points": len(curve.energy_eV)}


def sample_markers(table: MeasurementTable) -> dict[str, str]:
    """Marker per sample label of ``table`` (paper samples fixed, others in order of appearance; '' → 'o')."""
    out = dict(SAMPLE_MARKERS)
    others = [s for s in dict.fromkeys(m.sample for m in table) if s and s not in out]
    out.update({s: _OTHER_SAMPLE_MARKERS[i % len(_OTHER_SAMPLE_MARKERS)] for i, s in enumerate(others)})
    out[""] = "o"
    return out


def sample_name(table: MeasurementTable, sample: str) -> str:
    """'#4 (EK201)': a sample with its code (the first code the table gives it)."""
    code = next((m.code for m in table if m.sample == sample and m.code), "")
    return f"{sample} ({code})" if code else sample


def marker_handle(marker: str, label: str, *, filled: bool = True, size: float = MEASURED_SIZE) -> Line2D:
    """A neutral-grey legend entry for a marker (a sample, a population, filled / hollow)."""
    return Line2D([], [], ls="none", marker=marker, ms=size, mec="0.2", mfc="0.6" if filled else "white",
                  mew=1.2, label=label)


def line_handle(label: str, *, color: str = "0.25", **kw: Any) -> Line2D:
    """A legend entry for a line (a curve's style, or a carrier's colour)."""
    return Line2D([], [], color=color, label=label, **kw)


def text_handle(label: str) -> Line2D:
    """A legend entry that is text only (e.g. the samples without a stated value)."""
    return Line2D([], [], ls="none", marker="none", label=label)


def unique(handles: Iterable[Any]) -> list[Any]:
    """The handles with the first of each label only (legends list every entry once)."""
    seen: set[str] = set()
    out = []
    for h in handles:
        if h.get_label() not in seen:
            seen.add(h.get_label())
            out.append(h)
    return out


__all__ = ["DIGITISED_SIZE", "LINESTYLES", "MARKED_CURVE_POINTS", "MEASURED_SIZE", "POPULATION_MARKERS",
           "SAMPLE_MARKERS", "THEORY_MARKERS", "CurveStyle", "curve_styles", "describe", "legend_names",
           "line_handle", "marker_handle", "sample_markers", "sample_name", "short_name", "text_handle", "unique"]
