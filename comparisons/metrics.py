"""Theory-versus-measurement metrics per model curve and carrier (g_e, g_h, g_X).

For each measured point with an energy, the theory curve is interpolated linearly at the measured
energy; points outside the curve's energy range are excluded and counted (never extrapolated).
Residual r = theory − measured. Per curve and carrier:

- ``rms`` = sqrt(mean r²) over the used points; ``max_abs``: the largest |r| with its sample,
  kind and energy (first in energy order on ties);
- ``chi2`` = Σ (r/σ)² over the used points with an uncertainty σ > 0, ``n_chi2`` their number,
  ``reduced_chi2`` = chi2 / n_chi2 (no fitted parameters);
- ``high_energy_end``: r at the highest-energy used point (for g_h: the hole discrepancy at the
  high-energy end), with ``at_highest_measured`` telling whether that point is the highest-energy
  measured value of the carrier at all.

Series end-point rows (kind ``series_endpoint``) enter as what they are: points at their stated
energy, flagged ``series_endpoint`` in every table. For g_X, a sample whose g_e and g_h are both
measured at the same energy contributes g_e + g_h (kind ``derived``) unless the table states g_X
there itself. Units: energies eV, g dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .measured import Measurement, MeasurementTable
from .results import CARRIERS, TheoryCurve

SCHEMA_VERSION = "landeg-metrics/1"
_SAME_ENERGY = 1e-9  # eV


@dataclass(frozen=True)
class MeasuredPoints:
    """Measured values of one carrier that have an energy, sorted by energy (σ NaN if not given)."""

    carrier: str
    energy_eV: np.ndarray
    value: np.ndarray
    sigma: np.ndarray
    sample: tuple[str, ...]
    code: tuple[str, ...]
    kind: tuple[str, ...]
    location: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.energy_eV)

    @property
    def series_endpoint(self) -> np.ndarray:
        """(n,) True for rows that are end-points of a stated series."""
        return np.array([k == "series_endpoint" for k in self.kind], dtype=bool)


def _derived_gx(rows: Sequence[Measurement]) -> list[Measurement]:
    """g_e + g_h of each sample measured for both at the same energy (no g_X stated there)."""
    def same(a: Measurement, b: Measurement) -> bool:
        return (a.sample, a.code) == (b.sample, b.code) and abs(a.energy_eV - b.energy_eV) <= _SAME_ENERGY  # type: ignore[operator]

    by_q = {q: [m for m in rows if m.quantity == q and m.sample and m.energy_eV is not None]
            for q in ("g_e", "g_h", "g_X")}
    out = []
    for e in by_q["g_e"]:
        for h in (h for h in by_q["g_h"] if same(e, h)):
            if any(same(e, x) for x in by_q["g_X"] + out):
                continue
            sigma = None if e.uncertainty is None or h.uncertainty is None else float(np.hypot(e.uncertainty, h.uncertainty))
            out.append(Measurement(sample=e.sample, code=e.code, quantity="g_X", value=e.value + h.value,
                                   uncertainty=sigma, unit="1", energy_eV=e.energy_eV, field_T=None,
                                   temperature_K=e.temperature_K, kind="derived",
                                   location=f"g_e + g_h of {e.location} / {h.location}",
                                   note="sum formed by the comparison layer"))
    return out


def measured_points(table: MeasurementTable, carrier: str) -> MeasuredPoints:
    """The ``carrier`` rows of ``table`` that have an energy (plus derived g_e + g_h for g_X)."""
    if carrier not in CARRIERS:
        raise KeyError(f"unknown carrier {carrier!r}; known: {', '.join(CARRIERS)}")
    rows = [m for m in table if m.quantity == carrier and m.energy_eV is not None]
    if carrier == "g_X":
        rows += _derived_gx(list(table))
    rows.sort(key=lambda m: m.energy_eV)  # type: ignore[arg-type, return-value]
    num = np.array([(m.energy_eV, m.value, np.nan if m.uncertainty is None else m.uncertainty) for m in rows],
                   dtype=float).reshape(-1, 3)
    return MeasuredPoints(carrier, num[:, 0], num[:, 1], num[:, 2], tuple(m.sample for m in rows),
                          tuple(m.code for m in rows), tuple(m.kind for m in rows), tuple(m.location for m in rows))


def _point(pts: MeasuredPoints, i: int, theory: float | None = None) -> dict[str, Any]:
    out = {"sample": pts.sample[i], "code": pts.code[i], "kind": pts.kind[i],
           "series_endpoint": pts.kind[i] == "series_endpoint", "energy_eV": float(pts.energy_eV[i]),
           "measured": float(pts.value[i]),
           "uncertainty": None if np.isnan(pts.sigma[i]) else float(pts.sigma[i])}
    if theory is not None:
        out.update(theory=float(theory), residual=float(theory - pts.value[i]))
    return out


def carrier_metrics(curve: TheoryCurve, pts: MeasuredPoints) -> dict[str, Any]:
    """Metrics of one curve against one carrier's points (definitions in the module docstring)."""
    theory, inside = curve.interpolate(pts.carrier, pts.energy_eV)
    resid = theory - pts.value
    used = np.flatnonzero(inside)
    r = resid[used]
    lo, hi = curve.energy_range
    points = [dict(_point(pts, i, theory[i] if inside[i] else None), used=bool(inside[i]),
                   **({} if inside[i] else {"excluded": f"outside the theory range {lo:.4f}-{hi:.4f} eV"}))
              for i in range(len(pts))]
    out: dict[str, Any] = {"n_used": int(used.size), "n_excluded": int(len(pts) - used.size),
                           "rms": None, "max_abs": None, "chi2": None, "n_chi2": 0, "reduced_chi2": None,
                           "high_energy_end": None, "points": points}
    if used.size == 0:
        return out
    worst = used[int(np.argmax(np.abs(r)))]
    out["rms"] = float(np.sqrt(np.mean(r**2)))
    out["max_abs"] = dict(_point(pts, worst, theory[worst]), abs_residual=float(abs(resid[worst])))
    sig = pts.sigma[used]
    with_sigma = np.isfinite(sig) & (sig > 0)
    if with_sigma.any():
        chi2 = float(np.sum((r[with_sigma] / sig[with_sigma]) ** 2))
        out.update(chi2=chi2, n_chi2=int(with_sigma.sum()), reduced_chi2=chi2 / int(with_sigma.sum()))
    top = used[-1]  # points are sorted by energy
    out["high_energy_end"] = dict(_point(pts, top, theory[top]),
                                  at_highest_measured=bool(pts.energy_eV[top] >= pts.energy_eV.max() - _SAME_ENERGY))
    return out


