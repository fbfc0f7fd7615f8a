"""Theory-versus-measurement metrics per model curve and carrier (g_e, g_h, g_X).

For each measured point with an energy (of the populations asked for, default the paper's glass
samples; :mod:`comparisons.experiment.points`), the theory curve is interpolated linearly at the measured
energy; points outside the curve's energy range are excluded and counted (never extrapolated), and
so are rows that repeat another row of the same measurement (``duplicate_of``). Residual
r = theory − measured. Per curve and carrier:

- ``rms`` = sqrt(mean r²) over the used points; ``max_abs``: the largest |r| with its sample,
  kind and energy (first in energy order on ties);
- ``chi2`` = Σ (r/σ)² over the used points with an uncertainty σ > 0, ``n_chi2`` their number,
  ``reduced_chi2`` = chi2 / n_chi2 (no fitted parameters);
- ``high_energy_end``: r at the highest-energy used point (for g_h: the hole discrepancy at the
  high-energy end), with ``at_highest_measured`` telling whether that point is the highest-energy
  measured value of the carrier at all;
- ``theory_minus_bulk`` (with a bulk reference curve): per used point g(theory) − g_bulk(E), the
  bulk k·p curve at Eg = E interpolated at the measured energy, and per curve its ``mean``,
  ``min``, ``max`` and the value at the high-energy end;
- ``systematic_low`` / ``systematic_high`` / ``systematic_half_width`` (central curves of a
  systematic band, :mod:`comparisons.theory_vs_data.systematics`): per used point inside the band's common range
  the band's min, max and half-width at that energy, and per curve ``systematics`` with the largest
  half-width.

Series end-point rows (kind ``series_endpoint``) enter as what they are: points at their stated
energy, flagged ``series_endpoint`` in every table; inferred samples are flagged
``sample_assignment = inferred``. Units: energies eV, g dimensionless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..experiment.measured import DEFAULT_POPULATION, MeasurementTable
from ..experiment.points import MeasuredPoints, measured_points
from .report import metrics_markdown
from .results import CARRIERS, TheoryCurve
from .systematics import SystematicBand

SCHEMA_VERSION = "landeg-metrics/1"
_SAME_ENERGY = 1e-9  # eV


def _point(pts: MeasuredPoints, i: int, theory: float | None = None) -> dict[str, Any]:
    out = {"sample": pts.sample[i], "code": pts.code[i], "kind": pts.kind[i],
           "sample_assignment": pts.assignment[i], "population": pts.population[i],
           "series_endpoint": pts.kind[i] == "series_endpoint", "energy_eV": float(pts.energy_eV[i]),
           "measured": float(pts.value[i]),
           "uncertainty": None if np.isnan(pts.sigma[i]) else float(pts.sigma[i])}
    if theory is not None:
        out.update(theory=float(theory), residual=float(theory - pts.value[i]))
    return out


def _exclusion(pts: MeasuredPoints, i: int, lo: float, hi: float) -> str:
    j = int(pts.duplicate_of[i])
    if j >= 0:
        return (f"duplicate of {pts.who(j)} ({pts.kind[j]}) at {pts.energy_eV[j]:.3f} eV: one measurement "
                "stated twice, the other row is used")
    return f"outside the theory range {lo:.4f}-{hi:.4f} eV"


def _bulk_summary(diff: np.ndarray, bulk: TheoryCurve) -> dict[str, Any] | None:
    """mean / min / max of theory − bulk over the used points, and its value at the highest-energy one."""
    ok = np.isfinite(diff)
    if not ok.any():
        return None
    d = diff[ok]
    return {"reference": bulk.key, "n": int(d.size), "mean": float(d.mean()), "min": float(d.min()),
            "max": float(d.max()), "high_energy_end": float(d[-1])}


def carrier_metrics(curve: TheoryCurve, pts: MeasuredPoints, *, bulk: TheoryCurve | None = None,
                    band: SystematicBand | None = None) -> dict[str, Any]:
    """Metrics of one curve against one carrier's points (definitions in the module docstring)."""
    theory, inside = curve.interpolate(pts.carrier, pts.energy_eV)
    use = inside & ~pts.duplicate
    resid = theory - pts.value
    used = np.flatnonzero(use)
    r = resid[used]
    lo, hi = curve.energy_range
    bulk_diff = np.full(len(pts), np.nan)
    if bulk is not None:
        bulk_diff = np.where(use, theory - bulk.interpolate(pts.carrier, pts.energy_eV)[0], np.nan)
    low = high = np.full(len(pts), np.nan)
    if band is not None:
        low, high, _ = band.envelope(pts.carrier, pts.energy_eV)
        low, high = np.where(use, low, np.nan), np.where(use, high, np.nan)
    points = []
    for i in range(len(pts)):
        p = dict(_point(pts, i, theory[i] if use[i] else None), used=bool(use[i]))
        if not use[i]:
            p["excluded"] = _exclusion(pts, i, lo, hi)
        if bulk is not None and use[i]:
            p["theory_minus_bulk"] = None if np.isnan(bulk_diff[i]) else float(bulk_diff[i])
        if band is not None and use[i]:
            ok = np.isfinite(low[i])
            p.update(systematic_low=float(low[i]) if ok else None, systematic_high=float(high[i]) if ok else None,
                     systematic_half_width=float(high[i] - low[i]) / 2 if ok else None)
        points.append(p)
    out: dict[str, Any] = {"populations": sorted(set(pts.population)), "n_used": int(used.size),
                           "n_excluded": int(len(pts) - used.size), "n_duplicates": int(pts.duplicate.sum()),
                           "rms": None, "max_abs": None, "chi2": None, "n_chi2": 0, "reduced_chi2": None,
                           "high_energy_end": None, "points": points}
    if bulk is not None:
        out["theory_minus_bulk"] = _bulk_summary(bulk_diff[used], bulk)
    if band is not None:
        half = (high - low)[used] / 2
        out["systematics"] = {"n_inside": int(np.isfinite(half).sum()),
                              "max_half_width": float(np.nanmax(half)) if np.isfinite(half).any() else None}
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


