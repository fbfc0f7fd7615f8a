"""Ensembles of randomly oriented, shape-distributed NCs (comparisons/sweeps/ensemble.py, confinement/gtensor.py).

Physics checks on a synthetic training set whose shape terms are known exactly (linear cube curve,
δg_ii = α(x) q_i + β(x) Σq²): the fit recovers them, a cube-only ensemble has no orientation spread,
a small aspect spread gives the first-order orientation spread (2/15) α² Σq², the laser window
gives |dg/dE| × its σ, and the T2*(B) analysis reads a Lorentzian spread back as its half-width. Then
the config checks, the cache compatibility with `landeg run`, and one small end-to-end run
(tight-binding NCs of ≤ 4 Pb per edge).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from comparisons.cli import main
from comparisons.sweeps.config import load_config
from comparisons.sweeps.ensemble import (
    ShapeModel,
    TrainingSet,
    aspect,
    gaussian_t2_factor,
    measured_spreads,
    reuse_points,
    run_ensemble,
    sample_ensemble,
    simulated_dephasing,
    training_run_config,
)
from comparisons.sweeps.ensemble_config import EnsembleConfig
from comparisons.sweeps.size_series import size_series_config
from comparisons.sweeps.sweep import plan
from confinement.errors import ConfigError
from confinement.gtensor import larmor_g, mean_square_larmor_g, sphere_directions

A_NM, EG, OFFSET = 0.63, 1.65, 1.0
#: Synthetic truth: E_cube = Eg + 0.3 K, g_cube linear in E; shape terms α = a1 x + a2 x², β = b1 x.
SLOPE = {"e": -2.0, "h": 1.5}
G_BULK = {"e": 3.2, "h": -0.3}
ALPHA = {"e": (0.5, -0.3), "h": (-0.8, 0.4)}
BETA = {"e": 0.2, "h": -0.1}
FIELDS = (0.09, 0.15, 0.2, 0.25, 0.3, 0.35, 0.42)


def _confinement(n_pb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    inv = 1.0 / ((np.asarray(n_pb, float) + OFFSET) * A_NM) ** 2
    return np.pi**2 * inv.sum(axis=-1), aspect(inv)


def _truth(carrier: str, E: np.ndarray, q: np.ndarray) -> np.ndarray:
    x = E - EG
    a1, a2 = ALPHA[carrier]
    cube = G_BULK[carrier] + SLOPE[carrier] * x
    return cube[:, None] + (a1 * x + a2 * x**2)[:, None] * q + (BETA[carrier] * x * np.sum(q**2, axis=1))[:, None]


@pytest.fixture(scope="module")
def synthetic() -> TrainingSet:
    cubes = np.arange(4, 21, dtype=float)
    boxes = np.array([[4, 4, 5], [4, 4, 6], [5, 5, 7], [6, 6, 9], [6, 6, 4], [7, 7, 5], [4, 5, 6], [5, 6, 8],
                      [8, 8, 6], [7, 8, 9]], float)
    K_cube, _ = _confinement(np.repeat(cubes[:, None], 3, 1))
    K_box, q_box = _confinement(boxes)
    E_cube, E_box = EG + 0.3 * K_cube, EG + 0.3 * K_box
    order = np.argsort(E_cube)
    return TrainingSet(cube_n=cubes[order], cube_E=E_cube[order],
                       cube_g={c: G_BULK[c] + SLOPE[c] * (E_cube[order] - EG) for c in "eh"},
                       box_n=boxes, box_E=E_box, box_g={c: _truth(c, E_box, q_box) for c in "eh"}, faceted=[],
                       bulk={"Eg": EG, "g_e": G_BULK["e"], "g_h": G_BULK["h"]}, a=A_NM, params="synthetic")


@pytest.fixture(scope="module")
def model(synthetic) -> ShapeModel:
    return ShapeModel.from_training(synthetic, form="vanishing", degree=2, edge_offset=OFFSET)


def test_fibonacci_directions_average_the_larmor_g(rng):
    # Fails if the direction set is not uniform: ⟨|gᵀn|²⟩ must equal tr(g gᵀ)/3 for any tensor.
    g = rng.standard_normal((5, 3, 3))
    n = sphere_directions(256)
    assert np.allclose(np.linalg.norm(n, axis=1), 1.0) and np.all(n[:, 2] > 0)
    np.testing.assert_allclose(np.mean(larmor_g(g, n) ** 2, axis=-1), mean_square_larmor_g(g), rtol=5e-4)
    diag = rng.standard_normal((4, 3))
    np.testing.assert_allclose(larmor_g(diag, n), larmor_g(np.einsum("ki,ij->kij", diag, np.eye(3)), n), atol=1e-14)


def test_shape_model_recovers_known_shape_terms(model):
    # Fails if the least-squares shape model does not reproduce exactly representable data: energies
    # on the cube curve in K (no shape shift), α(x) = a1 x + a2 x², β = b1 x.
    for c in "eh":
        np.testing.assert_allclose(model.g_coef[c], [*ALPHA[c], BETA[c], 0.0], atol=1e-9)
        assert model.fit[c]["rms"] < 1e-10 and model.fit[c]["leave_one_out_max"] < 1e-9
    np.testing.assert_allclose(model.e_coef, 0.0, atol=1e-10)
    assert model.anisotropy_coefficient("e", 0.0) == 0.0                  # the vanishing form


def test_cube_only_ensemble_has_no_orientation_spread(model):
    # Fails if cubes (σ_a = 0) precess with any orientation dependence, or if, with a zero-width laser,
    # the ensemble has any spread at all (and the T2*(B) reading is not zero).
    dists = sample_ensemble(model, 2.0, 0.0, window_meV=0.0, n_shapes=50, n_directions=64)
    for c, dist in dists.items():
        assert dist.std_orientation < 1e-12 and dist.std < 1e-12
        assert dist.mean == pytest.approx(abs(G_BULK[c] + SLOPE[c] * 0.35), abs=1e-12)
        result = simulated_dephasing(*dist.flat(), FIELDS, carrier=c)
        assert abs(result.fit.delta_g) < 1e-6 and result.fit.t2_0_ps == pytest.approx(230.0, rel=1e-6)


def test_small_aspect_spread_gives_the_first_order_orientation_spread(model):
    # Fails if the orientation spread of nearly cubic NCs differs from first order, Var_n = (2/15) α² Σq²
    # (the traceless part α q of the tensor averaged over the sphere), averaged over the shapes.
    energy = 2.0
    dists = sample_ensemble(model, energy, 0.02, window_meV=0.0, n_shapes=2000, n_directions=256)
    for c, dist in dists.items():
        alpha = float(model.anisotropy_coefficient(c, energy - EG))
        # the sampled shapes: q of the effective edges exp(η), η as in sample_ensemble
        from comparisons.sweeps.ensemble import sample_shapes

        eta, _ = sample_shapes(0.02, 2000, 20251121)
        q2 = np.sum(aspect(np.exp(-2 * eta)) ** 2, axis=1)
        expected = np.sqrt(2 / 15 * alpha**2 * np.mean(q2))
        assert dist.std_orientation == pytest.approx(expected, rel=0.03)


def test_laser_window_gives_the_energy_slope_times_its_width(model):
    # Fails if the selected energies do not follow the laser line: cubes at E ± δE spread by
    # |dg/dE| · FWHM/2.355 (Gaussian line), and the mean stays at g_cube(E).
    width_meV = 20.0
    dists = sample_ensemble(model, 2.0, 0.0, window_meV=width_meV, n_shapes=4000, n_directions=8)
    for c, dist in dists.items():
        assert dist.std_orientation < 1e-12
        assert dist.std_shape == pytest.approx(abs(SLOPE[c]) * width_meV * 1e-3 / 2.3548, rel=0.04)


def test_t2_analysis_reads_a_lorentzian_as_its_half_width():
    # Fails if eqns (2)-(3) applied to simulated traces do not return Δg = Γ for a Lorentzian spread
    # (exactly exponential dephasing, linear in B), or if a Gaussian is not read as less than its σ.
    n = 20001
    u = (np.arange(n) + 0.5) / n
    for gamma in (0.05, 0.22):
        values = 1.4 + gamma * np.tan(np.pi * (u - 0.5))
        keep = np.abs(values - 1.4) < 60 * gamma                      # the far tails leave the trace window
        result = simulated_dephasing(values[keep], np.full(keep.sum(), 1.0 / n), FIELDS)
        assert result.fit.delta_g == pytest.approx(gamma, rel=0.01)
    assert 0.7 < gaussian_t2_factor(0.2) < 0.9 and gaussian_t2_factor(0.01) < 0.2


def test_energies_outside_the_cube_curve_select_nothing(model):
    # Fails if a laser energy outside the cube curve is accepted, or if the part of a broad line below
    # the bulk gap (where no NC absorbs) is not left out of the ensemble.
    with pytest.raises(ConfigError, match="leaves the cube curve"):
        sample_ensemble(model, EG - 0.01, 0.1)
    with pytest.raises(ConfigError, match="leaves the cube curve"):
        sample_ensemble(model, model.cube_E[-1] + 0.01, 0.1)
    near_gap = sample_ensemble(model, EG + 0.02, 0.0, window_meV=60.0, n_shapes=2000, n_directions=8)["e"]
    assert np.all(near_gap.values[near_gap.weights > 0] < G_BULK["e"])          # only E > Eg selected
    assert 0.5 < np.mean(near_gap.weights > 0) < 0.95


def _config(tmp_path, **changes) -> str:
    text = f"""