def curve_metrics(curves: Iterable[TheoryCurve], table: MeasurementTable) -> dict[str, dict[str, Any]]:
    """Metrics keyed by curve (``TheoryCurve.key``) then carrier, plus the curve's description."""
    pts = {c: measured_points(table, c) for c in CARRIERS}
    out: dict[str, dict[str, Any]] = {}
    for curve in curves:
        if curve.key in out:
            raise ValueError(f"two curves share the key {curve.key!r}")
        out[curve.key] = {"curve": {"model": curve.model, "parameter_set": curve.parameter_set, "shape": curve.shape,
                                    "label": curve.label, "n_points": int(len(curve.energy_eV)),
                                    "energy_range_eV": list(curve.energy_range), "sources": list(curve.sources)},
                          **{c: carrier_metrics(curve, pts[c]) for c in CARRIERS}}
    return out


# --- Markdown ---------------------------------------------------------------------------------

def _f(x: float | None, fmt: str = "+.3f") -> str:
    return "–" if x is None else format(x, fmt)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _who(p: dict[str, Any]) -> str:
    name = p["sample"] or p["code"] or ("series end-point" if p["series_endpoint"] else p["kind"])
    return f"{name}{' †' if p['series_endpoint'] else ''} @ {p['energy_eV']:.3f} eV"


def metrics_markdown(curves: dict[str, dict[str, Any]], title: str = "Theory versus measurement") -> str:
    """A Markdown report: one summary table, then the per-point residuals of each curve."""
    lines = [f"# {title}", "",
             "Residual = theory − measured, theory interpolated linearly at the measured energy; points outside a "
             "curve's energy range are excluded (never extrapolated). † = series end-point row (one end of a "
             "'from A to B' statement, used at its stated energy). χ² only over points with an uncertainty.", "",
             "| curve | carrier | used | excluded | RMS | max \\|res\\| (where) | χ² (n) | χ²/n | high-energy end |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, entry in curves.items():
        for c in CARRIERS:
            m = entry[c]
            worst = "–" if m["max_abs"] is None else f"{m['max_abs']['abs_residual']:.3f} ({_who(m['max_abs'])})"
            end = m["high_energy_end"]
            end_text = "–" if end is None else f"{end['residual']:+.3f} ({_who(end)})"
            chi = "–" if m["chi2"] is None else f"{m['chi2']:.3g} ({m['n_chi2']})"
            lines.append(f"| {_cell(key)} | {c} | {m['n_used']} | {m['n_excluded']} | {_f(m['rms'], '.3f')} | {worst} | "
                         f"{chi} | {_f(m['reduced_chi2'], '.3g')} | {end_text} |")
    for key, entry in curves.items():
        lo, hi = entry["curve"]["energy_range_eV"]
        lines += ["", f"## {key}", "", f"{entry['curve']['n_points']} theory points, {lo:.3f}–{hi:.3f} eV.", "",
                  "| carrier | sample | kind | E (eV) | measured | theory | residual |", "|---|---|---|---|---|---|---|"]
        for c in CARRIERS:
            for p in entry[c]["points"]:
                meas = f"{p['measured']:+.3f}" + ("" if p["uncertainty"] is None else f" ± {p['uncertainty']:.3f}")
                theory = f"{p['theory']:+.3f}" if p["used"] else "excluded"
                lines.append(f"| {c} | {p['sample'] or p['code'] or '–'} | {p['kind']}{' †' if p['series_endpoint'] else ''} "
                             f"| {p['energy_eV']:.3f} | {meas} | {theory} | {_f(p.get('residual'))} |")
    return "\n".join(lines) + "\n"


__all__ = ["SCHEMA_VERSION", "MeasuredPoints", "carrier_metrics", "curve_metrics", "measured_points",
           "metrics_markdown"]