def curve_metrics(curves: Iterable[TheoryCurve], table: MeasurementTable, *,
                  populations: Sequence[str] | None = (DEFAULT_POPULATION,), bulk: TheoryCurve | None = None,
                  bands: Sequence[SystematicBand] = ()) -> dict[str, dict[str, Any]]:
    """Metrics keyed by curve (``TheoryCurve.key``) then carrier, plus the curve's description.

    ``populations``: the measured populations compared (``None``: every row); ``bulk``: the bulk
    reference of ``theory_minus_bulk`` (not applied to the bulk curve itself); ``bands``: systematic
    bands, whose central curves get the ``systematic_*`` fields.
    """
    pts = {c: measured_points(table, c, populations) for c in CARRIERS}
    by_central = {b.central.key: b for b in bands}
    out: dict[str, dict[str, Any]] = {}
    for curve in curves:
        if curve.key in out:
            raise ValueError(f"two curves share the key {curve.key!r}")
        reference = bulk if bulk is not None and curve.key != bulk.key else None
        band = by_central.get(curve.key)
        entry: dict[str, Any] = {"curve": {"model": curve.model, "parameter_set": curve.parameter_set,
                                           "shape": curve.shape, "label": curve.label, "model_id": curve.model_id,
                                           "n_points": int(len(curve.energy_eV)),
                                           "energy_range_eV": list(curve.energy_range),
                                           "sources": list(curve.sources)}}
        if band is not None:
            entry["systematics"] = band.describe()
        entry.update({c: carrier_metrics(curve, pts[c], bulk=reference, band=band) for c in CARRIERS})
        out[curve.key] = entry
    return out


__all__ = ["SCHEMA_VERSION", "MeasuredPoints", "carrier_metrics", "curve_metrics", "measured_points",
           "metrics_markdown"]
