"""g-factor spreads of NC ensembles: shape and orientation, read through the T2*(B) analysis.

``landeg ensemble CONFIG`` (config: :mod:`comparisons.sweeps.ensemble_config`) answers whether the shape
and orientation spread of glass-grown NCs explains the measured g-factor spreads Δg (Meliakov et
al. 2025: Δg_e = 0.22 at 1.911 eV for sample #4, Δg_e = 0.25 and Δg_h = 0.07 for sample #1), and
how much the shape moves the mean g at a given transition energy. Steps:

1. **Training NCs** (tight binding, :mod:`tightbinding.nanocrystal`): cubes (the reference curve
   g_cube(E) and the confinement–energy relation E_cube(K), with the bulk limit E → Eg) and cuboids
   of complete octahedra, each an ordinary sweep point of :mod:`comparisons.sweeps.sweep` (content-hash
   cache in DIR/training/points; identical points of other runs are copied, not recomputed).
   A cuboid keeps D2h: its g-tensor is diagonal on the crystal axes (checked).
2. **Shape model** (:class:`ShapeModel`), per box of effective edges L_i = (N_i + offset)·a:
   confinement K = Σ_i (π/L_i)², aspect q_i = L_i⁻²/Σ_j L_j⁻² − 1/3 (Σ q_i = 0; 0 for a cube),
   x = E − Eg. Energy: E = E_cube(K) + Σq²·p(x); g-tensor diagonal:
   g_ii = g_cube(E) + q_i·α(x) + Σq²·β(x), with polynomials α, β fitted to the cuboids by linear
   least squares (form ``vanishing``: no constant term, every shape term → 0 in the bulk; form
   ``constant``: with one, a bound for the extrapolation below the training energies). The fit
   residuals and leave-one-out errors are reported.
3. **Ensemble** (:func:`sample_ensemble`) at a laser energy E_L: log-normal edges
   L_i = L·exp(σ_a ξ_i) (ξ_i ~ N(0, 1), independent), i.e. the shape η_i = σ_a(ξ_i − ξ̄); the laser
   (Gaussian, FWHM ``window_meV``) selects NCs at E = E_L + ε, which fixes the common size L of each
   shape; the size distribution (log-normal σ_s about the median, if given) weights the selected
   NCs by its density at that L times the Jacobian |d ln L/dE|. Field directions are uniform in
   every NC frame (random orientations; first order: the light direction does not matter,
   :mod:`confinement.gtensor`), each NC precessing at g_eff = |gᵀn| (ω = g_eff μB B/ħ).
4. **Δg as T2*(B) reads it** (:func:`simulated_dephasing`): the ensemble trace of eqn (2),
   A(t) = Σ w cos(g_eff μB B t/ħ) exp(−t/T2(0)), is simulated at the measured fields, fitted by eqn
   (2) with one component (:func:`comparisons.experiment.fit_trfe`), and the fitted T2*(B) by eqn (3)
   (:func:`comparisons.experiment.delta_g_from_t2`): the slope is Δg_T2, the number the paper
   quotes. For a Lorentzian distribution of half-width Γ this returns Γ (to 0.5 %, test): its
   dephasing is exactly exponential and linear in B. A Gaussian of standard deviation σ dephases
   as exp(−(σ μB B t/ħ)²/2), quadratic in B while T2(0) dominates, so eqn (3) reads less than σ:
   Δg_T2/σ = 0.10, 0.29, 0.64, 0.78, 0.82 for σ = 0.01, 0.03, 0.1, 0.2, 0.3 (T2(0) = 230 ps,
   0.09–0.43 T; :func:`gaussian_t2_factor`). The standard deviation (total, orientation part,
   shape part) is reported alongside.

Outputs in DIR: ensemble.csv (one row per form, σ_a, energy, carrier), samples.csv and
ensemble.md (predicted vs measured at the samples), training.csv (the NCs, their fitted shape
terms and residuals), ensemble.json, figures ensemble_g_vs_energy and ensemble_trfe.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.interpolate import PchipInterpolator

from confinement.errors import ConfigError, LandegError, PhysicsCheckError
from confinement.gtensor import larmor_g, sphere_directions
from confinement.io import save_figure, write_json, write_table

from ..experiment.trfe import DephasingFit, FitError, delta_g_from_t2, fit_trfe, larmor_frequency, trfe_signal
from .config import Range
from .ensemble_config import EnsembleConfig

#: Carrier → record key of its g-factor.
CARRIERS = {"e": "g_e", "h": "g_h"}
#: Gaussian FWHM / σ.
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


# ----------------------------------------------------------------------------------------------
# 1. training NCs

@dataclass(frozen=True)
class TrainingSet:
    """The computed NCs. Cubes: ``cube_n`` (m,), ``cube_E`` (m,) eV, ``cube_g`` carrier → (m,);
    cuboids: ``box_n`` (k, 3), ``box_E`` (k,), ``box_g`` carrier → (k, 3) diagonal of the tensor;
    ``faceted``: records of the faceted NCs; ``bulk``: Eg and bulk g of the set; ``a`` (nm)."""

    cube_n: np.ndarray
    cube_E: np.ndarray
    cube_g: dict[str, np.ndarray]
    box_n: np.ndarray
    box_E: np.ndarray
    box_g: dict[str, np.ndarray]
    faceted: list[dict]
    bulk: dict[str, float]
    a: float
    params: str


def training_run_config(config: EnsembleConfig, out: Path):
    """The training NCs as a ``landeg run`` config (one model per kind; comparison off)."""
    from .config import OutputSection
    from .sweep_config import CompareSection, RunConfig, RunSection, TBModel

    m = config.model
    common = {"kind": "tb", "params": m.params, "shells": m.shells, "passivation": m.passivation,
              "passivation_shift": m.passivation_shift}
    models = [TBModel(id="cube", shape="cube", sweep={"n_pb": list(config.training.cubes)}, **common),
              TBModel(id="cuboid", shape="cuboid",
                      sweep={"n_pb": [",".join(map(str, n)) for n in config.training.cuboids]}, **common)]
    models += [TBModel(id=f"faceted-{i}", shape="faceted", n_pb=f.n_pb, corner_cut=f.corner_cut,
                       edge_cut=f.edge_cut, **common) for i, f in enumerate(config.training.faceted)]
    return RunConfig(run=RunSection(workers=m.workers, solver=m.solver, tol=m.tol), models=models,
                     compare=CompareSection(enabled=False), output=OutputSection(dir=str(out)))


def reuse_points(points: list, cache_dir: Path, sources: list[str]) -> int:
    """Copy the records of ``points`` found under their content hash in the ``sources`` points/
    directories into ``cache_dir`` (the point's own label written in); returns how many."""
    copied = 0
    for point in points:
        target = cache_dir / f"{point.key}.json"
        if target.is_file():
            continue
        for source in sources:
            found = Path(source) / f"{point.key}.json"
            if found.is_file():
                record = json.loads(found.read_text(encoding="utf-8"))
                record["point"] = {"model_id": point.model_id, "label": point.label, "coords": point.coords,
                                   "key": point.key, "copied_from": str(found)}
                record["label"] = point.label
                write_json(target, record)
                copied += 1
                break
    return copied


def run_training(config: EnsembleConfig, out: Path, *, progress: Callable | None = None) -> TrainingSet:
    """Compute (or read from the cache) the training NCs; see the module doc."""
    from .runner import PointCache, run_sweep
    from .sweep import plan

    run_config = training_run_config(config, out)
    n_reused = reuse_points(plan(run_config, refit_dir=out / "refits"), PointCache(out).dir,
                            config.training.reuse_points)
    if n_reused:
        print(f"landeg ensemble: {n_reused} training NCs copied from {', '.join(config.training.reuse_points)}",
              file=sys.stderr)
    records = run_sweep(run_config, out, progress=progress).records
    return training_set(records)


def training_set(records: list[dict]) -> TrainingSet:
    """Arrange the records of :func:`run_training` (by the shape each record reports) as a :class:`TrainingSet`."""
    by_model: dict[str, list[dict]] = {}
    for r in records:
        by_model.setdefault(r["shape"], []).append(r)
    cubes = sorted(by_model.get("cube", []), key=lambda r: r["E_transition"])
    boxes = by_model.get("cuboid", [])
    if len(cubes) < 3 or len(boxes) < 4:
        raise ConfigError(f"training: {len(cubes)} cubes and {len(boxes)} cuboids finished; the shape model needs "
                          "at least 3 and 4")
    diagonals = {c: [] for c in CARRIERS}
    for r in boxes:
        for c, key in CARRIERS.items():
            t = np.asarray(r[f"{key}_tensor"], float)
            off = np.max(np.abs(t - np.diag(np.diag(t))))
            if off > 1e-6 * max(np.max(np.abs(t)), 1.0):
                raise PhysicsCheckError(f"cuboid {r['n_pb']}: {key} tensor has off-diagonal elements {off:.1e} "
                                        "(a D2h box has a diagonal tensor on the crystal axes)")
            diagonals[c].append(np.diag(t))
    first = cubes[0]
    return TrainingSet(
        cube_n=np.array([r["n_pb"] for r in cubes], float), cube_E=np.array([r["E_transition"] for r in cubes]),
        cube_g={c: np.array([r[k] for r in cubes]) for c, k in CARRIERS.items()},
        box_n=np.array([r["n_pb"] for r in boxes], float), box_E=np.array([r["E_transition"] for r in boxes]),
        box_g={c: np.array(v) for c, v in diagonals.items()}, faceted=by_model.get("faceted", []),
        bulk={"Eg": first["bulk"]["Eg"], "g_e": first["bulk"]["g_e"], "g_h": first["bulk"]["g_h"]},
        a=first["edge_nm"] / first["n_pb"], params=first["params"])


# ----------------------------------------------------------------------------------------------
# 2. shape model

def aspect(inverse_square_edges: np.ndarray) -> np.ndarray:
    """q_i = L_i⁻²/Σ_j L_j⁻² − 1/3 from L_i⁻² (..., 3): the traceless confinement anisotropy."""
    w = np.asarray(inverse_square_edges, float)
    return w / w.sum(axis=-1, keepdims=True) - 1.0 / 3.0


#: Powers of x in the energy shift of a box (no constant term: E → Eg in the bulk limit).
_ENERGY_POWERS = np.arange(1, 3)


def _powers(form: str, degree: int) -> np.ndarray:
    """Powers of x in a shape term: 1..degree (vanishing) or 0..degree−1 (constant)."""
    return np.arange(1, degree + 1) if form == "vanishing" else np.arange(degree)


@dataclass(frozen=True)
class ShapeModel:
    """Energy and g-tensor diagonal of a box from its confinement K (nm⁻²) and aspect q (module doc).

    ``cube_E``/``cube_K``/``cube_g``: the cube curve with the bulk point first (E = Eg, K = 0);
    ``g_coef``: carrier → coefficients of [q_i x^p (p in ``powers``), Σq² x^p (p in ``iso_powers``)];
    ``e_coef``: coefficients of Σq² x^p (p = 1, 2 for every form: the energy of any box → Eg in the
    bulk limit, which the cube curve needs); ``x_range``: x of the cuboids;
    ``fit``: RMS, max and leave-one-out max residuals of g (per carrier) and of E (eV).
    """

    form: str
    a: float
    edge_offset: float
    Eg: float
    powers: np.ndarray
    iso_powers: np.ndarray
    cube_E: np.ndarray
    cube_K: np.ndarray
    cube_g: dict[str, np.ndarray]
    g_coef: dict[str, np.ndarray]
    e_coef: np.ndarray
    x_range: tuple[float, float]
    fit: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_training(cls, data: TrainingSet, *, form: str = "vanishing", degree: int = 3,
                      edge_offset: float = 1.0) -> ShapeModel:
        """Fit the shape terms to the cuboids of ``data`` (linear least squares)."""
        Eg = data.bulk["Eg"]
        cube_E = np.concatenate([[Eg], data.cube_E])
        if np.any(np.diff(cube_E) <= 0):
            raise PhysicsCheckError(f"cube energies are not increasing with confinement: {cube_E}")
        cube_K = np.concatenate([[0.0], np.sum(cls._inverse_squares(np.repeat(data.cube_n[:, None], 3, 1),
                                                                     data.a, edge_offset), axis=-1) * np.pi**2])
        model = cls(form, data.a, edge_offset, Eg, _powers(form, degree), _powers(form, 2), cube_E, cube_K,
                    {c: np.concatenate([[data.bulk[k]], data.cube_g[c]]) for c, k in CARRIERS.items()},
                    {}, np.zeros(0), (0.0, 0.0))
        K, q = model.confinement(data.box_n)
        x = data.box_E - Eg
        q2 = np.sum(q**2, axis=-1)
        e_features = q2[:, None] * x[:, None] ** _ENERGY_POWERS
        e_target = data.box_E - model.cube_energy(K)
        e_coef, e_fit = _least_squares(e_features, e_target, np.arange(len(x)))
        g_coef, fit = {}, {"E": e_fit}
        for c in CARRIERS:
            target = data.box_g[c] - model.cube_g_at(c, data.box_E)[:, None]
            features = model._g_features(x, q).reshape(-1, len(model.powers) + len(model.iso_powers))
            g_coef[c], fit[c] = _least_squares(features, target.ravel(), np.repeat(np.arange(len(x)), 3))
        return cls(form, data.a, edge_offset, Eg, model.powers, model.iso_powers, cube_E, cube_K, model.cube_g,
                   g_coef, e_coef, (float(x.min()), float(x.max())), fit)

    @staticmethod
    def _inverse_squares(n_pb: np.ndarray, a: float, offset: float) -> np.ndarray:
        """L_i⁻² (nm⁻²) of the effective edges (N_i + offset)·a."""
        return 1.0 / ((np.asarray(n_pb, float) + offset) * a) ** 2

    def confinement(self, n_pb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, q) of boxes of ``n_pb`` (..., 3) Pb per edge: K = π² Σ L_i⁻² (nm⁻²), q (..., 3)."""
        inv = self._inverse_squares(n_pb, self.a, self.edge_offset)
        return np.pi**2 * inv.sum(axis=-1), aspect(inv)

    def _g_features(self, x: np.ndarray, q: np.ndarray) -> np.ndarray:
        """(..., 3, p) features [q_i x^p, Σq² x^p] of the g-tensor diagonal."""
        x = np.asarray(x, float)[..., None, None]
        q2 = np.sum(q**2, axis=-1)[..., None, None]
        aniso = q[..., None] * x ** self.powers
        iso = np.broadcast_to(q2 * x ** self.iso_powers, q.shape + (len(self.iso_powers),))
        return np.concatenate([aniso, iso], axis=-1)

    def cube_energy(self, K: np.ndarray) -> np.ndarray:
        """E_cube(K) (eV): the cube curve interpolated (PCHIP) in the confinement K (nm⁻²)."""
        return PchipInterpolator(self.cube_K, self.cube_E, extrapolate=False)(K)

    def cube_confinement(self, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """K of the cube at energy E (eV) and dK/dE (nm⁻²/eV), by the inverse PCHIP."""
        inverse = PchipInterpolator(self.cube_E, self.cube_K, extrapolate=False)
        return inverse(E), inverse.derivative()(E)

    def cube_g_at(self, carrier: str, E: np.ndarray) -> np.ndarray:
        """g of the cube at energy E (eV; PCHIP between the cubes and the bulk limit)."""
        return PchipInterpolator(self.cube_E, self.cube_g[carrier], extrapolate=False)(E)

    def energy_shift(self, x: np.ndarray, q: np.ndarray) -> np.ndarray:
        """E − E_cube(K) (eV) of a box of aspect q at x = E − Eg (eV)."""
        return np.sum(q**2, axis=-1) * ((np.asarray(x, float)[..., None] ** _ENERGY_POWERS) @ self.e_coef)

    def diagonal(self, carrier: str, E: np.ndarray, q: np.ndarray) -> np.ndarray:
        """g-tensor diagonal (..., 3) of boxes of aspect q (..., 3) at energy E (...,) eV."""
        x = np.asarray(E, float) - self.Eg
        return self.cube_g_at(carrier, E)[..., None] + self._g_features(x, q) @ self.g_coef[carrier]

    def anisotropy_coefficient(self, carrier: str, x: np.ndarray) -> np.ndarray:
        """α(x): δg_ii = α q_i + … (the anisotropic shape term per unit aspect)."""
        return (np.asarray(x, float)[..., None] ** self.powers) @ self.g_coef[carrier][: len(self.powers)]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready coefficients, ranges and fit quality."""
        return {"form": self.form, "edge_offset": self.edge_offset, "a_nm": self.a, "Eg": self.Eg,
                "anisotropic_powers": self.powers.tolist(), "isotropic_powers": self.iso_powers.tolist(),
                "g_coef": {c: v.tolist() for c, v in self.g_coef.items()}, "E_coef": self.e_coef.tolist(),
                "x_range_cuboids": list(self.x_range), "fit": self.fit,
                "cube_curve": {"E": self.cube_E.tolist(), "K_nm2": self.cube_K.tolist(),
                               **{c: v.tolist() for c, v in self.cube_g.items()}}}


def _least_squares(features: np.ndarray, target: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, dict]:
    """Coefficients of ``target`` ≈ ``features`` @ c, with RMS, max and leave-one-group-out max residuals."""
    coef, *_ = np.linalg.lstsq(features, target, rcond=None)
    residual = target - features @ coef
    loo = 0.0
    for g in np.unique(group):
        keep = group != g
        c, *_ = np.linalg.lstsq(features[keep], target[keep], rcond=None)
        loo = max(loo, float(np.max(np.abs(target[~keep] - features[~keep] @ c))))
    return coef, {"rms": float(np.sqrt(np.mean(residual**2))), "max": float(np.max(np.abs(residual))),
                  "leave_one_out_max": loo, "n": int(target.size)}


# ----------------------------------------------------------------------------------------------
# 3. ensemble at one laser energy

@dataclass(frozen=True)
class CarrierDistribution:
    """Larmor g of one carrier over the selected NCs: ``values`` (shapes, directions) = |gᵀn|,
    ``weights`` (shapes,) summing to 1 (every direction of a shape weighs the same); weighted
    ``mean``, ``std`` = √(orientation² + shape²): ``std_orientation`` (mean over shapes of the
    spread over directions) and ``std_shape`` (spread of the orientation means); ``g_cube`` (signed)."""

    values: np.ndarray
    weights: np.ndarray
    mean: float
    std: float
    std_orientation: float
    std_shape: float
    g_cube: float

    @classmethod
    def from_values(cls, values: np.ndarray, weights: np.ndarray, g_cube: float) -> CarrierDistribution:
        """Weighted statistics of ``values`` (shapes, directions) with shape ``weights``."""
        w = weights / weights.sum()
        per_shape = values.mean(axis=1)
        mean = float(w @ per_shape)
        orientation = float(w @ values.var(axis=1))
        shape = float(w @ (per_shape - mean) ** 2)
        return cls(values, w, mean, float(np.sqrt(orientation + shape)), float(np.sqrt(orientation)),
                   float(np.sqrt(shape)), float(g_cube))

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, weights) of every (shape, direction) pair, weights summing to 1."""
        n_dir = self.values.shape[1]
        return self.values.ravel(), np.repeat(self.weights / n_dir, n_dir)


def sample_shapes(aspect_sigma: float, n_shapes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(η (n, 3), ε (n,)): shapes η_i = σ_a(ξ_i − ξ̄) of log-normal edges and unit laser offsets ε,
    from the same random numbers for every σ_a (common random numbers: smooth curves)."""
    rng = np.random.default_rng(seed)
    xi = rng.standard_normal((n_shapes, 3))
    return aspect_sigma * (xi - xi.mean(axis=1, keepdims=True)), rng.standard_normal(n_shapes)


