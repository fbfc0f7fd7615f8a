"""``landeg bound``: sensitivities, the optimiser starts, the ensemble check, the summary.

Output directory (``[output] dir``)::

    assess/ refits/ points/     the caches of :mod:`.evaluate`
    history/                    one JSON per optimiser start (every call, in order)
    sensitivities.json          dg/dp at the base point
    summary.json, summary.md    the bound per objective, the parameters reaching it, their
                                Harrison ratios, g_e and g_X there, the ensemble comparison
    bound_g_vs_energy.<fmt>     g_h and g_e against E: base, best admissible, measured
    sensitivities.<fmt>         bar figure of dg_h/dp
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from confinement.io import write_json

from .config import BoundConfig
from .evaluate import BudgetExhausted, Evaluator
from .optimise import Space, continuation_start, run_start, sensitivities


def run_bound(config: BoundConfig, out_dir: str | Path | None = None, *, log: Callable[[str], None] | None = None,
              config_path: str | Path | None = None) -> dict[str, Any]:
    """Run (or resume) the bound of ``config``; returns the summary (also written to summary.json)."""
    from .report import write_report

    out = Path(out_dir or config.output.dir)
    out.mkdir(parents=True, exist_ok=True)
    log = log or (lambda msg: None)
    t0 = time.time()
    deadline = t0 + 60 * config.search.max_minutes if config.search.max_minutes else None
    ev = Evaluator(config, out, log=log, deadline=deadline)
    space = Space.from_config(config, ev)
    stopped = None
    sens = None
    try:
        sens = sensitivities(ev, space, config.search.sensitivity_step)
        write_json(out / "sensitivities.json", sens)
        log("sensitivities done")
    except BudgetExhausted as exc:
        stopped = str(exc)
    starts = []
    from .optimise import _starts

    points = {o: _starts(config, space, sens, o, ev) for o in config.search.objectives} if not stopped else {}
    order = [(i, o) for i in range(config.search.starts) for o in config.search.objectives]   # interleaved
    for i, objective in order:
        if stopped or i >= len(points.get(objective, [])):
            continue
        u0 = points[objective][i]
        if u0 is None:      # restart from the best point of the previous start of this objective
            previous = next((s for s in reversed(starts) if s.objective == objective), None)
            u0 = continuation_start(space, previous)
            if u0 is None:
                continue
        log(f"{objective}: start {i} at u = {np.round(u0, 3).tolist()}")
        res = run_start(ev, space, config, objective, i, u0, _mkdir(out / "history"))
        starts.append(res)
        best = res.best["objective"] if res.best else math.nan
        log(f"{objective}: start {i} {res.message}; {len(res.history)} calls, best {best:+.4f}")
        if res.message.startswith("stopped"):
            stopped = res.message
    ev.deadline = None      # the report's cubes (optimum, figure, cuboids) are computed whatever the budget
    summary = summarise(config, ev, space, sens, starts, stopped=stopped, seconds=time.time() - t0,
                        config_path=config_path)
    try:
        summary["ensemble"] = ensemble_check(config, ev, summary)
        summary["sphere_series"] = sphere_series(config, summary)
        summary["figure_series"] = figure_series(config, ev, summary)
    except BudgetExhausted as exc:
        summary["ensemble"] = {"skipped": str(exc)}
    summary["computed"] = dict(ev.computed)
    summary["seconds"] = time.time() - t0
    write_json(out / "summary.json", summary)
    write_report(config, out, summary)
    return summary


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def summarise(config: BoundConfig, ev: Evaluator, space: Space, sens: dict | None, starts: list, *,
              stopped: str | None, seconds: float, config_path=None) -> dict[str, Any]:
    """The bound per objective over every admissible evaluation, with its parameters."""
    from tightbinding.second_neighbour import harrison_ratios

    evaluations = [e.row() for e in ev.memo.values()]
    base = ev.evaluate(space.values(np.zeros(len(space.paths))))
    out: dict[str, Any] = {
        "config": config.model_dump(mode="json"), "config_path": str(config_path) if config_path else None,
        "base_set": ev.base.name, "base_sha256": ev.base.sha256, "search_paths": space.paths,
        "scale_eV": dict(zip(space.paths, space.scale.tolist())),
        "harrison_eV": {p: _harrison(p, ev.base.a) for p in space.paths},
        "halide_reference": ev.reference_halide, "halide_window": config.search.halide_window,
        "base": base.row(), "n_evaluations": len(evaluations),
        "n_admissible": sum(e["admissible"] for e in evaluations), "stopped": stopped,
        "starts": [{"objective": s.objective, "start": s.index, "u0": s.u0, "message": s.message,
                    "calls": len(s.history), "best": s.best["objective"] if s.best else None} for s in starts],
        "objectives": {}, "search_seconds": seconds,
    }
    for objective in config.search.objectives:
        ok = [e for e in evaluations if e["admissible"] and math.isfinite(e[objective])]
        if not ok:
            continue
        best = max(ok, key=lambda e: e[objective])
        per_start = [s.best["objective"] for s in starts if s.objective == objective and s.best]
        values = {p: best["values"][p] for p in space.paths}
        out["objectives"][objective] = {
            "max": best[objective], "base": base.objective(objective),
            "gain": best[objective] - base.objective(objective),
            "key": best["key"], "values": values, "harrison_ratio": harrison_ratios(values, ev.base.a),
            "nc": best["nc"], "fitted": best["fitted"], "observables": best["observables"],
            "constraints": best["constraints"], "set_file": best["set_file"],
            "best_per_start": per_start, "start_spread": (max(per_start) - min(per_start)) if per_start else None,
        }
    # the same evaluations read with other halide windows (not re-optimised)
    relaxed = {}
    for window in (config.search.halide_window, 1.0, 2.0, math.inf):
        rows = [(e, ev.memo[e["key"]]) for e in evaluations]
        ok = []
        for row, e in rows:
            c = dict(e.constraints)
            c["halide"] = window - (config.search.halide_window - c["halide"]) if math.isfinite(window) else 1.0
            if all(v >= 0 for v in c.values()) and "g_h_low" in e.nc:
                ok.append(row)
        relaxed[str(window)] = {o: (max(r[o] for r in ok) if ok else None) for o in config.search.objectives}
        relaxed[str(window)]["n_points_with_cubes"] = len(ok)
    out["by_halide_window"] = relaxed
    out["sensitivities"] = sens
    out["evaluations"] = evaluations
    return out


def _harrison(path: str, a: float) -> float | None:
    from tightbinding.second_neighbour import harrison_value

    return harrison_value(path, a)


def compared_sets(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The sets the report compares, by label: 'base' and 'best_<objective>' (their summary
    entries: ``set_file``, ``nc``, ...)."""
    sets = {"base": summary["base"]}
    sets.update({f"best_{objective}": best for objective, best in summary["objectives"].items()})
    return sets


