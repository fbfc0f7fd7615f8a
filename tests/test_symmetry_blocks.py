"""C4h symmetry blocks (C4z rotation × inversion) and the inertia-certified shift-invert slicing."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from confinement.errors import ParameterError
from confinement.magnetic import hamiltonian_in_field
from confinement.solvers import slicing
from confinement.symmetry import (
    SECTOR_BASES,
    SiteSymmetry,
    group_sector_bases,
    project_onto_sector,
    representative_orbitals,
    symmetry_sectors,
)
from tightbinding.bulk import bulk_tb
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import build_nanocrystal, make_shape
from tightbinding.parameters import load_tb_parameters


@pytest.fixture(scope="module")
def crystal() -> Crystal:
    return Crystal(load_tb_parameters("CsPbI3-N21-exp"))


@pytest.fixture(scope="module", params=[2, 3])
def cube(crystal, request):
    """N = 2 (no site on the C4 axis, X sites in the mirror plane) and N = 3 (Pb on the axis and
    at the centre): both kinds of non-trivial stabiliser."""
    return build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=request.param))


def test_c4h_blocks_are_orthonormal_joint_eigenspaces(cube):
    """All 8 blocks: orthonormal columns, dimensions summing to n, every column an eigenvector of
    U(C4z) with λ = e^{−iπm/2} (U⁴ = −1) and of the parity; the blocks of H reproduce its spectrum."""
    rotation = cube.rotation_c4z()
    parity = SiteSymmetry.from_parity(*cube.inversion(), cube.offsets)
    bases = group_sector_bases([rotation, parity])
    assert len(bases) == 8 and sum(V.shape[1] for V in bases.values()) == cube.n_orbitals
    spectra = []
    for (i, j), V in bases.items():
        Vd = V.toarray()
        np.testing.assert_allclose(Vd.conj().T @ Vd, np.eye(V.shape[1]), atol=1e-12)
        np.testing.assert_allclose(rotation.matrix @ Vd, rotation.eigenvalues[i] * Vd, atol=1e-12)
        np.testing.assert_allclose(parity.matrix @ Vd, parity.eigenvalues[j] * Vd, atol=1e-12)
        spectra.append(np.linalg.eigvalsh((V.conj().T @ cube.hamiltonian @ V).toarray()))
    full = np.linalg.eigvalsh(cube.hamiltonian.toarray())
    np.testing.assert_allclose(np.sort(np.concatenate(spectra)), full, atol=1e-10)


def test_block_from_representative_rows_equals_the_full_projection(crystal, cube):
    """V_χᴴ H V_χ from the rows of the representative orbitals only (the solver's projection, which
    uses [H, P_χ] = 0) equals the full triple product in every C4h block, free orbits and sites with
    a stabiliser alike, for H at B = 0 and in a field along z (which keeps C4h); a Hamiltonian that
    breaks the rotation gives a different matrix (the identity needs the symmetry: it is checked
    on H before use)."""
    generators = [cube.rotation_c4z(), SiteSymmetry.from_parity(*cube.inversion(), cube.offsets)]
    rep = representative_orbitals(generators)
    assert rep.size < cube.n_orbitals / 4
    along_z = hamiltonian_in_field(cube, np.array([0.0, 0.0, 2.0]))
    along_x = hamiltonian_in_field(cube, np.array([2.0, 0.0, 0.0]))
    for V in group_sector_bases(generators).values():
        for H in (cube.hamiltonian, along_z):
            full = (V.conj().T @ H @ V).toarray()
            np.testing.assert_allclose(project_onto_sector(H[rep], V, rep).toarray(), full, atol=1e-12)
        broken = np.abs(project_onto_sector(along_x[rep], V, rep).toarray() - (V.conj().T @ along_x @ V).toarray())
        assert broken.max() > 1e-6


def test_sector_bases_are_reused_for_one_layout_only(crystal):
    """A second parameter set on the same cube reuses the bases (same objects) and its blocks hold
    its own H; another layout (C2z instead of C4z, another size) evicts them and gets its own."""
    SECTOR_BASES.clear()
    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=2))
    first = symmetry_sectors(system.hamiltonian, system.inversion(), True, rotation=system.rotation_c4z())
    scaled = symmetry_sectors(1.5 * system.hamiltonian, system.inversion(), True, rotation=system.rotation_c4z())
    assert all(a.basis is b.basis for a, b in zip(first, scaled))
    for a, b in zip(first, scaled):
        np.testing.assert_allclose(b.matrix.toarray(), 1.5 * a.matrix.toarray(), atol=1e-12)
    c2 = symmetry_sectors(system.hamiltonian, system.inversion(), True, rotation=system.rotation_c2z())
    assert len(c2) == 2 and all(s.basis.shape[1] == system.n_orbitals // 4 for s in c2)
    other = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=3))
    bigger = symmetry_sectors(other.hamiltonian, other.inversion(), True, rotation=other.rotation_c4z())
    assert all(s.basis.shape[0] == other.n_orbitals for s in bigger)
    assert len(SECTOR_BASES.bases) == 4


def test_time_reversal_halves_the_blocks_to_solve(cube):
    """With Θ only one block of each Kramers pair (m, −m) is kept; its spectrum counted twice is the
    whole spectrum (every level is a Kramers doublet split over two blocks)."""
    sectors = symmetry_sectors(cube.hamiltonian, cube.inversion(), True, rotation=cube.rotation_c4z())
    assert len(sectors) == 4 and all(s.partner and s.theta is None for s in sectors)
    halves = np.concatenate([np.linalg.eigvalsh(s.matrix.toarray()) for s in sectors])
    full = np.linalg.eigvalsh(cube.hamiltonian.toarray())
    np.testing.assert_allclose(np.sort(np.repeat(halves, 2)), full, atol=1e-10)


def test_a_field_along_x_breaks_the_rotation_and_is_refused(crystal):
    """B ∥ z keeps C4z (symmetric gauge about the centre); B ∥ x does not: refused by name."""
    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=2))
    rotation, parity = system.rotation_c4z(), system.inversion()
    along_z = hamiltonian_in_field(system, np.array([0.0, 0.0, 2.0]))
    assert len(symmetry_sectors(along_z, parity, kramers=False, rotation=rotation)) == 8
    along_x = hamiltonian_in_field(system, np.array([2.0, 0.0, 0.0]))
    with pytest.raises(ParameterError, match="C4z rotation"):
        symmetry_sectors(along_x, parity, kramers=False, rotation=rotation)


def test_inertia_counts_equal_dense_counts(crystal):
    """Sylvester inertia of the LDLᴴ factor = number of eigenvalues below x (the certificate)."""
    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=3))
    block = symmetry_sectors(system.hamiltonian, system.inversion(), True, rotation=system.rotation_c4z())[0].matrix
    w = np.linalg.eigvalsh(block.toarray())
    for x in (-1.3, 0.4, 2.2, 2.46, 3.0):
        assert slicing.negative_eigenvalue_count(block, x) == np.sum(w < x)


def test_certificate_recovers_a_state_the_lanczos_search_missed(crystal, monkeypatch):
    """The first ARPACK call of every block hides the eigenpair nearest σ; the inertia count sees
    the gap in the window and the deflated second search finds it: the answer still equals LAPACK's."""
    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=3))
    bulk = bulk_tb(crystal)
    sigma = bulk.E_vbm + bulk.Eg / 2
    hints = {"parity": system.inversion(), "rotation": system.rotation_c4z()}
    calls = {"n": 0}
    real_eigsh = spla.eigsh

    def forgetful_eigsh(*args, **kwargs):
        e, v = real_eigsh(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] <= 4:                                     # the first search of each block
            keep = np.argsort(np.abs(e - sigma))[1:]
            return e[keep], v[:, keep]
        return e, v

    monkeypatch.setattr(slicing.spla, "eigsh", forgetful_eigsh)
    info: dict = {}
    e, _, r = slicing.sliced_band_edges(system.hamiltonian, sigma, n_each=2, tol=1e-9, dense_block=0,
                                        threads=1, info=info, **hints)
    full = np.linalg.eigvalsh(system.hamiltonian.toarray())
    i = np.searchsorted(full, sigma)
    np.testing.assert_allclose(e[e < sigma], full[i - np.sum(e < sigma):i], atol=1e-9)
    np.testing.assert_allclose(e[e > sigma], full[i:i + np.sum(e > sigma)], atol=1e-9)
    assert info["rounds"] >= 2 and r.max() <= 1e-9


def test_symmetry_operators_are_found_once_per_system_and_not_carried_to_a_moved_copy(cube):
    """The inversion and rotations depend on the sites only: a system finds them once (a record
    asked four times for each), and a copy with moved sites (dataclasses.replace) finds its own:
    shifted off the centre it has neither. The inversion is an involution mapping every orbital
    of a site onto the same orbital of its partner."""
    from dataclasses import replace

    perm, sign = cube.inversion()
    assert cube.inversion()[0] is perm and cube.rotation_c4z() is cube.rotation_c4z()
    np.testing.assert_array_equal(perm[perm], np.arange(cube.n_orbitals))
    site = cube.site_of_orbital
    np.testing.assert_allclose(cube.positions[site[perm]], -cube.positions[site], atol=1e-9)
    moved = replace(cube, positions=cube.positions + np.array([0.13, 0.0, 0.0]))
    assert moved.inversion() is None and moved.rotation_c4z() is None
    assert cube.inversion()[0] is perm
