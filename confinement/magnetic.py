"""Magnetic field in finite systems: Peierls phases (symmetric gauge, straight paths) and Zeeman.

For an electron (charge −e) a hopping acquires t_ij → t_ij exp[−(ie/ħ) ∫_{R_j}^{R_i} A·dl]. With
A = ½ B × (r − r0) and a straight path the integral is ½ B·[(R_j − r0) × (R_i − r0)]. On site:
μB B·(L + g0 S) (the system's ``zeeman`` blocks). Field in T, energies in eV, lengths in nm.

Both the Peierls derivative and H(B) are built on the stored pattern of H itself (its ``indices``
and ``indptr`` shared, one new data array each): no COO round trip, no sorting.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sps

from .system import FiniteSystem
from .units import E_OVER_HBAR, MU_B

_CHUNK = 1 << 18      # stored entries per pass: the per-entry temporaries stay in cache


def _flux_vectors(system: FiniteSystem, gauge_origin: np.ndarray | None
                  ) -> tuple[sps.csr_matrix, Iterator[tuple[slice, np.ndarray]]]:
    """H as CSR and, chunk by chunk of its stored entries, (slice, (R_j − r0) × (R_i − r0)) (nm²,
    (3, chunk)) for those entries (i the row's site, j the column's). On-site entries get exactly 0
    (r × r vanishes in floating point: the two products of each component are the same numbers),
    so no off-site mask is needed. Chunks keep the temporaries small: a fresh array of nnz entries
    costs its page faults, which at 10⁷ entries outweigh the arithmetic."""
    h = system.hamiltonian.tocsr()
    r0 = np.zeros(3) if gauge_origin is None else np.asarray(gauge_origin, float)
    per_orbital = (system.positions - r0)[system.site_of_orbital].T      # (3, n)
    rows = np.repeat(np.arange(h.shape[0], dtype=h.indices.dtype), np.diff(h.indptr))

    def chunks() -> Iterator[tuple[slice, np.ndarray]]:
        for k in range(0, h.nnz, _CHUNK):
            part = slice(k, k + _CHUNK)
            ri, rj = per_orbital[:, rows[part]], per_orbital[:, h.indices[part]]
            yield part, np.cross(rj, ri, axis=0)
    return h, chunks()


def _on_pattern(h: sps.csr_matrix, data: np.ndarray) -> sps.csr_matrix:
    return sps.csr_matrix((data, h.indices, h.indptr), shape=h.shape)


def peierls_derivative(system: FiniteSystem, gauge_origin: np.ndarray | None = None) -> tuple[sps.csr_matrix, ...]:
    """∂H/∂B_γ of the hoppings at B = 0, in units of μB (3 Hermitian CSR matrices on H's pattern,
    on-site entries stored as zeros).

    ∂H_ij/∂B_γ = t_ij · (−i e/2ħ) [(R_j − r0) × (R_i − r0)]_γ.
    """
    h, chunks = _flux_vectors(system, gauge_origin)
    data = [np.empty(h.nnz, dtype=complex) for _ in range(3)]   # separate arrays: SciPy copies a view
    for part, cross in chunks:
        hop = h.data[part] * (-0.5j * E_OVER_HBAR / MU_B)
        for g in range(3):
            np.multiply(hop, cross[g], out=data[g][part])
    return tuple(_on_pattern(h, d) for d in data)


def zeeman_operator(system: FiniteSystem, direction: np.ndarray,
                    gauge_origin: np.ndarray | None = None) -> sps.csr_matrix:
    """∂H/∂(μB B) along the unit vector ``direction``: Peierls derivative + on-site L + g0 S."""
    n_hat = np.asarray(direction, float) / np.linalg.norm(direction)
    peierls = peierls_derivative(system, gauge_origin)
    return sum(n_hat[g] * (peierls[g] + system.zeeman[g]) for g in range(3))


def hamiltonian_in_field(system: FiniteSystem, field_T: np.ndarray,
                         gauge_origin: np.ndarray | None = None) -> sps.csr_matrix:
    """H(B) with exact Peierls phases and the on-site Zeeman term (field vector in T)."""
    b = np.asarray(field_T, float)
    h, chunks = _flux_vectors(system, gauge_origin)
    data = np.empty(h.nnz, dtype=complex)
    for part, cross in chunks:
        data[part] = h.data[part] * np.exp(-0.5j * E_OVER_HBAR * (b @ cross))
    return _on_pattern(h, data) + MU_B * sum(b[g] * system.zeeman[g] for g in range(3))
