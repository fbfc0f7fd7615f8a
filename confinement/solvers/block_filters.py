"""The filter polynomials of the filtered solver (:mod:`.filtered`) applied to one symmetry block:
p(H) V for a CSR block ``A`` (eV) and a dense block of columns V, on an
:class:`~confinement.array_backend.ArrayBackend`.

Two polynomials, both small on the spectrum outside the window (sigma - a, sigma + a) (eV) and
large inside it:

``fold``  T_m(l((H - sigma)^2)), l: [a^2, B] -> [-1, 1] with B >= max (E - sigma)^2 (eV^2): the best
          polynomial for the symmetric hull of the spectrum; degree 2m in H, two in-place sparse
          products per step.
``bands`` the orthonormal polynomials of the equilibrium measure of the bands outside the window
          (:mod:`.band_filter`): the degree that matches the fold's growth at a reference distance
          from sigma, 1.2-1.3x lower on the CsPbX3 spectra; one product, one scaling, one axpy per
          degree.

:meth:`BlockFilter.plan` picks one for a block and returns ``apply(V)``: the columns of V are
independent, so a block may be filtered in column slices side by side (:mod:`.column_tasks`).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import zaxpy as _zaxpy
from scipy.linalg.blas import zscal as _zscal

from ..array_backend import ArrayBackend
from .band_filter import BandPolynomial, unwanted_set
from .spectral_support import Intervals

__all__ = ["BlockFilter", "fold_argument"]

#: Steps between column renormalisations of a recurrence (a common factor: the recurrence is linear).
RENORMALISE_EVERY = 24


def fold_argument(d: float, a: float, B: float) -> float:
    """Argument of T_m in the fold for a state at distance ``d`` (eV) from sigma, window half-width
    ``a`` (eV), folded-spectrum top ``B`` (eV^2): l((E - sigma)^2) with |E - sigma| = d."""
    return (a * a + B - 2 * d * d) / (B - a * a)


class BlockFilter:
    """p(H) V for the symmetry block ``A`` (CSR, eV) on ``backend``. ``A`` may be replaced once by
    the same matrix with its whole diagonal stored (:meth:`shifted`)."""

    def __init__(self, A: sp.csr_matrix, backend: ArrayBackend):
        self.A, self.backend = A, backend
        self.diag = None            # positions of A's diagonal in A.data (see shifted)

    def shifted(self, scale: complex, shift: complex) -> sp.csr_matrix:
        """scale·A + shift·1 as a CSR matrix that shares A's index arrays (one new data array; A's
        stored diagonal, completed once if some diagonal entries are not stored)."""
        if self.diag is None:
            A = self.A
            if not A.has_canonical_format:          # one stored entry per position
                A = A.copy()
                A.sum_duplicates()
            missing = np.flatnonzero(A.diagonal() == 0)
            if missing.size:      # store explicit zeros on the diagonal (same matrix, fuller pattern)
                A = (A + sp.csr_matrix((np.full(missing.size, 1e-300), (missing, missing)), shape=A.shape)).tocsr()
                A.data[np.abs(A.data) == 1e-300] = 0.0
                A.sort_indices()
            self.A = A
            rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
            self.diag = np.flatnonzero(A.indices == rows)
        data = self.A.data * scale
        data[self.diag] += shift
        return sp.csr_matrix((data, self.A.indices, self.A.indptr), shape=self.A.shape)

    def plan(self, support: Intervals | None, d_ref: float | None, sigma: float, a: float, B: float,
             m: int) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
        """(apply, degree in H) of the filter for window half-width ``a`` (eV) around ``sigma`` (eV),
        folded top ``B`` (eV^2) and fold half-degree ``m``: the band polynomial (:meth:`bands`) where
        the block has a ``support`` (bands, eV intervals) and the polynomial matches the fold's
        growth at ``d_ref`` (eV from sigma) with a lower degree, else the fold (:meth:`fold`)."""
        if support is not None and d_ref is not None:
            d = min(d_ref, 0.999 * a)
            log_target = m * np.arccosh(fold_argument(d, a, B)) - np.log(2.0)      # log T_m(x), T_m(x) >> 1
            poly = BandPolynomial(unwanted_set(support, sigma, a), 2 * m)
            n = poly.degree_for(log_target, [sigma - d, sigma + d])
            if n is not None and n < 2 * m:
                return (lambda V: self.bands(poly, n, V)), n
        factors = self.fold_factors(sigma, a, B)
        return (lambda V: self.fold(factors, m, V)), 2 * m

    def bands(self, poly: BandPolynomial, n: int, V: np.ndarray) -> np.ndarray:
        """p_n(H) V for the orthonormal polynomials of ``poly`` (module band_filter), through the
        monic recurrence pi_k+1 = (H - alpha_k) pi_k - beta_k^2 pi_k-1, in place: scale, axpy, product.
        Columns renormalised every RENORMALISE_EVERY steps. ``V`` is not modified."""
        dev = self.backend
        A = dev.sparse_to_device(self.A)
        W = dev.to_device(V)
        if W is V:          # the recurrence overwrites both its vectors: never the caller's V
            W = W.copy()
        W_prev = dev.xp.zeros_like(W)
        cpu = dev.name == "cpu"
        for k in range(n):
            if k == 0:          # pi_1 = (H - alpha_0) pi_0
                W_prev = -poly.alpha[0] * W
            elif cpu:
                _zscal(-poly.beta[k] ** 2, W_prev.ravel())
                _zaxpy(W.ravel(), W_prev.ravel(), a=-poly.alpha[k])
            else:
                W_prev *= -poly.beta[k] ** 2
                W_prev -= poly.alpha[k] * W
            dev.accumulate(A, W, W_prev)
            W_prev, W = W, W_prev
            if k % RENORMALISE_EVERY == RENORMALISE_EVERY - 1:
                s = 1.0 / dev.column_norms(W)
                W *= s
                W_prev *= s
        return np.ascontiguousarray(dev.to_host(W))

    def fold_factors(self, sigma: float, a: float, B: float) -> tuple:
        """The two shifted copies of the block, A~ + sqrt c' and i(A~ - sqrt c'), on the device, that
        :meth:`fold` multiplies by (built once per filter, shared by its column slices)."""
        e, c = 0.5 * (B - a * a), 0.5 * (B + a * a)
        f = np.sqrt(2.0 / e)
        rc = np.sqrt(2.0 * c / e)
        dev = self.backend
        return (dev.sparse_to_device(self.shifted(f, rc - f * sigma)),
                dev.sparse_to_device(self.shifted(1j * f, -1j * (rc + f * sigma))))

    def fold(self, factors: tuple, m: int, V: np.ndarray) -> np.ndarray:
        """p(H) V with p = T_m(l((H - sigma)^2)), l: [a^2, B] -> [-1, 1]; up to a phase per column.

        With A~ = sqrt(2/e)(H - sigma) and c' = 2c/e: l((H-sigma)^2) = (A~^2 - c')/2, and
        A~^2 - c' = (A~ - sqrt c')(A~ + sqrt c') (``factors``, :meth:`fold_factors`).  W_k = i^k Y_k
        obeys W_{k+1} = (i M) W_k + W_{k-1}, so every step is two in-place sparse products and nothing else.
        """
        Ap, iAm = factors
        dev = self.backend
        X = dev.to_device(V)
        T = dev.xp.zeros_like(X)
        W0 = X.copy()
        dev.accumulate(Ap, X, T)
        W1 = dev.xp.zeros_like(X)
        dev.accumulate(iAm, T, W1)
        W1 *= 0.5
        for step in range(1, m):
            T.fill(0)
            dev.accumulate(Ap, W1, T)
            dev.accumulate(iAm, T, W0)
            W0, W1 = W1, W0
            if step % RENORMALISE_EVERY == 0:
                s = 1.0 / dev.column_norms(W1)
                W1 *= s
                W0 *= s
        return np.ascontiguousarray(dev.to_host(W1))
