"""Eight-band k·p nanocrystal: a cube of edge L (or a cuboid box Lx × Ly × Lz, :class:`GridCuboid`,
the same path with nx, ny, nz steps of one spacing h) with infinite barriers on a finite-difference grid.

The grid model of :mod:`kp.finite_difference` (spacing h = L/N, N ≥ 2 intervals per edge) is cut
to the N − 1 interior points per axis: the envelope (all eight components) vanishes on the walls
at 0 and L, which are the grid points left out. The finite system is built by the shared
:func:`confinement.system.build_finite_system` and solved by the shared band-edge solver and
g-factor code (:func:`confinement.doublets.band_edge_gfactors`) — the same path as tight binding:

- magnetic field: Peierls phases of the finite-difference hoppings (straight paths, symmetric gauge
  about the cube centre), i.e. k → k + (e/ħ)A to O(h²), plus the model's on-site Zeeman block
  (g0 S and the remote Δg terms, units μB) — :data:`kp.hamiltonian.KPModel.zeeman`;
- J-convention: the on-site band angular momentum J = L + S (``model.angular_momentum``);
- inversion parity of the orbitals (S even, X, Y, Z odd) for the solver's parity sectors; the
  basis order S↑ S↓ X↑ X↓ Y↑ Y↓ Z↑ Z↓ is index = 2·orbital + spin with real orbitals, so the
  solver's Θ = (I ⊗ iσy)K is the model's time reversal (the solver verifies [H, Θ] = 0).

Energies are measured from the bulk valence-band top (eV), lengths nm.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from confinement.doublets import band_edge_gfactors
from confinement.errors import ParameterError
from confinement.shapes import BoxGeometry
from confinement.system import FiniteSystem, build_finite_system

from .finite_difference import (
    ORBITAL_C4Z,
    ORBITAL_PARITY,
    SITE,
    check_no_gap_intrusion,
    grid_lattice,
    taylor_coefficients,
)
from .parameters import KaneParameters

#: Default target grid spacing (nm); the actual h = L/round(L/h) (convergence: docs/kp.md).
DEFAULT_GRID_NM = 0.25


class _GridBox(BoxGeometry):
    """What pybinding needs of a grid box with ``intervals`` (3 step counts) of spacing ``h`` (nm):
    the box geometry shared with the octahedra (:class:`confinement.shapes.BoxGeometry`: centre = the
    default gauge origin, bounding box one step beyond each wall) and its interior points (hard
    walls). Subclasses provide ``intervals`` and ``h``."""

    @property
    def box_counts(self) -> tuple[int, int, int]:
        """Grid steps per edge along x, y, z."""
        return self.intervals

    @property
    def box_step(self) -> float:
        """Grid spacing (nm)."""
        return self.h

    def contains(self, x, y, z) -> np.ndarray:
        """Interior grid points: 0 < x_a < L_a (the walls themselves carry ψ = 0 and are left out)."""
        return self.in_box(np.stack([np.asarray(x, float), np.asarray(y, float), np.asarray(z, float)]))


@dataclass(frozen=True)
class GridCube(_GridBox):
    """A cube of edge ``edge_nm`` sampled by ``n_intervals`` grid steps per edge (interior points only)."""

    edge_nm: float
    n_intervals: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.edge_nm) and self.edge_nm > 0):
            raise ParameterError(f"cube edge must be positive (nm), got {self.edge_nm}")
        if self.n_intervals < 2:
            raise ParameterError(f"the grid is coarser than the cube (edge {self.edge_nm} nm): "
                                 f"need at least 2 steps per edge, got {self.n_intervals}")

    @classmethod
    def from_spacing(cls, edge_nm: float, grid_nm: float = DEFAULT_GRID_NM) -> GridCube:
        """The cube with h as close to ``grid_nm`` as an integer number of steps allows."""
        if not (math.isfinite(grid_nm) and grid_nm > 0):
            raise ParameterError(f"grid spacing must be positive (nm), got {grid_nm}")
        if not (math.isfinite(edge_nm) and edge_nm > 0):
            raise ParameterError(f"cube edge must be positive (nm), got {edge_nm}")
        if grid_nm * 2 > edge_nm:
            raise ParameterError(f"grid spacing {grid_nm} nm is too coarse for a {edge_nm} nm cube "
                                 f"(at most edge/2 = {edge_nm / 2} nm)")
        return cls(float(edge_nm), max(2, int(round(edge_nm / grid_nm))))

    @property
    def kind(self) -> str:
        """Shape name: 'cube'."""
        return "cube"

    @property
    def intervals(self) -> tuple[int, int, int]:
        """Grid steps per edge along x, y, z."""
        return (self.n_intervals,) * 3

    @property
    def h(self) -> float:
        """Grid spacing (nm)."""
        return self.edge_nm / self.n_intervals



@dataclass(frozen=True)
class GridCuboid(_GridBox):
    """A box of ``n_intervals`` = (nx, ny, nz) grid steps of one spacing ``h`` (nm) per edge (interior
    points only, hard walls): the anisotropic box of the same finite-difference path as the cube."""

    n_intervals: tuple[int, int, int]
    h: float

    def __post_init__(self) -> None:
        n = tuple(self.n_intervals)
        if len(n) != 3 or not all(isinstance(v, (int, np.integer)) for v in n):
            raise ParameterError(f"a grid cuboid needs three integer step counts (nx, ny, nz), "
                                 f"got {self.n_intervals!r}")
        if min(n) < 2:
            raise ParameterError(f"the grid is coarser than the cuboid: need at least 2 steps per edge, got {n}")
        if not (math.isfinite(self.h) and self.h > 0):
            raise ParameterError(f"grid spacing must be positive (nm), got {self.h}")
        object.__setattr__(self, "n_intervals", tuple(int(v) for v in n))

    @classmethod
    def from_edges(cls, edges_nm, grid_nm: float | None = None, *, steps: int = 16,
                   even: bool = True) -> GridCuboid:
        """The box nearest ``edges_nm`` (3,) on a grid of spacing ``grid_nm`` (default: shortest edge
        / ``steps``); with ``even`` every step count is even (so that the 2h grid exists). The actual
        edges are the step counts times h (:attr:`edges_nm`, reported with every result)."""
        edges = np.asarray(edges_nm, float)
        if edges.shape != (3,) or not np.all(np.isfinite(edges) & (edges > 0)):
            raise ParameterError(f"a cuboid needs three positive edges LX,LY,LZ (nm), got {edges_nm!r}")
        h = edges.min() / steps if grid_nm is None else float(grid_nm)
        if not (math.isfinite(h) and h > 0):
            raise ParameterError(f"grid spacing must be positive (nm), got {grid_nm}")
        quantum = 2 if even else 1
        n = np.maximum(quantum * np.round(edges / (quantum * h)), 2 * quantum).astype(int)
        return cls(tuple(int(v) for v in n), h)

    @property
    def kind(self) -> str:
        """Shape name: 'cuboid'."""
        return "cuboid"

    @property
    def intervals(self) -> tuple[int, int, int]:
        """Grid steps per edge along x, y, z."""
        return self.n_intervals

    @property
    def edge_nm(self) -> float:
        """Equivalent cube edge (nm): the geometric mean of the edges n_a·h."""
        return self.mean_edge_nm()

    def coarse(self) -> GridCuboid:
        """The same box on the grid 2h (needs even step counts)."""
        if any(n % 2 for n in self.n_intervals):
            raise ParameterError(f"the 2h grid needs even step counts, got {self.n_intervals}")
        return GridCuboid(tuple(n // 2 for n in self.n_intervals), 2 * self.h)


def build_cube(params: KaneParameters, cube: GridCube | GridCuboid, *, check_spurious: bool = True) -> FiniteSystem:
    """The finite system of the discretised model in ``cube`` (a cube or a cuboid box; guarded
    against spurious solutions). A box with nx = ny keeps C4z, any box C2z and inversion."""
    scan = check_no_gap_intrusion(params, cube.h) if check_spurious else None
    tc = taylor_coefficients(params)
    edges = "×".join(f"{e:g}" for e in np.asarray(cube.intervals) * cube.h)
    system = build_finite_system(
        grid_lattice(params, cube.h), cube, {SITE: tc.zeeman}, {SITE: tc.jband}, {SITE: 6},
        orbital_parity={SITE: ORBITAL_PARITY}, orbital_c4z={SITE: ORBITAL_C4Z},
        label=f"k·p {cube.kind} {edges} nm, h = {cube.h:.4g} nm")
    expected = int(np.prod(np.asarray(cube.intervals) - 1))
    if system.n_sites != expected:
        raise RuntimeError(f"grid {cube.kind} built with {system.n_sites} points, expected {expected}")
    system.info.update({"shape": cube.kind, "edge_nm": cube.edge_nm, "grid_nm": cube.h,
                        "n_intervals": cube.n_intervals, "bulk_scan": scan})
    return system


def cube_gfactors(params: KaneParameters, cube: GridCube | GridCuboid, *, solver: str = "auto", tol: float = 1e-8,
                  finite_field_T: float | None = 1.0, gauge_origin=None, field_axes: str = "z") -> dict:
    """Band-edge energies (eV from the bulk VBM) and J-convention g-factors of the confined doublets.

    Returns the record of :func:`confinement.doublets.band_edge_gfactors` (``E_cb``, ``E_vb``,
    ``g_e``, ``g_h``, tensors, finite-field g, solver info) plus the grid and the count of levels
    returned by the solver that lie inside the bulk gap (``n_in_gap``; must be 0, else spurious).
    ``field_axes``: axes of the finite-field check (:func:`confinement.doublets.band_edge_gfactors`).
    ``gauge_origin``: r0 (nm, relative to the cube centre; default the centre) of the Peierls
    phases' vector potential A = ½ B × (r − r0). A moved origin costs the finite-field solve its
    symmetry sectors (the shared solver then uses no inversion/C4z hints).
    """
    start = time.perf_counter()
    system = build_cube(params, cube)
    build_seconds = time.perf_counter() - start
    record = band_edge_gfactors(system, params.Eg / 2, solver=solver, tol=tol, finite_field_T=finite_field_T,
                                half_gap=params.Eg / 2, gauge_origin=gauge_origin, field_axes=field_axes)
    levels = np.concatenate([record["levels_below"], record["levels_above"]])
    record.update({"grid_nm": cube.h, "n_intervals": cube.n_intervals, "build_seconds": build_seconds,
                   "n_in_gap": int(np.sum((levels > 1e-9) & (levels < params.Eg - 1e-9))),
                   "bulk_scan": system.info["bulk_scan"]})
    return record
