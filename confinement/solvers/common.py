"""Helpers shared by the band-edge strategies: Hermiticity check, residuals, degenerate levels,
orthonormalisation of degenerate clusters, spectrum bounds, the clean-gap check and the thread
count of the per-block work. Energies in eV."""

from __future__ import annotations

import os

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sps

from ..errors import ConvergenceError, ParameterError

__all__ = ["check_hermitian", "residual_norms", "orthonormalise_degenerate", "energy_levels", "solver_threads",
           "spectrum_bounds", "require_clean_gap", "doublets_per_side", "as_complex_csr", "LEVEL_TOL",
           "whole_levels"]


def as_complex_csr(h) -> sps.csr_matrix:
    """``h`` as one complex128 CSR matrix with sorted indices; no copy when it already is one."""
    if not (sps.isspmatrix_csr(h) and h.dtype == np.complex128):
        h = sps.csr_matrix(h, dtype=np.complex128)
    if not h.has_sorted_indices:
        h.sort_indices()
    return h


def check_hermitian(h, rtol: float = 1e-12) -> None:
    """Raise :class:`ParameterError` if ``h`` is not Hermitian (relative to its largest element)."""
    if sps.issparse(h):
        err, scale = _sparse_hermitian_error(h)
    else:
        h = np.asarray(h)
        err, scale = np.abs(h - h.conj().T).max(initial=0.0), np.abs(h).max(initial=0.0)
    if err > rtol * max(scale, 1.0):
        raise ParameterError(f"the Hamiltonian is not Hermitian: max |H − H†| = {err:.2e} eV")


def _sparse_hermitian_error(h) -> tuple[float, float]:
    """(max |H − H†|, max |H|) of a sparse ``h``. The CSC arrays of a CSR matrix are the CSR
    arrays of its transpose: where they hold the same pattern as ``h`` (a symmetric pattern, the
    usual case), the stored values are compared pairwise, with no sparse subtraction; any other
    pattern takes the general route. A CSR ``h`` gets its column indices sorted in place (the
    matrix is unchanged), as a sparse subtraction would do."""
    h = h.tocsr()
    h.sort_indices()
    t = h.tocsc()
    if np.array_equal(t.indptr, h.indptr) and np.array_equal(t.indices, h.indices):
        return _chunked_max(lambda k: np.abs(t.data[k] - np.conj(h.data[k])), h.nnz), _max_abs(h.data)
    return _max_abs((h - h.getH()).tocsr().data), _max_abs(h.data)


_CHUNK = 1 << 18     # entries per pass of the element-wise maxima: temporaries stay in cache


def _chunked_max(values, size: int) -> float:
    """max over k of ``values(slice)`` for consecutive slices of ``range(size)`` (0 if empty)."""
    return max((float(values(slice(k, k + _CHUNK)).max()) for k in range(0, size, _CHUNK)), default=0.0)


def _max_abs(data: np.ndarray) -> float:
    return _chunked_max(lambda k: np.abs(data[k]), data.size)


