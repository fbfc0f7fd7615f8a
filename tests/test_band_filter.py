"""The band polynomial of the filtered solver (confinement.solvers.band_filter), the KPM band
estimate it rests on (confinement.solvers.spectral_support) and the filled-gap safeguard."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

from confinement.solvers.band_filter import BandPolynomial, equilibrium_measure, unwanted_set
from confinement.solvers.filtered import SolverInfo, band_edge_states
from confinement.solvers.spectral_support import fill_gap, spectral_support

#: Bulk bands of CsPbI3-N21-exp as the KPM estimate finds them in a 12-cell cube (eV, rounded).
BANDS = ((-13.95, -13.02), (-8.38, -5.74), (-4.56, 0.14), (1.4, 11.99), (14.02, 22.49))


def test_one_interval_gives_the_chebyshev_recurrence():
    # the equilibrium measure of [-1, 1] is the arcsine law: alpha = 0, beta_1 = 1/sqrt 2, then 1/2
    p = BandPolynomial(((-1.0, 1.0),), 40)
    assert np.abs(p.alpha).max() < 1e-12
    assert p.beta[1] == pytest.approx(2 ** -0.5, abs=1e-12)
    assert np.abs(p.beta[2:] - 0.5).max() < 1e-12
    # p_n = sqrt 2 T_n: max on the interval is sqrt 2 for every n >= 1
    assert np.abs(p.log_max[1:] - 0.5 * np.log(2)).max() < 1e-9


def test_equilibrium_masses_follow_the_green_function_two_symmetric_intervals():
    # symmetric intervals carry half the mass each
    t, w = equilibrium_measure(((-3.0, -1.0), (1.0, 3.0)), 50)
    assert w.sum() == pytest.approx(1.0)
    assert w[t < 0].sum() == pytest.approx(0.5, abs=1e-9)


def test_band_polynomial_beats_the_fold_on_a_spectrum_with_gaps():
    # rate of growth at a state just inside the window: gaps and asymmetry give 1.2-1.3x (module doc)
    sigma, d, a = 0.82, 0.85, 0.95
    L2 = (BANDS[-1][1] - sigma) ** 2
    x = (a * a + L2 - 2 * d * d) / (L2 - a * a)
    fold = 2 * np.arccosh(1e5) / np.arccosh(x)
    p = BandPolynomial(unwanted_set(BANDS, sigma, a), int(fold))
    n = p.degree_for(np.log(1e5), [sigma - d, sigma + d])
    assert n is not None and 1.15 < fold / n < 1.35
    # and it is small on K: |p_n| <= max_K |p_n| on a fine grid of every interval
    grid = np.concatenate([np.linspace(lo, hi, 3001) for lo, hi in unwanted_set(BANDS, sigma, a)])
    assert p.log_growth(grid)[n].max() < 1e-6


def test_unwanted_set_extends_the_window_neighbours_to_the_window():
    K = unwanted_set(BANDS, 0.8, 1.0)
    assert K[2] == pytest.approx((-4.56, -0.2)) and K[3] == pytest.approx((1.8, 11.99))
    assert np.ravel(unwanted_set(BANDS, 0.8, 0.3)[2:4]) == pytest.approx([-4.56, 0.5, 1.1, 11.99])


def test_kpm_support_finds_the_gaps_and_keeps_every_eigenvalue():
    rng = np.random.default_rng(3)
    e = np.concatenate([rng.uniform(-10, -6, 3000), rng.uniform(-3, 0, 3000), rng.uniform(2, 8, 3000)])
    support = spectral_support(sps.diags(e).tocsr(), (-10.2, 8.2))
    assert len(support) == 3
    inside = np.zeros(e.size, bool)
    for lo, hi in support:
        inside |= (e >= lo) & (e <= hi)
    assert inside.all()
    assert support[0][1] < -5.5 and support[1][0] > -3.5      # the 3 eV gap is found, margins < 0.5 eV


def test_fill_gap_merges_neighbours_and_extends_the_ends():
    s = ((-3.0, -1.0), (1.0, 3.0), (5.0, 6.0))
    assert fill_gap(s, 0.0) == ((-3.0, 3.0), (5.0, 6.0))
    assert fill_gap(s, 7.0)[-1] == (5.0, 7.0)
    assert fill_gap(s, 2.0) == s


def _banded_chain(n: int, planted: float | None):
    """A real symmetric matrix with bands [-8, -5] ∪ [-2, 0] ∪ [1.5, 4] (evenly spaced on-site
    energies, coupled weakly along a chain) and, optionally, one state planted at ``planted`` eV."""
    k = n // 3
    e = np.concatenate([np.linspace(-8, -5, k), np.linspace(-2, 0, k), np.linspace(1.5, 4, n - 2 * k)])
    e = np.random.default_rng(0).permutation(e)
    if planted is not None:
        e[n // 2] = planted
    off = np.full(n - 1, 1e-3)
    return sps.diags([off, e, off], [-1, 0, 1]).tocsr().astype(complex)


def _reference(H, sigma):
    E = np.linalg.eigvalsh(H.toarray())
    return np.sort(np.concatenate([np.sort(E[E < sigma])[-4:], np.sort(E[E > sigma])[:4]]))


def test_a_state_inside_a_gap_of_the_estimate_is_found_and_the_gap_filled(monkeypatch):
    # an estimate that misses the planted state (as KPM misses a lone state of a large NC): the
    # band polynomial grows in that gap and amplifies it; the solver must see it, fill the gap and
    # still return the band edges
    import confinement.solvers.filtered as filtered
    monkeypatch.setattr(filtered, "spectral_support", lambda *a, **k: ((-8.1, -4.9), (-2.1, 0.1), (1.4, 4.1)))
    H = _banded_chain(1500, planted=-3.5)
    info = SolverInfo()
    e, _, r = band_edge_states(H, 0.0, 1.5, n_each=2, tol=1e-9, kramers=False, info=info)
    assert np.allclose(np.sort(e), _reference(H, 0.75), atol=1e-9) and r.max() <= 1e-9
    assert any(-4.9 < h.get("filled_gap", 0.0) < -2.1 for h in info.history)     # θ ± r inside that gap
    gaps = [(left[1], right[0]) for left, right in zip(info.subspace.support[:-1], info.subspace.support[1:])]
    assert gaps and not any(lo < -3.5 < hi for lo, hi in gaps)    # filled in the support handed on


def test_band_and_fold_polynomials_return_the_same_states_with_fewer_matvecs():
    H = _banded_chain(1500, planted=None)
    runs = {}
    for poly in ("fold", "bands"):
        info = SolverInfo()
        e, _, r = band_edge_states(H, 0.0, 1.5, n_each=2, tol=1e-9, kramers=False, info=info, polynomial=poly)
        runs[poly] = (np.sort(e), info.matvecs)
    assert np.allclose(runs["fold"][0], _reference(H, 0.75), atol=1e-9)
    assert np.allclose(runs["bands"][0], runs["fold"][0], atol=1e-9)
    assert runs["bands"][1] < runs["fold"][1]


def test_an_unknown_filter_polynomial_is_refused_by_name():
    with pytest.raises(Exception, match="unknown filter polynomial 'chebyshev'"):
        band_edge_states(_banded_chain(600, None), -0.5, 1.0, kramers=False, polynomial="chebyshev")


def test_surface_states_in_bulk_gaps_do_not_move_sigma():
    # a 2.5 nm X–X cube has surface states in the bulk gaps at -10, -6.6 and -6.0 eV; the band
    # polynomial amplifies them most, so they converge first. Taken as the valence edge, they pulled
    # sigma 3 eV into the valence band and the solve failed its clean-gap check (measured before
    # recentre_sigma ignored pairs in gaps other than sigma's). Reference: spectrum slicing, whose
    # count of states is certified by Sylvester inertia (no polynomial involved).
    from confinement.doublets import solver_hints
    from confinement.solvers import solve_band_edges
    from tightbinding.bulk import bulk_tb
    from tightbinding.crystal import Crystal
    from tightbinding.nanocrystal import build_nanocrystal, make_shape
    from tightbinding.parameters import load_tb_parameters

    crystal = Crystal(load_tb_parameters("CsPbI3-N21-exp-XX").with_values(
        {"hopping.X-X.p_p_sigma": 0.25, "hopping.X-X.p_p_pi": -0.25 / 4}))
    bulk = bulk_tb(crystal)
    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=4))
    sigma, hg = bulk.E_vbm + bulk.Eg / 2, bulk.Eg / 2
    info = SolverInfo()
    e, _, r = band_edge_states(system.hamiltonian, sigma - hg, sigma + hg, n_each=2, tol=1e-9,
                               parity=system.inversion(), rotation=system.z_rotation(), info=info)
    assert any("filled_gap" in h and h["filled_gap"] < bulk.E_vbm - 3 for h in info.history)  # the case occurs
    below, above = int((e < info.sigma).sum()), int((e > info.sigma).sum())  # 2 doublets, multiplets completed
    ref = solve_band_edges(system.hamiltonian, sigma, below, above, solver="shift-invert", tol=1e-9,
                           **solver_hints(system, hg))
    assert r.max() <= 1e-9 and (below, above) == (4, 6)    # the conduction quartet at 2.683 eV, whole
    np.testing.assert_allclose(np.sort(e), np.sort(np.concatenate([ref.below, ref.above])), atol=1e-9)
