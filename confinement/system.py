"""Finite systems: a sparse Hamiltonian with its site table, built from any pybinding lattice.

The builder is generic — the tight-binding crystal and a discretised k·p model go through the
same path. A model supplies its pybinding ``Lattice``, a shape (``contains``, ``center``,
``width``), and per-sublattice on-site blocks of the Zeeman operator (units of μB·B, e.g.
L + g0 S) and of the total angular momentum J (units of ħ). Positions are in nm relative to the
shape's centre (the default gauge origin). Matrices are complex128 (double precision forced).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pybinding as pb
import scipy.sparse as sps

from .errors import ParameterError
from .solvers.common import check_hermitian
from .symmetry import C4Z, SiteSymmetry, map_sites


@dataclass
class FiniteSystem:
    """A finite system: H (n×n CSR, eV) and its sites.

    ``positions`` (S, 3) nm; ``sublattice`` (S,) indices into ``sublattice_names``;
    ``offsets`` (S + 1,) first orbital of each site; ``zeeman``/``angular_momentum`` 3 block-
    diagonal CSR matrices (μB·B units / ħ); ``coordination`` (S,) neighbour sites in the system;
    ``surface`` (S,) sites with fewer neighbours than in the bulk (a model builder may narrow it:
    the tight-binding one keeps the sites with a missing nearest-neighbour bond).
    """

    hamiltonian: sps.csr_matrix
    positions: np.ndarray
    sublattice: np.ndarray
    sublattice_names: tuple[str, ...]
    offsets: np.ndarray
    zeeman: tuple[sps.csr_matrix, ...]
    angular_momentum: tuple[sps.csr_matrix, ...]
    coordination: np.ndarray
    surface: np.ndarray
    orbital_parity: np.ndarray | None = None
    onsite_c4z: Mapping[int, np.ndarray] | None = None
    label: str = ""
    info: dict = field(default_factory=dict)
    #: The symmetry operators found so far (they depend on the sites and on-site blocks only).
    _symmetries: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n_orbitals(self) -> int:
        """Dimension of H (spin-orbitals)."""
        return self.hamiltonian.shape[0]

    @property
    def n_sites(self) -> int:
        """Number of sites (atoms or grid points)."""
        return len(self.positions)

    @property
    def site_of_orbital(self) -> np.ndarray:
        """(n,) index of the site of every orbital."""
        return np.repeat(np.arange(self.n_sites), np.diff(self.offsets))

    @property
    def orbital_positions(self) -> np.ndarray:
        """(n, 3) position (nm) of the site of every orbital."""
        return self.positions[self.site_of_orbital]

    def site_weights(self, vectors: np.ndarray) -> np.ndarray:
        """Σ over each site's orbitals of |ψ|²: (S, k) for vectors (n, k)."""
        w = np.abs(np.asarray(vectors).reshape(self.n_orbitals, -1)) ** 2
        return np.add.reduceat(w, self.offsets[:-1], axis=0)

    def surface_weight(self, vectors: np.ndarray) -> np.ndarray:
        """Weight of each state (n, k) on the outer shell of atoms (sites with missing bonds)."""
        return self.site_weights(vectors)[self.surface].sum(axis=0)

    def inversion(self, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray] | None:
        """(perm, sign) of the inversion r → −r about the origin, (P x)[i] = sign[i] x[perm[i]];
        None if the sites are not inversion symmetric or orbital parities are unknown."""
        if self.orbital_parity is None:
            return None
        key = ("inversion", tol)
        if key not in self._symmetries:
            partner = map_sites(self.positions, -np.eye(3), tol)
            result = None
            if not (np.any(partner < 0) or np.any(self.sublattice[partner] != self.sublattice)):
                local = np.arange(self.n_orbitals) - np.repeat(self.offsets[:-1], np.diff(self.offsets))
                perm = self.offsets[partner][self.site_of_orbital] + local
                result = (perm, self.orbital_parity.astype(float))
            self._symmetries[key] = result
        return self._symmetries[key]

    def rotation_c4z(self) -> SiteSymmetry | None:
        """The rotation by +π/2 about the z axis through the origin (orbitals rotated by the on-site
        blocks, spin by exp(−iπσ_z/4); U⁴ = −1); None if the sites are not C4z symmetric or the
        model gave no on-site blocks."""
        return self._rotation_about_z(1)

    def rotation_c2z(self) -> SiteSymmetry | None:
        """The rotation by π about the z axis through the origin (on-site blocks of C4z squared, spin
        exp(−iπσ_z/2); U² = −1); None if the sites are not C2z symmetric or no on-site blocks."""
        return self._rotation_about_z(2)

    def z_rotation(self) -> SiteSymmetry | None:
        """The largest rotation about z the system keeps (C4z, else C2z), or None. Both split H into
        blocks free of Kramers degeneracy (λ and λ* differ for U^K = −1, K = 4 or 2)."""
        return self.rotation_c4z() or self.rotation_c2z()

    def point_group(self) -> str:
        """The symmetry group the solver's blocks can use here: C4h, C4, C2h, C2, Ci or C1
        (:data:`confinement.geometry.POINT_GROUPS`), checked on the sites and on-site blocks."""
        rotation = self.z_rotation()
        name = "" if rotation is None else ("C4" if rotation.order == 4 else "C2")
        inversion = self.inversion() is not None
        return (name + ("h" if inversion else "")) if name else ("Ci" if inversion else "C1")

    def _rotation_about_z(self, quarter_turns: int) -> SiteSymmetry | None:
        """U of the rotation by quarter_turns·π/2 about z (1: C4z, 2: C2z); None if not a symmetry."""
        if self.onsite_c4z is None:
            return None
        key = ("rotation", quarter_turns)
        if key not in self._symmetries:
            self._symmetries[key] = self._build_rotation_about_z(quarter_turns)
        return self._symmetries[key]

    def _build_rotation_about_z(self, quarter_turns: int) -> SiteSymmetry | None:
        """:meth:`_rotation_about_z` without the cache."""
        transform = np.linalg.matrix_power(C4Z, quarter_turns)
        site_map = map_sites(self.positions, transform)
        sizes = np.diff(self.offsets)
        if np.any(site_map < 0) or np.any(sizes[np.maximum(site_map, 0)] != sizes):
            return None
        blocks = {k: np.linalg.matrix_power(np.asarray(b), quarter_turns) for k, b in self.onsite_c4z.items()}
        matrix = block_diagonal(self.sublattice, self.offsets, blocks, target=site_map)
        order = 4 // quarter_turns
        return SiteSymmetry(f"C{order}z rotation", site_map, matrix, self.offsets, order=order, phase=-1.0)

    def counts(self) -> dict[str, int]:
        """Number of sites per sublattice name."""
        ids, n = np.unique(self.sublattice, return_counts=True)
        return {self.sublattice_names[i]: int(c) for i, c in zip(ids, n)}


