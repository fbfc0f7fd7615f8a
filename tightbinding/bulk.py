"""Bulk observables of the tight-binding crystal at R: gaps, spin–orbit splitting, masses, g.

g-factors follow BRIEF §6: M_γ = L^inter_γ + L^atom_γ + g0 S_γ on the band-edge doublet, with
the Roth term L^inter from π = (m0/ħ)∂H/∂k (atomic gauge) summed over all other bands
(:func:`confinement.roth.roth_doublet`), L^atom the on-site angular momentum of p and d orbitals.
Masses come from the same second-order expansion. Units: eV, m0; g in the J-convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from confinement.gfactor import GTensor, pauli_components, project
from confinement.roth import RothDoublet, roth_doublet

from .crystal import Crystal

PARTS = ("inter-atomic", "on-site L", "spin")


@dataclass(frozen=True)
class DoubletG:
    """g of one band-edge doublet with its decomposition (inter-atomic, on-site L, spin)."""

    g: GTensor
    parts: dict[str, float]
    inverse_mass: np.ndarray
    energy: float


@dataclass(frozen=True)
class BulkTB:
    """Bulk tight-binding results at R (eV, m0, J-convention)."""

    parameters: str
    Eg: float
    Eg_M: float
    Delta: float
    E_vbm: float
    m_e: float
    m_h: float
    g_e: float
    g_h: float
    electron: DoubletG
    hole: DoubletG

    @property
    def g_X(self) -> float:
        """Bright-exciton g_X = g_e + g_h (J-convention)."""
        return self.g_e + self.g_h

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict of the bulk results (eV, m0, J-convention g)."""
        return {
            "params": self.parameters, "Eg": self.Eg, "Eg_M": self.Eg_M, "Delta": self.Delta,
            "E_vbm": self.E_vbm, "m_e": self.m_e, "m_h": self.m_h,
            "g_e": self.g_e, "g_h": self.g_h, "g_X": self.g_X,
            "g_e_parts": self.electron.parts, "g_h_parts": self.hole.parts,
            "g_anisotropy": max(self.electron.g.anisotropy, self.hole.g.anisotropy),
        }


def doublet_at(crystal: Crystal, k: np.ndarray, first: int) -> tuple[RothDoublet, dict[str, float]]:
    """Roth analysis of the doublet (first, first+1) at k, and its g decomposition."""
    k = np.asarray(k, dtype=float)
    energies, states = np.linalg.eigh(crystal.hamiltonian(k)[0])
    res = roth_doublet(energies, states, (first, first + 1), crystal.velocity(k)[0], crystal.zeeman,
                       crystal.angular_momentum, curvature=crystal.curvature(k)[0])
    parts_m = {"inter-atomic": res.orbital,
               "on-site L": project(crystal.orbital_angular_momentum, res.states),
               "spin": project(crystal.g0 * crystal.spin, res.states)}
    u = _pseudospin_frame(res.g, res.orbital + res.first_order)
    parts = {name: float(np.trace(pauli_components(m) @ u.T) / 3) for name, m in parts_m.items()}
    return res, parts


def _pseudospin_frame(g: GTensor, total: np.ndarray) -> np.ndarray:
    """The rotation u of the J-convention pseudospin, recovered from g = m·uᵀ."""
    m = pauli_components(total)
    return np.linalg.solve(m, g.tensor).T


def bulk_tb(crystal: Crystal) -> BulkTB:
    """Band edges at R, gap at M, conduction-band spin–orbit splitting, masses and g-factors."""
    nv = crystal.params.valence_bands
    r, m = crystal.high_symmetry_point("R"), crystal.high_symmetry_point("M")
    e_r = crystal.bands(r)[0]
    e_m = crystal.bands(m)[0]
    hole, hole_parts = doublet_at(crystal, r, nv - 2)
    elec, elec_parts = doublet_at(crystal, r, nv)

    def summary(res: RothDoublet, parts: dict[str, float]) -> DoubletG:
        return DoubletG(g=res.g, parts=parts, inverse_mass=res.inverse_mass, energy=res.energy)

    return BulkTB(
        parameters=crystal.params.name, Eg=float(e_r[nv] - e_r[nv - 1]), Eg_M=float(e_m[nv] - e_m[nv - 1]),
        Delta=float(e_r[nv + 2] - e_r[nv]), E_vbm=float(e_r[nv - 1]),
        m_e=float(1 / np.mean(np.diag(elec.inverse_mass))), m_h=float(-1 / np.mean(np.diag(hole.inverse_mass))),
        g_e=elec.g.g, g_h=hole.g.g, electron=summary(elec, elec_parts), hole=summary(hole, hole_parts),
    )
