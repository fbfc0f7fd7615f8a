"""Nanocrystal shapes: which lattice sites belong to the crystallite.

Perovskite shapes are built from complete PbX6 octahedra: a Pb site is in the NC if it lies in
the region, and an X site if at least one of its two Pb neighbours is. Cubes have N Pb per edge
(N³ Pb, 3(N³ + N²) X, edge ≈ N·a) and are centred on their inversion centre; spheres are centred
on a Pb site. Positions in nm; the shape's ``center`` becomes the origin of the finite system.

A shape is data: a predicate on Pb sites (``contains_pb``) plus the symmetry group it keeps.
:class:`OctahedraCuboid` is the general lattice-aligned box of (Nx, Ny, Nz) Pb per edge, optionally
faceted by {111} corner cuts, {110} edge cuts and any further half-space cuts; its
:attr:`~OctahedraCuboid.point_group` (the subgroup of C4h = ⟨C4z, inversion⟩ that the solver's
symmetry blocks can use: C4h, C4, C2h, C2, Ci or C1) is read off its own Pb sites, never assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

_EPS = 1e-6


def _box_center(n_pb: np.ndarray, a: float) -> np.ndarray:
    """Inversion centre (nm) of a box of ``n_pb`` (3,) Pb per edge whose corner Pb sits at the origin."""
    return (np.asarray(n_pb, float) - 1) * a / 2


def _box_width(n_pb: np.ndarray, a: float) -> np.ndarray:
    """Bounding-box widths (nm) handed to pybinding's shape: one lattice constant beyond the Pb."""
    return (np.asarray(n_pb, float) + 1) * a


def _in_box(u: np.ndarray, n_pb: np.ndarray) -> np.ndarray:
    """Pb offsets u (3, n), in units of a from the box centre, inside the box of ``n_pb`` Pb per edge."""
    half = (np.asarray(n_pb, float)[:, None] - 1) / 2 + _EPS
    return np.all(np.abs(u) <= half, axis=0)


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
        return _box_center(np.full(3, self.n_pb), self.a)

    @property
    def width(self) -> np.ndarray:
        """Bounding-box widths (nm) handed to pybinding's shape."""
        return _box_width(np.full(3, self.n_pb), self.a)

    @property
    def point_group(self) -> str:
        """Symmetry group the solver's blocks use: C4h (C4z and inversion through the centre)."""
        return "C4h"

    def contains_pb(self, r: np.ndarray) -> np.ndarray:
        """Pb sites (r: (3, n), nm) inside the cube."""
        return _in_box((r - self.center[:, None]) / self.a, np.full(3, self.n_pb))

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

    @property
    def point_group(self) -> str:
        """Symmetry group the solver's blocks use: C4h (the sphere about a Pb site keeps all of Oh)."""
        return "C4h"

    def contains_pb(self, r: np.ndarray) -> np.ndarray:
        """True for Pb positions (nm) within D/2 of the central Pb."""
        return np.linalg.norm(r - self.center[:, None], axis=0) <= self.diameter_nm / 2 + _EPS


#: The point groups a shape can keep that the symmetry blocks know, strongest first: C4z and/or C2z
#: about the z axis through the centre, with or without inversion (confinement.symmetry).
POINT_GROUPS = ("C4h", "C4", "C2h", "C2", "Ci", "C1")

#: A half-space cut: integer normal n (3,) and depth d (units of a); Pb offsets u kept where n·u ≤ d.
Cut = tuple[tuple[int, int, int], float]

_CORNER_NORMALS = np.array([(i, j, k) for i in (1, -1) for j in (1, -1) for k in (1, -1)], float)
_EDGE_NORMALS = np.array([v for p in ((0, 1), (1, 2), (0, 2)) for sa in (1, -1) for sb in (1, -1)
                          for v in [np.where(np.arange(3) == p[0], sa, 0) + np.where(np.arange(3) == p[1], sb, 0)]],
                         float)