def block_diagonal(sublattice: np.ndarray, offsets: np.ndarray, blocks: Mapping[int, np.ndarray],
                   target: np.ndarray | None = None) -> sps.csr_matrix:
    """Block-diagonal CSR matrix with ``blocks[sublattice[s]]`` at site s (vectorised over sites);
    with ``target`` (S,) the block of site s is placed in the rows of site target[s] (a site
    symmetry U|s, μ⟩ = Σ_ν D_νμ |target(s), ν⟩; the target must have the same orbital count)."""
    n = int(offsets[-1])
    rows, cols, vals = [], [], []
    for sub, block in blocks.items():
        sites = np.flatnonzero(sublattice == sub)
        r, c = np.nonzero(block)
        if len(sites) == 0 or len(r) == 0:
            continue
        row_starts = offsets[sites if target is None else target[sites]]
        rows.append((row_starts[:, None] + r[None, :]).ravel())
        cols.append((offsets[sites][:, None] + c[None, :]).ravel())
        vals.append(np.tile(block[r, c], len(sites)))
    if not rows:
        return sps.csr_matrix((n, n), dtype=complex)
    return sps.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))


def build_finite_system(lattice: pb.Lattice, shape, onsite_zeeman: Mapping[str, np.ndarray],
                        onsite_angular_momentum: Mapping[str, np.ndarray], bulk_coordination: Mapping[str, int],
                        *, orbital_parity: Mapping[str, np.ndarray] | None = None,
                        orbital_c4z: Mapping[str, np.ndarray] | None = None, label: str = "",
                        spin_onsite: Mapping[str, np.ndarray] | None = None) -> FiniteSystem:
    """Cut ``shape`` out of ``lattice`` with pybinding and attach the site table and operators.

    ``shape`` provides ``contains(x, y, z)`` (via :func:`confinement.geometry.octahedra_contains` or
    its own ``contains``), ``center`` and ``width`` (nm). ``onsite_zeeman``/``onsite_angular_momentum``:
    sublattice name → (3, m, m) blocks. ``bulk_coordination``: sublattice name → number of
    neighbour sites in the infinite crystal (sites with fewer are surface sites).
    ``orbital_parity``: sublattice name → (m,) ±1 parity of each orbital under inversion through
    the atom (enables the inversion symmetry of the eigen-solver). ``orbital_c4z``: sublattice name
    → (m, m) on-site block of the rotation by +π/2 about z (:func:`confinement.symmetry.spinful_rotation_block`;
    enables the C4z sectors of the eigen-solver).
    ``spin_onsite``: sublattice name → (2m, 2m) spinful on-site block (eV). Given, ``lattice`` is
    the spin-independent part (m orbitals per site, real hoppings t, zero on-site): pybinding
    builds it in real double precision, and H = t ⊗ 1_spin (index 2·orbital + spin) plus these
    blocks. This is the same matrix as the spinful lattice with hoppings t ⊗ 1 gives, at a
    fraction of pybinding's transient memory (it expands every hopping to a dense block: 8× the
    entries for 20 spin-orbitals in complex numbers; a 12 nm cube: 1.7 GB against 0.56 GB).
    """
    contains = shape.contains if hasattr(shape, "contains") else _default_contains(shape)
    pb_shape = pb.FreeformShape(contains, width=list(shape.width), center=list(shape.center))
    numbers = () if spin_onsite is not None else (pb.force_complex_numbers(),)
    model = pb.Model(lattice, pb_shape, pb.force_double_precision(), *numbers)
    ham = model.hamiltonian.tocsr()
    expected = np.float64 if spin_onsite is not None else np.complex128
    if ham.dtype != expected:
        raise TypeError(f"pybinding produced {ham.dtype}, expected {np.dtype(expected)}: "
                        "double precision was not enforced (or a spin-independent lattice is not real)")
    system = model.system
    if system.num_sites == 0:
        raise ParameterError(f"the shape {label or shape!r} contains no lattice sites")
    names_by_id = {sub.alias_id: name for name, sub in lattice.sublattices.items()}
    names = tuple(names_by_id[i] for i in sorted(names_by_id))
    sublattice = np.asarray(system.sublattices, dtype=int)
    sizes = np.array([onsite_zeeman[names[s]].shape[-1] for s in range(len(names))])
    offsets = np.concatenate([[0], np.cumsum(sizes[sublattice])])
    if spin_onsite is not None:
        ham = _spin_doubled(ham, sublattice, offsets, {i: spin_onsite[n] for i, n in enumerate(names)})
    check_hermitian(ham)
    if offsets[-1] != ham.shape[0]:
        raise RuntimeError("orbital count of the site table does not match the Hamiltonian")
    positions = np.column_stack([system.x, system.y, system.z]) - np.asarray(shape.center)[None, :]
    coordination = _coordination(ham, offsets)
    bulk = np.array([bulk_coordination[n] for n in names])[sublattice]
    zeeman = tuple(block_diagonal(sublattice, offsets, {i: onsite_zeeman[n][g] for i, n in enumerate(names)})
                   for g in range(3))
    ang = tuple(block_diagonal(sublattice, offsets, {i: onsite_angular_momentum[n][g] for i, n in enumerate(names)})
                for g in range(3))
    parity = None
    if orbital_parity is not None:
        parity = np.concatenate([np.asarray(orbital_parity[names[s]], float) for s in sublattice])
    c4z = None if orbital_c4z is None else {i: np.asarray(orbital_c4z[n], complex) for i, n in enumerate(names)}
    return FiniteSystem(hamiltonian=ham, positions=positions, sublattice=sublattice, sublattice_names=names,
                        offsets=offsets, zeeman=zeeman, angular_momentum=ang, coordination=coordination,
                        surface=coordination < bulk, orbital_parity=parity, onsite_c4z=c4z, label=label)


