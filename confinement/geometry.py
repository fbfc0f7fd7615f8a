"""Nanocrystal shapes: which lattice sites belong to the crystallite.

Perovskite shapes are built from complete PbX6 octahedra: a Pb site is in the NC if it lies in
the region, and an X site if at least one of its two Pb neighbours is. Cubes have N Pb per edge
(N³ Pb, 3(N³ + N²) X, edge ≈ N·a) and are centred on their inversion centre; spheres are centred
on a Pb site. Positions in nm; the shape's ``center`` becomes the origin of the finite system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

_EPS = 1e-6


@dataclass(frozen=True)
class OctahedraCube:
    """A cube of complete PbX6 octahedra with ``n_pb`` Pb per edge, lattice constant ``a`` (nm)."""

    n_pb: int
    a: float

    def __post_init__(self) -> None:
        if not isinstance(self.n_pb, (int, np.integer)) or self.n_pb < 1:
            raise ParameterError(f"a cube needs at least one Pb per edge (n_pb ≥ 1), got {self.n_pb!r}")
        if not self.a > 0:
            raise ParameterError(f"lattice constant must be positive (nm), got {self.a}")

    @property
    def kind(self) -> str:
        """Shape name: 'cube'."""
        return "cube"

    @property
    def edge_nm(self) -> float:
        """Nominal edge length N·a (nm)."""
        return self.n_pb * self.a

    @property
    def center(self) -> np.ndarray:
        """Inversion centre of the cube (nm): a Pb site (odd N) or a cell centre (even N)."""
        return np.full(3, (self.n_pb - 1) * self.a / 2)

    @property
    def width(self) -> np.ndarray:
        """Bounding-box widths (nm) handed to pybinding's shape."""
        return np.full(3, (self.n_pb + 1) * self.a)

    def contains_pb(self, r: np.ndarray) -> np.ndarray:
        """Pb sites (r: (3, n), nm) inside the cube."""
        half = (self.n_pb - 1) * self.a / 2 + _EPS
        return np.all(np.abs(r - self.center[:, None]) <= half, axis=0)

    def expected_counts(self) -> dict[str, int]:
        """Numbers of atoms of a complete-octahedra cube: N³ Pb and 3(N³ + N²) X."""
        n = self.n_pb
        return {"Pb": n**3, "X": 3 * (n**3 + n**2)}


@dataclass(frozen=True)
class OctahedraSphere:
    """A sphere of complete PbX6 octahedra: Pb within ``diameter_nm``/2 of a central Pb site."""

    diameter_nm: float
    a: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.diameter_nm) and self.diameter_nm > 0):
            raise ParameterError(f"sphere diameter must be positive (nm), got {self.diameter_nm}")

    @property
    def kind(self) -> str:
        """Shape name: 'sphere'."""
        return "sphere"

    @property
    def edge_nm(self) -> float:
        """The diameter (nm): the size that plays the role of the cube edge."""
        return self.diameter_nm

    @property
    def center(self) -> np.ndarray:
        """Centre of the sphere (nm): a Pb site."""
        return np.zeros(3)

    @property
    def width(self) -> np.ndarray:
        """Bounding-box widths (nm) handed to pybinding's shape."""
        return np.full(3, self.diameter_nm + 2 * self.a)

    def contains_pb(self, r: np.ndarray) -> np.ndarray:
        """True for Pb positions (nm) within D/2 of the central Pb."""
        return np.linalg.norm(r - self.center[:, None], axis=0) <= self.diameter_nm / 2 + _EPS


def octahedra_contains(shape: OctahedraCube | OctahedraSphere):
    """The site predicate contains(x, y, z) for pybinding: Pb in the region, X next to an included Pb.

    Pb sites have integer coordinates in units of a; an X site has exactly one half-integer
    coordinate, along which its two Pb neighbours lie at ±a/2.
    """
    a = shape.a

    def contains(x, y, z):
        r = np.stack([np.asarray(x, float), np.asarray(y, float), np.asarray(z, float)])
        frac = np.abs(r / a - np.round(r / a))
        half = frac > 0.25                               # (3, n): the half-integer axis of an X
        is_x = half.any(axis=0)
        step = np.where(half, a / 2, 0.0)
        return np.where(is_x, shape.contains_pb(r + step) | shape.contains_pb(r - step), shape.contains_pb(r))

    return contains
