"""One objective evaluation of the bound, cached: refit + admissibility, then the cube series.

Layout under the output directory::

    assess/<key>.json      refit outcome, bulk observables, halide band edges of a search point
    refits/<key>.toml      the refitted set (this project's refit; provenance in [meta.refit])
    points/<hash>.json     one NC cube each: the sweep layer's point cache (same content hash as
                           ``landeg run`` would give the cube of that set)

``key`` hashes the base set and the search values (the halide window is applied when read, so
one cache serves every window). An interrupted search resumes: finished refits and cubes are
read back, never recomputed. g at a target energy is interpolated linearly in E_transition
between the two adjacent cubes that bracket it (an adaptive size series, started at the
configured guesses and walked up or down in N); a target outside the reachable sizes is an
error, never an extrapolation.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confinement.errors import LandegError
from confinement.io import write_json
from confinement.shapes import get_shape

from ..sweeps.runner import PointCache
from ..sweeps.size_series import size_series_config
from ..sweeps.sweep import content_hash, evaluate_point, plan
from .config import BoundConfig


class BudgetExhausted(LandegError, RuntimeError):
    """The search's wall-time budget is spent; finished evaluations are cached."""


class OutOfRange(LandegError, ValueError):
    """A target energy is not bracketed by the cubes n_min..n_max (no extrapolation)."""


@dataclass
class Evaluation:
    """A search point: admissibility record and, when computed, g at the two target energies."""

    key: str
    values: dict[str, float]
    assess: dict[str, Any]
    set_file: str | None
    nc: dict[str, Any] = field(default_factory=dict)
    window: float = 0.5
    max_surface_weight: float | None = None

    @property
    def constraints(self) -> dict[str, float]:
        """Margins ≥ 0 when admissible (refit, direct gap, halide window, NC range, interior band edges)."""
        c = dict(self.assess["constraints_refit"])
        c["halide"] = halide_margin(self.assess, self.window)
        if self.nc.get("error"):
            c["nc_range"] = -1.0
        if self.max_surface_weight is not None and "surface_weight_max" in self.nc:   # interior band edges
            c["nc_interior"] = float(self.max_surface_weight - self.nc["surface_weight_max"])
        return c

    @property
    def admissible(self) -> bool:
        """Every margin ≥ 0 and the NC values exist."""
        return all(v >= 0 for v in self.constraints.values()) and "g_h_low" in self.nc

    def objective(self, name: str) -> float:
        """'rise' = g_h(E_high) − g_h(E_low); 'g_h_high' = g_h(E_high); NaN when not computed."""
        if "g_h_low" not in self.nc:
            return math.nan
        return self.nc["g_h_high"] - self.nc["g_h_low"] if name == "rise" else self.nc["g_h_high"]

    def row(self) -> dict[str, Any]:
        """Flat JSON-ready summary."""
        return {"key": self.key, "values": self.values, "admissible": self.admissible,
                "constraints": self.constraints, "rise": self.objective("rise"),
                "g_h_high": self.objective("g_h_high"), "nc": self.nc, "error": self.assess.get("error"),
                "observables": self.assess.get("observables", {}), "fitted": self.assess.get("fitted", {}),
                "set_file": self.set_file}


def halide_margin(assess: dict[str, Any], window: float) -> float:
    """window − max |halide edge − reference| (eV); −1 when the edges are missing."""
    edges, ref = assess.get("halide") or {}, assess["halide_reference"]
    if not edges:
        return -1.0
    return float(window - max(abs(edges[k] - ref[k]) for k in ref))


