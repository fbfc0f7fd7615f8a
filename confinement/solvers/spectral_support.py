"""Where the spectrum of a sparse Hermitian matrix lies: its bands as a list of intervals (eV), from a
kernel-polynomial (KPM) estimate of the density of states.

    intervals = spectral_support(A, bounds=(emin, emax), moments=256)

A tight-binding spectrum is not one interval: the CsPbX3 sets have gaps of 1.7–5 eV between their
bands (halide s, Pb s, valence, conduction, the upper bands). A filter polynomial that is small only
on the bands, not on their hull, amplifies the band-edge states faster (see
:mod:`confinement.solvers.leja`).

The estimate is a smoothed density: gaps narrower than the kernel resolution (≈ π W / moments) are
not seen, and a state inside a gap with a weight below ``threshold`` (e.g. a lone surface state) is
missed. Nothing rigorous rests on it: the filtered solver detects a state found in a gap and fills
that gap (:func:`fill_gap`), and its certificate does not depend on the polynomial.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from ..errors import ParameterError

__all__ = ["spectral_support", "kpm_density", "fill_gap", "Intervals"]

#: A union of disjoint closed intervals [(lo, hi), ...], sorted, eV.
Intervals = tuple[tuple[float, float], ...]


def kpm_density(A: sps.csr_matrix, bounds: tuple[float, float], moments: int = 256, vectors: int = 1,
                seed: int = 0, grid: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(energies, density) of ``A`` on ``grid`` points in ``bounds`` (eV; density normalised to 1 over
    eV), from ``moments`` Chebyshev moments of ``vectors`` random vectors with the Jackson kernel.
    ``bounds`` must enclose the spectrum (e.g. the Lanczos estimate widened by 1 %). Costs
    moments / 2 products of A with a block of ``vectors`` columns."""
    emin, emax = map(float, bounds)
    if not emax > emin:
        raise ParameterError(f"spectrum bounds must satisfy emin < emax, got {bounds}")
    if moments < 8 or moments % 2:
        raise ParameterError(f"moments must be an even number >= 8, got {moments}")
    c, h = 0.5 * (emax + emin), 0.5 * (emax - emin)
    A = sps.csr_matrix(A, dtype=np.complex128)
    scaled = (A - c * sps.identity(A.shape[0], dtype=np.complex128, format="csr")) / h
    rng = np.random.default_rng(seed)
    r = rng.standard_normal((A.shape[0], vectors)) + 1j * rng.standard_normal((A.shape[0], vectors))
    r /= np.linalg.norm(r, axis=0)
    mu = np.zeros(moments)
    v0, v1 = r, scaled @ r
    mu[0] = 1.0
    mu[1] = np.mean(np.real(np.sum(r.conj() * v1, axis=0)))
    for j in range(1, moments // 2):        # mu_2j = 2<v_j, v_j> - mu_0, mu_2j+1 = 2<v_j+1, v_j> - mu_1
        mu[2 * j] = 2 * np.mean(np.real(np.sum(v1.conj() * v1, axis=0))) - mu[0]
        v0, v1 = v1, 2 * (scaled @ v1) - v0
        mu[2 * j + 1] = 2 * np.mean(np.real(np.sum(v1.conj() * v0, axis=0))) - mu[1]
    n = np.arange(moments)
    jackson = ((moments - n + 1) * np.cos(np.pi * n / (moments + 1))
               + np.sin(np.pi * n / (moments + 1)) / np.tan(np.pi / (moments + 1))) / (moments + 1)
    x = np.cos(np.pi * (np.arange(grid) + 0.5) / grid)[::-1]
    coef = mu * jackson * np.where(n == 0, 1.0, 2.0)
    rho = np.polynomial.chebyshev.chebval(x, coef) / (np.pi * np.sqrt(1 - x * x))
    return c + h * x, np.maximum(rho, 0.0) / h


def spectral_support(A: sps.csr_matrix, bounds: tuple[float, float], moments: int = 1024, *,
                     threshold: float = 1e-3, margin: float = 0.15, min_gap: float = 0.5,
                     seed: int = 0) -> Intervals:
    """The bands of ``A`` (eV): ``bounds`` less every gap where the KPM density stays below
    ``threshold`` × its mean (1 / (emax − emin)), each gap shrunk by ``margin`` eV at both ends and
    kept only if still wider than ``min_gap`` eV."""
    emin, emax = map(float, bounds)
    E, rho = kpm_density(A, bounds, moments, seed=seed)
    empty = rho < threshold / (emax - emin)
    intervals, lo, j = [], emin, 0
    while j < E.size:
        if not empty[j]:
            j += 1
            continue
        k = j
        while k + 1 < E.size and empty[k + 1]:
            k += 1
        g_lo, g_hi = E[j] + margin, E[k] - margin
        if 0 < j and k < E.size - 1 and g_hi - g_lo > min_gap:    # a gap inside the bounds
            intervals.append((lo, g_lo))
            lo = g_hi
        j = k + 1
    intervals.append((lo, emax))
    return tuple((float(a), float(b)) for a, b in intervals)


def support_gaps(support: Intervals) -> np.ndarray:
    """The gaps between the intervals of ``support``, an array (k, 2) of (lower, upper) ends (eV)."""
    ends = np.array(support, dtype=float).reshape(-1, 2)
    return np.column_stack([ends[:-1, 1], ends[1:, 0]])


def fill_gap(support: Intervals, energy: float) -> Intervals:
    """``support`` with the gap that holds ``energy`` (eV) filled (its two neighbours merged); the
    first or last interval extended if ``energy`` lies outside them all; unchanged if inside one."""
    iv = [list(x) for x in support]
    if energy < iv[0][0]:
        iv[0][0] = energy
    elif energy > iv[-1][1]:
        iv[-1][1] = energy
    else:
        for i in range(len(iv) - 1):
            if iv[i][1] < energy < iv[i + 1][0]:
                iv[i: i + 2] = [[iv[i][0], iv[i + 1][1]]]
                break
    return tuple((float(a), float(b)) for a, b in iv)
