"""A filter polynomial small on the bands of a spectrum and large in the window around sigma: the
orthonormal polynomials p_n of the equilibrium measure of the unwanted set

    K = support ∩ {|x - sigma| >= a}  (the window's neighbours extended to its edges; eV),

applied through their three-term recurrence.

Why: the folded Chebyshev filter T_m(l((H - sigma)^2)) is the best polynomial for the symmetric hull
[sigma - L, sigma - a] ∪ [sigma + a, sigma + L]. A tight-binding spectrum is asymmetric about the gap
and has gaps of its own (CsPbI3-N21-exp: -13.6..22.1 eV, gaps of 5.2, 1.7 and 2.8 eV). The growth
per degree of the best polynomial on K at a state near the window is the Green's function g_K of the
complement of K: 1.37x that of the fold on the bulk bands of that set, 1.25x for the X-X set (1.30x
and 1.22x with the KPM margins; docs/performance.md). The orthonormal polynomials of the equilibrium
measure grow like exp(n g_K(z)) with a bounded factor (a Leja product, measured, loses a factor of
~50 at the degrees used). Their recurrence costs one sparse product, one scaling and one axpy per
degree (1.10-1.13x a bare product, the fold's per-degree cost is 1.02-1.16x; measured at N = 16).

The equilibrium measure of a finite union of intervals [e_0, e_1] ∪ ... ∪ [e_2p-2, e_2p-1] has the
density |q(t)| / (pi sqrt|prod_j (t - e_j)|), q monic of degree p - 1 with zero integral over every
gap; it is discretised by Gauss-Chebyshev nodes per interval and the recurrence coefficients come
from the Stieltjes procedure on that discrete measure.
"""
from __future__ import annotations

import numpy as np

from .spectral_support import Intervals

__all__ = ["unwanted_set", "BandPolynomial", "equilibrium_measure"]

#: Nodes per interval per unit of (degree × equilibrium mass), and the fewest per interval.
NODES_PER_ZERO, NODES_MIN = 3, 64


def unwanted_set(support: Intervals, sigma: float, a: float) -> Intervals:
    """The support less the window (sigma - a, sigma + a) (eV), its nearest intervals on each side
    extended to the window's edges: every state at |E - sigma| >= a must be damped, so the support's
    own gap around sigma is not used."""
    below = [(lo, min(hi, sigma - a)) for lo, hi in support if lo < sigma - a]
    above = [(max(lo, sigma + a), hi) for lo, hi in support if hi > sigma + a]
    if below:
        below[-1] = (below[-1][0], sigma - a)
    if above:
        above[0] = (sigma + a, above[0][1])
    return tuple((float(lo), float(hi)) for lo, hi in below + above if hi > lo)


