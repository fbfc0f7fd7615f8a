"""Magnetic field in finite systems: Peierls phases (symmetric gauge, straight paths) and Zeeman.

For an electron (charge −e) a hopping acquires t_ij → t_ij exp[−(ie/ħ) ∫_{R_j}^{R_i} A·dl]. With
A = ½ B × (r − r0) and a straight path the integral is ½ B·[(R_j − r0) × (R_i − r0)]. On site:
μB B·(L + g0 S) (the system's ``zeeman`` blocks). Field in T, energies in eV, lengths in nm.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from .system import FiniteSystem
from .units import E_OVER_HBAR, MU_B


def _offsite(system: FiniteSystem) -> tuple[sps.coo_matrix, np.ndarray, np.ndarray]:
    coo = system.hamiltonian.tocoo()
    site = system.site_of_orbital
    mask = site[coo.row] != site[coo.col]
    return coo, mask, site


def _flux_vectors(system: FiniteSystem, gauge_origin: np.ndarray | None):
    """(R_j − r0) × (R_i − r0) for every stored off-site element, and the COO data."""
    coo, mask, site = _offsite(system)
    r0 = np.zeros(3) if gauge_origin is None else np.asarray(gauge_origin, float)
    ri = system.positions[site[coo.row[mask]]] - r0
    rj = system.positions[site[coo.col[mask]]] - r0
    return coo, mask, np.cross(rj, ri)


def peierls_derivative(system: FiniteSystem, gauge_origin: np.ndarray | None = None) -> tuple[sps.csr_matrix, ...]:
    """∂H/∂B_γ of the hoppings at B = 0, in units of μB (3 Hermitian CSR matrices).

    ∂H_ij/∂B_γ = t_ij · (−i e/2ħ) [(R_j − r0) × (R_i − r0)]_γ.
    """
    coo, mask, cross = _flux_vectors(system, gauge_origin)
    n = system.n_orbitals
    out = []
    for g in range(3):
        data = coo.data[mask] * (-0.5j * E_OVER_HBAR / MU_B) * cross[:, g]
        out.append(sps.csr_matrix((data, (coo.row[mask], coo.col[mask])), shape=(n, n)))
    return tuple(out)


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
    coo, mask, cross = _flux_vectors(system, gauge_origin)
    data = coo.data.astype(complex)
    data[mask] *= np.exp(-0.5j * E_OVER_HBAR * (cross @ b))
    h = sps.csr_matrix((data, (coo.row, coo.col)), shape=coo.shape)
    return h + MU_B * sum(b[g] * system.zeeman[g] for g in range(3))