def sample_ensemble(model: ShapeModel, energy_eV: float, aspect_sigma: float, *, window_meV: float = 1.0,
                    size_sigma: float | None = None, median_energy_eV: float | None = None,
                    n_shapes: int = 4000, n_directions: int = 256, seed: int = 20251121
                    ) -> dict[str, CarrierDistribution]:
    """The Larmor-g distributions of electrons and holes of the NCs a laser at ``energy_eV`` selects
    (module doc, step 3). Laser-line energies below the bulk gap or above the smallest cube select no
    NC (weight 0); raises ConfigError when that is half of the line or more."""
    eta, unit_offsets = sample_shapes(aspect_sigma, n_shapes, seed)
    E = energy_eV + unit_offsets * window_meV * 1e-3 / FWHM_PER_SIGMA
    inside = (E > model.Eg) & (E <= model.cube_E[-1])
    if not model.Eg < energy_eV <= model.cube_E[-1] or inside.mean() < 0.5:
        raise ConfigError(f"selection: {energy_eV} eV (FWHM {window_meV:g} meV) leaves the cube curve "
                          f"({model.Eg:.4f}–{model.cube_E[-1]:.4f} eV): add cubes to the training or move the energy")
    E = np.where(inside, E, energy_eV)          # no NC below the bulk gap or beyond the smallest cube: weight 0
    inverse_squares = np.exp(-2.0 * eta)
    q = aspect(inverse_squares)
    K, dK_dE = model.cube_confinement(E - model.energy_shift(E - model.Eg, q))
    if np.any(~np.isfinite(K)) or np.any(K <= 0):
        raise ConfigError(f"selection: no box of the cube curve reaches {energy_eV} eV")
    weights = np.abs(0.5 * dK_dE / K) * inside                   # |d ln L/dE|, L the common size
    if size_sigma is not None:
        K_median, _ = model.cube_confinement(np.array(median_energy_eV or energy_eV))
        ln_L = 0.5 * np.log(np.pi**2 * inverse_squares.sum(axis=1) / K)
        ln_median = 0.5 * np.log(np.pi**2 * 3.0 / K_median)
        weights = weights * np.exp(-0.5 * ((ln_L - ln_median) / size_sigma) ** 2)
    directions = sphere_directions(n_directions)
    out = {}
    for c in CARRIERS:
        diagonal = model.diagonal(c, E, q)
        out[c] = CarrierDistribution.from_values(larmor_g(diagonal, directions), weights,
                                                 float(model.cube_g_at(c, np.array(energy_eV))))
    return out