def _chebyshev_nodes(lo: float, hi: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """t_j = mid - half cos(theta_j), theta_j = pi (j + 1/2) / k, and the weight pi / k of each:
    sum_j w_j f(t_j) ≈ ∫ f(t) / sqrt((t - lo)(hi - t)) dt."""
    theta = np.pi * (np.arange(k) + 0.5) / k
    return 0.5 * (lo + hi) - 0.5 * (hi - lo) * np.cos(theta), np.full(k, np.pi / k)


def _q_values(edges: np.ndarray, pieces: list[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """|q(t)| / sqrt|prod over the other edges| on each interval's nodes (see module doc)."""
    p = edges.size // 2

    def rest(t, i):     # sqrt |prod_j (t - e_j)| over the edges of the other intervals
        others = np.delete(edges, [2 * i, 2 * i + 1])
        return np.sqrt(np.prod(np.abs(t[:, None] - others[None, :]), axis=1)) if others.size else np.ones_like(t)

    # q monic of degree p - 1: zero integral of q / sqrt|w| over each of the p - 1 gaps
    M, rhs = np.zeros((p - 1, p - 1)), np.zeros(p - 1)
    for g in range(p - 1):
        lo, hi = edges[2 * g + 1], edges[2 * g + 2]
        t, w = _chebyshev_nodes(lo, hi, 200)
        others = np.delete(edges, [2 * g + 1, 2 * g + 2])
        w = w / np.sqrt(np.prod(np.abs(t[:, None] - others[None, :]), axis=1))
        M[g] = [np.sum(w * t ** j) for j in range(p - 1)]
        rhs[g] = -np.sum(w * t ** (p - 1))
    coef = np.linalg.solve(M, rhs) if p > 1 else np.zeros(0)
    q = np.polynomial.Polynomial(np.append(coef, 1.0))
    return [np.abs(q(t)) / rest(t, i) for i, (t, _) in enumerate(pieces)]


def equilibrium_measure(K: Intervals, degree: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (eV) and weights (sum 1) of the equilibrium measure of K, fine enough for orthogonal
    polynomials up to ``degree``. Coordinates are centred and scaled inside (conditioning of q)."""
    lo_all, hi_all = K[0][0], K[-1][1]
    c, h = 0.5 * (lo_all + hi_all), 0.5 * (hi_all - lo_all)
    edges = (np.array([x for iv in K for x in iv]) - c) / h
    coarse = [_chebyshev_nodes(edges[2 * i], edges[2 * i + 1], 128) for i in range(len(K))]
    mass = np.array([np.sum(w * f) for (_, w), f in zip(coarse, _q_values(edges, coarse))])
    mass /= mass.sum()
    counts = [max(NODES_MIN, int(np.ceil(NODES_PER_ZERO * degree * m))) for m in mass]
    pieces = [_chebyshev_nodes(edges[2 * i], edges[2 * i + 1], k) for i, k in enumerate(counts)]
    t = np.concatenate([x for x, _ in pieces])
    w = np.concatenate([w * f for (_, w), f in zip(pieces, _q_values(edges, pieces))])
    return c + h * t, w / w.sum()


class BandPolynomial:
    """Orthonormal polynomials p_0..p_n_max of the equilibrium measure of ``K`` (eV):
    x p_k = beta_{k+1} p_{k+1} + alpha_k p_k + beta_k p_{k-1}; ``log_max[n]`` = log max_K |p_n| on a
    grid (K's nodes and interval ends)."""

    def __init__(self, K: Intervals, n_max: int):
        self.K, self.n_max = K, int(n_max)
        t, w = equilibrium_measure(K, self.n_max)
        alpha, beta = np.zeros(self.n_max + 1), np.zeros(self.n_max + 2)
        q_prev, q = np.zeros_like(t), np.sqrt(w)        # Stieltjes = Lanczos on diag(t) from sqrt(w)
        for k in range(self.n_max + 1):
            v = t * q - beta[k] * q_prev
            alpha[k] = q @ v
            v -= alpha[k] * q
            beta[k + 1] = np.linalg.norm(v)
            q_prev, q = q, v / beta[k + 1]
        self.alpha, self.beta = alpha, beta
        grid = np.concatenate([t, np.ravel(K)])
        self.log_max = np.array([np.log(np.max(np.abs(row))) for row in self._rows(grid)])

    def _rows(self, z: np.ndarray):
        """p_0(z), p_1(z), ..., p_n_max(z) (one array over ``z`` at a time)."""
        p_prev, p = np.zeros_like(z), np.ones_like(z)
        for k in range(self.n_max + 1):
            yield p
            if k < self.n_max:
                p_prev, p = p, ((z - self.alpha[k]) * p - self.beta[k] * p_prev) / self.beta[k + 1]

    def log_growth(self, z) -> np.ndarray:
        """log(|p_n(z)| / max_K |p_n|) for n = 0..n_max (rows) at the points ``z`` (columns)."""
        z = np.atleast_1d(np.asarray(z, float))
        return np.log(np.abs(np.array(list(self._rows(z))))) - self.log_max[:, None]

    def degree_for(self, log_target: float, z) -> int | None:
        """Smallest degree at which every point of ``z`` gains exp(log_target) over K; None if no
        degree up to n_max does."""
        ok = np.flatnonzero(self.log_growth(z).min(axis=1) >= log_target)
        return int(ok[0]) if ok.size else None
