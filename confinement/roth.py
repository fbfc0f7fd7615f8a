"""Second-order (Roth) quantities of a degenerate doublet from numerically diagonalised states.

Given eigenpairs of H(k0) and the velocity matrices V^α = ∂H/∂k_α (eV·nm) in the same basis,
the orbital Zeeman matrix of a Kramers doublet A is

    M^orb_γ = −(i / (ħ²/m0)) Σ_αβ ε_αβγ Σ_{m∉A} V^α_Am V^β_mA / (E_A − E_m)

(units of μB·B; equal to the brief's −(i/m0) Σ ε π^α π^β/(E_A − E_m) with π = (m0/ħ)V), and the
inverse-mass tensor is m0/m_αβ = [½∂²H/∂k_α∂k_β|_AA + Sym C^αβ] / (ħ²/2m0). Used for the k·p
cross-check and for the bulk tight-binding g-factors, so both models share one implementation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import PhysicsCheckError
from .gfactor import GTensor, g_tensor, project
from .units import HBAR2_OVER_M0

_LEVI_CIVITA = np.zeros((3, 3, 3))
for _a, _b, _c in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
    _LEVI_CIVITA[_a, _b, _c], _LEVI_CIVITA[_b, _a, _c] = 1.0, -1.0


@dataclass(frozen=True)
class RothDoublet:
    """Second-order response of one doublet.

    ``energy`` (eV); ``orbital`` and ``first_order`` Zeeman matrices (3, 2, 2) in μB·B units;
    ``g`` the J-convention g-tensor of their sum; ``inverse_mass`` (3, 3) tensor m0/m (electron
    dispersion; negative for a band that curves down); ``states`` (n, 2).
    """

    energy: float
    states: np.ndarray
    orbital: np.ndarray
    first_order: np.ndarray
    g: GTensor
    inverse_mass: np.ndarray | None


def roth_doublet(
    energies: np.ndarray,
    states: np.ndarray,
    doublet: tuple[int, int],
    velocity: np.ndarray,
    first_order_zeeman: np.ndarray,
    angular_momentum: np.ndarray,
    *,
    curvature: np.ndarray | None = None,
    degeneracy_tol: float = 1e-6,
) -> RothDoublet:
    """Roth g-tensor (and masses) of the doublet ``doublet`` = (i, i+1) of a full eigen-decomposition.

    ``energies`` (n,) eV and ``states`` (n, n) columns: all eigenpairs of H(k0). ``velocity``
    (3, n, n) = ∂H/∂k_α in eV·nm; ``first_order_zeeman`` (3, n, n) in μB·B units (spin, on-site L,
    remote terms); ``angular_momentum`` (3, n, n) in ħ; ``curvature`` (3, 3, n, n) = ½∂²H/∂k_α∂k_β
    in eV·nm² (omit to skip masses). States degenerate with the doublet must not exist outside it.
    """
    idx = np.asarray(doublet)
    e_a = float(np.mean(energies[idx]))
    if abs(energies[idx[0]] - energies[idx[1]]) > degeneracy_tol:
        raise PhysicsCheckError(f"states {tuple(idx)} are not degenerate: ΔE = "
                                f"{abs(energies[idx[0]] - energies[idx[1]]):.3e} eV")
    rest = np.setdiff1d(np.arange(len(energies)), idx)
    denominators = e_a - energies[rest]
    if np.any(np.abs(denominators) < degeneracy_tol):
        raise PhysicsCheckError(f"a state outside the doublet is degenerate with it at {e_a:.6f} eV")
    u_a, u_r = states[:, idx], states[:, rest]
    w = u_a.conj().T @ velocity @ u_r                                # V^α_Am (3, 2, n−2)
    c = np.einsum("dam,ebm->deab", w / denominators, w.conj())       # C^αβ_ab
    orbital = -1j / HBAR2_OVER_M0 * np.einsum("deg,deab->gab", _LEVI_CIVITA, c)
    first = project(first_order_zeeman, u_a)
    g = g_tensor(orbital + first, project(angular_momentum, u_a))
    inverse_mass = None
    if curvature is not None:
        t = project(curvature, u_a) + 0.5 * (c + np.swapaxes(c, 0, 1))
        inverse_mass = np.real(np.trace(t, axis1=-2, axis2=-1)) / 2 / (HBAR2_OVER_M0 / 2)
    return RothDoublet(energy=e_a, states=u_a, orbital=orbital, first_order=first, g=g,
                       inverse_mass=inverse_mass)