[training]
cubes = [2, 3, 4]
cuboids = [[2, 2, 3], [3, 3, 2], [2, 3, 4], [3, 3, 4]]
[distribution]
aspect_sigma = [0.0, 0.2]
n_shapes = 40
n_directions = 16
[selection]
energies_eV = [2.6, 2.9]
[dephasing]
fields_T = [0.1, 0.25, 0.42]
[[samples]]
sample = "#4"
[output]
dir = "{tmp_path / 'out'}"
formats = ["png"]
"""
    for old, new in changes.items():
        text = text.replace(old, new)
    path = tmp_path / "ensemble.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("change, message", [
    ({"[3, 3, 4]]": "[3, 3]]"}, "three edges"),
    ({"[3, 3, 4]]": "[3, 3, 3]]"}, "is a cube"),
    ({"[0.0, 0.2]": "[-0.1]"}, "aspect_sigma must be >= 0"),
    ({"[0.1, 0.25, 0.42]": "[0.1]"}, "fields_T"),
    ({"n_shapes = 40": "n_shape = 40"}, "unknown key"),
])
def test_bad_configs_are_refused_by_key(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_config(tmp_path, **change), EnsembleConfig)


def test_samples_take_their_spreads_from_the_data_table(tmp_path):
    # Fails if #4's Δg_e (0.22 at 1.911 eV) is not read from the bundled table, or if #1 (no energy in
    # the data) is accepted without an energy.
    config = load_config(_config(tmp_path), EnsembleConfig)
    (four,) = measured_spreads(config)
    assert four["energy_eV"] == 1.911 and four["delta_g_e"] == 0.22 and four["g_e"] == 1.41
    one = load_config(_config(tmp_path, **{'sample = "#4"': 'sample = "#1"'}), EnsembleConfig)
    with pytest.raises(ConfigError, match="has no energies in the data: give energy_eV"):
        measured_spreads(one)
    one = load_config(_config(tmp_path, **{'sample = "#4"': 'sample = "#1"\nenergy_eV = 1.69'}), EnsembleConfig)
    (entry,) = measured_spreads(one)
    assert (entry["delta_g_e"], entry["delta_g_h"], entry["g_e"]) == (0.25, 0.07, 2.3)


def test_training_points_share_the_cache_of_landeg_run(tmp_path):
    # Fails if a training cube hashes differently from the same cube of a `landeg run` size series
    # (then records of other runs could not be reused), or if reuse does not copy them.
    config = load_config(_config(tmp_path), EnsembleConfig)
    ours = {p.coords["n_pb"]: p for p in plan(training_run_config(config, tmp_path / "t")) if p.model_id == "cube"}
    theirs = plan(size_series_config("CsPbI3-refit-N23", [2, 3, 4], tmp_path / "s", compare=False))
    assert {p.coords["n_pb"]: p.key for p in theirs} == {n: p.key for n, p in ours.items()}
    source = tmp_path / "other" / "points"
    source.mkdir(parents=True)
    (source / f"{ours[3].key}.json").write_text(json.dumps({"E_transition": 3.0, "label": "other n_pb=3"}))
    assert reuse_points(list(ours.values()), tmp_path / "t" / "points", [str(source)]) == 1
    copied = json.loads((tmp_path / "t" / "points" / f"{ours[3].key}.json").read_text())
    assert copied["label"] == ours[3].label and copied["point"]["copied_from"].endswith(f"{ours[3].key}.json")


def test_small_end_to_end_run(tmp_path, capsys):
    # Fails if the study does not run from one config: training NCs, shape model, ensembles, T2*(B)
    # reading and every output file; cube-only ensembles must have zero orientation spread.
    config = load_config(_config(tmp_path), EnsembleConfig)
    summary = run_ensemble(config, tmp_path / "out")
    names = {p.name for p in summary.files}
    assert {"ensemble.csv", "samples.csv", "training.csv", "ensemble.json", "ensemble.md",
            "ensemble_g_vs_energy.png", "ensemble_trfe.png"} <= names
    assert len(summary.rows) == 2 * 2 * 2 * 2                    # forms × σ_a × energies × carriers
    for r in summary.rows:
        if r["aspect_sigma"] == 0.0:
            assert r["g_std_orientation"] < 1e-12
        else:
            assert r["g_std_orientation"] > 0 and np.isfinite(r["delta_g_T2"])
    assert {r["sample"] for r in summary.samples} == {"#4"}
    # the command line, second run: every training NC from the cache, the same rows
    assert main(["ensemble", _config(tmp_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["g_std"] for r in printed["samples"]] == pytest.approx([r["g_std"] for r in summary.samples])
