"""The tight-binding crystal as a pybinding ``Lattice`` (double precision), and its Bloch matrix.

The nanocrystal builder uses this lattice, so finite systems and bulk share one model. pybinding
stores a hopping from sublattice A (cell 0) to B (cell R) at H[A, B] with the lattice-gauge phase
e^{−ik·R}; :func:`pybinding_bloch` converts to the toolkit's atomic gauge,
H_atomic(k) = U H_pb(−k) U†, U = diag(e^{−ik·τ_i}), for comparison with :class:`Crystal`.
"""

from __future__ import annotations

import numpy as np
import pybinding as pb

from .crystal import Crystal


def pybinding_lattice(crystal: Crystal, *, spin: bool = True) -> pb.Lattice:
    """A pybinding lattice with one multi-orbital sublattice per site (eV, nm).

    ``spin=True``: spinful blocks (on-site with spin–orbit coupling, hoppings t ⊗ 1_spin).
    ``spin=False``: the spin-independent part for :func:`confinement.system.build_finite_system`'s
    ``spin_onsite`` path: real hoppings t, zero on-site (the spinful on-site blocks,
    ``site_blocks(crystal, crystal.onsite)``, are added by the builder)."""
    a = crystal.a
    lat = pb.Lattice(a1=[a, 0, 0], a2=[0, a, 0], a3=[0, 0, a])
    onsite_blocks = site_blocks(crystal, crystal.onsite) if spin else None
    for site in crystal.sites:
        onsite = onsite_blocks[site.name] if spin else np.zeros((site.n_orbitals, site.n_orbitals))
        lat.add_sublattices((site.name, site.position, onsite))
    for bond in crystal.bonds:
        block = np.kron(bond.block, np.eye(2)) if spin else np.asarray(bond.block, dtype=np.float64)
        lat.add_hoppings((list(bond.cell), crystal.sites[bond.i].name, crystal.sites[bond.j].name, block))
    return lat


def site_blocks(crystal: Crystal, operator: np.ndarray) -> dict[str, np.ndarray]:
    """Per sublattice, the on-site blocks (..., 2m, 2m) of a (..., N, N) spinful cell operator
    (the on-site Hamiltonian ``crystal.onsite``, or the (3, N, N) Zeeman and J operators)."""
    out = {}
    for site in crystal.sites:
        sl = slice(site.offset, site.offset + 2 * site.n_orbitals)
        out[site.name] = operator[..., sl, sl]
    return out


def periodic_model(crystal: Crystal, *extra) -> pb.Model:
    """A translationally symmetric pybinding model of the crystal, forced to complex double precision."""
    return pb.Model(pybinding_lattice(crystal), pb.translational_symmetry(), pb.force_double_precision(),
                    pb.force_complex_numbers(), *extra)


def pybinding_bloch(model: pb.Model, crystal: Crystal, k: np.ndarray) -> np.ndarray:
    """H(k) (N×N, eV) of a periodic pybinding model, in the atomic gauge and basis order of ``crystal``."""
    k = np.asarray(k, dtype=float)
    model.set_wave_vector(-k)
    h = model.hamiltonian.toarray()
    if h.dtype != np.complex128:
        raise TypeError(f"pybinding Hamiltonian is {h.dtype}, expected complex128 (double precision)")
    positions = np.concatenate([np.repeat(site.position[None], 2 * site.n_orbitals, axis=0)
                                for site in crystal.sites])
    u = np.exp(-1j * positions @ k)
    return u[:, None] * h * np.conj(u)[None, :]
