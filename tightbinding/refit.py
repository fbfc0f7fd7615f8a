"""Least-squares refit of tight-binding parameters to bulk targets, driven by a config file.

Observables (eV, m0): Eg (gap at R), Eg_M (direct gap at M), Delta (conduction-band spin–orbit
splitting at R), m_e, m_h (band-edge masses at R), g_e, g_h (bulk g-factors). Each residual is
(value − target)/tolerance, so a fit is *successful* when every |residual| ≤ 1. Free parameters
are bounded; a weak pull towards the base values (``regularization``, per eV of change) keeps
under-determined fits unique. A fit that misses a target raises :class:`RefitError` with the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Mapping

import numpy as np
from pydantic import Field, model_validator
from scipy.optimize import least_squares

from comparisons.config import Strict
from confinement.errors import LandegError

from .bulk import bulk_tb
from .crystal import Crystal
from .parameters import SHELL_GEOMETRY, TBParameters, load_tb_parameters, to_toml

Observable = Literal["Eg", "Eg_M", "Delta", "m_e", "m_h", "g_e", "g_h"]
RELATIVE = ("m_e", "m_h")   # targets whose default tolerance is relative


class RefitError(LandegError, RuntimeError):
    """The refit did not reach its targets within tolerance (the message holds the table).

    ``result``: the unsuccessful fit's :class:`RefitResult` when the search ended (else None).
    """

    def __init__(self, message: str, result: "RefitResult | None" = None):
        super().__init__(message)
        self.result = result


class Target(Strict):
    """A target value (default: the base set's own value) and its tolerance.

    ``tolerance`` is absolute (units of the observable); ``tolerance_rel`` relative to the target.
    """

    value: float | None = None
    tolerance: float | None = Field(default=None, gt=0)
    tolerance_rel: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_tolerance(self) -> "Target":
        if (self.tolerance is None) == (self.tolerance_rel is None):
            raise ValueError("give exactly one of tolerance (absolute) or tolerance_rel")
        return self


class RefitSection(Strict):
    """``[refit]``: what to start from, what to add, what to vary and what to hit."""

    base: str
    name: str
    description: str = ""
    enable_shells: dict[str, list[str] | dict[str, list[str]]] = {}
    fixed: dict[str, float] = {}
    free: dict[str, tuple[float, float]]
    targets: dict[Observable, Target]
    regularization: float = Field(default=1e-3, ge=0)

    @model_validator(mode="after")
    def _check(self) -> "RefitSection":
        for path, (lo, hi) in self.free.items():
            if not lo < hi:
                raise ValueError(f"free.{path}: lower bound {lo} is not below upper bound {hi}")
        if not self.free:
            raise ValueError("free: at least one parameter must vary")
        for shell in self.enable_shells:
            if shell not in SHELL_GEOMETRY:
                raise ValueError(f"enable_shells.{shell}: unknown shell; known: {', '.join(SHELL_GEOMETRY)}")
        return self


class RefitOutput(Strict):
    """``[output]``: the parameter file to write (relative to the working directory)."""

    file: str


class RefitConfig(Strict):
    """Schema of a refit config (see ``examples/refit_CsPbI3_XX.toml``)."""

    refit: RefitSection
    output: RefitOutput


def observables(params: TBParameters) -> dict[str, float]:
    """The refit observables of a parameter set."""
    res = bulk_tb(Crystal(params))
    return {"Eg": res.Eg, "Eg_M": res.Eg_M, "Delta": res.Delta, "m_e": res.m_e, "m_h": res.m_h,
            "g_e": res.g_e, "g_h": res.g_h}


@dataclass(frozen=True)
class RefitResult:
    """Outcome: the refitted set, per-target rows and per-parameter changes."""

    params: TBParameters
    targets: dict[str, dict[str, float]]      # name → target, tolerance, value, residual
    changes: dict[str, dict[str, float]]      # path → base, start, fitted
    fixed: dict[str, float]                   # path → value set (not fitted)
    success: bool
    cost: float
    evaluations: int

    def table(self) -> str:
        """Markdown tables of targets and parameter changes."""
        rows = ["| observable | target | tolerance | refit | residual/tol |", "|---|---|---|---|---|"]
        rows += [f"| {k} | {t['target']:.4f} | {t['tolerance']:.4f} | {t['value']:.4f} | {t['residual']:+.3f} |"
                 for k, t in self.targets.items()]
        rows += ["", "| parameter | base | start | refit |", "|---|---|---|---|"]
        rows += [f"| {k} | {_fmt(c['base'])} | {c['start']:.4f} | {c['fitted']:.4f} |" for k, c in self.changes.items()]
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


def run_refit(config: RefitSection, *, initial: Mapping[str, float] | None = None,
              base: TBParameters | None = None) -> RefitResult:
    """Refit ``config.base`` (name or path) to the targets; raises :class:`RefitError` on failure.

    ``initial`` (optional, eV): starting values of some free parameters instead of the base
    values (continuation from a neighbouring refit); targets and the regularisation still refer
    to the base. ``base`` (optional): the already loaded base set, which must be ``config.base``.
    """
    if base is None:
        base = load_tb_parameters(config.base)
    base_obs = observables(base)
    start = base.with_values(config.fixed, name=config.name, shells=_shells(config.enable_shells))
    if initial:
        unknown = sorted(set(initial) - set(config.free))
        if unknown:
            raise RefitError(f"start value given for {', '.join(unknown)}, which is not a free parameter")
        start = start.with_values(initial)
    start_values = start.values()
    paths = list(config.free)
    for path in paths:
        if path not in start_values:
            raise RefitError(f"free parameter {path!r} is not a parameter of the set "
                             f"(enable its shell or check the name)")
    x0 = np.array([start_values[p] for p in paths])
    lo = np.array([config.free[p][0] for p in paths])
    hi = np.array([config.free[p][1] for p in paths])
    if np.any(x0 < lo) or np.any(x0 > hi):
        bad = [p for p, x, a, b in zip(paths, x0, lo, hi) if not a <= x <= b]
        raise RefitError(f"starting value outside its bounds for {', '.join(bad)}")
    names = list(config.targets)
    target = np.array([config.targets[n].value if config.targets[n].value is not None else base_obs[n] for n in names])
    tol = np.array([config.targets[n].tolerance or config.targets[n].tolerance_rel * abs(t)
                    for n, t in zip(names, target)])
    reference = np.array([base.values().get(p, 0.0) for p in paths])
    counter = {"n": 0}

    def trial(x: np.ndarray) -> TBParameters:
        return start.with_values(dict(zip(paths, x)))

    def residuals(x: np.ndarray) -> np.ndarray:
        counter["n"] += 1
        obs = observables(trial(x))
        misfit = (np.array([obs[n] for n in names]) - target) / tol
        return np.concatenate([misfit, np.sqrt(config.regularization) * (x - reference)])

    try:
        fit = least_squares(residuals, x0, bounds=(lo, hi), x_scale=np.maximum(np.abs(x0), 0.1),
                            xtol=1e-8, ftol=1e-8, gtol=1e-8, max_nfev=200)
    except (LandegError, np.linalg.LinAlgError) as exc:  # e.g. a band crossing met during the search
        raise RefitError(f"refit of {config.base!r} failed during the search: {exc}") from exc
    params = trial(fit.x)
    obs = observables(params)
    rows = {n: {"target": float(t), "tolerance": float(e), "value": obs[n], "residual": float((obs[n] - t) / e)}
            for n, t, e in zip(names, target, tol)}
    changes = {p: {"base": float(base.values().get(p, np.nan)), "start": float(s), "fitted": float(f)}
               for p, s, f in zip(paths, x0, fit.x)}
    success = bool(all(abs(r["residual"]) <= 1 for r in rows.values()))
    params = params.with_values({}, name=config.name)
    record = {"base": config.base, "base_sha256": base.sha256, "success": success,
              **{f"target_{n}": r["target"] for n, r in rows.items()},
              **{f"refit_{n}": r["value"] for n, r in rows.items()},
              **{f"tolerance_{n}": r["tolerance"] for n, r in rows.items()}}
    params = _with_record(params, config, record)
    result = RefitResult(params, rows, changes, dict(config.fixed), success, float(fit.cost), counter["n"])
    if not success:
        raise RefitError(f"refit {config.name!r} missed its targets:\n{result.table()}", result)
    return result


def _with_record(params: TBParameters, config: RefitSection, record: dict) -> TBParameters:
    from dataclasses import replace

    description = config.description or f"This project's refit of {config.base}"
    return replace(params, description=description + " (this project's refit; targets and residuals in [meta.refit])",
                   meta_extra={"refit": record})


def write_refit(result: RefitResult, path: str | Path, config_path: str | Path | None = None) -> Path:
    """Write the refitted set in the bundled parameter-file format (atomically)."""
    from comparisons.io import atomic_write_text

    header = (f"# This project's refit ({result.params.name}), written by `landeg refit`"
              + (f" from {config_path}" if config_path else "") + ".\n"
              "# Fitted or set values carry source = \"landeg\"; untouched values keep their original source.\n"
              "#\n# " + result.table().replace("\n", "\n# ") + "\n")
    notes = {p: "set by this project, held fixed during the refit" for p in result.fixed}
    notes.update({p: f"fitted by this project's refit (start {c['start']:.4f})" for p, c in result.changes.items()})
    return atomic_write_text(path, to_toml(result.params, header=header, notes=notes))
