"""k·p nanocrystals: the finite-difference cube (kp/finite_difference.py, kp/cube.py), the record of
kp/nanocrystal.py shared with the sphere, the Coulomb correction, and `landeg nc --model kp`.

Parameters: material_parameters("CsPbI3") (K22 universal constants, remote masses fitted to the
N23 Table S2 masses). Sizes: cube edge or sphere diameter L in nm. Fast tests use coarse grids
(L/8 or L/16 with the Richardson partner); the convergence study is marked slow.
"""

import json
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sps

from comparisons.cli import main
from confinement.coulomb import coulomb_shift, cube_coulomb_coefficient, pair_difference_density
from confinement.errors import ParameterError, UnknownNameError
from kp.bulk import bulk_kp
from kp.cube import GridCube, build_cube, cube_gfactors
from kp.finite_difference import (
    SpuriousSolutionError,
    bloch_hamiltonian,
    check_no_gap_intrusion,
    grid_hoppings,
    taylor_coefficients,
)
from kp.materials import material_parameters
from kp.nanocrystal import kp_nanocrystal
from kp.sphere import sphere_gfactors, sphere_levels


@pytest.fixture(scope="module")
def params():
    return material_parameters("CsPbI3")


@pytest.fixture(scope="module")
def cube4(params):
    """4 nm cube, default grid (h = 0.25 nm, extrapolated with h = 0.5 nm), with finite-field check."""
    return kp_nanocrystal("CsPbI3", "cube", 4.0)


def test_grid_reproduces_continuum_hamiltonian(params):
    # Fails if a finite-difference coefficient (sign, factor 2, i) is wrong: the Bloch form of the
    # grid must equal H(k) of the symbolic model to O(h²) at small k, and the pybinding system must
    # hold exactly the hoppings of grid_hoppings between neighbouring grid points.
    tc = taylor_coefficients(params)
    k = np.array([0.02, -0.03, 0.05])
    exact = tc.h0 + np.einsum("a,aij->ij", k, tc.v) + np.einsum("a,b,abij->ij", k, k, tc.w)
    for h in (0.1, 0.05):
        err = np.abs(bloch_hamiltonian(tc, h, k) - exact).max()
        assert err < 0.1 * (k @ k) * h**2 * 10
    cube = GridCube(1.2, 3)                         # 2 × 2 × 2 interior points, h = 0.4 nm
    system = build_cube(params, cube)
    onsite, hops = grid_hoppings(tc, cube.h)
    H = system.hamiltonian.toarray()
    pos = system.positions
    for i in range(system.n_sites):
        for j in range(system.n_sites):
            block = H[8 * i:8 * i + 8, 8 * j:8 * j + 8]
            step = np.round((pos[j] - pos[i]) / cube.h).astype(int)
            if i == j:
                expected = onsite
            elif tuple(step) in hops:
                expected = hops[tuple(step)]
            elif tuple(-step) in hops:
                expected = hops[tuple(-step)].conj().T
            else:
                expected = np.zeros((8, 8))
            assert np.allclose(block, expected, atol=1e-12)


def test_spurious_solution_guard(params):
    # Fails if the guard misses a band entering the gap, or if the default discretisation of the
    # CsPbI3 set has one: the whole Brillouin zone of the grid is scanned.
    for h in (0.0625, 0.25, 1.0, 2.5):
        scan = check_no_gap_intrusion(params, h, n_k=13)
        assert scan["n_in_gap"] == 0
    with pytest.raises(SpuriousSolutionError, match="enters the gap"):
        check_no_gap_intrusion(replace(params, gamma_v=0.0, gamma_c=0.0), 0.25, n_k=13)
    with pytest.raises(SpuriousSolutionError):                       # refused before building
        build_cube(replace(params, gamma_v=0.0), GridCube(2.0, 4))


def test_no_in_gap_state_in_finite_cube(params):
    # Fails if the hard-wall cube hosts a state inside the bulk gap (0, Eg) that the bulk spectrum
    # does not have: full dense spectrum of small cubes (5³ points, 1000 states; h = 0.4 and 1 nm).
    for cube in (GridCube(2.0, 6), GridCube(5.0, 6)):
        w = np.linalg.eigvalsh(build_cube(params, cube).hamiltonian.toarray())
        assert np.sum((w > 0) & (w < params.Eg)) == 0
        assert np.all(w[w < params.Eg / 2] < 0) and np.all(w[w > params.Eg / 2] > params.Eg)