def residual_norms(h, energies: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """‖H v − E v‖ for each column (eV)."""
    return np.linalg.norm(h @ vectors - vectors * energies[None, :], axis=0)


def orthonormalise_degenerate(energies: np.ndarray, vectors: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """QR-orthonormalise every cluster of (near-)degenerate vectors (energies within ``tol`` eV);
    other vectors are normalised."""
    out = vectors.copy()
    order = np.argsort(energies)
    for level in energy_levels(energies[order], tol):
        cols = order[level]
        out[:, cols], _ = np.linalg.qr(out[:, cols])
    return out


#: States closer than this (eV) belong to one level (the strategies' default degeneracy tolerance).
LEVEL_TOL = 1e-6


def energy_levels(x: np.ndarray, deg_tol: float) -> list[np.ndarray]:
    """Index groups of the sorted values ``x`` that lie within ``deg_tol`` of their neighbour (degenerate levels)."""
    cuts = np.where(np.diff(x) > deg_tol)[0] + 1
    return np.split(np.arange(x.size), cuts) if x.size else []


def whole_levels(energies: np.ndarray, side: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` of the indices ``side`` (ordered away from the gap), and those after them
    whose energy lies within LEVEL_TOL of the last one kept (the rest of its level)."""
    keep = side[:n]
    if len(keep) == n and len(side) > n:
        rest = side[n:]
        gaps = np.abs(np.diff(energies[np.concatenate([keep[-1:], rest])]))
        extra = int(np.argmax(gaps > LEVEL_TOL)) if np.any(gaps > LEVEL_TOL) else len(rest)
        keep = side[:n + extra]
    return keep


def solver_threads(n_tasks: int, threads: int | None = None) -> int:
    """Threads for work split into ``n_tasks`` independent pieces (symmetry blocks, or the filtered
    solver's filter columns): ``threads`` if given, else the environment variable
    ``LANDEG_THREADS``, else the usable cores; never more than ``n_tasks``. (The sweep runner's
    worker processes get ``LANDEG_THREADS=1``: one process per core already fills the machine.)"""
    if threads is None:
        env = os.environ.get("LANDEG_THREADS")
        if env is not None:
            try:
                threads = int(env)
            except ValueError:
                raise ValueError(f"LANDEG_THREADS must be a positive integer, got {env!r}") from None
        else:
            threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    return max(1, min(threads, n_tasks))


def spectrum_bounds(H, steps: int = 40, seed: int = 1) -> tuple[float, float]:
    """[Emin, Emax] (eV) from a ``steps``-step Lanczos run: extreme Ritz values widened by their
    residuals and 1 %.

    Plain three-term Lanczos, no reorthogonalisation: in floating point its Ritz values stay
    within the spectrum's hull up to O(ε‖H‖) (Paige 1980), and the extreme ones converge first,
    so the enclosure is the same as with full reorthogonalisation (checked to 1e-13 eV on a
    9.8 nm cube), at 40 mat-vecs instead of 40 mat-vecs plus 1 600 vector updates (N = 16: 0.3 s
    against 5.5 s). The filtered solver widens the bounds if a Ritz value ever falls outside."""
    n = H.shape[0]
    rng = np.random.default_rng(seed)
    steps = min(steps, n - 1)
    v = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    v /= np.linalg.norm(v)
    v_prev = np.zeros_like(v)
    alpha, beta = np.zeros(steps), np.zeros(steps)
    for j in range(steps):
        w = H @ v
        alpha[j] = np.vdot(v, w).real
        w -= alpha[j] * v
        if j:
            w -= beta[j - 1] * v_prev
        beta[j] = np.linalg.norm(w)
        if beta[j] == 0.0:              # an invariant subspace: its Ritz values are exact
            alpha, beta = alpha[:j + 1], beta[:j + 1]
            break
        v_prev, v = v, w / beta[j]
    th, s = sla.eigh_tridiagonal(alpha, beta[:-1])
    res = np.abs(beta[-1] * s[-1, :])
    lo, hi = th[0] - res[0], th[-1] + res[-1]
    pad = 0.01 * (hi - lo)
    return lo - pad, hi + pad


def require_clean_gap(E: np.ndarray, sigma: float, half_gap: float, min_gap_fraction: float = 0.5) -> float:
    """The gap (eV) between the states found on either side of ``sigma``; raises ConvergenceError if
    it is below ``min_gap_fraction`` of the guessed gap 2·``half_gap`` (σ not in a clean gap)."""
    gap = float(E[E > sigma].min() - E[E < sigma].max())
    if gap < min_gap_fraction * 2 * half_gap:
        raise ConvergenceError(
            f"the states nearest sigma={sigma:.4f} are only {gap:.4f} apart (guessed gap {2 * half_gap:.4f}): "
            "sigma is not in a clean gap (wrong guesses, or in-gap surface/defect states)")
    return gap


def doublets_per_side(n_below: int, n_above: int) -> int:
    """Kramers doublets per side that cover ``n_below`` states below and ``n_above`` above."""
    return max(-(-n_below // 2), -(-n_above // 2))