# ----------------------------------------------------------------------------------------------
# 4. the T2*(B) reading of a distribution

@dataclass(frozen=True)
class DephasingResult:
    """Eqn (2) fits of simulated ensemble traces and the eqn (3) fit of their T2*(B):
    ``fields_T``, ``t2_ps`` and ``g_fit`` (|g| of the fitted frequency) per field, ``fit`` (Δg, T2*(0))
    or None with ``error`` when a trace could not be fitted; ``misfit``: the largest RMS residual of
    the one-component eqn (2) fits relative to the trace amplitude (≳ 0.01: the distribution is not
    one damped cosine, e.g. skewed or two-peaked, and Δg_T2 no measure of its width)."""

    fields_T: np.ndarray
    t2_ps: np.ndarray
    g_fit: np.ndarray
    fit: DephasingFit | None
    error: str | None = None
    misfit: float = float("nan")


def _histogram(values: np.ndarray, weights: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin centres and weights of a weighted distribution (a zero-width one: one bin)."""
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-12 * max(abs(hi), 1.0):
        return np.array([0.5 * (lo + hi)]), np.array([weights.sum()])
    w, edges = np.histogram(values, bins=bins, range=(lo, hi), weights=weights)
    keep = w > 0
    return 0.5 * (edges[1:] + edges[:-1])[keep], w[keep]


def ensemble_trace(values: np.ndarray, weights: np.ndarray, field_T: float, t_ps: np.ndarray,
                   t2_zero_field_ps: float, *, bins: int = 512, amplitude: float = 1.0) -> np.ndarray:
    """Eqn (2) summed over the distribution: amplitude·Σ w cos(|g| μB B t/ħ) exp(−t/T2(0))."""
    centres, w = _histogram(np.abs(values), weights, bins)
    return trfe_signal(t_ps, amplitude * w / w.sum(), larmor_frequency(centres, field_T), t2_zero_field_ps)


def simulated_dephasing(values: np.ndarray, weights: np.ndarray, fields_T, *, t2_zero_field_ps: float = 230.0,
                        t_max_ps: float = 2000.0, dt_ps: float = 2.0, bins: int = 512,
                        carrier: str = "e") -> DephasingResult:
    """Δg as the T2*(B) analysis reads the distribution (module doc, step 4)."""
    fields = np.asarray(fields_T, float)
    t = np.arange(0.0, t_max_ps + 0.5 * dt_ps, dt_ps)
    mean = float(np.average(np.abs(values), weights=weights))
    t2, g, misfit = np.full(fields.size, np.nan), np.full(fields.size, np.nan), np.full(fields.size, np.nan)
    try:
        for i, b in enumerate(fields):
            trace = ensemble_trace(values, weights, b, t, t2_zero_field_ps, bins=bins)
            fit = fit_trfe(t, trace, b, carriers=(carrier,), g_guess=[max(mean, 1e-3)],
                           t2_guess_ps=[t2_zero_field_ps])
            component = fit.e if carrier == "e" else fit.h
            t2[i], g[i], misfit[i] = component.t2_ps, component.g, fit.residual_rms / np.max(np.abs(trace))
        return DephasingResult(fields, t2, g, delta_g_from_t2(fields, t2), misfit=float(np.max(misfit)))
    except (FitError, LandegError) as exc:
        return DephasingResult(fields, t2, g, None, f"{type(exc).__name__}: {exc}", float(np.nanmax(misfit, initial=0)))


# ----------------------------------------------------------------------------------------------
# 5. the study

@dataclass
class EnsembleSummary:
    """What ``landeg ensemble`` wrote: ``files``, the ensemble ``rows``, the ``samples`` rows and the
    ``measured`` values of the samples (Δg, g and the energy compared at)."""

    out_dir: Path
    files: list[Path]
    rows: list[dict]
    samples: list[dict]
    models: dict[str, ShapeModel]
    measured: list[dict]


def energies(config: EnsembleConfig) -> np.ndarray:
    """The laser energies of the config (eV)."""
    values = config.selection.energies_eV
    return np.asarray(values.values() if isinstance(values, Range) else values, float)


def measured_spreads(config: EnsembleConfig) -> list[dict]:
    """Per configured sample: its delta_g_e / delta_g_h (and g_e / g_h at that energy) from the data table
    (bundled plus ``data``), and the energy to compare at."""
    from ..experiment.measured import load_measurements

    table = load_measurements(None)
    if config.data:
        table = table.extend(*config.data)
    out = []
    for spec in config.samples:
        rows = table.select(quantity=("delta_g_e", "delta_g_h"), sample=spec.sample)
        if not len(rows):
            raise ConfigError(f"samples: no delta_g_e or delta_g_h rows for sample {spec.sample!r} in the data")
        found = {m.energy_eV for m in rows if m.energy_eV is not None}
        energy = spec.energy_eV if spec.energy_eV is not None else (found.pop() if len(found) == 1 else None)
        if energy is None:
            raise ConfigError(f"samples: sample {spec.sample!r} has {'no' if not found else 'several'} energies in "
                              "the data: give energy_eV (and say where it comes from in energy_note)")
        entry = {"sample": spec.sample, "energy_eV": energy,
                 "energy_source": spec.energy_note or "energy of the data rows", **{
                     m.quantity: m.value for m in rows}}
        for key in ("g_e", "g_h"):
            match = [m for m in table.select(quantity=key, sample=spec.sample)
                     if m.energy_eV is not None and abs(m.energy_eV - energy) < 1e-6]
            if match:
                entry[key] = match[0].value
        out.append(entry)
    return out


def _row(form: str, sigma: float, energy: float, carrier: str, dist: CarrierDistribution,
         dephasing: DephasingResult, model: ShapeModel, window_meV: float) -> dict:
    x = energy - model.Eg
    return {"form": form, "aspect_sigma": sigma, "energy_eV": energy, "carrier": carrier,
            "g_cube": dist.g_cube, "g_mean": dist.mean, "mean_shift": dist.mean - abs(dist.g_cube),
            "g_std": dist.std, "g_std_orientation": dist.std_orientation, "g_std_shape": dist.std_shape,
            "delta_g_T2": dephasing.fit.delta_g if dephasing.fit else np.nan,
            "t2_zero_fit_ps": dephasing.fit.t2_0_ps if dephasing.fit else np.nan, "trace_misfit": dephasing.misfit,
            "g_fit": float(np.nanmean(dephasing.g_fit)) if np.any(np.isfinite(dephasing.g_fit)) else np.nan,
            "alpha": float(model.anisotropy_coefficient(carrier, x)), "window_meV": window_meV,
            "extrapolated": bool(x < model.x_range[0]), "fit_error": dephasing.error or ""}


def run_ensemble(config: EnsembleConfig, out_dir: str | Path, *, config_path: str | Path | None = None,
                 progress: Callable | None = None) -> EnsembleSummary:
    """Training, shape model, ensembles, T2*(B) reading, tables and figures (module doc)."""
    out = Path(out_dir)
    samples = measured_spreads(config)             # the data is checked before any NC is computed
    data = run_training(config, out / "training", progress=progress)
    models = {form: ShapeModel.from_training(data, form=form, degree=config.shape_model.degree,
                                             edge_offset=config.shape_model.edge_offset)
              for form in config.shape_model.forms}
    dist_cfg, deph = config.distribution, config.dephasing
    options = {"window_meV": config.selection.window_meV, "size_sigma": dist_cfg.size_sigma,
               "median_energy_eV": dist_cfg.median_energy_eV, "n_shapes": dist_cfg.n_shapes,
               "n_directions": dist_cfg.n_directions, "seed": dist_cfg.seed}
    dephasing = {"t2_zero_field_ps": deph.t2_zero_field_ps, "t_max_ps": deph.t_max_ps, "dt_ps": deph.dt_ps}
    rows, sample_rows = [], []
    window = config.selection.window_meV
    points = ([(None, float(e), window) for e in energies(config)]
              + [(s["sample"], float(s["energy_eV"]), w) for w in (window, *config.selection.test_windows_meV)
                 for s in samples])
    for form, model in models.items():
        for sigma in dist_cfg.aspect_sigma:
            for sample, energy, width in points:
                for c, dist in sample_ensemble(model, energy, sigma, **{**options, "window_meV": width}).items():
                    row = _row(form, sigma, energy, c, dist,
                               simulated_dephasing(*dist.flat(), deph.fields_T, carrier=c, **dephasing), model, width)
                    if sample is None:
                        rows.append(row)
                    else:
                        sample_rows.append({"sample": sample, **row})
    files = _write_outputs(config, out, data, models, rows, sample_rows, samples, config_path)
    return EnsembleSummary(out, files, rows, sample_rows, models, samples)


def _training_table(data: TrainingSet, models: dict[str, ShapeModel]) -> dict[str, list]:
    """training.csv: the cuboids and faceted NCs, their shape terms (g − g_cube(E)) and model residuals."""
    model = next(iter(models.values()))
    K, q = model.confinement(data.box_n)
    table: dict[str, list] = {"shape": [], "n_pb": [], "E_transition": [], "q_x": [], "q_y": [], "q_z": []}
    for c in CARRIERS:
        for i in "xyz":
            table[f"g_{c}_{i}{i}"] = []
            table[f"dg_{c}_{i}{i}"] = []
            table[f"model_dg_{c}_{i}{i}"] = []
    for k in range(len(data.box_E)):
        table["shape"].append("cuboid")
        table["n_pb"].append(",".join(str(int(n)) for n in data.box_n[k]))
        table["E_transition"].append(data.box_E[k])
        for i, axis in enumerate("xyz"):
            table[f"q_{axis}"].append(q[k, i])
        for c in CARRIERS:
            shift = model.cube_g_at(c, data.box_E[k])
            predicted = model.diagonal(c, data.box_E[k], q[k]) - shift
            for i, axis in enumerate("xyz"):
                table[f"g_{c}_{axis}{axis}"].append(data.box_g[c][k, i])
                table[f"dg_{c}_{axis}{axis}"].append(data.box_g[c][k, i] - shift)
                table[f"model_dg_{c}_{axis}{axis}"].append(predicted[i])
    for r in data.faceted:
        table["shape"].append(f"faceted corner_cut={r.get('corner_cut', 0)} edge_cut={r.get('edge_cut', 0)}")
        table["n_pb"].append(",".join(str(int(n)) for n in np.broadcast_to(r["n_pb"], 3)))
        table["E_transition"].append(r["E_transition"])
        for axis in "xyz":
            table[f"q_{axis}"].append(0.0)
        for c, key in CARRIERS.items():
            diag = np.diag(np.asarray(r[f"{key}_tensor"]))
            for i, axis in enumerate("xyz"):
                table[f"g_{c}_{axis}{axis}"].append(diag[i])
                table[f"dg_{c}_{axis}{axis}"].append(diag[i] - model.cube_g_at(c, r["E_transition"]))
                table[f"model_dg_{c}_{axis}{axis}"].append(np.nan)
    return table


def _columns(rows: list[dict]) -> dict[str, list]:
    return {k: [r[k] for r in rows] for k in rows[0]} if rows else {}


def _write_outputs(config: EnsembleConfig, out: Path, data: TrainingSet, models: dict[str, ShapeModel],
                   rows: list[dict], sample_rows: list[dict], samples: list[dict],
                   config_path: str | Path | None) -> list[Path]:
    from confinement.metadata import run_metadata

    from .figures_ensemble import ensemble_figure, trfe_figure

    notes = ["landeg ensemble: g of randomly oriented, shape-distributed NCs selected by a laser; g_mean = mean "
             "|g^T n|, g_std its standard deviation (orientation, shape parts), delta_g_T2 = slope of eqn (3) fitted "
             "to T2*(B) of simulated eqn (2) traces; energies eV", f"config: {config_path or '(in memory)'}"]
    files = [write_table(out / "ensemble.csv", _columns(rows), notes)]
    if sample_rows:
        files.append(write_table(out / "samples.csv", _columns(sample_rows), notes))
    files.append(write_table(out / "training.csv", _training_table(data, models),
                             ["landeg ensemble: training NCs; dg = g_ii - g_cube(E), model_dg = the shape model "
                              f"({next(iter(models))}); q = aspect of the effective edges (N + "
                              f"{config.shape_model.edge_offset:g})a"]))
    files.append(write_json(out / "ensemble.json", run_metadata(
        config=config.model_dump(mode="json"), config_path=config_path, samples=samples,
        shape_models={f: m.as_dict() for f, m in models.items()}, sample_rows=sample_rows,
        training={"params": data.params, "bulk": data.bulk, "cubes": data.cube_n.tolist(),
                  "cuboids": data.box_n.tolist()})))
    files.append(_write_markdown(out / "ensemble.md", config, models, sample_rows, samples))
    central = next(iter(models.values()))
    fig = ensemble_figure(rows, samples, central, config)
    files += save_figure(fig, out / "ensemble_g_vs_energy", config.output.formats)
    fig = trfe_figure(central, samples, config)
    files += save_figure(fig, out / "ensemble_trfe", config.output.formats)
    return files


def _write_markdown(path: Path, config: EnsembleConfig, models: dict[str, ShapeModel], sample_rows: list[dict],
                    samples: list[dict]) -> Path:
    """ensemble.md: predicted vs measured spreads at the samples, and the shape-model fit."""
    from confinement.io import atomic_write_text

    lines = ["# Shape and orientation spread of g versus the measured spreads", "",
             f"Parameter set {config.model.params}; laser FWHM {config.selection.window_meV:g} meV; "
             f"T2(0) = {config.dephasing.t2_zero_field_ps:g} ps; fields {config.dephasing.fields_T} T.", "",
             "| sample | E (eV) | window (meV) | carrier | form | σ_a | g_mean | g_std (orient., shape) | Δg_T2 | "
             "eqn (2) misfit | measured Δg |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    order = ("sample", "carrier", "form", "window_meV", "aspect_sigma")
    for r in sorted(sample_rows, key=lambda r: tuple(r[k] for k in order)):
        measured = next((s.get(f"delta_g_{r['carrier']}") for s in samples if s["sample"] == r["sample"]), None)
        lines.append(f"| {r['sample']} | {r['energy_eV']:.3f} | {r['window_meV']:g} | {r['carrier']} | {r['form']} | "
                     f"{r['aspect_sigma']:g} | {r['g_mean']:.3f} | {r['g_std']:.4f} ({r['g_std_orientation']:.4f}, "
                     f"{r['g_std_shape']:.4f}) | {r['delta_g_T2']:.4f} | {r['trace_misfit']:.1e} | "
                     f"{'' if measured is None else f'{measured:g}'} |")
    lines += ["", "Shape model fits (residuals of g − g_cube(E) over the training cuboids):", "",
              "| form | carrier | RMS | max | leave-one-out max | α at the samples |", "|---|---|---|---|---|---|"]
    for form, m in models.items():
        for c in CARRIERS:
            f = m.fit[c]
            alphas = ", ".join(f"{s['sample']}: {float(m.anisotropy_coefficient(c, s['energy_eV'] - m.Eg)):+.3f}"
                               for s in samples)
            lines.append(f"| {form} | {c} | {f['rms']:.4f} | {f['max']:.4f} | {f['leave_one_out_max']:.4f} | "
                         f"{alphas} |")
    return atomic_write_text(path, "\n".join(lines) + "\n")


def gaussian_t2_factor(sigma_g: float, *, g0: float = 1.4, fields_T=(0.09, 0.15, 0.2, 0.25, 0.3, 0.35, 0.43),
                       t2_zero_field_ps: float = 230.0, n: int = 4001) -> float:
    """Δg_T2/σ for a Gaussian distribution of standard deviation ``sigma_g`` about ``g0``: how the
    eqn (3) slope reads a Gaussian spread (deterministic quantiles)."""
    from scipy.special import ndtri

    u = (np.arange(n) + 0.5) / n
    values = g0 + sigma_g * ndtri(u)
    result = simulated_dephasing(values, np.full(n, 1.0 / n), fields_T, t2_zero_field_ps=t2_zero_field_ps)
    if result.fit is None:
        raise FitError(result.error or "fit failed")
    return result.fit.delta_g / sigma_g


__all__ = ["CARRIERS", "CarrierDistribution", "DephasingResult", "EnsembleSummary", "ShapeModel", "TrainingSet",
           "aspect", "ensemble_trace", "gaussian_t2_factor", "measured_spreads", "run_ensemble", "run_training",
           "sample_ensemble", "sample_shapes", "simulated_dephasing", "training_run_config", "training_set"]
