"""The constrained maximisation of the bound: SciPy COBYLA over the scaled search box, several
starts, every call recorded in ``history/<objective>-start<i>.json``; and the sensitivities.

Scaled coordinates u_i = (p_i − p_base,i)/scale_i (scale: |Harrison value| of an integral, 0.1 eV
for λ_X, unless the config says otherwise). COBYLA minimises −objective subject to the
admissibility margins ≥ 0 (refit residuals, direct gap, halide window, NC range, optionally the
surface weight of the band-edge states) and the box. An inadmissible point is given the base
value of the objective (no cubes are computed for it), so it neither attracts nor repels except
through its constraint margins. Starts: the base point; ``LP_PULL`` of the way to the optimum of
the linearised problem; then seeded uniform points of the box pulled towards the base. Every
evaluation goes through the cached :class:`~comparisons.search.evaluate.Evaluator`, so a rerun
replays the finished calls from the cache (COBYLA is deterministic) and continues where it stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

from confinement.io import write_json

from .config import BoundConfig
from .evaluate import BudgetExhausted, Evaluation, Evaluator

#: The linearised optimum is far outside the admissible region (the refit residuals and the halide
#: edges are strongly non-linear): the start is this fraction of the way to it.
LP_PULL = 0.25


@dataclass
class Space:
    """The scaled search box."""

    paths: list[str]
    base: np.ndarray
    scale: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @classmethod
    def from_config(cls, config: BoundConfig, evaluator: Evaluator) -> Space:
        from tightbinding.second_neighbour import harrison_value

        s = config.search
        paths = list(s.parameters)
        base = np.array([evaluator.base_values[p] for p in paths])
        scale = np.array([s.scale.get(p) or abs(harrison_value(p, evaluator.base.a) or 0.1) for p in paths])
        lo = np.array([s.parameters[p][0] for p in paths])
        hi = np.array([s.parameters[p][1] for p in paths])
        return cls(paths, base, scale, (lo - base) / scale, (hi - base) / scale)

    def values(self, u: np.ndarray) -> dict[str, float]:
        """Parameter values (eV) of scaled coordinates (clipped into the box)."""
        u = np.clip(np.asarray(u, float), self.lower, self.upper)
        return {p: float(v) for p, v in zip(self.paths, self.base + self.scale * u)}


@dataclass
class StartResult:
    """One optimiser start: where it began, its calls, its best admissible point."""

    objective: str
    index: int
    u0: list[float]
    history: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    best: dict[str, Any] | None = None


def sensitivities(evaluator: Evaluator, space: Space, step: float) -> dict[str, Any]:
    """One-sided finite differences of g at the base point: each parameter moved by ``step``
    scaled units, refitted, cubes computed (also for points outside the halide window, flagged)."""
    base = evaluator.evaluate(space.values(np.zeros(len(space.paths))), require_admissible=False)
    rows = {}
    for i, path in enumerate(space.paths):
        u = np.zeros(len(space.paths))
        u[i] = step if space.upper[i] >= step else -step
        ev = evaluator.evaluate(space.values(u), require_admissible=False)
        dp = float(space.scale[i] * u[i])
        row: dict[str, Any] = {"step_eV": dp, "key": ev.key, "refit_ok": ev.set_file is not None,
                               "admissible": ev.admissible, "constraints": ev.constraints}
        if "g_h_low" in ev.nc and "g_h_low" in base.nc:
            for q in ("g_h_low", "g_h_high", "g_e_low", "g_e_high"):
                row[f"d{q}_dp"] = (ev.nc[q] - base.nc[q]) / dp
            row["drise_dp"] = row["dg_h_high_dp"] - row["dg_h_low_dp"]
            row["drise_du"] = row["drise_dp"] * float(space.scale[i])
        else:
            row["error"] = ev.assess.get("error") or ev.nc.get("error") or "refit failed"
        rows[path] = row
    return {"base": base.row(), "step_scaled": step, "parameters": rows}


def linear_model(evaluator: Evaluator, space: Space, sens: dict[str, Any] | None, objective: str,
                 window: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The linearised problem from the sensitivity points: objective gradient g (per scaled unit),
    halide-edge Jacobian J (eV per scaled unit) and the base edges' offsets e0 − reference."""
    if sens is None:
        return None
    key = "drise_dp" if objective == "rise" else "dg_h_high_dp"
    rows = [sens["parameters"][p] for p in space.paths]
    grad = np.array([r.get(key, 0.0) * s for r, s in zip(rows, space.scale)])   # per scaled unit
    base = evaluator.memo[sens["base"]["key"]].assess["halide"]
    ref = evaluator.reference_halide
    edges = sorted(ref)
    jac = np.zeros((len(edges), len(space.paths)))
    for j, r in enumerate(rows):
        halide = evaluator.memo[r["key"]].assess.get("halide") or {}
        du = r["step_eV"] / space.scale[j]
        if halide:
            jac[:, j] = [(halide[k] - base[k]) / du for k in edges]
    offset = np.array([base[k] - ref[k] for k in edges])
    return grad, jac, offset