@dataclass(frozen=True)
class OctahedraCuboid:
    """A lattice-aligned box of complete PbX6 octahedra with ``n_pb`` = (Nx, Ny, Nz) Pb per edge
    (lattice constant ``a``, nm), centred on its inversion centre, optionally faceted.

    ``corner_cut`` c: {111} facets removing the c outermost Pb layers at every corner
    (|u_x| + |u_y| + |u_z| ≤ Σ h − c, h_i = (N_i − 1)/2, u the Pb offset in units of a);
    ``edge_cut`` e: {110} facets removing e layers along every edge (|u_i| + |u_j| ≤ h_i + h_j − e);
    ``cuts``: further half-space cuts (n, d): keep n·u ≤ d (a single cut breaks inversion).
    Without cuts: Nx·Ny·Nz Pb and 3NxNyNz + NxNy + NyNz + NzNx X (checked on every build).
    """

    n_pb: tuple[int, int, int]
    a: float
    corner_cut: int = 0
    edge_cut: int = 0
    cuts: tuple[Cut, ...] = ()

    def __post_init__(self) -> None:
        edges = tuple(self.n_pb) if isinstance(self.n_pb, (tuple, list, np.ndarray)) else (self.n_pb,)
        if len(edges) != 3:
            raise ParameterError(f"a cuboid needs three edges Nx,Ny,Nz (Pb per edge), got {self.n_pb!r}")
        if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in edges):
            raise ParameterError(f"cuboid edges must be integers ≥ 1 (Pb per edge), got {self.n_pb!r}")
        object.__setattr__(self, "n_pb", tuple(int(n) for n in edges))
        if not self.a > 0:
            raise ParameterError(f"lattice constant must be positive (nm), got {self.a}")
        for name in ("corner_cut", "edge_cut"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ParameterError(f"{name} must be an integer ≥ 0 (Pb layers removed), got {value!r}")
        cuts = tuple((tuple(int(c) for c in n), float(d)) for n, d in self.cuts)
        if any(len(n) != 3 or not any(n) for n, _ in cuts):
            raise ParameterError(f"every cut needs a non-zero integer normal (3 components), got {self.cuts!r}")
        object.__setattr__(self, "cuts", cuts)
        if not self.pb_offsets().shape[1]:
            raise ParameterError(f"the cuts leave no Pb site in the {self.n_pb} cuboid")

    @property
    def kind(self) -> str:
        """Shape name: 'cuboid', or 'faceted' when any facet is cut."""
        return "faceted" if (self.corner_cut or self.edge_cut or self.cuts) else "cuboid"

    @property
    def edges_nm(self) -> np.ndarray:
        """Nominal edges N_i·a (nm), (3,)."""
        return np.asarray(self.n_pb, float) * self.a

    @property
    def edge_nm(self) -> float:
        """Equivalent cube edge (nm): the geometric mean (NxNyNz)^(1/3)·a of the nominal edges."""
        return float(np.prod(self.edges_nm) ** (1 / 3))

    @property
    def center(self) -> np.ndarray:
        """Inversion centre of the box (nm)."""
        return _box_center(np.array(self.n_pb), self.a)

    @property
    def width(self) -> np.ndarray:
        """Bounding-box widths (nm) handed to pybinding's shape."""
        return _box_width(np.array(self.n_pb), self.a)

    def facets(self) -> tuple[np.ndarray, np.ndarray]:
        """All cuts as (normals (m, 3), depths (m,)) in units of a: corner, edge and further cuts."""
        half = (np.asarray(self.n_pb, float) - 1) / 2
        normals, depths = [np.zeros((0, 3))], [np.zeros(0)]
        if self.corner_cut:
            normals.append(_CORNER_NORMALS)
            depths.append(np.full(8, half.sum() - self.corner_cut))
        if self.edge_cut:
            normals.append(_EDGE_NORMALS)
            depths.append(np.abs(_EDGE_NORMALS) @ half - self.edge_cut)
        if self.cuts:
            normals.append(np.array([n for n, _ in self.cuts], float))
            depths.append(np.array([d for _, d in self.cuts]))
        return np.concatenate(normals), np.concatenate(depths)

    def contains_pb(self, r: np.ndarray) -> np.ndarray:
        """Pb sites (r: (3, n), nm) inside the faceted box."""
        u = (r - self.center[:, None]) / self.a
        normals, depths = self.facets()
        return _in_box(u, np.array(self.n_pb)) & np.all(normals @ u <= depths[:, None] + _EPS, axis=0)

    def pb_offsets(self) -> np.ndarray:
        """(3, n) offsets u (units of a, from the centre) of the Pb sites of the shape."""
        axes = [np.arange(n) - (n - 1) / 2 for n in self.n_pb]
        u = np.stack(np.meshgrid(*axes, indexing="ij")).reshape(3, -1)
        return u[:, self.contains_pb(self.center[:, None] + u * self.a)]

    @property
    def point_group(self) -> str:
        """The group (of :data:`POINT_GROUPS`) the Pb sites keep: C4z, else C2z, about the z axis
        through the centre, with or without inversion — read off the sites (X follow their Pb)."""
        from .symmetry import C4Z, map_sites

        u = self.pb_offsets().T
        keeps = lambda m: bool(np.all(map_sites(u, m) >= 0))      # noqa: E731
        rotation = "C4" if keeps(C4Z) else ("C2" if keeps(C4Z @ C4Z) else "")
        inversion = keeps(-np.eye(3))
        if not rotation:
            return "Ci" if inversion else "C1"
        return rotation + ("h" if inversion else "")

    def rotated(self, rotation: np.ndarray) -> OctahedraCuboid:
        """The same shape turned by a proper lattice rotation R (a signed permutation matrix, det +1):
        edges permuted, cut normals n → R n (the corner and edge families map onto themselves)."""
        R = np.asarray(rotation, float)
        if not (np.allclose(np.abs(R).sum(axis=0), 1) and np.allclose(np.abs(R).sum(axis=1), 1)
                and np.allclose(R, np.round(R)) and np.isclose(np.linalg.det(R), 1)):
            raise ParameterError("a lattice-aligned shape turns only by a proper signed permutation (det +1) "
                                 f"of the cubic axes; got\n{R}")
        n_new = tuple(int(v) for v in np.abs(R) @ np.array(self.n_pb))
        cuts = tuple((tuple(int(c) for c in np.round(R @ np.array(n, float))), d) for n, d in self.cuts)
        return OctahedraCuboid(n_new, self.a, self.corner_cut, self.edge_cut, cuts)

    def expected_counts(self) -> dict[str, int]:
        """Pb and X numbers of the shape, enumerated from its own Pb sites: an X is in when one of its
        two Pb neighbours (±a/2 along its axis) is."""
        keys = np.round(2 * self.pb_offsets().T).astype(np.int64)        # units of a/2
        steps = np.eye(3, dtype=np.int64)
        x_keys = np.concatenate([keys + s for s in steps] + [keys - s for s in steps])
        return {"Pb": int(keys.shape[0]), "X": int(np.unique(x_keys, axis=0).shape[0])}


def octahedra_contains(shape: OctahedraCube | OctahedraSphere | OctahedraCuboid):
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
