"""The second-neighbour bound (issue 18) on its quick variant: every reported optimum is
admissible (bulk targets met, gap direct at R, halide band in its window), the objective there
is at least the base value, and an interrupted search resumes without recomputing finished
refits or cubes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from comparisons.search import evaluate as evaluate_module
from comparisons.search.config import BoundConfig
from comparisons.search.run import run_bound
from confinement.config_base import load_config
from tightbinding import second_neighbour as sn
from tightbinding.parameters import load_tb_parameters
from tightbinding.refit import observables

QUICK = Path(__file__).resolve().parents[1] / "examples" / "second_neighbour_bound_quick.toml"


def test_search_parameters_and_harrison_scaling():
    base = load_tb_parameters("CsPbI3-refit-N23")
    paths = sn.search_paths()
    assert len(paths) == 9 and paths[-1] == "spin_orbit.X.p"
    assert {p.split(".")[1] for p in paths[:-1]} == {"X-X", "Pb-Pb"}
    # Harrison: V = η ħ²/(m0 d²); X–X at a/√2 = 4.447 Å, Pb–Pb at a = 6.289 Å
    assert sn.harrison_value("hopping.X-X.p_p_sigma", base.a) == pytest.approx(2.22 * 7.61996 / 4.4470**2, rel=1e-3)
    assert sn.harrison_value("hopping.Pb-Pb.p_p_pi", base.a) == pytest.approx(-0.63 * 7.61996 / 6.289**2, rel=1e-4)
    assert sn.harrison_value("spin_orbit.X.p", base.a) is None
    # the base point is the base set: no shell enabled, λ_X unchanged
    values = sn.base_values(base)
    same = sn.with_second_neighbours(base, values)
    assert same.shells.keys() == base.shells.keys() and same.values() == base.values()
    on = sn.with_second_neighbours(base, {**values, "hopping.Pb-Pb.p_p_sigma": 0.1})
    assert "Pb-Pb" in on.shells and "X-X" not in on.shells


def _admissible_from_scratch(summary: dict, config: BoundConfig) -> None:
    """Recompute the admissibility of each reported optimum from its refitted set file."""
    base = load_tb_parameters(config.search.base)
    ref = sn.halide_band_edges(base)
    for name, best in summary["objectives"].items():
        params = load_tb_parameters(best["set_file"])
        obs = observables(params)
        for target, row in base.meta_extra["refit"]["targets"].items():
            assert abs(obs[target] - row["target"]) <= row["tolerance"] * (1 + 1e-6), (name, target)
        assert obs["direct_margin"] > 0
        edges = sn.halide_band_edges(params)
        assert max(abs(edges[k] - ref[k]) for k in ref) <= config.search.halide_window
        for path, value in best["values"].items():
            assert params.values().get(path, 0.0) == pytest.approx(value, abs=1e-12)
            lo, hi = config.search.parameters[path]
            assert lo - 1e-12 <= value <= hi + 1e-12
        assert all(c >= 0 for c in best["constraints"].values())
        assert best["max"] >= best["base"] - 1e-12
        assert math.isfinite(best["nc"]["g_e_low"]) and math.isfinite(best["nc"]["g_X_high"])


def _files(out: Path) -> dict[str, float]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for sub in ("assess", "points")
            for p in (out / sub).glob("*.json")}


def test_quick_bound_is_admissible_and_resumes(tmp_path, monkeypatch):
    config = load_config(QUICK, BoundConfig)
    out = tmp_path / "bound"

    # 1. interrupt the search after a few cubes (as Ctrl-C would)
    real = evaluate_module.evaluate_point
    calls = {"n": 0}

    def interrupted(point):
        calls["n"] += 1
        if calls["n"] > 9:
            raise KeyboardInterrupt
        return real(point)

    monkeypatch.setattr(evaluate_module, "evaluate_point", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_bound(config, out)
    monkeypatch.setattr(evaluate_module, "evaluate_point", real)
    before = _files(out)
    assert sum(k.startswith("points/") for k in before) == 9

    # 2. resume: the finished refits and cubes are read back, not recomputed
    summary = run_bound(config, out)
    after = _files(out)
    assert all(after[k] == t for k, t in before.items())
    new = set(after) - set(before)
    assert summary["computed"]["cubes"] == sum(k.startswith("points/") for k in new)
    assert summary["computed"]["refits"] == sum(k.startswith("assess/") for k in new)
    assert summary["computed"]["cached_cubes"] >= 9

    # 3. the optimum: admissible, at least the base value; history saved for every start
    assert set(summary["objectives"]) == set(config.search.objectives)
    _admissible_from_scratch(summary, config)
    for s in summary["starts"]:
        history = json.loads((out / "history" / f"{s['objective']}-start{s['start']}.json").read_text())
        assert len(history["calls"]) == s["calls"] >= 1
    assert summary["sensitivities"]["parameters"].keys() == config.search.parameters.keys()
    assert (out / "summary.md").is_file() and (out / "sensitivities.png").is_file()
    # the sphere of the ensemble check: a sphere cut about an inversion centre of the cubic lattice
    # keeps its cubic point group, so both g tensors are isotropic (1e-6). At the same transition
    # energy its g_e is the cube's to 0.02 (in the two-band picture g_e is a function of the
    # electron's confinement energy alone; 0.006 found); its g_h is not (surface termination,
    # docs/second_neighbour.md), so only the electron is asserted
    rows = summary["ensemble"]["base"]
    sphere, larger = [r for r in rows if r["shape"] == "sphere"]
    # {110} edge facets keep the cubic point group too (isotropic g); the electron's g is the cube's
    # at the same energy (0.02, as for the sphere)
    (faceted,) = [r for r in rows if r["shape"] == "faceted"]
    assert faceted["edge_cut"] == 1 and faceted["corner_cut"] == 0 and "error" not in faceted
    assert faceted["g_h_shape_spread"] < 1e-6 and abs(faceted["g_e_mean_minus_cube"]) < 0.02
    assert "error" not in sphere and 2.17 < sphere["E"] < 2.6
    assert sphere["g_e_shape_spread"] < 1e-6 and sphere["g_h_shape_spread"] < 1e-6
    assert abs(sphere["g_e_mean_minus_cube"]) < 0.02
    assert "not bracketed" in larger["error"] and np.ptp(larger["g_h_principal"]) < 1e-6   # below the cubes' E
    # spheres read at the target energies: interpolated between the two that bracket e_low, never
    # extrapolated to e_high (outside the spheres' range)
    series = summary["sphere_series"]["base"]
    e_low = config.nc.e_low
    (lo, hi) = sorted([larger, sphere], key=lambda r: r["E"])
    t = (e_low - lo["E"]) / (hi["E"] - lo["E"])
    expected = np.mean(lo["g_h_principal"]) + t * (np.mean(hi["g_h_principal"]) - np.mean(lo["g_h_principal"]))
    assert series["g_h_low"] == pytest.approx(expected, abs=1e-12)
    assert series["g_h_high"] is None and series["rise"] is None
    assert "sphere 4 nm" in (out / "summary.md").read_text()

    # 4. a rerun computes nothing
    again = run_bound(config, out)
    assert again["computed"]["refits"] == 0 and again["computed"]["cubes"] == 0
    assert again["objectives"]["rise"]["max"] == summary["objectives"]["rise"]["max"]
