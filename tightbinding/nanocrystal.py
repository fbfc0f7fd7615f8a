"""Tight-binding nanocrystals: the bulk crystal cut to a shape, with passivated dangling bonds.

Uses the pybinding lattice of :mod:`tightbinding.lattice` (the same model as bulk) and the
generic builder of :mod:`confinement.system`.

Passivation (after L04) acts on the dangling orbitals: every X orbital of σ symmetry about a
missing Pb–X bond (s, s*, p·d̂, and d_{3(d̂·r)²−r²} where present), projector Q (on-site).

- ``passivation_shift = s`` (finite, eV): H + s·Q, which pushes the dangling-bond states up by s.
- ``passivation_shift = inf`` (the default): the s → ∞ limit taken exactly, H' = (1−Q) H (1−Q) +
  E_park·Q: the dangling orbitals are decoupled and parked at E_park = the largest on-site energy
  (inside the spectrum, so the spectral width — and the filtered solver's cost — does not grow);
  the Zeeman and J operators are projected the same way, so no field couples to them either.
  The finite shift converges to this limit as 1/s (measured in docs/nc.md): at +30 eV g_e of a
  4 nm cube is still 0.18 below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import scipy.linalg
import scipy.sparse as sps

from confinement.coulomb import coulomb_shift
from confinement.errors import ParameterError
from confinement.nc_result import NCResult
from confinement.shapes import Shape, get_shape, shape_names
from confinement.solvers.filtered import DEFAULT_POLYNOMIAL
from confinement.symmetry import C4Z, spinful_rotation_block
from confinement.system import FiniteSystem, build_finite_system
from confinement.warm_start import WarmStarts

from .crystal import Crystal
from .lattice import pybinding_lattice, site_blocks
from .orbitals import COMPONENTS, shell_rotation
from .slater_koster import rotation_to

#: Default energy shift of dangling orbitals (eV): the infinite-shift limit (decoupled orbitals).
DEFAULT_PASSIVATION_SHIFT = float("inf")


def make_shape(crystal: Crystal, shape: str, *, n_pb: int | Sequence[int] | None = None,
               diameter_nm: float | None = None, corner_cut: int = 0, edge_cut: int = 0) -> Shape:
    """The registered ``shape`` (:func:`confinement.shapes.shape_names`: a cube of ``n_pb`` Pb per
    edge, a sphere of ``diameter_nm``, a cuboid of ``n_pb`` = (Nx, Ny, Nz), a faceted cube/cuboid with
    ``corner_cut`` {111} and ``edge_cut`` {110} Pb layers removed, …) of complete octahedra of the crystal."""
    if shape not in shape_names("tb"):
        raise ParameterError(f"unknown shape {shape!r}; known: {', '.join(shape_names('tb'))}")
    return get_shape(shape).from_size(crystal.a, n_pb=n_pb, diameter_nm=diameter_nm, corner_cut=corner_cut,
                                      edge_cut=edge_cut)


def orbital_parity(crystal: Crystal) -> dict[str, np.ndarray]:
    """Per sublattice, the parity (−1)^ℓ of every spin-orbital under inversion through the atom."""
    from .orbitals import ELL

    return {site.name: np.repeat([(-1.0) ** ELL[s] for s in site.shells for _ in COMPONENTS[s]], 2)
            for site in crystal.sites}


def orbital_c4z(crystal: Crystal) -> dict[str, np.ndarray]:
    """Per sublattice, the on-site block of the rotation by +π/2 about z (real orbitals ⊗ spin)."""
    return {site.name: spinful_rotation_block(
                scipy.linalg.block_diag(*(shell_rotation(s, C4Z) for s in site.shells)), np.pi / 2)
            for site in crystal.sites}


def bulk_coordination(crystal: Crystal) -> dict[str, int]:
    """Number of coupled neighbour sites of each sublattice in the infinite crystal.

    Bonds of a shell whose integrals are all zero couple nothing (the finite Hamiltonian has no
    entries for them, so the builder cannot see them): they do not count."""
    live = {shell for shell, table in crystal.params.hopping.items() if any(v != 0 for v in table.values())}
    count = {site.name: 0 for site in crystal.sites}
    for bond in (b for b in crystal.bonds if b.shell in live):
        count[crystal.sites[bond.i].name] += 1
        count[crystal.sites[bond.j].name] += 1
    return count


def build_nanocrystal(crystal: Crystal, shape, *, passivation: bool = True,
                      passivation_shift: float = DEFAULT_PASSIVATION_SHIFT) -> FiniteSystem:
    """The finite system of ``shape`` (from :func:`make_shape`), optionally passivated."""
    system = build_finite_system(
        pybinding_lattice(crystal, spin=False), shape, site_blocks(crystal, crystal.zeeman),
        site_blocks(crystal, crystal.angular_momentum), bulk_coordination(crystal),
        orbital_parity=orbital_parity(crystal), orbital_c4z=orbital_c4z(crystal),
        label=f"{crystal.params.name} {shape.kind} {shape.edge_nm:.2f} nm",
        spin_onsite=site_blocks(crystal, crystal.onsite))
    counts = system.counts()
    if hasattr(shape, "expected_counts"):
        expected = shape.expected_counts()
        found = {"Pb": counts.get("Pb", 0), "X": sum(v for k, v in counts.items() if k.startswith("X"))}
        if found != expected:
            raise RuntimeError(f"{shape.kind} built with {found}, expected {expected}")
    if getattr(shape, "point_group", None) not in (None, system.point_group()):
        raise RuntimeError(f"the {shape.kind} keeps {shape.point_group} on its Pb sites, the built system "
                           f"{system.point_group()}")
    system.info.update({"shape": shape.kind, "edge_nm": shape.edge_nm, "passivation": passivation,
                        "passivation_shift_eV": _json_shift(passivation_shift) if passivation else 0.0,
                        "params": crystal.params.name, "shells": list(crystal.shells)})
    # The outer shell of atoms is the sites with a missing nearest-neighbour (Pb–X) bond. The
    # builder's own test (fewer coupled sites than in the bulk) would also count every site that
    # misses a second-neighbour (X–X, Pb–Pb) partner: with those shells on, the outer two layers.
    missing = dangling_directions(crystal, system)
    system.surface = np.zeros(system.n_sites, dtype=bool)
    system.surface[[site for site, _ in missing]] = True
    if passivation:
        passivate(system, passivation_projector(crystal, system, missing), passivation_shift)
    return system


def passivate(system: FiniteSystem, projector: sps.csr_matrix, shift: float) -> None:
    """Apply the passivation of shift ``shift`` (eV; ``inf`` = decoupled limit) in place (module doc)."""
    if shift <= 0 or np.isnan(shift):
        raise ParameterError(f"passivation shift must be positive (eV) or inf, got {shift}")
    if np.isfinite(shift):
        system.hamiltonian = (system.hamiltonian + shift * projector).tocsr()
        return
    keep = (sps.identity(system.n_orbitals, dtype=complex, format="csr") - projector).tocsr()
    e_park = float(system.hamiltonian.diagonal().real.max())
    system.hamiltonian = (keep @ system.hamiltonian @ keep + e_park * projector).tocsr()
    system.hamiltonian.eliminate_zeros()
    system.zeeman = tuple((keep @ z @ keep).tocsr() for z in system.zeeman)
    system.angular_momentum = tuple((keep @ j @ keep).tocsr() for j in system.angular_momentum)
    system.info["parked_orbitals_eV"] = e_park


def dangling_directions(crystal: Crystal, system: FiniteSystem) -> list[tuple[int, np.ndarray]]:
    """(site, unit vector) for every missing nearest-neighbour (Pb–X) bond of the system, ordered by
    site, then bond, then direction (vectorised: sites on the a/2 grid, looked up by integer key)."""
    half = crystal.a / 2
    grid = np.round(system.positions / half).astype(np.int64)
    low = grid.min(axis=0) - 2
    span = grid.max(axis=0) - low + 3

    def keys(points: np.ndarray) -> np.ndarray:
        shifted = points - low
        return (shifted[:, 0] * span[1] + shifted[:, 1]) * span[2] + shifted[:, 2]

    present = np.sort(keys(grid))
    names = np.asarray(system.sublattice_names)[system.sublattice]
    sites, order, vectors = [], [], []
    pbx = [b for b in crystal.bonds if b.shell == "Pb-X"]
    for b, bond in enumerate(pbx):
        for o, (here, sign) in enumerate(((bond.i, 1), (bond.j, -1))):
            candidates = np.flatnonzero(names == crystal.sites[here].name)
            step = np.round(sign * bond.vector / half).astype(np.int64)
            wanted = keys(grid[candidates] + step)
            pos = np.minimum(np.searchsorted(present, wanted), present.size - 1)
            lost = candidates[present[pos] != wanted]
            sites.append(lost)
            order.append(np.full(lost.size, 2 * b + o))
            vectors.append(np.broadcast_to(sign * bond.vector / np.linalg.norm(bond.vector), (lost.size, 3)))
    if not sites:
        return []
    site, rank = np.concatenate(sites), np.concatenate(order)
    direction = np.concatenate(vectors)
    idx = np.lexsort((rank, site))
    return [(int(site[i]), direction[i].copy()) for i in idx]


def passivation_projector(crystal: Crystal, system: FiniteSystem,
                          missing: list[tuple[int, np.ndarray]] | None = None) -> sps.csr_matrix:
    """Q = Σ over dangling bonds of |h⟩⟨h| ⊗ 1_spin for the σ-type orbitals h along the bond.

    ``missing``: the dangling bonds, as :func:`dangling_directions` gives them (computed if None).
    Raises if Q is not a projector (two dangling bonds of one X site would overlap)."""
    rows, cols, vals = [], [], []
    for site_index, direction in (dangling_directions(crystal, system) if missing is None else missing):
        site = next(s for s in crystal.sites if s.name == system.sublattice_names[system.sublattice[site_index]])
        projector = _sigma_projector(site.shells, direction)
        r, c = np.nonzero(np.abs(projector) > 1e-14)
        start = system.offsets[site_index]
        for spin in (0, 1):
            rows.append(start + 2 * r + spin)
            cols.append(start + 2 * c + spin)
            vals.append(projector[r, c])
    n = system.n_orbitals
    if not rows:
        return sps.csr_matrix((n, n), dtype=complex)
    q = sps.csr_matrix((np.concatenate(vals).astype(complex), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(n, n))
    if abs(q @ q - q).max() > 1e-10:
        raise ParameterError("dangling-bond orbitals of one site overlap: the passivation projector is not a "
                             "projector (a site with two missing bonds?)")
    return q


def _sigma_projector(shells: tuple[str, ...], direction: np.ndarray) -> np.ndarray:
    """Projector (spinless) on the orbitals of σ symmetry about ``direction`` (one per shell)."""
    return _sigma_projector_cached(tuple(shells), tuple(np.round(np.asarray(direction, float), 12)))


@lru_cache(maxsize=256)
def _sigma_projector_cached(shells: tuple[str, ...], direction: tuple[float, ...]) -> np.ndarray:
    rot = rotation_to(np.array(direction))
    vectors = []
    for shell in shells:
        comps = COMPONENTS[shell]
        v = np.zeros(sum(len(COMPONENTS[s]) for s in shells))
        start = sum(len(COMPONENTS[s]) for s in shells[:shells.index(shell)])
        # The σ component (bond-frame z: s, pz, d3z²−r²) expressed in crystal-frame components.
        sigma_index = {"s": 0, "sstar": 0, "p": 2, "d": 4}[shell]
        v[start:start + len(comps)] = shell_rotation(shell, rot)[:, sigma_index]
        vectors.append(v)
    vecs = np.array(vectors).T
    projector = vecs @ vecs.T
    projector.flags.writeable = False            # shared by every call with these arguments
    return projector


def _json_shift(shift: float) -> float | str:
    """The shift as stored in records: a number (eV) or the string 'inf' (JSON has no infinity)."""
    return "inf" if np.isinf(shift) else float(shift)


def nanocrystal_gfactors(crystal: Crystal, shape, *, passivation: bool = True,
                         passivation_shift: float = DEFAULT_PASSIVATION_SHIFT, solver: str = "auto",
                         finite_field_T: float | None = 1.0, tol: float = 1e-8, n_extra: int = 0,
                         epsilon: float | None = None, field_axes: str = "z",
                         warm_starts: WarmStarts | None = None,
                         filter_polynomial: str = DEFAULT_POLYNOMIAL) -> NCResult:
    """Band edges and g-factors of a tight-binding NC (:class:`~confinement.nc_result.NCResult`, the same
    fields as k·p; eV, nm, J-convention).

    The in-gap reference energy is the bulk mid-gap (E_vbm + Eg/2 at R): confinement moves both
    band edges away from it, so the NC gap always contains it. ``epsilon``: dielectric constant
    of the first-order e–h Coulomb correction of E_transition (:mod:`confinement.coulomb`, cubes
    and spheres; None: E_transition = E_gap). ``field_axes``: axes of the finite-field check
    (:func:`confinement.doublets.band_edge_gfactors`). The record names the ``point_group`` whose
    symmetry blocks the solver used and the ``solver`` strategy. ``warm_starts``: a
    :class:`~confinement.warm_start.WarmStarts` store shared by the solves of a sweep (same answer
    within tol, fewer mat-vecs for neighbouring parameter sets of one size). ``filter_polynomial``:
    the filtered solver's polynomial, 'bands' or 'fold'.
    """
    import time

    from confinement.doublets import band_edge_gfactors, require_solver_symmetry

    from .bulk import bulk_tb

    if epsilon is not None:
        coulomb_shift(shape.kind, shape.edge_nm, epsilon)    # refuses a shape without the correction, by name
    start = time.perf_counter()
    bulk = bulk_tb(crystal)
    sigma = bulk.E_vbm + bulk.Eg / 2
    system = build_nanocrystal(crystal, shape, passivation=passivation, passivation_shift=passivation_shift)
    require_solver_symmetry(system, solver, shape.kind)
    build_seconds = time.perf_counter() - start
    record = band_edge_gfactors(system, sigma, solver=solver, finite_field_T=finite_field_T, tol=tol,
                                n_extra=n_extra, half_gap=bulk.Eg / 2, field_axes=field_axes, warm_starts=warm_starts,
                                filter_polynomial=filter_polynomial)
    shift = coulomb_shift(shape.kind, shape.edge_nm, epsilon)
    record.update({
        "model": "tb", "params": crystal.params.name, "shells": list(crystal.shells), "shape": shape.kind,
        "edge_nm": shape.edge_nm, "n_pb": getattr(shape, "n_pb", None), "counts": system.counts(),
        "edges_nm": getattr(shape, "edges_nm", np.full(3, shape.edge_nm)).tolist(),
        "corner_cut": getattr(shape, "corner_cut", 0), "edge_cut": getattr(shape, "edge_cut", 0),
        "passivation": passivation, "passivation_shift_eV": _json_shift(passivation_shift) if passivation else 0.0,
        "E_transition": record["E_gap"] + shift, "coulomb_shift": shift, "epsilon": epsilon,
        "reference_energy": sigma,
        "bulk": {"Eg": bulk.Eg, "E_vbm": bulk.E_vbm, "g_e": bulk.g_e, "g_h": bulk.g_h},
        "build_seconds": build_seconds, "seconds": time.perf_counter() - start,
        "units": {"energies": "eV", "lengths": "nm", "g": "J-convention, g0 = 2.00231930436"},
    })
    return NCResult.from_record(record)