def test_symmetries_used_by_the_solver(params):
    # Fails if the basis does not meet the solver's conventions: time reversal Θ = (I ⊗ iσy)K in
    # index = 2·orbital + spin must commute with H, and inversion (S even, p odd) must too.
    system = build_cube(params, GridCube(2.0, 5))
    H = system.hamiltonian
    n = H.shape[0]
    theta = sps.kron(sps.identity(n // 2), sps.csr_matrix(np.array([[0, 1], [-1, 0]])))
    assert abs(theta @ H.conj() - H @ theta).max() < 1e-12
    perm, sign = system.inversion()
    P = sps.csr_matrix((sign, (np.arange(n), perm)), shape=(n, n))
    assert abs(P @ H @ P.T - H).max() < 1e-12
    U = system.rotation_c4z().matrix                   # C4z: (X, Y, Z) as a vector, spin e^{−iπσz/4}
    assert abs(U @ H @ U.conj().T - H).max() < 1e-12
    assert abs(U @ theta - theta @ U.conj()).max() < 1e-14          # the rotation commutes with Θ


def test_cube_kramers_isotropy_finite_field(cube4):
    # Fails if the band-edge doublets are not Kramers-degenerate at B = 0, if the cube's g-tensor is
    # not isotropic (g_xx = g_yy = g_zz, no off-diagonal part), or if the splitting at 1 T with exact
    # Peierls phases disagrees with the first-order g of the same grid.
    for grid in cube4["grids"]:
        for levels in (grid["levels_below"], grid["levels_above"]):   # a whole level of two states
            assert abs(levels[0] - levels[1]) < 1e-9 and len(levels) == 2
    for key in ("g_e", "g_h"):
        t = np.array(cube4[f"{key}_tensor"])
        assert np.allclose(t, np.diag(np.diag(t)), atol=1e-8)
        assert np.ptp(np.diag(t)) < 1e-8
        assert cube4[f"{key}_anisotropy"] < 1e-8
        assert cube4[f"{key}_finite_field"] == pytest.approx(cube4[f"{key}_first_order_fine"], abs=1e-4)
    assert cube4["n_in_gap"] == 0 and cube4["solver"] in ("shift-invert", "filtered")   # auto, not dense


def test_kramers_degeneracy_at_zero_field(params):
    # Fails if a band-edge level is not a degenerate pair (dense solve, no symmetry assumed).
    r = cube_gfactors(params, GridCube(2.0, 5), solver="dense", finite_field_T=None)
    for levels in (r["levels_below"], r["levels_above"]):     # dense completes a cut level: 2 = a pair
        assert abs(levels[0] - levels[1]) < 1e-10 and len(levels) == 2


def test_large_nc_limit(params):
    # Fails if the confined doublets do not tend to the K22 bulk closed forms. The physical
    # confinement correction of the electron is still δg_e ≈ −0.03 (cube) / −0.04 (sphere) at
    # L = 40 nm (both converged), so "within 0.02 of bulk" holds from L ≈ 80 nm: tested there for the
    # sphere (and for the cube on a fine grid in the slow test); at 40 nm the cube's hole is within
    # 0.02 of bulk(E_transition) and its electron lies below it by less than 0.05.
    bulk = bulk_kp(params)
    r = kp_nanocrystal("CsPbI3", "sphere", 80.0, finite_field_T=None)
    assert abs(r["g_e"] - bulk.g_e) < 0.02 and abs(r["g_h"] - bulk.g_h) < 0.02
    assert abs(r["g_e"] - r["g_e_bulk_at_E"]) < 0.02 and abs(r["g_h"] - r["g_h_bulk_at_E"]) < 0.02
    c = kp_nanocrystal("CsPbI3", "cube", 40.0, finite_field_T=None)
    assert abs(c["g_h"] - c["g_h_bulk_at_E"]) < 0.02
    assert -0.05 < c["g_e"] - c["g_e_bulk_at_E"] < 0


@pytest.mark.slow
def test_large_nc_limit_cube_fine_grid(params):
    # As above for an 80 nm cube on h = 2.5 nm (extrapolated with 5 nm): within 0.02 of bulk at Eg.
    bulk = bulk_kp(params)
    c = kp_nanocrystal("CsPbI3", "cube", 80.0, grid_nm=2.5, finite_field_T=None)
    assert abs(c["g_e"] - bulk.g_e) < 0.02 and abs(c["g_h"] - bulk.g_h) < 0.02
    assert abs(c["g_e"] - c["g_e_bulk_at_E"]) < 0.02 and abs(c["g_h"] - c["g_h_bulk_at_E"]) < 0.02


def test_electron_g_lowered_by_confinement(params):
    # Fails if the J=1/2 – J=3/2 mixing is missing or of the wrong sign in the cube: δg_e < 0 and
    # |δg_e| grows as the cube shrinks.
    # (the 40 nm point is in test_large_nc_limit; the sphere's trend in test_kp_sphere.py)
    dge = [kp_nanocrystal("CsPbI3", "cube", L, finite_field_T=None)["delta_g_e"] for L in (4.0, 8.0)]
    assert all(d < 0 for d in dge), dge
    assert abs(dge[0]) > abs(dge[1]) > 0.1, dge


def test_hole_g_versus_bulk_curve(params, cube4):
    # The issue expected |g_h − g_h^bulk(E_transition)| < 0.2. The model does not give that at 4 nm:
    # δg_h = +0.405 (sphere) and +0.405 (cube) — physics of the eight-band hard-wall model, not a
    # numerical error (both solvers, different methods, agree; docs/kp.md "hole versus bulk"). The
    # mechanism is tested instead: (i) δg_h > 0, shrinking with size and smaller than |δg_e|;
    # (ii) it is second order in P: for small P the hole's orbital term is a size-dependent fraction
    # (≈ 0.67 at 4 nm) of the bulk one at E_transition, because the virtual conduction states of the
    # confined hole carry the p-band's own (remote, γ_c) kinetic energy, which E_transition does not
    # contain; (iii) δg_h therefore grows with γ_c.
    s = sphere_gfactors(params, [4.0, 8.0, 16.0], n_radial=20)
    dgh = s["g_h"] - s["g_h_bulk_at_E"]
    dge = s["g_e"] - s["g_e_bulk_at_E"]
    assert np.all(dgh > 0) and np.all(np.diff(dgh) < 0) and np.all(dgh < np.abs(dge))
    assert 0.35 < dgh[0] < 0.45 and 0.35 < cube4["delta_g_h"] < 0.5
    ratios = []
    for P in (0.05, 0.1):
        q = replace(params, P=P)
        r = sphere_gfactors(q, [4.0], n_radial=20)
        ratios.append((r["g_h"][0] - q.g0) / (r["g_h_bulk_at_E"][0] - q.g0))
    assert ratios[0] == pytest.approx(ratios[1], abs=0.01) and 0.6 < ratios[0] < 0.75
    shifts = [sphere_gfactors(replace(params, gamma_c=gc), [4.0], n_radial=20) for gc in (0.0, 2.5, 5.0)]
    d = [x["g_h"][0] - x["g_h_bulk_at_E"][0] for x in shifts]
    assert d[0] < d[1] < d[2]


def test_sphere_and_cube_agree_at_equal_confinement(params, cube4):
    # Fails if the two independent solvers (spectral sphere, finite-difference cube through the
    # shared NC engine) disagree at equal single-particle gap E_gap beyond 0.05 in g_e or 0.03 in g_h
    # (measured at 4, 6, 8 nm: sphere − cube = +0.03 in g_e, −0.01 in g_h).
    # They are not expected to agree exactly: at equal E the envelopes still differ (a cube ground
    # state is not spherical; its k-distribution, and so the J=3/2 admixture and the hole's virtual
    # conduction energies, differ at second order), and the cube carries a residual grid error ~0.01.
    d = np.linspace(3.0, 8.0, 201)
    lv = sphere_levels(params, d, n_radial=20)
    dia = float(np.interp(-cube4["E_gap"], -lv["E_transition"], d))
    s = sphere_gfactors(params, [dia], n_radial=20)
    assert s["E_transition"][0] == pytest.approx(cube4["E_gap"], abs=2e-3)
    assert abs(s["g_e"][0] - cube4["g_e"]) < 0.05
    assert abs(s["g_h"][0] - cube4["g_h"]) < 0.03


def test_cube_coulomb_coefficient():
    # Fails if the computed cube coefficient c = L⟨1/|r_e − r_h|⟩ is wrong: pair-difference density
    # normalised, and a Monte Carlo estimate with sin² sampling agrees within 4σ.
    s = np.linspace(-1, 1, 20001)
    assert np.sum(pair_difference_density(s)) * (s[1] - s[0]) == pytest.approx(1.0, abs=1e-6)
    c = cube_coulomb_coefficient()
    rng = np.random.default_rng(1)
    m = 200_000
    x = rng.random((8 * m, 3, 2))
    keep = rng.random((8 * m, 3, 2)) < np.sin(np.pi * x) ** 2
    samples = [x[:, a, b][keep[:, a, b]][:m] for a in range(3) for b in range(2)]
    re = np.stack(samples[0::2], axis=1)
    rh = np.stack(samples[1::2], axis=1)
    inv = 1 / np.linalg.norm(re - rh, axis=1)
    assert c == pytest.approx(inv.mean(), abs=4 * inv.std() / np.sqrt(m))
    assert coulomb_shift("cube", 5.0, 4.0) == pytest.approx(-c * 1.439965 / 20.0, rel=1e-5)
    assert coulomb_shift("sphere", 5.0, 4.0) == pytest.approx(-1.786 * 1.439965 / 10.0, rel=1e-5)


def test_record_and_coulomb(params):
    # Fails if the record misses a documented key or if E_transition does not include the
    # Coulomb shift and the bulk columns are not the bulk formulas at E_transition.
    r0 = kp_nanocrystal("CsPbI3", "sphere", 6.0, n_radial=20)
    r = kp_nanocrystal("CsPbI3", "sphere", 6.0, n_radial=20, epsilon=5.0)
    for key in ("edge_nm", "E_gap", "E_transition", "g_e", "g_h", "g_X", "g_e_bulk_at_E", "g_h_bulk_at_E",
                "g_e_finite_field", "g_h_finite_field", "seconds"):
        assert key in r
    assert r["E_gap"] == pytest.approx(r0["E_transition"], abs=1e-12)
    assert r["E_transition"] - r["E_gap"] == pytest.approx(-1.786 * 1.439965 / (5.0 * 3.0), rel=1e-5)
    assert r["g_h_bulk_at_E"] == pytest.approx(bulk_kp(params, eg=r["E_transition"]).g_h, abs=1e-12)
    assert r["g_X"] == pytest.approx(r["g_e"] + r["g_h"])
    assert r["g_e_finite_field"] == pytest.approx(r["g_e"], abs=1e-3)


def test_bad_input():
    with pytest.raises(UnknownNameError):
        kp_nanocrystal("CsPbF3", "sphere", 5.0)
    with pytest.raises(ParameterError):
        kp_nanocrystal("CsPbI3", "cube", -1.0)
    with pytest.raises(ParameterError):
        kp_nanocrystal("CsPbI3", "sphere", 0.0)
    with pytest.raises(ParameterError, match="too coarse"):
        kp_nanocrystal("CsPbI3", "cube", 2.0, grid_nm=3.0)
    with pytest.raises(ParameterError, match="too coarse"):
        kp_nanocrystal("CsPbI3", "cube", 2.0, grid_nm=0.8)           # no 2h grid for the extrapolation
    with pytest.raises(UnknownNameError):
        kp_nanocrystal("CsPbI3", "tetrahedron", 5.0)
    with pytest.raises(ParameterError):
        kp_nanocrystal("CsPbI3", "sphere", 5.0, epsilon=-1.0)


def test_cli_nc_kp(capsys):
    assert main(["nc", "--model", "kp", "--material", "CsPbI3", "--shape", "sphere", "--edge-nm", "6",
                 "--n-radial", "20", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    for key in ("edge_nm", "E_gap", "E_transition", "g_e", "g_h", "g_X", "g_e_bulk_at_E", "g_h_bulk_at_E"):
        assert key in r
    assert main(["nc", "--model", "kp", "--shape", "cube", "--edge-nm", "3", "--grid-nm", "0.5", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["shape"] == "cube" and r["n_intervals"] == 6 and len(r["grids"]) == 2
    for argv, message in ((["--material", "CsPbF3", "--edge-nm", "5"], "unknown material"),
                          (["--edge-nm", "-2"], "must be positive"),
                          (["--shape", "cube", "--edge-nm", "2", "--grid-nm", "5"], "too coarse"),
                          ([], "needs --edge-nm")):
        assert main(["nc", "--model", "kp", *argv]) == 2
        assert message in capsys.readouterr().err


@pytest.mark.slow
def test_cube_convergence(params):
    # Fails if doubling the resolution changes the cube g-factors by 0.01 or more at L = 4 nm:
    # extrapolated g from (h, 2h) = (0.25, 0.5) nm against (0.125, 0.25) nm.
    a = kp_nanocrystal("CsPbI3", "cube", 4.0, grid_nm=0.25, finite_field_T=None)
    b = kp_nanocrystal("CsPbI3", "cube", 4.0, grid_nm=0.125, finite_field_T=None)
    for key in ("g_e", "g_h"):
        assert abs(a[key] - b[key]) < 0.01, (key, a[key], b[key])
    assert abs(a["E_gap"] - b["E_gap"]) < 1e-2


def test_sphere_refuses_a_model_whose_bulk_bands_enter_the_gap():
    """The bare eight-band model (no remote masses): its valence band bends up through the gap at
    large k, so a hard-wall sphere would host spurious states — refused, not computed."""
    from kp.finite_difference import SpuriousSolutionError
    from kp.materials import material_parameters

    with pytest.raises(SpuriousSolutionError, match="enter the gap"):
        sphere_gfactors(material_parameters("CsPbI3", remote_masses=False), [8.0])
