"""Tight-binding nanocrystals: geometry, solver against dense, Kramers, isotropy, gauge, field, trend."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

from confinement.doublets import finite_field_g, first_order_g
from confinement.eigensolver import solve_band_edges
from confinement.errors import ConvergenceError, ParameterError
from tightbinding.bulk import bulk_tb
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import build_nanocrystal, bulk_coordination, make_shape, nanocrystal_gfactors
from tightbinding.parameters import load_tb_parameters


@pytest.fixture(scope="module")
def crystal() -> Crystal:
    return Crystal(load_tb_parameters("CsPbI3-N21-exp"))


@pytest.fixture(scope="module")
def sigma(crystal) -> float:
    bulk = bulk_tb(crystal)
    return bulk.E_vbm + bulk.Eg / 2


@pytest.fixture(scope="module")
def cube3(crystal):
    return build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=3))


@pytest.fixture(scope="module")
def edges3(cube3, sigma):
    return solve_band_edges(cube3.hamiltonian, sigma, 6, 6, solver="dense", tol=1e-9)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_cube_of_complete_octahedra_is_centred_and_inversion_symmetric(crystal, n):
    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=n))
    counts = system.counts()
    assert counts["Pb"] == n**3 and counts["X1"] + counts["X2"] + counts["X3"] == 3 * (n**3 + n**2)
    key = lambda p: tuple(np.round(p / (crystal.a / 2)).astype(int))  # noqa: E731
    sites = {(key(p), s) for p, s in zip(system.positions, system.sublattice)}
    assert {(key(-p), s) for p, s in zip(system.positions, system.sublattice)} == sites
    assert np.allclose(system.positions.mean(axis=0), 0)
    assert system.hamiltonian.dtype == np.complex128


@pytest.mark.parametrize("solver, symmetry", [("shift-invert", "C4h"), ("filtered", "C4h"), ("filtered", "parity"),
                                              pytest.param("arpack", "none", marks=pytest.mark.slow)])
def test_iterative_solver_agrees_with_dense(cube3, sigma, edges3, crystal, solver, symmetry):
    """Four states per side (and the rest of a level they cut) equal LAPACK's to 1e-9 eV, in the
    C4h blocks (four solved, Kramers partners by Θ), in the two parity blocks, or on the whole
    matrix."""
    hints = {"half_gap": bulk_tb(crystal).Eg / 2}
    if symmetry != "none":
        hints["parity"] = cube3.inversion()
    if symmetry == "C4h":
        hints["rotation"] = cube3.rotation_c4z()
    other = solve_band_edges(cube3.hamiltonian, sigma, 4, 4, solver=solver, tol=1e-9, **hints)
    _assert_same_states(other, edges3.below, edges3.above, 4)
    assert max(other.residuals_below.max(), other.residuals_above.max()) <= 1e-9


def test_filter_on_the_array_module_backend_equals_the_cpu_kernel(cube3, sigma, edges3, crystal):
    """The GPU (CuPy) code path, run with NumPy/SciPy as its array modules, finds the same states."""
    from confinement.array_backend import array_module_backend

    hints = {"parity": cube3.inversion(), "half_gap": bulk_tb(crystal).Eg / 2,
             "backend": array_module_backend(np, sps)}
    other = solve_band_edges(cube3.hamiltonian, sigma, 4, 4, solver="filtered", tol=1e-9, **hints)
    _assert_same_states(other, edges3.below, edges3.above, 4)
    assert other.info["backend"] == "array-module"


def _assert_same_states(found, exact_below: np.ndarray, exact_above: np.ndarray, n: int) -> None:
    """At least ``n`` states per side (a level cut by the count comes whole), equal to the exact
    ones (eV, ordered away from the gap) to 1e-9 eV."""
    for side, ref in ((found.below, exact_below), (found.above, exact_above)):
        assert len(side) >= n
        np.testing.assert_allclose(side, ref[:len(side)], atol=1e-9)


def test_gpu_strategy_refuses_clearly_without_a_gpu(cube3, sigma, monkeypatch):
    from confinement import array_backend
    from confinement.eigensolver import choose_solver

    monkeypatch.setenv("LANDEG_GPU", "0")
    array_backend.gpu_available.cache_clear()
    try:
        assert choose_solver(10**6) == "filtered"
        with pytest.raises(ParameterError, match="needs CuPy and a CUDA device"):
            solve_band_edges(cube3.hamiltonian, sigma, 2, 2, solver="gpu")
    finally:
        array_backend.gpu_available.cache_clear()


def test_band_edges_are_kramers_doublets(edges3):
    for e in (edges3.below, edges3.above):
        np.testing.assert_allclose(e[0::2], e[1::2], atol=1e-10)
        assert abs(e[0] - e[2]) > 1e-4           # distinct doublets


def test_g_tensor_isotropic_gauge_independent_and_field_consistent(cube3, sigma, edges3):
    for states, side in ((edges3.vectors_above[:, :2], "above"), (edges3.vectors_below[:, :2], "below")):
        g = first_order_g(cube3, states)
        assert g.anisotropy < 1e-8                                    # cubic NC: g_xx = g_yy = g_zz
        shifted = first_order_g(cube3, states, gauge_origin=np.array([4.0, -3.0, 5.0]))
        assert np.max(np.abs(shifted.tensor - g.tensor)) < 1e-8      # gauge origin moved by ~7 nm
        for direction in (np.array([0, 0, 1.0]), np.array([1.0, 1.0, 0.0])):
            ff = finite_field_g(cube3, sigma, side, field_T=0.5, direction=direction, solver="shift-invert")
            assert ff == pytest.approx(g.g, abs=1e-4)


def test_spectrum_approaches_bulk_band_edges(crystal):
    bulk = bulk_tb(crystal)
    # shift-invert is cheap up to N = 4 (n ≤ 6080); N = 5 (n = 11 500) uses the fast filtered path.
    records = [nanocrystal_gfactors(crystal, make_shape(crystal, "cube", n_pb=n), finite_field_T=None,
                                    solver="shift-invert" if n <= 4 else "filtered") for n in (2, 3, 4, 5)]
    gaps, cb, vb = ([r[key] for r in records] for key in ("E_gap", "E_cb", "E_vb"))
    assert all(a > b for a, b in zip(gaps, gaps[1:])) and gaps[-1] > bulk.Eg   # confinement shrinks with size
    assert all(a > b for a, b in zip(cb, cb[1:])) and cb[-1] > bulk.E_vbm + bulk.Eg
    assert all(a < b for a, b in zip(vb, vb[1:])) and vb[-1] < bulk.E_vbm


def test_bad_input(crystal):
    with pytest.raises(ParameterError, match="n_pb ≥ 1"):
        make_shape(crystal, "cube", n_pb=0)
    with pytest.raises(ParameterError, match="unknown shape 'pyramid'"):
        make_shape(crystal, "pyramid", n_pb=3)
    with pytest.raises(ParameterError, match="diameter must be positive"):
        make_shape(crystal, "sphere", diameter_nm=-2.0)
    bad = sps.csr_matrix(np.array([[0.0, 1.0], [0.5, 1.0]]))
    with pytest.raises(ParameterError, match="not Hermitian"):
        solve_band_edges(bad, 0.5, 1, 1)
    # σ on an eigenvalue (no gap there): the factorisation of H − σ fails and says why
    levels = np.r_[np.linspace(-5, -1, 500), 0.0, np.linspace(1, 5, 499)]
    with pytest.raises(ConvergenceError, match="is an eigenvalue"):
        solve_band_edges(sps.diags(levels).tocsr().astype(complex), 0.0, 2, 2, solver="shift-invert", half_gap=0.5,
                         kramers=False)
    # exact Kramers pairs inside a block stall single-vector Lanczos: refused, with the remedy
    with pytest.raises(ParameterError, match="pass the C4z rotation"):
        solve_band_edges(sps.diags(np.repeat(levels[:500], 2)).tocsr().astype(complex), 0.0, 2, 2,
                         solver="shift-invert")


def test_finite_passivation_shift_converges_to_the_decoupled_limit(crystal):
    """H + s·Q → (1−Q)H(1−Q) as s → ∞: band edges and g approach the default (inf) limit like 1/s."""
    shape = make_shape(crystal, "cube", n_pb=2)

    def edge_g(shift):
        r = nanocrystal_gfactors(crystal, shape, passivation_shift=shift, solver="dense", finite_field_T=None)
        return np.array([r["E_vb"], r["E_cb"], r["g_e"], r["g_h"]])

    limit = edge_g(float("inf"))
    err = {s: np.abs(edge_g(s) - limit) for s in (100.0, 1000.0)}
    assert np.all(err[1000.0] < 0.2 * err[100.0] + 1e-9)        # ~1/s: ten times the shift, ~ten times closer
    assert np.all(err[1000.0] < 2e-2)
    system = build_nanocrystal(crystal, shape)
    assert system.info["parked_orbitals_eV"] <= abs(system.hamiltonian).max()   # parking keeps the spectrum width
    with pytest.raises(ParameterError, match="passivation shift must be positive"):
        build_nanocrystal(crystal, shape, passivation_shift=-3.0)


@pytest.mark.parametrize("solver", ["filtered", "shift-invert"])
def test_filtered_solver_returns_further_states_on_request(cube3, sigma, edges3, crystal, solver):
    """Three doublets per side (more than the band edges; the blocks must grow) agree with dense,
    the four-fold level at 2.45 eV complete (its members lie in two C4z blocks). (Single-vector
    ARPACK on the whole matrix, pybinding's 'arpack', is no reference here: it can miss one member
    of a four-fold level.)"""
    hints = {"parity": cube3.inversion(), "rotation": cube3.rotation_c4z(), "half_gap": bulk_tb(crystal).Eg / 2}
    fast = solve_band_edges(cube3.hamiltonian, sigma, 6, 6, solver=solver, tol=1e-9, **hints)
    np.testing.assert_allclose(fast.below, edges3.below, atol=1e-9)
    np.testing.assert_allclose(fast.above, edges3.above, atol=1e-9)


def test_symmetry_blocks_solved_side_by_side_give_the_same_states(cube3, sigma, crystal, monkeypatch):
    """The two parity blocks on two threads: the same states as one after the other (1e-10 eV)."""
    from confinement.filtered_solver import SolverInfo, band_edge_states, solver_threads

    half_gap = bulk_tb(crystal).Eg / 2
    runs = {}
    for threads in (1, 2):
        info = SolverInfo()
        e, _, _ = band_edge_states(cube3.hamiltonian, sigma - half_gap, sigma + half_gap, n_each=2, tol=1e-9,
                                   parity=cube3.inversion(), info=info, threads=threads)
        assert info.threads == threads
        runs[threads] = e
    np.testing.assert_allclose(runs[2], runs[1], atol=1e-10)
    assert solver_threads(2, 8) == 2                       # never more threads than tasks
    monkeypatch.setenv("LANDEG_THREADS", "1")              # what the sweep runner's workers get
    assert solver_threads(2) == 1
    monkeypatch.setenv("LANDEG_THREADS", "two")
    with pytest.raises(ValueError, match="LANDEG_THREADS must be a positive integer"):
        solver_threads(2)


def test_symmetry_hints_are_checked_before_use(crystal):
    """A magnetic field breaks time reversal; a wrong inversion map breaks parity: both refused by
    name, never used silently (confinement.symmetry)."""
    from confinement.magnetic import hamiltonian_in_field
    from confinement.symmetry import symmetry_sectors

    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=2))
    perm, sign = system.inversion()
    sectors = symmetry_sectors(system.hamiltonian, (perm, sign), kramers=True)
    assert sum(s.matrix.shape[0] for s in sectors) == system.n_orbitals
    x = np.random.default_rng(3).standard_normal(sectors[0].matrix.shape[0])
    full = sectors[0].to_full(x)                       # a block vector is a parity eigenvector
    np.testing.assert_allclose(sign * full[perm], sectors[0].key * full, atol=1e-14)
    in_field = hamiltonian_in_field(system, np.array([0.0, 0.0, 2.0]))
    with pytest.raises(ParameterError, match="time reversal"):
        symmetry_sectors(in_field, (perm, sign), kramers=True)
    symmetry_sectors(in_field, (perm, sign), kramers=False)          # inversion survives a field
    with pytest.raises(ParameterError, match="parity"):
        symmetry_sectors(system.hamiltonian, (perm, np.ones_like(sign)), kramers=True)   # no (−1)^l


def test_a_switched_on_shell_with_zero_integrals_changes_nothing(crystal):
    """X–X shell enabled with all integrals zero: same H, same surface sites (regression)."""
    params = crystal.params.with_values({"hopping.X-X.p_p_sigma": 0.0, "hopping.X-X.p_p_pi": 0.0},
                                        shells={"X-X": (("p",), ("p",))})
    with_shell = Crystal(params)
    assert "X-X" in with_shell.shells
    a, b = (build_nanocrystal(c, make_shape(c, "cube", n_pb=2)) for c in (crystal, with_shell))
    assert abs(a.hamiltonian - b.hamiltonian).max() == 0
    np.testing.assert_array_equal(a.surface, b.surface)


def test_surface_sites_are_those_with_a_missing_nearest_neighbour_bond(crystal):
    """With live X–X and Pb–Pb shells the sites that miss a second neighbour are still interior:
    the surface (used for the surface weights) is the same set as without those shells, the outer
    layer only. Reason: a second-neighbour partner is missing one layer deeper than a Pb–X one."""
    params = crystal.params.with_values({"hopping.X-X.p_p_sigma": 0.2, "hopping.X-X.p_p_pi": -0.05,
                                         "hopping.Pb-Pb.s_s_sigma": -0.05},
                                        shells={"X-X": (("p",), ("p",)), "Pb-Pb": (("s",), ("s",))})
    shell_crystal = Crystal(params)
    nn, snn = (build_nanocrystal(c, make_shape(c, "cube", n_pb=3)) for c in (crystal, shell_crystal))
    bulk = bulk_coordination(shell_crystal)
    fewer_partners = snn.coordination < np.array([bulk[n] for n in snn.sublattice_names])[snn.sublattice]
    assert fewer_partners.sum() > nn.surface.sum()      # the builder's own test counts a deeper layer too
    np.testing.assert_array_equal(nn.surface, snn.surface)
    assert 0 < nn.surface.sum() < nn.n_sites


@pytest.mark.slow
@pytest.mark.parametrize("n_pb", [4, 5])
def test_fast_solvers_agree_with_dense_on_larger_cubes(crystal, sigma, n_pb):
    """N = 4 (n = 6 080) and 5 (n = 11 500): the slicing and filtered solvers in the C4h blocks give
    the dense eigenvalues, four levels per side, to 1e-9 eV. Reference: LAPACK on the whole H at
    N = 4; at N = 5 (whole-H LAPACK ≈ 5 min here) LAPACK on all 8 C4h blocks without time reversal
    (the block construction itself is checked against whole-H LAPACK at N = 2, 3 in
    test_symmetry_blocks.py)."""
    from confinement.symmetry import symmetry_sectors

    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=n_pb))
    if n_pb == 4:
        full = np.linalg.eigvalsh(system.hamiltonian.toarray())
    else:
        blocks = symmetry_sectors(system.hamiltonian, system.inversion(), False, rotation=system.rotation_c4z())
        assert len(blocks) == 8
        full = np.sort(np.concatenate([np.linalg.eigvalsh(b.matrix.toarray()) for b in blocks]))
    i = np.searchsorted(full, sigma)
    hints = {"parity": system.inversion(), "rotation": system.rotation_c4z(), "half_gap": bulk_tb(crystal).Eg / 2}
    for solver in ("shift-invert", "filtered"):
        fast = solve_band_edges(system.hamiltonian, sigma, 4, 4, solver=solver, tol=1e-9, **hints)
        _assert_same_states(fast, full[:i][::-1], full[i:], 4)


@pytest.mark.parametrize("params, shape, size", [("CsPbI3-N21-exp-XX", "cube", {"n_pb": 3}),
                                                 ("CsPbI3-N21-sp3", "sphere", {"diameter_nm": 2.5})])
def test_spin_independent_build_gives_the_spinful_lattice_hamiltonian(params, shape, size):
    """The nanocrystal builder takes the real spin-independent lattice and adds t ⊗ 1_spin plus the
    spinful on-site blocks itself: the same matrix, entry by entry, as pybinding's spinful lattice
    (spin–orbit on site, hoppings t ⊗ 1), with and without a second-neighbour shell."""
    from confinement.system import build_finite_system
    from tightbinding.lattice import pybinding_lattice, site_blocks

    crystal = Crystal(load_tb_parameters(params))
    nc = make_shape(crystal, shape, **size)
    args = (nc, site_blocks(crystal, crystal.zeeman), site_blocks(crystal, crystal.angular_momentum),
            bulk_coordination(crystal))
    spinful = build_finite_system(pybinding_lattice(crystal), *args)
    doubled = build_finite_system(pybinding_lattice(crystal, spin=False), *args,
                                  spin_onsite=site_blocks(crystal, crystal.onsite))
    assert doubled.hamiltonian.dtype == np.complex128
    assert abs(spinful.hamiltonian - doubled.hamiltonian).max() == 0.0
    assert np.array_equal(spinful.positions, doubled.positions)
    assert np.array_equal(spinful.coordination, doubled.coordination)