def ensemble_check(config: BoundConfig, ev: Evaluator, summary: dict[str, Any]) -> dict[str, Any]:
    """Cuboids, spheres and faceted cubes versus the cube at their own transition energy, for the base and the
    best set of each objective: the principal g values of each NC minus g_cube(E) (the shape spread
    of g at fixed energy that the ensemble study scales up to Δg; docs/ensembles.md)."""
    sets = {label: entry["set_file"] for label, entry in compared_sets(summary).items()}
    ens = config.ensemble
    shapes = [("cuboid", list(edges), {}) for edges in ens.cuboids]
    shapes += [("sphere", float(d), {}) for d in ens.spheres]
    shapes += [("faceted", [n, n, n], {"corner_cut": c, "edge_cut": e}) for n, c, e in ens.faceted]
    out: dict[str, Any] = {}
    for label, set_file in sets.items():
        if set_file is None or not shapes:
            continue
        rows = []
        for shape, size, facets in shapes:
            rec = ev.cube(set_file, size, shape=shape, **facets)
            e = rec["E_transition"]
            row: dict[str, Any] = {"shape": shape, "size": size, "E": e, **facets}
            for carrier in ("g_e", "g_h"):
                row[f"{carrier}_principal"] = (rec.get(f"{carrier}_principal", {}).get("principal_values")
                                               or [rec[carrier]] * 3)
            try:
                cube = ev.at_energy(set_file, e, "figure")
            except Exception as exc:   # noqa: BLE001 - out of range or solver failure: recorded
                row["error"] = str(exc)
                rows.append(row)
                continue
            for carrier in ("g_e", "g_h"):
                principal = row[f"{carrier}_principal"]
                row[f"{carrier}_cube_at_E"] = cube[carrier]
                row[f"{carrier}_shape_spread"] = float(np.ptp(principal))
                row[f"{carrier}_mean_minus_cube"] = float(np.mean(principal) - cube[carrier])
            rows.append(row)
        out[label] = rows
    return out


