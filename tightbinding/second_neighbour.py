"""The admissible space of second-neighbour models: X–X and Pb–Pb shells plus the halide spin–orbit.

A *search point* sets, on top of a nearest-neighbour base set (default ``CsPbI3-refit-N23``):

- the X–X shell at a/√2 along ⟨110⟩ (8 per X): ssσ, spσ, ppσ, ppπ of the I 5s, 5p orbitals;
- the Pb–Pb shell at a along ⟨100⟩ (6 per Pb): ssσ, spσ, ppσ, ppπ of the Pb 6s, 6p orbitals;
- the iodine 5p spin–orbit λ_X (``spin_orbit.X.p``, λ of λ L·σ = Δ_atom/3).

Each point is *refitted*: the nearest-neighbour parameters that the base set's own refit varied
(its ``[meta.refit]`` record: free parameters, bounds, targets with tolerances, regularisation)
are fitted again with :func:`tightbinding.refit.run_refit`, the second-neighbour values held.
A point is **admissible** when

1. the refit meets every bulk target within its tolerance (for ``CsPbI3-refit-N23``: Eg, Eg(M),
   Δ within 5, 10, 5 meV; m_e, m_h within 2 %; bulk g_e, g_h within 0.02) with the gap direct at R
   (the refit's own success criterion), and
2. the halide band stays where the base set has it: the top and the bottom of the I 5p manifold
   (the 18 valence states below the band-edge Kramers pair, spinful bands 7–24 counted from 1; it
   holds the Pb 6s–I 5p bonding pair as well) at Γ, X, M and R, measured from the VBM, each lie
   within ``halide_window`` (default 0.3 eV) of the base set's value.

Scaling used to judge the magnitudes ("Harrison-scaled"): Harrison's universal two-centre
integrals V = η ħ²/(m0 d²) (W. A. Harrison, *Electronic Structure and the Properties of Solids*,
1980, Solid State Table: η_ssσ = −1.32, η_spσ = +1.42, η_ppσ = +2.22, η_ppπ = −0.63) at the shell
distance d (I–I a/√2 = 4.447 Å: ħ²/(m0 d²) = 0.385 eV; Pb–Pb a = 6.289 Å: 0.193 eV). A value is
reported as the ratio V/V_Harrison. Energies eV, lengths nm. This module does not import the
comparison layer; the search that uses it lives in ``comparisons/search``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from confinement.errors import LandegError
from confinement.units import HBAR2_OVER_M0

from .crystal import Crystal
from .parameters import SHELL_GEOMETRY, TBParameters, load_tb_parameters, required_integrals
from .refit import RefitError, RefitResult, RefitSection, Target, observables, run_refit

#: The second-neighbour shells of the search and the orbital shells they couple (on both atoms).
SEARCH_SHELLS: dict[str, tuple[str, ...]] = {"X-X": ("s", "p"), "Pb-Pb": ("s", "p")}
#: Harrison's universal coefficients η (Solid State Table, 1980): V = η ħ²/(m0 d²).
HARRISON_ETA: dict[str, float] = {"s_s_sigma": -1.32, "s_p_sigma": 1.42, "p_p_sigma": 2.22, "p_p_pi": -0.63}
HALIDE_SO = "spin_orbit.X.p"
#: The I 5p manifold: spinful valence bands 9–24 (1-based), i.e. indices 8..23.
HALIDE_BANDS = slice(8, 24)
HALIDE_K_POINTS = ("Γ", "X", "M", "R")
DEFAULT_HALIDE_WINDOW = 0.5   # eV


def search_paths() -> tuple[str, ...]:
    """The dotted parameter paths of the search: the eight second-neighbour integrals, then λ_X."""
    paths = [f"hopping.{shell}.{key}" for shell, orbitals in SEARCH_SHELLS.items()
             for key in required_integrals(shell, (orbitals, orbitals))]
    return (*paths, HALIDE_SO)


def harrison_value(path: str, a_nm: float) -> float | None:
    """Harrison's universal value (eV) of a second-neighbour integral at its shell distance for the
    lattice constant ``a_nm``; None for parameters that are not two-centre integrals."""
    parts = path.split(".")
    if parts[0] != "hopping" or parts[1] not in SHELL_GEOMETRY:
        return None
    d_nm = SHELL_GEOMETRY[parts[1]][2] * a_nm
    return HARRISON_ETA[parts[2]] * HBAR2_OVER_M0 / d_nm**2


def harrison_ratios(values: Mapping[str, float], a_nm: float) -> dict[str, float]:
    """V/V_Harrison of every two-centre integral in ``values``."""
    out = {}
    for path, v in values.items():
        h = harrison_value(path, a_nm)
        if h is not None:
            out[path] = float(v / h)
    return out


def with_second_neighbours(base: TBParameters, values: Mapping[str, float], *, name: str | None = None
                           ) -> TBParameters:
    """``base`` with the search values set; a shell is enabled only when one of its integrals is
    non-zero (an all-zero shell would change nothing but the NC's bond bookkeeping)."""
    values = {p: float(v) for p, v in values.items()}
    shells = _live_shells(values)
    hop = {p: v for p, v in values.items() if p.split(".")[1] in shells or not p.startswith("hopping.")}
    return base.with_values(hop, name=name, shells={s: (SEARCH_SHELLS[s],) * 2 for s in shells})


def _live_shells(values: Mapping[str, float]) -> list[str]:
    return [s for s in SEARCH_SHELLS if any(v != 0 for p, v in values.items() if p.startswith(f"hopping.{s}."))]


def halide_band_edges(params: TBParameters) -> dict[str, float]:
    """Top and bottom (eV, from the VBM at R) of the I 5p manifold at Γ, X, M, R:
    keys 'top_Γ', 'bottom_Γ', … ."""
    crystal = Crystal(params)
    ks = np.array([crystal.high_symmetry_point(k) for k in HALIDE_K_POINTS])
    bands = crystal.bands(ks)
    vbm = bands[-1, params.valence_bands - 1]
    out = {}
    for label, e in zip(HALIDE_K_POINTS, bands):
        manifold = e[HALIDE_BANDS]
        out[f"top_{label}"] = float(manifold.max() - vbm)
        out[f"bottom_{label}"] = float(manifold.min() - vbm)
    return out


def refit_section(base: TBParameters, values: Mapping[str, float], *, name: str,
                  regularization: float | None = None) -> RefitSection:
    """The refit of one search point: the base set's own refit (free parameters, bounds, targets,
    tolerances, regularisation from its ``[meta.refit]``) with the search values held fixed."""
    record = base.meta_extra.get("refit")
    if not isinstance(record, Mapping):
        raise RefitError(f"base set {base.name!r} carries no [meta.refit] record to take free parameters and "
                         "targets from")
    targets = {k: Target(value=t["target"], tolerance=t["tolerance"], source=t.get("source", ""))
               for k, t in record["targets"].items()}
    live = _live_shells(values)
    fixed = {p: float(v) for p, v in values.items() if not p.startswith("hopping.") or p.split(".")[1] in live}
    return RefitSection(base=base.name, name=name, enable_shells={s: list(SEARCH_SHELLS[s]) for s in live},
                        fixed=fixed, free={p: tuple(b) for p, b in record["free"].items()}, targets=targets,
                        regularization=record["regularization"] if regularization is None else regularization,
                        description=f"{base.name} plus second neighbours "
                                    + ", ".join(f"{p} = {v:+.4f} eV" for p, v in fixed.items())
                                    + ", refitted to the base set's bulk targets")


@dataclass(frozen=True)
class Admissibility:
    """One search point: its refit (or why it failed), bulk observables, halide band and verdict.

    ``constraints``: the margins that are ≥ 0 exactly when the point is admissible:
    'refit' = 1 − max |residual|/tolerance (−1 when the refit broke off), 'direct_gap' (eV), and
    'halide' = window − max |Δ halide edge| (eV).
    """

    values: dict[str, float]
    result: RefitResult | None
    error: str | None
    observables: dict[str, float] = field(default_factory=dict)
    halide: dict[str, float] = field(default_factory=dict)
    constraints: dict[str, float] = field(default_factory=dict)

    @property
    def admissible(self) -> bool:
        """True when every constraint margin is ≥ 0."""
        return bool(self.constraints) and all(c >= 0 for c in self.constraints.values())

    def summary(self) -> dict[str, Any]:
        """JSON-ready record (no parameter set)."""
        fitted = {p: c["fitted"] for p, c in self.result.changes.items()} if self.result else {}
        targets = self.result.targets if self.result else {}
        return {"values": self.values, "admissible": self.admissible, "error": self.error,
                "observables": self.observables, "halide": self.halide, "constraints": self.constraints,
                "fitted": fitted, "targets": targets,
                "at_bound": list(self.result.at_bound) if self.result else []}


def assess(base: TBParameters, values: Mapping[str, float], *, name: str,
           reference_halide: Mapping[str, float] | None = None,
           halide_window: float = DEFAULT_HALIDE_WINDOW) -> Admissibility:
    """Refit one search point and decide whether it is admissible (see the module docs).

    ``reference_halide``: the halide band edges the window is centred on (default: the base set's).
    """
    values = {p: float(v) for p, v in values.items()}
    unknown = sorted(set(values) - set(search_paths()))
    if unknown:
        raise LandegError(f"not a search parameter: {', '.join(unknown)}; known: {', '.join(search_paths())}")
    reference = dict(reference_halide) if reference_halide is not None else halide_band_edges(base)
    section = refit_section(base, values, name=name)
    try:
        result = run_refit(section, base=base)
        error = None
    except RefitError as exc:
        result, error = exc.result, str(exc).splitlines()[0]
    if result is None:
        return Admissibility(values, None, error or "refit broke off",
                             constraints={"refit": -1.0, "direct_gap": -1.0, "halide": -1.0})
    worst = max(abs(t["residual"]) for t in result.targets.values())
    obs = {k: float(t["value"]) for k, t in result.targets.items()}
    obs["direct_margin"] = float(result.direct_margin)
    try:
        halide = halide_band_edges(result.params)
        halide_margin = halide_window - max(abs(halide[k] - reference[k]) for k in reference)
    except (LandegError, np.linalg.LinAlgError) as exc:   # pragma: no cover - defensive
        halide, halide_margin, error = {}, -1.0, error or str(exc)
    constraints = {"refit": float(1.0 - worst), "direct_gap": float(result.direct_margin),
                   "halide": float(halide_margin)}
    return Admissibility(values, result if error is None else None, error, obs, halide, constraints)


def base_values(base: TBParameters) -> dict[str, float]:
    """The search coordinates of the base set itself (its second-neighbour integrals, 0 where its
    shell is off, and its λ_X)."""
    current = base.values()
    return {p: float(current.get(p, 0.0)) for p in search_paths()}


def load_base(name_or_path: str) -> TBParameters:
    """The base set of a search (a registered name or a path)."""
    return load_tb_parameters(name_or_path)


__all__ = ["Admissibility", "DEFAULT_HALIDE_WINDOW", "HALIDE_BANDS", "HARRISON_ETA", "SEARCH_SHELLS", "assess",
           "base_values", "halide_band_edges", "harrison_ratios", "harrison_value", "load_base", "observables",
           "refit_section", "search_paths", "with_second_neighbours"]
