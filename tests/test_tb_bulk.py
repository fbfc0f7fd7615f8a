"""Bulk tight binding: published gaps, symmetries, pybinding agreement, Roth g against k·p."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from confinement.units import HBAR2_OVER_M0
from kp.bulk import bulk_kp
from kp.parameters import KaneParameters
from tightbinding.bulk import bulk_tb, doublet_at
from tightbinding.crystal import Crystal
from tightbinding.lattice import periodic_model, pybinding_bloch
from tightbinding.parameters import TBParameters, load_tb_parameters, registered_sets


@pytest.fixture(scope="module")
def exp_crystal() -> Crystal:
    return Crystal(load_tb_parameters("CsPbI3-N21-exp"))


@pytest.fixture(scope="module")
def exp_bulk(exp_crystal):
    return bulk_tb(exp_crystal)


def test_experiment_corrected_set_reproduces_published_gaps(exp_bulk):
    # N21: 1.65 eV at R and 2.75 eV at M; BRIEF §5: 1.650 / 2.755 and Δ = 1.460 eV with this set.
    assert exp_bulk.Eg == pytest.approx(1.650, abs=0.003)
    assert exp_bulk.Eg_M == pytest.approx(2.755, abs=0.003)
    assert exp_bulk.Delta == pytest.approx(1.460, abs=0.003)
    assert exp_bulk.E_vbm == pytest.approx(0.0, abs=0.003)     # energy zero at the VBM (N21)


def test_dft_set_gap():
    assert bulk_tb(Crystal(load_tb_parameters("CsPbI3-N21-dft"))).Eg == pytest.approx(1.017, abs=0.003)


def _cubic_operations():
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3))
            m[range(3), perm] = signs
            yield m


def test_cubic_symmetry_kramers_and_hermiticity(exp_crystal, rng):
    # E(k) is invariant under the 48 operations of O_h; every level is doubly degenerate
    # (inversion × time reversal); H(k) is Hermitian.
    for _ in range(3):
        k = rng.normal(size=3) * 4
        h = exp_crystal.hamiltonian(k)[0]
        np.testing.assert_allclose(h, h.conj().T, atol=1e-13)
        e = np.linalg.eigvalsh(h)
        np.testing.assert_allclose(e[0::2], e[1::2], atol=1e-9)
        images = np.array([op @ k for op in _cubic_operations()])
        np.testing.assert_allclose(exp_crystal.bands(images), np.tile(e, (48, 1)), atol=1e-9)


def test_pybinding_lattice_equals_engine(exp_crystal, rng):
    model = periodic_model(exp_crystal)
    assert model.hamiltonian.dtype == np.complex128           # double precision forced
    for _ in range(4):
        k = rng.normal(size=3) * 5
        np.testing.assert_allclose(pybinding_bloch(model, exp_crystal, k), exp_crystal.hamiltonian(k)[0], atol=1e-12)


def test_velocity_and_curvature_are_derivatives_of_H(exp_crystal, rng):
    k, h = rng.normal(size=3), 1e-5
    v = exp_crystal.velocity(k)[0]
    c = exp_crystal.curvature(k)[0]
    for a in range(3):
        dk = np.eye(3)[a] * h
        fd = (exp_crystal.hamiltonian(k + dk)[0] - exp_crystal.hamiltonian(k - dk)[0]) / (2 * h)
        np.testing.assert_allclose(v[a], fd, atol=1e-7)
        fd2 = (exp_crystal.velocity(k + dk)[0] - exp_crystal.velocity(k - dk)[0]) / (2 * h)
        np.testing.assert_allclose(2 * c[a], fd2, atol=1e-7)


def test_roth_masses_equal_band_curvature(exp_crystal, exp_bulk):
    nv = exp_crystal.params.valence_bands
    r = exp_crystal.high_symmetry_point("R")
    h = 5e-3   # 1/nm
    for direction in (np.array([1.0, 0, 0]), np.array([1.0, 1, 1]) / np.sqrt(3)):
        e = exp_crystal.bands(r + np.multiply.outer([-h, 0, h], direction))
        d2 = (e[0] - 2 * e[1] + e[2]) / h**2
        assert HBAR2_OVER_M0 / d2[nv] == pytest.approx(exp_bulk.m_e, rel=1e-3)
        assert -HBAR2_OVER_M0 / d2[nv - 1] == pytest.approx(exp_bulk.m_h, rel=1e-3)


def test_g_is_isotropic_and_decomposes(exp_bulk):
    for d in (exp_bulk.electron, exp_bulk.hole):
        assert d.g.anisotropy < 1e-10
        assert sum(d.parts.values()) == pytest.approx(d.g.g, abs=1e-10)
    # Spin part of the J=1/2 electron ≈ −g0/3 (pure Pb-p J=1/2 would give exactly −g0/3 = −0.667).
    assert exp_bulk.electron.parts["spin"] == pytest.approx(-0.667, abs=0.02)


def test_onsite_angular_momentum_matters(exp_bulk):
    # BRIEF §6: leaving out L^atom is a known error that changes g_e by more than 1.
    assert abs(exp_bulk.electron.parts["on-site L"]) > 1.0


def _minimal_sp_model(v_ss=-0.4, v_sp=0.9, v_pps=1.1, v_ppi=-0.3, e_s=-1.0, e_p=5.0, lam=0.4):
    """Simple-cubic s–p model (Pb–Pb shell only) with spectator X s levels far away and decoupled."""
    return TBParameters(
        name="minimal-sp", material="test", description="minimal s-p model", a=0.6, valence_bands=8,
        orbitals={"Pb": ("s", "p"), "X": ("s",)}, shells={"Pb-Pb": (("s", "p"), ("s", "p"))},
        onsite={"Pb": {"s": e_s, "p": e_p}, "X": {"s": -60.0}}, spin_orbit={"Pb": {"p": lam}},
        hopping={"Pb-Pb": {"s_s_sigma": v_ss, "s_p_sigma": v_sp, "p_p_sigma": v_pps, "p_p_pi": v_ppi}})


@pytest.mark.parametrize("point", ["G", "R"])
def test_minimal_sp_model_equals_kp_formula(point):
    # At Γ and R the simple-cubic s–p model is exactly the eight-band Kane model: P = 2a V_spσ,
    # Δ = 3λ, no remote bands. The TB Roth g_h must equal the k·p formula; g_e equals it with
    # Δg_e = 4/3, the on-site L of the J=1/2 doublet ((3/4)Δg_e B·L = B·L). Masses: the k² terms
    # of the hopping play the remote-mass terms (no free-electron term in TB).
    p = _minimal_sp_model()
    crystal = Crystal(p)
    k = crystal.high_symmetry_point(point)
    sign = 1 if point == "G" else -1
    e_s = p.onsite["Pb"]["s"] + sign * 6 * p.hopping["Pb-Pb"]["s_s_sigma"]
    e_p = p.onsite["Pb"]["p"] + sign * 2 * (p.hopping["Pb-Pb"]["p_p_sigma"] + 2 * p.hopping["Pb-Pb"]["p_p_pi"])
    lam, hop = p.spin_orbit["Pb"]["p"], p.hopping["Pb-Pb"]
    to_gamma = -sign * p.a**2 / (HBAR2_OVER_M0 / 2)     # k² coefficient of 2V cos(k a) around Γ (+) or R (−)
    kane = KaneParameters(
        Eg=e_p - 2 * lam - e_s, Delta=3 * lam, P=2 * p.a * abs(hop["s_p_sigma"]), delta_g_e=4 / 3,
        g0=crystal.g0, free_electron=False, gamma_v=to_gamma * hop["s_s_sigma"],
        gamma_c=to_gamma * (hop["p_p_sigma"] + 2 * hop["p_p_pi"]) / 3)
    ref = bulk_kp(kane)
    hole, _ = doublet_at(crystal, k, 6)
    elec, _ = doublet_at(crystal, k, 8)
    assert elec.energy - hole.energy == pytest.approx(kane.Eg, abs=1e-12)
    np.testing.assert_allclose(hole.g.tensor, ref.g_h * np.eye(3), atol=1e-10)
    np.testing.assert_allclose(elec.g.tensor, ref.g_e * np.eye(3), atol=1e-10)
    assert -1 / np.mean(np.diag(hole.inverse_mass)) == pytest.approx(ref.m_h, rel=1e-10)
    assert 1 / np.mean(np.diag(elec.inverse_mass)) == pytest.approx(ref.m_e, rel=1e-10)


@pytest.mark.parametrize("name", sorted(registered_sets()))
def test_every_registered_set_has_a_direct_gap_at_R(name):
    crystal = Crystal(load_tb_parameters(name))
    res = bulk_tb(crystal)
    assert res.Eg > 0.3
    grid = np.linspace(-1, 1, 5) * np.pi / crystal.a
    k = np.array(list(itertools.product(grid, repeat=3)))
    e = crystal.bands(k)
    nv = crystal.params.valence_bands
    assert e[:, nv - 1].max() <= res.E_vbm + 1e-9            # VBM at R
    assert e[:, nv].min() >= res.E_vbm + res.Eg - 1e-9        # CBM at R
