"""Numerical k·p: Table S2 anchors, Roth sum over diagonalised eigenstates, dispersion, symmetry."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from confinement.roth import roth_doublet
from kp import symbols as S
from kp.bulk import bulk_kp, closed_forms
from kp.hamiltonian import perovskite_model
from kp.materials import known_materials, material_parameters, reference_row
from kp.parameters import constants_at_gap


@pytest.mark.parametrize("material", ["CsPbI3", "CsPbBr3", "CsPbCl3"])
def test_table_S2_g_factors_from_universal_constants(material):
    # BRIEF §3: the six Table S2 g values equal K22's formulas with the universal constants to ±0.01.
    res = bulk_kp(material_parameters(material))
    ref = reference_row(material)
    assert res.g_e == pytest.approx(ref["g_e"], abs=0.01)
    assert res.g_h == pytest.approx(ref["g_h"], abs=0.01)
    assert res.g_X == pytest.approx(res.g_e + res.g_h, abs=1e-14)


def test_universal_constants_give_the_quoted_kane_energy():
    p = constants_at_gap(1.9)
    assert p.P == pytest.approx(0.68)                # 6.8 eV·Å in eV·nm
    assert p.Ep == pytest.approx(12.14, abs=0.01)     # BRIEF §3: Ep ≈ 12.14 eV


def test_remote_mass_terms_reproduce_table_masses_and_bare_masses_are_heavy():
    for material in known_materials():
        ref = reference_row(material)
        fitted = bulk_kp(material_parameters(material))
        assert fitted.m_e == pytest.approx(ref["m_e"], rel=1e-12)
        assert fitted.m_h == pytest.approx(ref["m_h"], rel=1e-12)
    bare = bulk_kp(material_parameters("CsPbI3", remote_masses=False))
    assert bare.m_e == pytest.approx(0.29, abs=0.005)   # BRIEF §3: ≈ 0.29 / 0.24 for CsPbI3
    assert bare.m_h == pytest.approx(0.25, abs=0.01)


def _random_values(rng: np.random.Generator) -> dict[str, float]:
    return {"E_g": rng.uniform(0.8, 3.5), "Delta": rng.uniform(0.3, 2.0), "P": rng.uniform(0.2, 1.0),
            "g_0": rng.uniform(1.9, 2.1), "gamma_v": rng.normal(), "gamma_c": rng.normal(),
            "Delta_g_e": rng.normal(), "Delta_g_h": rng.normal()}


def _curvature(model, values):
    subs = {p: {**S.CONSTANT_VALUES, **values}[p.name] for p in model.parameters}
    return np.array([[np.array(model.coefficients[(a, b)].subs(subs).evalf(), dtype=complex)
                      for b in range(3)] for a in range(3)])


@pytest.mark.parametrize("seed", range(5))
def test_numerical_roth_sum_matches_symbolic_result(seed):
    # Independent route: diagonalise the lambdified 8×8 H(0), take ∂H/∂k from the lambdified H,
    # sum over eigenstates (Roth) and compare with the symbolic elimination to 1e-10.
    rng = np.random.default_rng(seed)
    model = perovskite_model()
    values = _random_values(rng)
    num = model.numeric(values)
    energies, states = np.linalg.eigh(num.hamiltonian(np.zeros(3)))
    velocity = num.velocity(np.zeros(3))
    curvature = _curvature(model, values)
    forms = closed_forms()
    subs = {p: {**S.CONSTANT_VALUES, **values}[p.name] for p in model.parameters}
    for doublet, g_key, m_key in (((0, 1), "g_h", "inv_m_v"), ((2, 3), "g_e", "inv_m_e")):
        r = roth_doublet(energies, states, doublet, velocity, num.zeeman, num.angular_momentum,
                         curvature=curvature)
        g_symbolic = float(forms[g_key].subs(subs))
        m_symbolic = float(forms[m_key].subs(subs))
        np.testing.assert_allclose(r.g.tensor, g_symbolic * np.eye(3), atol=1e-10)
        np.testing.assert_allclose(r.inverse_mass, m_symbolic * np.eye(3), atol=1e-10)
        assert r.g.handedness == 1


def test_dispersion_curvature_matches_elimination_masses(rng):
    # Finite differences of numerically diagonalised E(k) along random directions give the masses
    # of the elimination (cubic isotropy of the band edges at second order).
    params = material_parameters("CsPbI3")
    model = perovskite_model()
    num = model.numeric(params.symbol_values())
    res = bulk_kp(params)
    h = 2e-3  # 1/nm: far inside the parabolic region (k² terms ~ meV)
    for _ in range(3):
        n = rng.normal(size=3)
        n /= np.linalg.norm(n)
        e = [np.linalg.eigvalsh(num.hamiltonian(s * h * n)) for s in (-1, 0, 1)]
        d2 = (e[0] - 2 * e[1] + e[2]) / h**2               # ∂²E/∂k² = ħ²/m*
        assert S.CONSTANT_VALUES["hbar^2/m_0"] / d2[2] == pytest.approx(res.m_e, rel=1e-4)
        assert -S.CONSTANT_VALUES["hbar^2/m_0"] / d2[0] == pytest.approx(res.m_h, rel=1e-4)


def test_kramers_degeneracy_at_random_k(rng):
    # Inversion × time reversal: every level of H(k) is doubly degenerate at any k.
    num = perovskite_model().numeric(material_parameters("CsPbBr3").symbol_values())
    for _ in range(5):
        e = np.linalg.eigvalsh(num.hamiltonian(rng.normal(size=3)))
        np.testing.assert_allclose(e[0::2], e[1::2], atol=1e-10)


def test_delta_g_e_shifts_only_the_electron():
    base = constants_at_gap(2.0)
    shifted = bulk_kp(replace(base, delta_g_e=base.delta_g_e + 0.37))
    ref = bulk_kp(base)
    assert shifted.g_e - ref.g_e == pytest.approx(0.37, abs=1e-12)
    assert shifted.g_h == pytest.approx(ref.g_h, abs=1e-12)


def test_gap_grid_is_vectorised_and_equals_pointwise():
    params = constants_at_gap(1.5)
    grid = np.array([1.5, 2.0, 2.7])
    curve = bulk_kp(params, grid)
    for i, eg in enumerate(grid):
        point = bulk_kp(params.with_gap(eg))
        assert curve.g_e[i] == pytest.approx(point.g_e, abs=1e-13)
        assert curve.m_h[i] == pytest.approx(point.m_h, abs=1e-13)
