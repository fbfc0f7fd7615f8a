"""Symbolic k·p: the elimination reproduces K22 Eqs. 5-6, the zincblende Roth formula and limits."""

from __future__ import annotations

import sympy as sp

from kp import symbols as S
from kp.elimination import second_order_doublet
from kp.hamiltonian import Delta, Eg, P, dg_e, dg_h, g0, gamma_c, gamma_v, perovskite_model, zincblende_model

H2M = S.hbar2_over_m0
P2_OVER_M0 = P**2 / H2M          # p²/m0 with P = ħp/m0
EP = 2 * P2_OVER_M0              # Kane energy


def _zero(expr: sp.Expr) -> bool:
    return sp.simplify(expr) == 0


def test_kinetic_commutator_is_derived_and_gauge_independent():
    # [K_x, K_y] = −i (e/ħ) B_z for an electron; the same in the symmetric and a Landau gauge.
    bx, by, bz = S.B
    y = S.r[1]
    expected = {(0, 1): -sp.I * S.e_over_hbar * bz, (1, 2): -sp.I * S.e_over_hbar * bx,
                (2, 0): -sp.I * S.e_over_hbar * by}
    for (a, b), value in expected.items():
        assert _zero(S.kinetic_commutator(a, b) - value)
        assert _zero(S.kinetic_commutator(b, a) + value)
    # A Landau gauge for B = B_z ẑ only: A = (−B_z y, 0, 0).
    landau_z = (-bz * y, sp.Integer(0), sp.Integer(0))
    assert _zero(S.kinetic_commutator(0, 1, landau_z) - expected[(0, 1)])


def test_perovskite_g_factors_reduce_to_K22_eqs_5_and_6():
    model = perovskite_model()
    g_e = second_order_doublet(model, Eg).g
    g_h = second_order_doublet(model, 0).g
    k22_g_h = 2 - sp.Rational(4, 3) * P2_OVER_M0 * (1 / Eg - 1 / (Eg + Delta))
    k22_g_e = -sp.Rational(2, 3) + sp.Rational(4, 3) * P2_OVER_M0 / Eg + dg_e
    assert _zero(g_h.subs({g0: 2, dg_h: 0}) - k22_g_h)
    assert _zero(g_e.subs({g0: 2}) - k22_g_e)
    # The spin part of J=1/2 is −g0/3 (⟨σ_z⟩ = −1/3 for ⇑): P → 0 leaves only spin and remote terms.
    assert _zero(g_e.subs(P, 0) - (-g0 / 3 + dg_e))
    assert _zero(g_h.subs(P, 0) - (g0 + dg_h))


def test_zincblende_ordering_gives_textbook_roth_formula():
    model = zincblende_model()
    g_c = second_order_doublet(model, Eg).g
    textbook = 2 - sp.Rational(2, 3) * EP * Delta / (Eg * (Eg + Delta))
    assert _zero(g_c.subs(g0, 2) - textbook)
    # Textbook conduction mass m0/m = 1 + (Ep/3)[2/Eg + 1/(Eg + Δ)].
    inv_m = second_order_doublet(model, Eg).inverse_mass_isotropic
    assert _zero(inv_m - (1 + EP / 3 * (2 / Eg + 1 / (Eg + Delta))))


def test_limits_and_exciton_compensation():
    model = perovskite_model()
    g_e = second_order_doublet(model, Eg).g.subs({g0: 2, dg_h: 0})
    g_h = second_order_doublet(model, 0).g.subs({g0: 2, dg_h: 0})
    assert sp.limit(g_h, Eg, sp.oo) == 2                       # free-electron limit of the hole
    assert sp.limit(g_e, Eg, sp.oo) == -sp.Rational(2, 3) + dg_e
    g_x = sp.simplify(g_e + g_h)
    assert sp.limit(Eg * g_x, Eg, 0) == 0                       # no 1/Eg pole: compensation (Ko23)
    assert _zero(g_x - (sp.Rational(4, 3) + dg_e + sp.Rational(4, 3) * P2_OVER_M0 / (Eg + Delta)))


def test_bare_masses_match_the_eight_band_formulas():
    model = perovskite_model()
    inv_e = second_order_doublet(model, Eg).inverse_mass_isotropic
    inv_v = second_order_doublet(model, 0).inverse_mass_isotropic
    assert _zero(inv_e.subs(gamma_c, 0) - (1 + EP / (3 * Eg)))
    assert _zero(-inv_v.subs(gamma_v, 0) - (-1 + EP / 3 * (1 / Eg + 2 / (Eg + Delta))))
    # Remote terms enter additively (they are diagonal ħ²k²/2m0 terms).
    assert _zero(inv_e - inv_e.subs(gamma_c, 0) - gamma_c)
    assert _zero(inv_v - inv_v.subs(gamma_v, 0) - gamma_v)


def test_hamiltonian_object_is_complete():
    model = perovskite_model()
    assert model.basis == ("S↑", "S↓", "X↑", "X↓", "Y↑", "Y↓", "Z↑", "Z↓")
    assert {p.name for p in model.parameters} == {
        "E_g", "Delta", "P", "g_0", "gamma_v", "gamma_c", "Delta_g_e", "Delta_g_h", "hbar^2/m_0"}
    assert all(p.name in model.descriptions for p in model.parameters)
    assert _zero(sp.Matrix(model.matrix - model.matrix.H).norm())
    # Minimal coupling exposes A as symbols and reduces to H at A = 0.
    coupled = model.with_minimal_coupling()
    assert any(coupled.has(a) for a in S.A)
    assert _zero((coupled.subs({a: 0 for a in S.A}) - model.matrix).norm())
    # Spin–orbit puts J=1/2 at Eg and J=3/2 at Eg + Δ (energy zero at the valence-band top).
    values = model.coefficients[()].eigenvals()
    assert {sp.simplify(v) for v in values} == {0, Eg, Eg + Delta}
    assert values[Eg + Delta] == 4 and values[Eg] == 2 and values[0] == 2
