"""The cubic CsPbX3 crystal as a tight-binding model: sites, bonds, Bloch Hamiltonian.

Pb at (0,0,0), X1, X2, X3 at a/2 along x, y, z (Cs omitted). Neighbour shells Pb–X (a/2),
X–X (a/√2, along ⟨110⟩) and Pb–Pb (a), each switchable. The Bloch sums use the atomic gauge,
H_ij(k) = Σ_R t_ij(R) exp[i k·(R + τ_j − τ_i)], so that ∂H/∂k is the velocity of the Roth
formula. Basis: per site its orbital components ⊗ spin (index 2·orbital + spin). Units: eV, nm,
k in 1/nm; Zeeman operators in units of μB·B.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from confinement.errors import ParameterError
from confinement.units import G0

from .orbitals import COMPONENTS, PAULI, angular_momentum
from .parameters import SHELL_GEOMETRY, TBParameters
from .slater_koster import sk_block

SITES = (("Pb", "Pb", (0.0, 0.0, 0.0)), ("X1", "X", (0.5, 0.0, 0.0)),
         ("X2", "X", (0.0, 0.5, 0.0)), ("X3", "X", (0.0, 0.0, 0.5)))


@dataclass(frozen=True)
class Site:
    """One atom of the unit cell: name, species, position (nm), orbital shells, spinful offset."""

    name: str
    species: str
    position: np.ndarray
    shells: tuple[str, ...]
    offset: int

    @property
    def n_orbitals(self) -> int:
        """Number of spinless orbital components on the site."""
        return sum(len(COMPONENTS[s]) for s in self.shells)


@dataclass(frozen=True)
class Bond:
    """A bond from site i (cell 0) to site j in cell ``cell``; ``block`` is spinless (eV).

    ``vector`` = R + τ_j − τ_i (nm). Each bond appears once; its Hermitian partner is implied.
    """

    i: int
    j: int
    cell: tuple[int, int, int]
    vector: np.ndarray
    block: np.ndarray
    shell: str


class Crystal:
    """Tight-binding model of the cubic perovskite for a parameter set and choice of shells.

    ``shells``: neighbour shells to include (default: those the parameter set defines).
    ``g0``: spin g-factor of the on-site Zeeman term (default CODATA, see docs/conventions.md).
    """

    def __init__(self, params: TBParameters, shells: tuple[str, ...] | None = None, g0: float = G0):
        shells = tuple(params.shells) if shells is None else tuple(shells)
        for s in shells:
            if s not in params.shells:
                raise ParameterError(f"shell {s!r} is not defined by parameter set {params.name!r} "
                                     f"(defined: {', '.join(params.shells)})")
        self.params, self.shells, self.g0 = params, shells, g0
        self.a = params.a
        offset, sites = 0, []
        for name, species, frac in SITES:
            site = Site(name, species, np.array(frac) * self.a, params.orbitals[species], offset)
            sites.append(site)
            offset += 2 * site.n_orbitals
        self.sites: tuple[Site, ...] = tuple(sites)
        self.dimension = offset
        self.bonds: tuple[Bond, ...] = tuple(self._enumerate_bonds())

    def _enumerate_bonds(self):
        cells = list(itertools.product((-1, 0, 1), repeat=3))
        for shell in self.shells:
            sp1, sp2, dist = SHELL_GEOMETRY[shell]
            coupled = self.params.shells[shell]
            for (i, si), (j, sj) in itertools.product(enumerate(self.sites), repeat=2):
                if {si.species, sj.species} != {sp1, sp2} or (sp1 != sp2 and si.species != sp1):
                    continue
                for cell in cells:
                    vec = np.array(cell) * self.a + sj.position - si.position
                    if abs(np.linalg.norm(vec) - dist * self.a) > 1e-9 * self.a:
                        continue
                    if i > j or (i == j and cell <= (0, 0, 0)):
                        continue   # each bond once: i < j, or i == j with cell > 0
                    block = self._hopping_block(shell, si, sj, coupled, vec)
                    yield Bond(i, j, cell, vec, block, shell)

    def _hopping_block(self, shell, si: Site, sj: Site, coupled, vec) -> np.ndarray:
        def lookup(s1, sp1, s2, sp2, bond):
            return self.params.integral(shell, s1, sp1, s2, sp2, bond)

        on_i, on_j = coupled if si.species == SHELL_GEOMETRY[shell][0] else coupled[::-1]
        rows, cols = _component_slices(si.shells), _component_slices(sj.shells)
        full = np.zeros((si.n_orbitals, sj.n_orbitals))
        full[np.ix_(_indices(rows, on_i), _indices(cols, on_j))] = sk_block(si.species, on_i, sj.species, on_j,
                                                                            vec, lookup)
        return full

    # --- operators -----------------------------------------------------------------------------

    @cached_property
    def onsite(self) -> np.ndarray:
        """On-site energies and spin–orbit λ L·σ (N×N, eV)."""
        h = np.zeros((self.dimension, self.dimension), dtype=complex)
        for site in self.sites:
            energies = np.concatenate([[self.params.onsite[site.species][s]] * len(COMPONENTS[s])
                                       for s in site.shells])
            block = np.kron(np.diag(energies), np.eye(2)).astype(complex)
            slices = _component_slices(site.shells)
            for shell, lam in self.params.spin_orbit.get(site.species, {}).items():
                lsig = sum(np.kron(angular_momentum(shell)[g], PAULI[g]) for g in range(3))
                sl = slice(2 * slices[shell].start, 2 * slices[shell].stop)
                block[sl, sl] += lam * lsig
            n = block.shape[0]
            h[site.offset:site.offset + n, site.offset:site.offset + n] = block
        return h

    @cached_property
    def orbital_angular_momentum(self) -> np.ndarray:
        """On-site L_γ (3, N, N) of p and d orbitals ⊗ 1_spin (units of ħ)."""
        out = np.zeros((3, self.dimension, self.dimension), dtype=complex)
        for site in self.sites:
            slices = _component_slices(site.shells)
            for shell in site.shells:
                sl = slice(site.offset + 2 * slices[shell].start, site.offset + 2 * slices[shell].stop)
                for g in range(3):
                    out[g, sl, sl] = np.kron(angular_momentum(shell)[g], np.eye(2))
        return out

    @cached_property
    def spin(self) -> np.ndarray:
        """S_γ = σ_γ/2 on every orbital (3, N, N), units of ħ."""
        eye = np.eye(self.dimension // 2)
        return np.array([np.kron(eye, PAULI[g] / 2) for g in range(3)])

    @property
    def angular_momentum(self) -> np.ndarray:
        """Total on-site J = L + S (3, N, N): fixes ⇑/⇓ of the J-convention."""
        return self.orbital_angular_momentum + self.spin

    @property
    def zeeman(self) -> np.ndarray:
        """On-site Zeeman operator L + g0 S (3, N, N), units of μB·B."""
        return self.orbital_angular_momentum + self.g0 * self.spin

    def _spinless_index(self, bond: Bond) -> tuple[slice, slice]:
        si, sj = self.sites[bond.i], self.sites[bond.j]
        return (slice(si.offset // 2, si.offset // 2 + si.n_orbitals),
                slice(sj.offset // 2, sj.offset // 2 + sj.n_orbitals))

    def _bloch(self, k: np.ndarray, weight) -> np.ndarray:
        """Σ_bonds weight(d)·T·e^{ik·d} + h.c. (spinless), for k of shape (K, 3); returns (K, ..., n, n)."""
        k = np.atleast_2d(k)
        n = self.dimension // 2
        out = None
        for bond in self.bonds:
            phase = np.exp(1j * k @ bond.vector)                       # (K,)
            w = weight(bond.vector)                                    # (...)
            term = np.multiply.outer(phase, w)[..., None, None] * bond.block
            if out is None:
                out = np.zeros(term.shape[:-2] + (n, n), dtype=complex)
            rows, cols = self._spinless_index(bond)
            out[..., rows, cols] += term
            out[..., cols, rows] += np.conj(np.swapaxes(term, -1, -2))   # Hermitian partner (−d)
        return out

    def hamiltonian(self, k: np.ndarray) -> np.ndarray:
        """H(k) (K, N, N) in eV for wave vectors k (K, 3) in 1/nm (a single k gives K = 1)."""
        hk = self._bloch(k, lambda d: np.ones(()))
        return _spinful(hk) + self.onsite

    def velocity(self, k: np.ndarray) -> np.ndarray:
        """∂H/∂k_α (K, 3, N, N) in eV·nm (atomic gauge)."""
        vk = self._bloch(k, lambda d: 1j * d)
        return _spinful(vk)

    def curvature(self, k: np.ndarray) -> np.ndarray:
        """½ ∂²H/∂k_α∂k_β (K, 3, 3, N, N) in eV·nm²."""
        ck = self._bloch(k, lambda d: -0.5 * np.multiply.outer(d, d))
        return _spinful(ck)

    def bands(self, k: np.ndarray, chunk: int = 512) -> np.ndarray:
        """Eigenvalues (K, N) in eV at k (K, 3), computed in chunks to bound memory."""
        k = np.atleast_2d(k)
        return np.concatenate([np.linalg.eigvalsh(self.hamiltonian(k[i:i + chunk]))
                               for i in range(0, len(k), chunk)])

    def high_symmetry_point(self, label: str) -> np.ndarray:
        """Γ, X, M, R of the simple-cubic Brillouin zone in 1/nm."""
        frac = {"G": (0, 0, 0), "Γ": (0, 0, 0), "X": (0, 1, 0), "M": (1, 1, 0), "R": (1, 1, 1)}
        if label not in frac:
            raise KeyError(f"unknown k-point {label!r}; known: Γ (G), X, M, R")
        return np.pi / self.a * np.array(frac[label], dtype=float)


def _component_slices(shells: tuple[str, ...]) -> dict[str, slice]:
    out, start = {}, 0
    for s in shells:
        out[s] = slice(start, start + len(COMPONENTS[s]))
        start += len(COMPONENTS[s])
    return out


def _indices(slices: dict[str, slice], shells: tuple[str, ...]) -> np.ndarray:
    return np.concatenate([np.arange(slices[s].start, slices[s].stop) for s in shells])


def _spinful(h: np.ndarray) -> np.ndarray:
    """Spinless (..., n, n) → spin-diagonal (..., 2n, 2n) with index 2·orbital + spin."""
    shape = h.shape[:-2]
    n = h.shape[-1]
    out = np.zeros(shape + (2 * n, 2 * n), dtype=complex)
    out[..., 0::2, 0::2] = h
    out[..., 1::2, 1::2] = h
    return out