def _linear_feasible(u: np.ndarray, model, window: float) -> bool:
    _, jac, offset = model
    return bool(np.all(np.abs(offset + jac @ u) <= window))


def continuation_start(space: Space, previous: StartResult | None) -> np.ndarray | None:
    """The best admissible point of the previous start of the same objective (a COBYLA restart
    with a fresh trust region), or None."""
    if previous is None or previous.best is None:
        return None
    return np.array(previous.best["u"], float)


def _starts(config: BoundConfig, space: Space, sens: dict[str, Any] | None, objective: str,
            evaluator: Evaluator) -> list[np.ndarray]:
    """Start points after the base and its continuation (:func:`continuation_start`, chosen when
    the first start has run): ``LP_PULL`` of the way to the optimum of the linearised problem (objective and
    halide edges linear in u, box bounds; scipy linprog); seeded uniform points of the box scaled
    towards the base until the linearised halide constraint holds."""
    from scipy.optimize import linprog

    n = len(space.paths)
    window = config.search.halide_window
    starts = [np.zeros(n), None]     # None: the continuation of start 0, filled in by the runner
    model = linear_model(evaluator, space, sens, objective, window)
    if model is not None:
        grad, jac, offset = model
        res = linprog(-grad, A_ub=np.vstack([jac, -jac]),
                      b_ub=np.concatenate([window - offset, window + offset]),
                      bounds=list(zip(space.lower, space.upper)))
        if res.success:
            starts.append(LP_PULL * res.x)
    rng = np.random.default_rng(config.search.seed)
    while len(starts) < config.search.starts:
        u = rng.uniform(space.lower, space.upper)
        if model is not None:
            t = 1.0
            while t > 1e-3 and not _linear_feasible(t * u, model, window):
                t *= 0.7
            u = t * u
        starts.append(u)
    return starts[:config.search.starts]


def run_start(evaluator: Evaluator, space: Space, config: BoundConfig, objective: str, index: int,
              u0: np.ndarray, history_dir) -> StartResult:
    """One COBYLA run from ``u0``; the history is written after every call."""
    s = config.search
    out = StartResult(objective, index, [float(x) for x in u0])
    path = history_dir / f"{objective}-start{index}.json"
    base_value = evaluator.evaluate(space.values(np.zeros(len(space.paths)))).objective(objective)

    def call(u: np.ndarray) -> Evaluation:
        ev = evaluator.evaluate(space.values(u))
        if not out.history or out.history[-1]["key"] != ev.key or list(u) != out.history[-1]["u"]:
            value = ev.objective(objective)
            out.history.append({"call": len(out.history), "u": [float(x) for x in u], "key": ev.key,
                                "values": space.values(u), "objective": value, "admissible": ev.admissible,
                                "constraints": ev.constraints, "nc": ev.nc})
            write_json(path, _start_record(out))
        return ev

    def fun(u: np.ndarray) -> float:
        ev = call(u)
        value = ev.objective(objective)
        return -(value if ev.admissible and math.isfinite(value) else base_value)

    def cons(u: np.ndarray) -> np.ndarray:
        c = call(u).constraints
        return np.array([c.get(k, -1.0) for k in ("refit", "direct_gap", "halide")]
                        + [c.get("nc_range", 1.0), c.get("nc_interior", 1.0)])

    bounds = list(zip(space.lower, space.upper))
    try:
        res = minimize(fun, u0, method="COBYLA", bounds=bounds, constraints=[{"type": "ineq", "fun": cons}],
                       options={"rhobeg": s.rhobeg, "tol": s.rhoend, "maxiter": s.max_evaluations})
        out.message = str(res.message)
    except BudgetExhausted as exc:
        out.message = f"stopped: {exc}"
    ok = [h for h in out.history if h["admissible"] and math.isfinite(h["objective"])]
    out.best = max(ok, key=lambda h: h["objective"]) if ok else None
    write_json(path, _start_record(out))
    return out


def _start_record(out: StartResult) -> dict[str, Any]:
    return {"objective": out.objective, "start": out.index, "u0": out.u0, "message": out.message,
            "best": out.best, "calls": out.history}