def _spin_doubled(ham: sps.csr_matrix, sublattice: np.ndarray, offsets: np.ndarray,
                  onsite: Mapping[int, np.ndarray]) -> sps.csr_matrix:
    """t ⊗ 1_spin (index 2·orbital + spin) of the real spin-independent ``ham`` plus the spinful
    on-site blocks (sublattice index → (2m, 2m)), as one complex128 CSR matrix."""
    if 2 * ham.shape[0] != offsets[-1]:
        raise RuntimeError("the spin-independent lattice must have half the spin-orbitals of the site table")
    doubled = sps.kron(ham, sps.identity(2, dtype=np.float64), format="csr").astype(np.complex128)
    out = (doubled + block_diagonal(sublattice, offsets, onsite)).tocsr()
    out.eliminate_zeros()
    out.sort_indices()
    return out


def _default_contains(shape):
    from .geometry import octahedra_contains

    return octahedra_contains(shape)


def _coordination(ham: sps.csr_matrix, offsets: np.ndarray) -> np.ndarray:
    """Number of distinct other sites each site is coupled to."""
    n_sites = len(offsets) - 1
    site = np.repeat(np.arange(n_sites), np.diff(offsets))
    coo = ham.tocoo()
    si, sj = site[coo.row], site[coo.col]
    other = si != sj
    links = sps.csr_matrix((np.ones(int(other.sum()), np.int32), (si[other], sj[other])), shape=(n_sites, n_sites))
    return np.diff(links.indptr)                 # duplicates summed: one stored entry per neighbour site
