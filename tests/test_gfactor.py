"""J-convention g-tensor extraction: basis independence, sign convention, error paths."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import unitary_group

from confinement.errors import PhysicsCheckError
from confinement.gfactor import PAULI, g_tensor


def _project(ops: np.ndarray, states: np.ndarray) -> np.ndarray:
    return np.einsum("ia,gij,jb->gab", states.conj(), ops, states)


def _rotate(ops: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.einsum("ai,gab,bj->gij", u.conj(), ops, u)


def test_spin_half_doublet_gives_its_g_in_any_basis():
    # H_Z = (g/2) μB B·σ with J = σ/2: g must come out for every orthonormal basis of the doublet.
    g = -1.37
    zeeman, j = g / 2 * PAULI, PAULI / 2
    for seed in range(5):
        u = unitary_group.rvs(2, random_state=seed)
        result = g_tensor(_rotate(zeeman, u), _rotate(j, u))
        np.testing.assert_allclose(result.tensor, g * np.eye(3), atol=1e-12)
        assert result.handedness == 1


def test_sign_follows_projected_angular_momentum_not_spin():
    # A J=1/2 doublet from l=1: ⟨σ_z⟩ = −1/3 on ⇑. Pure spin Zeeman g0 S gives g = −g0/3 in the
    # J-convention (the σ-convention would give +g0/3: BRIEF §2 forbids it).
    basis = _j_half_states()
    sigma = np.array([np.kron(np.eye(3), s) for s in PAULI])
    lz = _l_matrices()
    j = np.array([np.kron(lz[i], np.eye(2)) + sigma[i] / 2 for i in range(3)])
    result = g_tensor(_project(2.0 * sigma / 2, basis), _project(j, basis))
    np.testing.assert_allclose(result.tensor, -2 / 3 * np.eye(3), atol=1e-12)


def test_rejects_non_kramers_pairs_and_singular_angular_momentum():
    with pytest.raises(PhysicsCheckError, match="traceless"):
        g_tensor(np.array([np.eye(2)] * 3, dtype=complex), PAULI / 2)
    j = PAULI / 2 * np.array([1, 0, 1])[:, None, None]  # J_y projects to zero
    with pytest.raises(PhysicsCheckError, match="singular"):
        g_tensor(PAULI, j)


def _l_matrices() -> np.ndarray:
    """L_γ on (X, Y, Z): (L_γ)_ij = −i ε_γij."""
    eps = np.zeros((3, 3, 3))
    for a, b, c in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        eps[a, b, c], eps[a, c, b] = 1, -1
    return -1j * eps


def _j_half_states() -> np.ndarray:
    """The J=1/2 doublet of p ⊗ spin: eigenvalue −2 of L·σ."""
    ls = sum(np.kron(_l_matrices()[i], PAULI[i]) for i in range(3))
    e, v = np.linalg.eigh(ls)
    assert np.allclose(e[:2], -2) and np.allclose(e[2:], 1)
    return v[:, :2]
