"""Warm-start seeds and the certificate (confinement.solvers.filtered): a seed may cost mat-vecs,
never the answer. And the size mapping of confinement.warm_start carries band-edge states onto
another size (the R-point Bloch phase taken into account)."""

from __future__ import annotations

import numpy as np
import pytest

from confinement.doublets import solver_hints
from confinement.solvers.filtered import SolverInfo, Subspace, band_edge_states
from confinement.symmetry import kramers_matrix, symmetry_sectors
from confinement.warm_start import map_to_size
from tightbinding.bulk import bulk_tb
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import build_nanocrystal, make_shape
from tightbinding.parameters import load_tb_parameters


@pytest.fixture(scope="module")
def refit():
    crystal = Crystal(load_tb_parameters("CsPbI3-refit-N23"))
    bulk = bulk_tb(crystal)
    cubes = {n: build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=n)) for n in (6, 7)}
    return bulk, cubes


def _solve(system, bulk, guess=None):
    h = solver_hints(system, bulk.Eg / 2)
    sigma, hg = bulk.E_vbm + bulk.Eg / 2, bulk.Eg / 2
    info = SolverInfo()
    e, v, _ = band_edge_states(system.hamiltonian, sigma - hg, sigma + hg, n_each=1, tol=1e-8, parity=h["parity"],
                               kramers=h["kramers"], rotation=h["rotation"], info=info, guess=guess)
    return e, v, info


def _blocks(system, bulk):
    h = solver_hints(system, bulk.Eg / 2)
    return {str(b.key): b for b in symmetry_sectors(system.hamiltonian, h["parity"], h["kramers"],
                                                    rotation=h["rotation"])}


def test_mapped_band_edge_states_overlap_the_new_ones(refit):
    # both edges of cubic CsPbX3 lie at R: without the phase (-1)^(i+j+k) the overlap is 0.000
    bulk, cubes = refit
    _, v6, _ = _solve(cubes[6], bulk)
    _, v7, _ = _solve(cubes[7], bulk)
    Q, _ = np.linalg.qr(map_to_size(cubes[6], cubes[7], v6))
    overlap = np.linalg.svd(v7.conj().T @ Q, compute_uv=False)
    assert overlap.min() > 0.98


def test_a_subspace_seed_showing_one_band_edge_gives_the_cold_answer(refit):
    """The 6-cube's Ritz subspace (Theta images included) mapped onto the 7-cube, cut to the one
    Ritz vector nearest sigma per block: conduction-side states only. Planned from that seed, the
    cuts excluded the valence edge, the first filters damped it to rounding level, and the solver
    certified a valence edge 0.20 eV too deep (0.514 against 0.712 eV). Such a seed is now demoted
    to a guess that joins the random start (info.blocks['guess'] says so): the cold answer."""
    bulk, cubes = refit
    e_cold, _, cold = _solve(cubes[7], bulk)
    _, _, six = _solve(cubes[6], bulk)
    old, new = _blocks(cubes[6], bulk), _blocks(cubes[7], bulk)
    lifted = np.hstack([old[k].to_full(np.asarray(Z, complex)) for k, Z in six.subspace.blocks.items()])
    lifted = np.hstack([lifted, kramers_matrix(lifted.shape[0]) @ lifted.conj()])
    mapped = map_to_size(cubes[6], cubes[7], lifted)
    sigma = bulk.E_vbm + bulk.Eg / 2          # where the solver starts (the bulk mid-gap)
    seed = {}
    for key, blk in new.items():
        U, sv, _ = np.linalg.svd(blk.basis.conj().T @ mapped, full_matrices=False)
        Q = U[:, sv > 0.3 * sv[0]]
        G = Q.conj().T @ (blk.matrix @ Q)
        theta, W = np.linalg.eigh(0.5 * (G + G.conj().T))
        Z = Q @ W
        res = np.linalg.norm(blk.matrix @ Z - Z * theta, axis=0)
        seed[key] = Z[:, [int(np.argmin(np.hypot(theta - sigma, res)))]]
    assert all(np.real(np.vdot(z, new[k].matrix @ z)) > sigma for k, z in seed.items())  # one side only
    e, _, info = _solve(cubes[7], bulk, Subspace(cubes[7].n_orbitals, seed, cold.subspace.bounds, None,
                                                 six.subspace.support))
    np.testing.assert_allclose(e, e_cold, atol=1e-9)
    assert info.blocks["guess"].startswith("subspace without both band edges")
    assert info.matvecs < 1.5 * cold.matvecs          # 30 510 before the demotion, 10x the cold solve


def test_a_seed_showing_both_edges_is_kept(refit):
    # the solve's own subspace: re-certified in one filter, far below the cold mat-vecs
    bulk, cubes = refit
    e_cold, _, cold = _solve(cubes[6], bulk)
    e, _, info = _solve(cubes[6], bulk, cold.subspace)
    assert info.blocks["guess"] == "subspace"
    np.testing.assert_allclose(e, e_cold, atol=1e-9)
    assert info.matvecs < 0.5 * cold.matvecs


def test_a_seed_lacking_the_block_of_an_edge_state_is_probed_and_gives_the_cold_answer():
    """The 9-cube's own converged subspace with the valence-side pairs removed from the block that
    holds the valence edge: every other block is complete, so the seed shows both edges and is
    kept. Without a probe the seeded blocks were taken as they were, and the solver certified a
    valence edge 0.15 eV too deep (0.685 against 0.834 eV) in 44 mat-vecs. Every seeded block is
    now filtered once with a random vector before an answer is accepted, which shows the state."""
    crystal = Crystal(load_tb_parameters("CsPbI3-refit-N23"))
    bulk = bulk_tb(crystal)
    system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=9))
    e_cold, _, cold = _solve(system, bulk)
    blocks = _blocks(system, bulk)
    seed, emptied = {}, None
    for key, Z in cold.subspace.blocks.items():
        theta = np.real(np.einsum("ij,ij->j", Z.conj(), blocks[key].matrix @ Z))
        if emptied is None and np.any(np.abs(theta - e_cold[0]) < 1e-8):     # holds the valence edge
            emptied, Z = key, Z[:, theta > cold.sigma]
        seed[key] = Z
    assert emptied is not None
    e, _, info = _solve(system, bulk, Subspace(cold.subspace.n, seed, cold.subspace.bounds, None,
                                               cold.subspace.support))
    assert info.blocks["guess"] == "subspace"                                 # shows both edges: kept
    np.testing.assert_allclose(e, e_cold, atol=1e-9)