def sphere_series(config: BoundConfig, summary: dict[str, Any]) -> dict[str, Any]:
    """The objectives read on spheres instead of cubes: per set, g_e and g_h of the ensemble-check
    spheres interpolated linearly in E at ``e_low`` and ``e_high`` between the two spheres that
    bracket each energy (:meth:`TheoryCurve.interpolate`: never extrapolated, None where no pair
    does), the rise, and the cube's values at the same energies (the set's ``nc``) beside them."""
    from ..theory_vs_data.results import TheoryCurve

    nc = config.nc
    targets = np.array([nc.e_low, nc.e_high])
    cubes = compared_sets(summary)
    out: dict[str, Any] = {}
    for label, rows in (summary.get("ensemble") or {}).items():
        spheres = sorted((r for r in rows if r.get("shape") == "sphere"), key=lambda r: r["E"])
        if len(spheres) < 2:
            continue
        g = {carrier: np.array([float(np.mean(r[f"{carrier}_principal"])) for r in spheres])
             for carrier in ("g_e", "g_h")}
        curve = TheoryCurve("tb", label, "sphere", energy_eV=np.array([r["E"] for r in spheres]), g_e=g["g_e"],
                            g_h=g["g_h"], g_X=g["g_e"] + g["g_h"], size_nm=np.array([r["size"] for r in spheres]))
        entry: dict[str, Any] = {"diameters_nm": curve.size_nm.tolist(), "E": curve.energy_eV.tolist()}
        for carrier in ("g_e", "g_h"):
            values, inside = curve.interpolate(carrier, targets)
            for name, value, ok in zip(("low", "high"), values, inside):
                entry[f"{carrier}_{name}"] = float(value) if ok else None
        entry["rise"] = (entry["g_h_high"] - entry["g_h_low"]
                         if entry["g_h_high"] is not None and entry["g_h_low"] is not None else None)
        cube_nc = (cubes.get(label) or {}).get("nc") or {}
        entry["cube"] = {k: cube_nc.get(k) for k in ("g_e_low", "g_e_high", "g_h_low", "g_h_high")}
        if None not in (cube_nc.get("g_h_high"), cube_nc.get("g_h_low")):
            entry["cube"]["rise"] = cube_nc["g_h_high"] - cube_nc["g_h_low"]
        out[label] = entry
    return out


def figure_series(config: BoundConfig, ev: Evaluator, summary: dict[str, Any]) -> dict[str, Any]:
    """Full cube series (``[nc] figure_n_pb``) of the base and the best set of each objective."""
    sets = {label: entry["set_file"] for label, entry in compared_sets(summary).items()}
    out = {}
    for label, set_file in sets.items():
        if set_file is None:
            continue
        rows = [ev.cube(set_file, n) for n in config.nc.figure_n_pb]
        out[label] = {"n_pb": list(config.nc.figure_n_pb), "E": [r["E_transition"] for r in rows],
                      "g_e": [r["g_e"] for r in rows], "g_h": [r["g_h"] for r in rows]}
    return out
