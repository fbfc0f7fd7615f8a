"""The symmetries the band-edge solvers use: time reversal (Kramers) and inversion parity.

Both are checked numerically on the Hamiltonian before use; a model that breaks one (a magnetic
field breaks time reversal, an off-centre cluster breaks inversion) gets a clear error instead of
a wrong spectrum.

Time reversal: Θ = (I ⊗ iσ_y) K in the basis index = 2·orbital + spin, so Θx = J x̄ with the real
matrix J of :func:`kramers_matrix`. Every level is (at least) doubly degenerate.

Parity: (P x)[i] = sign[i] · x[perm[i]], an involution commuting with H (inversion through the
nanocrystal centre: site r → −r, orbital sign (−1)^l, spin kept). H splits into two decoupled
blocks Qₛᵀ H Qₛ on the ±1 eigenspaces; Θ commutes with P, so each block keeps its Kramers pairs
(Qₛᵀ J Qₛ is the time reversal inside the block).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .errors import ParameterError

__all__ = ["kramers_matrix", "parity_sector_bases", "SymmetrySector", "symmetry_sectors"]


def kramers_matrix(n: int) -> sp.csr_matrix:
    """Real J with Θx = J conj(x), J = I ⊗ [[0, 1], [−1, 0]] (index 2·orbital + spin)."""
    if n % 2:
        raise ValueError("Kramers structure needs an even dimension (index = 2*orbital + spin)")
    i = np.arange(0, n, 2)
    rows = np.concatenate([i, i + 1])
    cols = np.concatenate([i + 1, i])
    vals = np.concatenate([np.ones(n // 2), -np.ones(n // 2)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


def parity_sector_bases(perm, sign) -> dict[int, sp.csr_matrix]:
    """Real isometries Qₛ (n × nₛ) onto the ±1 eigenspaces of (P x)[i] = sign[i] x[perm[i]]."""
    perm = np.asarray(perm, dtype=np.int64)
    sign = np.asarray(sign, dtype=float)
    n = perm.size
    if not np.array_equal(perm[perm], np.arange(n)):
        raise ValueError("parity permutation is not an involution")
    if np.any(sign[perm] * sign != 1):
        raise ValueError("parity signs are inconsistent (P^2 != 1)")
    idx = np.arange(n)
    fixed = idx[perm == idx]
    pair = idx[perm > idx]
    out = {}
    for s in (1, -1):
        f = fixed[sign[fixed] == s]
        first = np.concatenate([pair, f])
        order = np.argsort(first, kind="stable")      # keeps (2*orbital + spin) pairs adjacent
        first = first[order]
        is_pair = np.concatenate([np.ones(pair.size, bool), np.zeros(f.size, bool)])[order]
        cols = np.arange(first.size)
        h = np.sqrt(0.5)
        r = np.concatenate([first, perm[first[is_pair]]])
        c = np.concatenate([cols, cols[is_pair]])
        v = np.concatenate([np.where(is_pair, h, 1.0), s * sign[first[is_pair]] * h])
        out[s] = sp.csr_matrix((v, (r, c)), shape=(n, first.size))
    return out


@dataclass
class SymmetrySector:
    """One decoupled block of H: ``matrix`` = Qᵀ H Q (``basis`` Q, None for the whole space) and
    its time reversal ``theta`` (Θx = theta @ conj(x); None without Kramers symmetry)."""

    key: int
    basis: sp.csr_matrix | None
    matrix: sp.csr_matrix
    theta: sp.csr_matrix | None

    @property
    def weight(self) -> float:
        """Fraction of the full dimension in this block."""
        return self.matrix.shape[0] / (self.basis.shape[0] if self.basis is not None else self.matrix.shape[0])

    def to_full(self, vectors: np.ndarray) -> np.ndarray:
        """Block vectors → full-space vectors."""
        return vectors if self.basis is None else self.basis @ vectors


def symmetry_sectors(H: sp.csr_matrix, parity=None, kramers: bool = True, *, seed: int = 0,
                     rtol: float = 1e-10) -> list[SymmetrySector]:
    """The blocks of H under the given symmetries, each checked on a random vector first.

    ``parity``: None or (perm, sign) (module doc); ``kramers``: use time reversal. Raises
    ParameterError naming the symmetry if H does not commute with Θ (pass kramers=False) or with
    the given parity.
    """
    H = sp.csr_matrix(H)
    n = H.shape[0]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    hx = H @ x
    scale = np.linalg.norm(hx)
    J = None
    if kramers:
        J = kramers_matrix(n)
        err = np.linalg.norm(H @ (J @ x.conj()) - J @ hx.conj()) / scale
        if err > rtol:
            raise ParameterError(f"H does not commute with time reversal (rel. err {err:.1e}); use kramers=False")
    if parity is None:
        H.sort_indices()
        return [SymmetrySector(0, None, H, J)]
    perm, sgn = np.asarray(parity[0]), np.asarray(parity[1], dtype=float)
    err = np.linalg.norm(H @ (sgn * x[perm]) - sgn * hx[perm]) / scale
    if err > rtol:
        raise ParameterError(f"H does not commute with the given parity (rel. err {err:.1e})")
    sectors = []
    for key, Q in parity_sector_bases(perm, sgn).items():
        A = (Q.T @ H @ Q).tocsr()
        A.sort_indices()
        Js = None
        if J is not None:
            Js = (Q.T @ J @ Q).tocsr()
            Js.eliminate_zeros()
        sectors.append(SymmetrySector(key, Q, A, Js))
    return sectors
