"""Orientation averages of doublet g-tensors: the Larmor g of randomly oriented nanocrystals.

A doublet with g-tensor g (field index first, J-convention, :class:`confinement.gfactor.GTensor`)
precesses in a field B along the unit vector n (NC frame) at ω = |gᵀn| μB B/ħ. For an ensemble of
randomly oriented NCs the field direction in each NC's frame is uniform on the sphere, whatever
the light direction: in Voigt geometry (B ⟂ k) the light fixes only the initial spin, whose
projection on the precession axis gᵀn/|gᵀn| sets the amplitude. That axis differs from n by an
angle of first order in the anisotropy, so the amplitude weight 1 − (k̂·ĥ)² = 1 + O(anisotropy²):
to first order every orientation precesses with the same amplitude and the light direction drops
out. Directions are a Fibonacci lattice on the half sphere (|gᵀn| is even in n) made symmetric under
the eight operations x → ±x, y → ±y, x ↔ y: deterministic and equal-weight; every quadratic form
nᵀMn is averaged to O(1/n²) (the midpoint rule in z), e.g. ⟨|gᵀn|²⟩ = tr(g gᵀ)/3 (test).
"""

from __future__ import annotations

import numpy as np

from .errors import ParameterError

__all__ = ["sphere_directions", "larmor_g", "mean_square_larmor_g"]


def sphere_directions(n: int) -> np.ndarray:
    """(8m, 3) unit vectors on the upper half sphere (z > 0), m = ⌈n/8⌉, equal weights: a Fibonacci
    lattice of m points (z_k = (k + ½)/m, golden-angle azimuths) and its images under x → ±x,
    y → ±y, x ↔ y. Uniform directions for quantities even in n."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"the number of field directions must be an integer >= 1, got {n!r}")
    m = -(-int(n) // 8)
    k = np.arange(m) + 0.5
    z = k / m
    phi = np.pi * (3.0 - np.sqrt(5.0)) * k
    rho = np.sqrt(1.0 - z**2)
    x, y = rho * np.cos(phi), rho * np.sin(phi)
    images = [(sx * a, sy * b) for a, b in ((x, y), (y, x)) for sx in (1, -1) for sy in (1, -1)]
    return np.concatenate([np.column_stack([u, v, z]) for u, v in images])


def larmor_g(tensors: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """|gᵀn| for every tensor (..., 3, 3) and unit direction (m, 3): shape (..., m). A diagonal
    tensor may be given by its diagonal (..., 3). Dimensionless; ω = |gᵀn| μB B/ħ."""
    g = np.asarray(tensors, float)
    n = np.asarray(directions, float)
    if n.ndim != 2 or n.shape[1] != 3:
        raise ParameterError(f"directions must be (m, 3) unit vectors, got shape {n.shape}")
    if g.shape[-2:] == (3, 3):
        return np.linalg.norm(np.einsum("mi,...ij->...mj", n, g), axis=-1)
    if g.shape[-1] == 3:
        return np.sqrt(np.einsum("...i,mi->...m", g**2, n**2))
    raise ParameterError(f"g-tensors must be (..., 3, 3) or diagonals (..., 3), got shape {g.shape}")


def mean_square_larmor_g(tensors: np.ndarray) -> np.ndarray:
    """Exact orientation average ⟨|gᵀn|²⟩ = tr(g gᵀ)/3 of (..., 3, 3) tensors (the quadrature check)."""
    g = np.asarray(tensors, float)
    return np.einsum("...ij,...ij->...", g, g) / 3