class Evaluator:
    """Cached evaluations of one bound config (see the module docs)."""

    def __init__(self, config: BoundConfig, out_dir: str | Path, *, log=None, deadline: float | None = None):
        from tightbinding.second_neighbour import base_values, halide_band_edges, load_base

        self.config, self.out = config, Path(out_dir)
        self.base = load_base(config.search.base)
        self.base_values = base_values(self.base)
        self.reference_halide = halide_band_edges(self.base)
        self.cache = PointCache(self.out)
        self.log = log or (lambda msg: None)
        self.deadline = deadline
        self.memo: dict[str, Evaluation] = {}
        self.computed = {"refits": 0, "cubes": 0, "cached_refits": 0, "cached_cubes": 0}
        self.guess = {"low": config.nc.guess_low, "high": config.nc.guess_high}

    # -- keys and files -------------------------------------------------------------------
    def full_values(self, values: dict[str, float]) -> dict[str, float]:
        """Every search coordinate: the base set's value where ``values`` does not set it."""
        return {p: float(values.get(p, v)) for p, v in self.base_values.items()}

    def key(self, values: dict[str, float]) -> str:
        """Content hash of base set and search values (rounded to 1e-12 eV)."""
        full = {p: round(v, 12) + 0.0 for p, v in self.full_values(values).items()}
        return content_hash({"bound": 1, "base_sha256": self.base.sha256, "values": full})[:24]

    def _check_budget(self) -> None:
        if self.deadline is not None and time.time() > self.deadline:
            raise BudgetExhausted("the search's wall-time budget (max_minutes) is spent")

    # -- stage 1: refit and admissibility --------------------------------------------------
    def assess(self, values: dict[str, float]) -> tuple[str, dict[str, Any], str | None]:
        """(key, admissibility record, refitted set file or None), cached in assess/."""
        from tightbinding.refit import write_refit
        from tightbinding.second_neighbour import assess

        key = self.key(values)
        path, set_path = self.out / "assess" / f"{key}.json", self.out / "refits" / f"{key}.toml"
        if path.is_file():
            record = json.loads(path.read_text(encoding="utf-8"))
            self.computed["cached_refits"] += 1
        else:
            self._check_budget()
            start = time.perf_counter()
            full = self.full_values(values)
            result = assess(self.base, full, name=f"{self.base.name}-2nd-{key[:8]}",
                            reference_halide=self.reference_halide, halide_window=1e9)
            record = result.summary()
            record["constraints_refit"] = {k: v for k, v in result.constraints.items() if k != "halide"}
            record["halide_reference"] = self.reference_halide
            record["seconds"] = time.perf_counter() - start
            if result.result is not None and result.error is None:
                write_refit(result.result, set_path)
            record["set_file"] = str(set_path) if set_path.is_file() else None
            write_json(path, record)
            self.computed["refits"] += 1
            self.log(f"refit {key[:8]}: {'ok' if record['set_file'] else 'FAILED'} "
                     f"({record['seconds']:.0f} s; margins {_fmt(record['constraints_refit'])}, "
                     f"halide {halide_margin(record, self.config.search.halide_window):+.3f} eV)")
        return key, record, record.get("set_file")

    # -- stage 2: cubes ----------------------------------------------------------------------
    def cube(self, set_file: str, n: int | list[int] | float, shape: str = "cube", **facets: int) -> dict[str, Any]:
        """The NC record of one cube of a set (``n`` Pb per edge), or of another shape (a cuboid or
        faceted box: ``n`` = [Nx, Ny, Nz], ``facets`` its corner_cut/edge_cut; a sphere: ``n`` =
        diameter in nm), through the sweep point cache."""
        config = size_series_config(set_file, [n] if shape == "cube" else [1], self.out, solver=self.config.nc.solver,
                                    compare=False)
        if shape != "cube":
            axis = get_shape(shape).size_axis()
            size = ",".join(map(str, n)) if axis == "n_pb" else float(n)
            model = config.models[0].model_copy(update={"shape": shape, "sweep": {axis: [size]}, **facets})
            config = config.model_copy(update={"models": [model]})
        (point,) = plan(config)
        if self.cache.has(point):
            self.computed["cached_cubes"] += 1
            return self.cache.read(point)
        self._check_budget()
        record = evaluate_point(point)
        self.cache.write(point, record)
        self.computed["cubes"] += 1
        return record

    def at_energy(self, set_file: str, energy: float, which: str) -> dict[str, Any]:
        """g_e, g_h interpolated at ``energy`` between the two adjacent cubes that bracket it."""
        nc = self.config.nc
        n = self.guess.get(which, nc.guess_low)
        seen: dict[int, dict[str, Any]] = {}

        def get(m: int) -> dict[str, Any]:
            if m not in seen:
                seen[m] = self.cube(set_file, m)
            return seen[m]

        for _ in range(nc.n_max - nc.n_min + 1):
            if n < nc.n_min or n + 1 > nc.n_max:
                break
            hi, lo = get(n), get(n + 1)       # E falls with N
            if hi["E_transition"] < energy:
                n -= 1
            elif lo["E_transition"] > energy:
                n += 1
            else:
                t = (hi["E_transition"] - energy) / (hi["E_transition"] - lo["E_transition"])
                self.guess[which] = n
                out = {"n_pb": [n, n + 1], "E": [hi["E_transition"], lo["E_transition"]]}
                for g in ("g_e", "g_h"):
                    out[g] = float(hi[g] + t * (lo[g] - hi[g]))
                out["surface_weight_max"] = float(max(r.get(k) or 0.0 for r in (hi, lo)
                                                      for k in ("surface_weight_cb", "surface_weight_vb")))
                return out
        reach = {m: round(r["E_transition"], 4) for m, r in sorted(seen.items())}
        raise OutOfRange(f"E = {energy} eV is not bracketed by cubes N = {nc.n_min}..{nc.n_max} (reached {reach})")

    def nc_values(self, set_file: str) -> dict[str, Any]:
        """g_e, g_h, g_X at the two target energies (or the reason they are out of range)."""
        nc = self.config.nc
        try:
            low, high = self.at_energy(set_file, nc.e_low, "low"), self.at_energy(set_file, nc.e_high, "high")
        except OutOfRange as exc:
            return {"error": str(exc)}
        return {"g_h_low": low["g_h"], "g_h_high": high["g_h"], "g_e_low": low["g_e"], "g_e_high": high["g_e"],
                "g_X_low": low["g_e"] + low["g_h"], "g_X_high": high["g_e"] + high["g_h"],
                "n_pb_low": low["n_pb"], "n_pb_high": high["n_pb"],
                "surface_weight_max": max(low["surface_weight_max"], high["surface_weight_max"])}

    # -- both stages ------------------------------------------------------------------------
    def evaluate(self, values: dict[str, float], *, require_admissible: bool = True,
                 window: float | None = None) -> Evaluation:
        """The evaluation of a search point; cubes only for admissible points unless
        ``require_admissible`` is False (then for every successful refit: the sensitivities)."""
        window = self.config.search.halide_window if window is None else window
        known = self.memo.get(self.key(values))
        if known is not None and known.window == window and (known.nc or require_admissible):
            return known
        key, record, set_file = self.assess(values)
        ev = Evaluation(key, self.full_values(values), record, set_file, window=window,
                        max_surface_weight=self.config.nc.max_surface_weight)
        if set_file and (not require_admissible or all(v >= 0 for v in ev.constraints.values())):
            ev.nc = self.nc_values(set_file)
        self.memo[key] = ev
        return ev


def _fmt(c: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:+.3f}" for k, v in c.items())
