"""The filter kernels of the filtered solver (confinement.solvers.block_filters) compute the
polynomials they name: checked against p(E) on the eigenvectors of a small random Hermitian
matrix, whose exact spectral decomposition is known."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

from confinement.array_backend import CPU
from confinement.solvers.band_filter import BandPolynomial, unwanted_set
from confinement.solvers.block_filters import BlockFilter, fold_argument

SIGMA, A_WIN = 0.3, 0.8          # window (sigma - a, sigma + a), eV


@pytest.fixture(scope="module")
def block():
    """A sparse Hermitian 'spectrum' on [-6, 5] eV with a gap (-0.4, 1.0) around sigma, some diagonal
    entries unstored (the fold must complete the diagonal), and its eigen-decomposition."""
    rng = np.random.default_rng(3)
    n = 120
    E = np.concatenate([np.linspace(-6.0, -0.4, 70), np.linspace(1.0, 5.0, 50)])
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)))
    H = (Q * E) @ Q.conj().T
    H = 0.5 * (H + H.conj().T)
    H[np.abs(H) < 0.02] = 0.0            # sparse enough to drop stored zeros, diagonal included
    np.fill_diagonal(H[:5, :5], 0.0)
    E, Q = np.linalg.eigh(H)
    return sps.csr_matrix(H), E, Q, rng.standard_normal((n, 3)) + 1j * rng.standard_normal((n, 3))


def _coefficients(Y, Q):
    return Q.conj().T @ Y                # columns in the eigenbasis


def test_fold_kernel_is_chebyshev_of_the_folded_spectrum(block):
    A, E, Q, V = block
    B = max((E - SIGMA) ** 2) * 1.01
    m = 7
    f = BlockFilter(A, CPU)
    V0 = V.copy()
    Y = f.fold(f.fold_factors(SIGMA, A_WIN, B), m, V)
    assert np.array_equal(V, V0)
    assert f.A.diagonal().size == A.shape[0] and abs(f.A - A).max() == 0      # same matrix, fuller pattern
    x = np.array([fold_argument(abs(e - SIGMA), A_WIN, B) for e in E])
    want = np.cosh(m * np.arccosh(x.astype(complex))).real[:, None] * _coefficients(V, Q)
    got = _coefficients(Y, Q)
    # equal up to one phase per column (module doc) and the recurrence's renormalisation (none for m < 24)
    phase = np.sum(want.conj() * got, axis=0) / np.sum(np.abs(want) ** 2, axis=0)
    assert np.allclose(np.abs(phase), 1.0, rtol=1e-10)
    assert np.abs(got - want * phase).max() <= 1e-10 * np.abs(want).max()


def test_band_kernel_is_the_orthonormal_polynomial_of_the_bands(block):
    A, E, Q, V = block
    support = ((E[0] - 0.01, E[69] + 0.01), (E[70] - 0.01, E[-1] + 0.01))
    poly = BandPolynomial(unwanted_set(support, SIGMA, A_WIN), 60)
    n = 50                                # past the renormalisation at step 24 and 48: a common factor per column
    V0 = V.copy()
    Y = BlockFilter(A, CPU).bands(poly, n, V)
    assert np.array_equal(V, V0)          # the input block is left as it was (the recurrence works on copies)
    p_n = np.array(list(poly._rows(E)))[n]
    want, got = p_n[:, None] * _coefficients(V, Q), _coefficients(Y, Q)
    scale = np.sum(want.conj() * got, axis=0) / np.sum(np.abs(want) ** 2, axis=0)
    assert np.allclose(scale.imag, 0.0, atol=1e-12 * np.abs(scale).max()) and np.all(scale.real > 0)
    assert np.abs(got - want * scale).max() <= 1e-9 * np.abs(got).max()


def test_plan_takes_the_band_polynomial_only_with_a_lower_degree(block):
    A, E, _, _ = block
    B = max((E - SIGMA) ** 2) * 1.01
    f = BlockFilter(A, CPU)
    support = ((E[0] - 0.01, E[69] + 0.01), (E[70] - 0.01, E[-1] + 0.01))
    _, degree_fold = f.plan(None, None, SIGMA, A_WIN, B, 30)
    _, degree_bands = f.plan(support, 0.6, SIGMA, A_WIN, B, 30)
    assert degree_fold == 60
    # the asymmetric spectrum (6.3 eV below sigma, 4.7 above) lets the band polynomial reach the
    # fold's growth at 0.6 eV from sigma with fewer powers of H
    assert degree_bands < degree_fold
