"""Eight-band k·p nanocrystal: a cube of edge L with infinite barriers on a finite-difference grid.

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


@dataclass(frozen=True)
class GridCube:
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
    def h(self) -> float:
        """Grid spacing (nm)."""
        return self.edge_nm / self.n_intervals

    @property
    def center(self) -> np.ndarray:
        """Centre of the grid cube (nm), the default gauge origin."""
        return np.full(3, self.edge_nm / 2)

    @property
    def width(self) -> np.ndarray:
        """Bounding-box widths (nm) handed to pybinding's shape."""
        return np.full(3, self.edge_nm + 2 * self.h)

    def contains(self, x, y, z) -> np.ndarray:
        """Interior grid points: 0 < x_a < L (the walls themselves carry ψ = 0 and are left out)."""
        r = np.stack([np.asarray(x, float), np.asarray(y, float), np.asarray(z, float)])
        return np.all((r > self.h / 2) & (r < self.edge_nm - self.h / 2), axis=0)


def build_cube(params: KaneParameters, cube: GridCube, *, check_spurious: bool = True) -> FiniteSystem:
    """The finite system of the discretised model in ``cube`` (guarded against spurious solutions)."""
    scan = check_no_gap_intrusion(params, cube.h) if check_spurious else None
    tc = taylor_coefficients(params)
    system = build_finite_system(
        grid_lattice(params, cube.h), cube, {SITE: tc.zeeman}, {SITE: tc.jband}, {SITE: 6},
        orbital_parity={SITE: ORBITAL_PARITY}, orbital_c4z={SITE: ORBITAL_C4Z},
        label=f"k·p cube {cube.edge_nm:g} nm, h = {cube.h:.4g} nm")
    expected = (cube.n_intervals - 1) ** 3
    if system.n_sites != expected:
        raise RuntimeError(f"grid cube built with {system.n_sites} points, expected {expected}")
    system.info.update({"shape": "cube", "edge_nm": cube.edge_nm, "grid_nm": cube.h,
                        "n_intervals": cube.n_intervals, "bulk_scan": scan})
    return system


def cube_gfactors(params: KaneParameters, cube: GridCube, *, solver: str = "auto", tol: float = 1e-8,
                  finite_field_T: float | None = 1.0, gauge_origin=None) -> dict:
    """Band-edge energies (eV from the bulk VBM) and J-convention g-factors of the confined doublets.

    Returns the record of :func:`confinement.doublets.band_edge_gfactors` (``E_cb``, ``E_vb``,
    ``g_e``, ``g_h``, tensors, finite-field g, solver info) plus the grid and the count of levels
    returned by the solver that lie inside the bulk gap (``n_in_gap``; must be 0, else spurious).
    ``gauge_origin``: r0 (nm, relative to the cube centre; default the centre) of the Peierls
    phases' vector potential A = ½ B × (r − r0). A moved origin costs the finite-field solve its
    symmetry sectors (the shared solver then uses no inversion/C4z hints).
    """
    start = time.perf_counter()
    system = build_cube(params, cube)
    build_seconds = time.perf_counter() - start
    record = band_edge_gfactors(system, params.Eg / 2, solver=solver, tol=tol, finite_field_T=finite_field_T,
                                half_gap=params.Eg / 2, gauge_origin=gauge_origin)
    levels = np.concatenate([record["levels_below"], record["levels_above"]])
    record.update({"grid_nm": cube.h, "n_intervals": cube.n_intervals, "build_seconds": build_seconds,
                   "n_in_gap": int(np.sum((levels > 1e-9) & (levels < params.Eg - 1e-9))),
                   "bulk_scan": system.info["bulk_scan"]})
    return record
