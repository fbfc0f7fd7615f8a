"""Least-squares refit of tight-binding parameters to bulk targets, driven by a config file.

Observables (eV, m0): Eg (gap at R), Eg_M (direct gap at M), Delta (conduction-band spin–orbit
splitting at R), m_e, m_h (band-edge masses at R), g_e, g_h (bulk g-factors). Each residual is
(value − target)/tolerance, so a fit is *successful* when every |residual| ≤ 1. Free parameters
are bounded; a weak pull towards the base values (``regularization``, per eV of change) keeps
under-determined fits unique. A fit that misses a target raises :class:`RefitError` with the table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, model_validator
from scipy.optimize import least_squares

from confinement.config_base import Strict
from confinement.errors import LandegError
from confinement.io import atomic_write_text

from .bulk import bulk_tb
from .crystal import Crystal
from .parameters import SHELL_GEOMETRY, TBParameters, load_tb_parameters, to_toml

Observable = Literal["Eg", "Eg_M", "Delta", "m_e", "m_h", "g_e", "g_h"]
RELATIVE = ("m_e", "m_h")   # targets whose default tolerance is relative


class RefitError(LandegError, RuntimeError):
    """The refit did not reach its targets within tolerance (the message holds the table).

    ``result``: the unsuccessful fit's :class:`RefitResult` when the search ended (else None).
    """

    def __init__(self, message: str, result: RefitResult | None = None):
        super().__init__(message)
        self.result = result


class Target(Strict):
    """A target value (default: the base set's own value), where it comes from, and its tolerance.

    ``tolerance`` is absolute (units of the observable); ``tolerance_rel`` relative to the target.
    """

    value: float | None = None
    source: str = ""
    tolerance: float | None = Field(default=None, gt=0)
    tolerance_rel: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_tolerance(self) -> Target:
        if (self.tolerance is None) == (self.tolerance_rel is None):
            raise ValueError("give exactly one of tolerance (absolute) or tolerance_rel")
        return self


class RefitSection(Strict):
    """``[refit]``: what to start from, what to add, what to vary and what to hit.

    ``starts``: number of starting points — the base values (or ``initial``) plus ``starts − 1``
    drawn uniformly from the inner half of each free parameter's bounds (``seed``); the best
    successful fit is kept and the spread over the successful ones is recorded (a start-point
    independence check of an under-determined fit). ``nc_check_n_pb``: for every successful
    start, also g_e, g_h of a cube of that many Pb per edge (decoupled passivation), recorded as
    the spread of the NC g over the starts. ``notes``: provenance of values in ``fixed``;
    ``references``: the sources those notes cite; ``material``: material of the refitted set
    (default: the base set's). ``hopping_scaling = "harrison"``: when ``fixed`` changes the
    lattice constant, every two-centre integral of the base not in ``fixed`` is first scaled by
    (a_base/a)² (Harrison's d⁻² rule); the scaled set is the start and the reference of the pull.
    """

    base: str
    name: str
    description: str = ""
    material: str | None = None
    enable_shells: dict[str, list[str] | dict[str, list[str]]] = {}
    fixed: dict[str, float] = {}
    notes: dict[str, str] = {}
    references: dict[str, str] = {}
    free: dict[str, tuple[float, float]]
    targets: dict[Observable, Target]
    regularization: float = Field(default=1e-3, ge=0)
    starts: int = Field(default=1, ge=1)
    seed: int = 0
    nc_check_n_pb: int | None = Field(default=None, ge=2)
    hopping_scaling: Literal["none", "harrison"] = "none"

    @model_validator(mode="after")
    def _check(self) -> RefitSection:
        for path, (lo, hi) in self.free.items():
            if not lo < hi:
                raise ValueError(f"free.{path}: lower bound {lo} is not below upper bound {hi}")
        if not self.free:
            raise ValueError("free: at least one parameter must vary")
        for shell in self.enable_shells:
            if shell not in SHELL_GEOMETRY:
                raise ValueError(f"enable_shells.{shell}: unknown shell; known: {', '.join(SHELL_GEOMETRY)}")
        both = sorted(set(self.free) & set(self.fixed))
        if both:
            raise ValueError(f"{', '.join(both)}: both free and fixed")
        stray = sorted(set(self.notes) - set(self.fixed))
        if stray:
            raise ValueError(f"notes.{stray[0]}: notes document fixed values; {stray[0]} is not in fixed")
        return self


class RefitOutput(Strict):
    """``[output]``: the parameter file to write (relative to the working directory)."""

    file: str


class RefitConfig(Strict):
    """Schema of a refit config (see ``examples/refit_CsPbI3_XX.toml``)."""

    refit: RefitSection
    output: RefitOutput


#: Every refit keeps the gap direct at R: band extrema checked on a 5³ grid of the zone (which
#: contains Γ, X, M; the R corners excluded); a trial whose extrema lie ``DIRECT_GAP_MARGIN`` (eV) or less from being
#: elsewhere is penalised with residual (margin − value)/``DIRECT_GAP_TOLERANCE``.
DIRECT_GAP_MARGIN = 0.02
DIRECT_GAP_TOLERANCE = 0.005
_GRID = np.array([k for k in itertools.product(np.linspace(-1, 1, 5), repeat=3)
                  if not np.all(np.abs(k) == 1)])   # R and its equivalents excluded


def observables(params: TBParameters) -> dict[str, float]:
    """The refit observables of a parameter set (eV, m0), plus ``direct_margin`` (eV): how far the
    band extrema at R lie below the conduction and above the valence bands elsewhere on the grid
    (negative: the gap is not direct at R)."""
    crystal = Crystal(params)
    res = bulk_tb(crystal)
    nv = params.valence_bands
    bands = crystal.bands(_GRID * np.pi / crystal.a)
    margin = min(bands[:, nv].min() - (res.E_vbm + res.Eg), res.E_vbm - bands[:, nv - 1].max())
    return {"Eg": res.Eg, "Eg_M": res.Eg_M, "Delta": res.Delta, "m_e": res.m_e, "m_h": res.m_h,
            "g_e": res.g_e, "g_h": res.g_h, "direct_margin": float(margin)}


@dataclass(frozen=True)
class StartOutcome:
    """One starting point of a refit: where it began, where it ended and how well it did.

    ``start``/``fitted``: free parameter values (eV; path → value); ``observables``: the bulk
    observables at the end point; ``nc_g``: (g_e, g_h) of the check cube when requested;
    ``error``: why the search broke off (then nothing else but ``start`` is meaningful);
    ``nc_error``: why the check cube could not be solved for this end point (e.g. in-gap states).
    """

    start: dict[str, float]
    fitted: dict[str, float] = field(default_factory=dict)
    observables: dict[str, float] = field(default_factory=dict)
    success: bool = False
    cost: float = float("inf")
    evaluations: int = 0
    nc_g: tuple[float, float] | None = None
    error: str | None = None
    nc_error: str | None = None


@dataclass(frozen=True)
class RefitResult:
    """Outcome: the refitted set, per-target rows and per-parameter changes, and every start."""

    params: TBParameters
    targets: dict[str, dict[str, float]]      # name → target, tolerance, value, residual
    changes: dict[str, dict[str, float]]      # path → base, start, fitted
    fixed: dict[str, float]                   # path → value set (not fitted)
    success: bool
    cost: float
    evaluations: int
    starts: tuple[StartOutcome, ...] = ()
    at_bound: tuple[str, ...] = ()            # free parameters that ended on a bound
    notes: dict[str, str] = field(default_factory=dict)   # provenance of set (not fitted) values: path → note
    direct_margin: float = float("nan")      # eV, > 0: the gap is direct at R (observables)

    @property
    def successful_starts(self) -> tuple[StartOutcome, ...]:
        """The starts that met every target."""
        return tuple(s for s in self.starts if s.success)

    def spread(self) -> dict[str, float]:
        """max − min over the successful starts of each fitted parameter (eV) and of the check
        cube's g_e, g_h (keys 'nc_g_e', 'nc_g_h'); empty with fewer than two successful starts."""
        ok = self.successful_starts
        if len(ok) < 2:
            return {}
        out = {p: float(np.ptp([s.fitted[p] for s in ok])) for p in ok[0].fitted}
        g = np.array([s.nc_g for s in ok if s.nc_g is not None]).reshape(-1, 2)
        if len(g) >= 2:
            out.update(nc_g_e=float(np.ptp(g[:, 0])), nc_g_h=float(np.ptp(g[:, 1])))
        return out

    def same_as_best(self, tol: float = 1e-3) -> int:
        """Number of successful starts that ended at the kept solution (every parameter within
        ``tol`` eV of it): all of them when the fit does not depend on the start point."""
        return sum(all(abs(s.fitted[p] - c["fitted"]) <= tol for p, c in self.changes.items())
                   for s in self.successful_starts)

    def table(self) -> str:
        """Markdown tables of targets, parameter changes and (several starts) the start spread."""
        rows = ["| observable | target | tolerance | refit | residual/tol |", "|---|---|---|---|---|"]
        rows += [f"| {k} | {t['target']:.4f} | {t['tolerance']:.4f} | {t['value']:.4f} | {t['residual']:+.3f} |"
                 for k, t in self.targets.items()]
        rows += ["", f"Direct gap at R: band extrema elsewhere on the 5³ grid lie {self.direct_margin:+.4f} eV beyond "
                 "those at R (must be > 0)."]
        rows += ["", "| parameter | base | start | refit |", "|---|---|---|---|"]
        rows += [f"| {k} | {_fmt(c['base'])} | {c['start']:.4f} | {c['fitted']:.4f} |" for k, c in self.changes.items()]
        if len(self.starts) > 1:
            spread = self.spread()
            rows += ["", f"{len(self.successful_starts)} of {len(self.starts)} starts met every target, "
                     f"{self.same_as_best()} of them at the kept solution (lowest cost); max − min over them: "
                     + (", ".join(f"{k} {v:.2e}" for k, v in spread.items()) or "—")]
            rows += [f"start {i}: {s.error or ('met targets' if s.success else 'missed targets')}, cost {s.cost:.4g}"
                     + (f", N-cube g_e {s.nc_g[0]:+.4f}, g_h {s.nc_g[1]:+.4f}" if s.nc_g else "")
                     + (f", N-cube not solved: {s.nc_error}" if s.nc_error else "") for i, s in enumerate(self.starts)]
        return "\n".join(rows)


def _fmt(x: float) -> str:
    return "—" if np.isnan(x) else f"{x:.4f}"


def _shells(spec: dict[str, list[str] | dict[str, list[str]]]) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    out = {}
    for name, coupled in spec.items():
        sp1, sp2, _ = SHELL_GEOMETRY[name]
        out[name] = ((tuple(coupled), tuple(coupled)) if isinstance(coupled, list)
                     else (tuple(coupled[sp1]), tuple(coupled[sp2])))
    return out


class _Problem:
    """The least-squares problem of a refit config: start set, free paths, bounds, scaled targets."""

    def __init__(self, config: RefitSection, base: TBParameters, initial: Mapping[str, float] | None):
        self.config, self.base = config, base
        base_obs = observables(base)
        start = base.with_values(config.fixed, name=config.name, shells=_shells(config.enable_shells))
        self.notes = dict(config.notes)
        if config.hopping_scaling == "harrison":
            factor = (base.a / start.a) ** 2
            scaled = {p: v * factor for p, v in start.values().items()
                      if p.startswith("hopping.") and p not in config.fixed and v != 0.0}
            start = start.with_values(scaled)
            self.notes.update({p: f"base value scaled by (a_base/a)² = {factor:.5f} (Harrison's d⁻² rule)"
                               for p in scaled})
        reference_set = start   # the pull's reference: the start before any continuation values
        if initial:
            unknown = sorted(set(initial) - set(config.free))
            if unknown:
                raise RefitError(f"start value given for {', '.join(unknown)}, which is not a free parameter")
            start = start.with_values(initial)
        self.start = start
        start_values = start.values()
        self.paths = list(config.free)
        for path in self.paths:
            if path not in start_values:
                raise RefitError(f"free parameter {path!r} is not a parameter of the set "
                                 f"(enable its shell or check the name)")
        self.x0 = np.array([start_values[p] for p in self.paths])
        self.lo = np.array([config.free[p][0] for p in self.paths])
        self.hi = np.array([config.free[p][1] for p in self.paths])
        if np.any(self.x0 < self.lo) or np.any(self.x0 > self.hi):
            bad = [p for p, x, a, b in zip(self.paths, self.x0, self.lo, self.hi) if not a <= x <= b]
            raise RefitError(f"starting value outside its bounds for {', '.join(bad)}")
        self.names = list(config.targets)
        self.target = np.array([config.targets[n].value if config.targets[n].value is not None else base_obs[n]
                                for n in self.names])
        self.tol = np.array([config.targets[n].tolerance or config.targets[n].tolerance_rel * abs(t)
                             for n, t in zip(self.names, self.target)])
        self.reference = np.array([reference_set.values()[p] for p in self.paths])

    def trial(self, x: np.ndarray) -> TBParameters:
        return self.start.with_values(dict(zip(self.paths, x)))

    def random_starts(self, n: int) -> list[np.ndarray]:
        """``n`` points drawn uniformly from the inner half of the bounds (seeded)."""
        rng = np.random.default_rng(self.config.seed)
        width = self.hi - self.lo
        return [rng.uniform(self.lo + width / 4, self.hi - width / 4) for _ in range(n)]

    def fit(self, x0: np.ndarray) -> StartOutcome:
        counter = {"n": 0}

        def residuals(x: np.ndarray) -> np.ndarray:
            counter["n"] += 1
            obs = observables(self.trial(x))
            misfit = (np.array([obs[n] for n in self.names]) - self.target) / self.tol
            indirect = max(0.0, DIRECT_GAP_MARGIN - obs["direct_margin"]) / DIRECT_GAP_TOLERANCE
            return np.concatenate([misfit, [indirect], np.sqrt(self.config.regularization) * (x - self.reference)])

        start = dict(zip(self.paths, map(float, x0)))
        try:
            fit = least_squares(residuals, x0, bounds=(self.lo, self.hi),
                                x_scale=np.maximum(np.abs(self.reference), 0.1),
                                xtol=1e-8, ftol=1e-8, gtol=1e-8, max_nfev=200)
            obs = observables(self.trial(fit.x))
        except (LandegError, np.linalg.LinAlgError) as exc:  # e.g. a band crossing met during the search
            return StartOutcome(start, evaluations=counter["n"], error=str(exc))
        misfit = np.array([(obs[n] - t) / e for n, t, e in zip(self.names, self.target, self.tol)])
        success = bool(np.all(np.abs(misfit) <= 1)) and obs["direct_margin"] > 0
        return StartOutcome(start, dict(zip(self.paths, map(float, fit.x))), obs, success,
                            float(fit.cost), counter["n"])

    def at_bound(self, fitted: Mapping[str, float], rel: float = 1e-3) -> tuple[str, ...]:
        """Free parameters whose fitted value lies within ``rel`` of the range from a bound."""
        return tuple(p for p, lo, hi in zip(self.paths, self.lo, self.hi)
                     if min(abs(fitted[p] - lo), abs(fitted[p] - hi)) <= rel * (hi - lo))


def run_refit(config: RefitSection, *, initial: Mapping[str, float] | None = None,
              base: TBParameters | None = None,
              progress: Callable[[int, int, StartOutcome], None] | None = None) -> RefitResult:
    """Refit ``config.base`` (name or path) to the targets; raises :class:`RefitError` on failure.

    ``initial`` (optional, eV): starting values of some free parameters instead of the base
    values (continuation from a neighbouring refit); targets and the regularisation still refer
    to the base. ``base`` (optional): the already loaded base set, which must be ``config.base``.
    With ``config.starts > 1`` every start is fitted and the successful one of lowest cost kept.
    ``progress(done, total, outcome)`` is called after each start (fit and NC check) finishes.
    """
    if base is None:
        base = load_tb_parameters(config.base)
    problem = _Problem(config, base, initial)
    starts = [problem.x0, *problem.random_starts(config.starts - 1)]
    outcomes = []
    for x in starts:
        outcome = problem.fit(x)
        if config.nc_check_n_pb is not None and outcome.success:
            outcome = _with_nc_check(outcome, problem, config.nc_check_n_pb)
        outcomes.append(outcome)
        if progress is not None:
            progress(len(outcomes), len(starts), outcome)
    finished = [o for o in outcomes if o.error is None]
    if not finished:
        raise RefitError(f"refit of {config.base!r} failed during the search: {outcomes[0].error}")
    best = min(finished, key=lambda o: (not o.success, o.cost))
    params = problem.trial(np.array([best.fitted[p] for p in problem.paths]))
    rows = {n: {"target": float(t), "tolerance": float(e), "value": best.observables[n],
                "residual": float((best.observables[n] - t) / e)}
            for n, t, e in zip(problem.names, problem.target, problem.tol)}
    changes = {p: {"base": float(base.values().get(p, np.nan)), "start": float(s), "fitted": best.fitted[p]}
               for p, s in zip(problem.paths, problem.x0)}
    result = RefitResult(params, rows, changes, dict(config.fixed), best.success, best.cost,
                         sum(o.evaluations for o in outcomes), tuple(outcomes), problem.at_bound(best.fitted),
                         problem.notes, best.observables["direct_margin"])
    result = replace(result, params=_with_record(params, config, base, result))
    if not best.success:
        raise RefitError(f"refit {config.name!r} missed its targets:\n{result.table()}", result)
    return result


def check_refit(config: RefitSection) -> dict[str, object]:
    """Check a refit config without fitting: the base set loads, ``fixed`` and ``enable_shells``
    apply, every free parameter exists and starts within its bounds (the setup of
    :func:`run_refit`, one bulk evaluation of the base). Returns a summary; raises the error
    :func:`run_refit` would raise before its search (:class:`RefitError`, unknown set names)."""
    problem = _Problem(config, load_tb_parameters(config.base), None)
    return {"base": config.base, "name": config.name, "free": list(problem.paths), "targets": list(problem.names),
            "starts": config.starts}


def _target_source(target: Target) -> str:
    if target.source:
        return target.source
    return "the base set's own value" if target.value is None else "not stated in the refit config"


def _with_nc_check(outcome: StartOutcome, problem: _Problem, n_pb: int) -> StartOutcome:
    """The outcome with (g_e, g_h) of a cube of ``n_pb`` Pb per edge (decoupled passivation,
    first order) of its fitted set, or the reason the cube could not be solved."""
    from .nanocrystal import make_shape, nanocrystal_gfactors

    crystal = Crystal(problem.trial(np.array([outcome.fitted[p] for p in problem.paths])))
    try:
        record = nanocrystal_gfactors(crystal, make_shape(crystal, "cube", n_pb=n_pb), finite_field_T=None)
    except LandegError as exc:
        return replace(outcome, nc_error=str(exc).splitlines()[0])
    return replace(outcome, nc_g=(float(record["g_e"]), float(record["g_h"])))


def _with_record(params: TBParameters, config: RefitSection, base: TBParameters, result: RefitResult) -> TBParameters:
    """The fitted set renamed, described and carrying its refit record in ``[meta.refit]``."""
    ok = result.successful_starts
    record: dict[str, object] = {
        "base": config.base, "base_sha256": base.sha256, "success": result.success,
        "targets": {n: {**row, "source": _target_source(config.targets[n])} for n, row in result.targets.items()},
        "free": {p: list(b) for p, b in config.free.items()},
        "fixed": dict(config.fixed),
        "at_bound": list(result.at_bound),
        "direct_gap_margin_eV": result.direct_margin,
        "regularization": config.regularization,
        "starts": {"n": len(result.starts), "successful": len(ok), "at_kept_solution": result.same_as_best(),
                   "seed": config.seed, "spread": result.spread(),
                   "cost": [s.cost for s in result.starts]},
    }
    if config.nc_check_n_pb is not None and ok:
        solved = [s for s in ok if s.nc_g is not None]
        record["nc_check"] = {"n_pb": config.nc_check_n_pb, "g_e": [s.nc_g[0] for s in solved],  # type: ignore[index]
                              "g_h": [s.nc_g[1] for s in solved],  # type: ignore[index]
                              "not_solved": [s.nc_error for s in ok if s.nc_error]}
    description = config.description or f"This project's refit of {config.base}"
    return replace(params.with_values({}, name=config.name),
                   description=description + " (this project's refit; targets and residuals in [meta.refit])",
                   material=config.material or params.material,
                   references={**params.references, **config.references}, meta_extra={"refit": record})


def write_refit(result: RefitResult, path: str | Path, config_path: str | Path | None = None) -> Path:
    """Write the refitted set in the bundled parameter-file format (atomically)."""
    header = (f"# This project's refit ({result.params.name}), written by `landeg refit`"
              + (f" from {config_path}" if config_path else "") + ".\n"
              "# Fitted or set values carry source = \"landeg\"; untouched values keep their original source.\n"
              "#\n# " + result.table().replace("\n", "\n# ") + "\n")
    notes = dict(result.notes)
    notes.update({p: notes.get(p, "set by this project") + "; held fixed during the refit" for p in result.fixed})
    notes.update({p: f"fitted by this project's refit (start {c['start']:.4f}"
                  + (f"; {notes[p]}" if p in notes else "") + ")" for p, c in result.changes.items()})
    return atomic_write_text(path, to_toml(result.params, header=header, notes=notes))
