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

Each class is a registered shape (:mod:`confinement.shapes`: cube, sphere, cuboid, faceted) that
carries what the models, the Coulomb model, the CLI and the sweep schema need of it; the boxes
share :class:`confinement.shapes.BoxGeometry` with the k·p grid boxes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .coulomb import COULOMB_SPHERE, cube_coulomb_coefficient
from .errors import ParameterError
from .shapes import BoxGeometry, Shape, register_shape

_EPS = 1e-6


class _OctahedraBox(BoxGeometry):
    """Box geometry of complete octahedra: Pb rows 0 … N−1 (units of a); the nominal edge N·a reaches
    half a spacing beyond the outer Pb, the bounding box one spacing."""

    box_origin: ClassVar[float] = -0.5
    box_margin: ClassVar[float] = 1.0

    @property
    def box_step(self) -> float:
        """Pb–Pb spacing: the lattice constant (nm)."""
        return self.a


class _CoulombCube:
    """The Coulomb model of the cube: c = L⟨1/|r_e − r_h|⟩ of the sin envelopes, L_c = the edge."""

    coulomb_length_factor: ClassVar[float | None] = 1.0
    coulomb_length: ClassVar[str] = "L = edge_nm"
    coulomb_source: ClassVar[str] = "computed: L<1/|r_e - r_h|> of the sin-envelope ground states"

    @classmethod
    def coulomb_coefficient(cls) -> float | None:
        """c of the cube (:func:`confinement.coulomb.cube_coulomb_coefficient`, 3.0478)."""
        return cube_coulomb_coefficient()


def _box_size(cls: type[Shape], n_pb, diameter_nm, corner_cut: int, edge_cut: int):
    """``n_pb`` of a box shape as given, after refusing facets it has not, a diameter and a missing size."""
    cls.check_options(corner_cut=corner_cut, edge_cut=edge_cut)
    if diameter_nm is not None:
        raise ParameterError(f"a {cls.name} is sized by n_pb (Pb per edge), not by diameter_nm")
    if n_pb is None:
        raise ParameterError(f"a {cls.name} needs n_pb (number of Pb per edge"
                             f"{'s Nx,Ny,Nz' if cls.pb_edges == (3,) else ''})")
    return n_pb


@register_shape
@dataclass(frozen=True)
class OctahedraCube(_CoulombCube, _OctahedraBox, Shape):
    """A cube of complete PbX6 octahedra with ``n_pb`` Pb per edge, lattice constant ``a`` (nm)."""

    name: ClassVar[str] = "cube"
    summary: ClassVar[str] = "cube: N Pb per edge of complete octahedra (tb), hard-wall cube of edge L (kp)"
    models: ClassVar[tuple[str, ...]] = ("kp", "tb")
    kp_method: ClassVar[str | None] = "grid"
    isotropic: ClassVar[bool] = True

    n_pb: int
    a: float

    def __post_init__(self) -> None:
        if not isinstance(self.n_pb, (int, np.integer)) or self.n_pb < 1:
            raise ParameterError(f"a cube needs at least one Pb per edge (n_pb ≥ 1), got {self.n_pb!r}")
        if not self.a > 0:
            raise ParameterError(f"lattice constant must be positive (nm), got {self.a}")

    @classmethod
    def from_size(cls, a: float, *, n_pb: int | Sequence[int] | None = None, diameter_nm: float | None = None,
                  corner_cut: int = 0, edge_cut: int = 0) -> OctahedraCube:
        """The cube of ``n_pb`` = N Pb per edge (three edges: use the cuboid)."""
        n_pb = _box_size(cls, n_pb, diameter_nm, corner_cut, edge_cut)
        if isinstance(n_pb, (tuple, list, np.ndarray)):
            raise ParameterError(f"a cube has one edge (n_pb = N), got {n_pb!r}; use shape 'cuboid' for Nx,Ny,Nz")
        return cls(int(n_pb) if float(n_pb).is_integer() else n_pb, a)   # the constructor refuses N < 1

    @property
    def box_counts(self) -> tuple[int, int, int]:
        """Pb per edge along x, y, z."""
        return (self.n_pb,) * 3

    @property
    def edge_nm(self) -> float:
        """Nominal edge length N·a (nm)."""
        return self.n_pb * self.a

    @property
    def point_group(self) -> str:
        """Symmetry group the solver's blocks use: C4h (C4z and inversion through the centre)."""
        return "C4h"

    def contains_pb(self, r: np.ndarray) -> np.ndarray:
        """Pb sites (r: (3, n), nm) inside the cube."""
        return self.in_box(r)

    def expected_counts(self) -> dict[str, int]:
        """Numbers of atoms of a complete-octahedra cube: N³ Pb and 3(N³ + N²) X."""
        n = self.n_pb
        return {"Pb": n**3, "X": 3 * (n**3 + n**2)}


@register_shape
@dataclass(frozen=True)
class OctahedraSphere(Shape):
    """A sphere of complete PbX6 octahedra: Pb within ``diameter_nm``/2 of a central Pb site."""

    name: ClassVar[str] = "sphere"
    summary: ClassVar[str] = "sphere of diameter D: Pb within D/2 of a central Pb (tb), spectral radial basis (kp)"
    models: ClassVar[tuple[str, ...]] = ("kp", "tb")
    pb_edges: ClassVar[tuple[int, ...]] = ()
    kp_method: ClassVar[str | None] = "spectral"
    isotropic: ClassVar[bool] = True
    coulomb_length_factor: ClassVar[float | None] = 0.5
    coulomb_length: ClassVar[str] = "R = edge_nm/2"
    coulomb_source: ClassVar[str] = "Brus (j0 envelopes), first order"

    diameter_nm: float
    a: float

    @classmethod
    def coulomb_coefficient(cls) -> float | None:
        """c of the sphere: the Brus value 1.786 (:data:`confinement.coulomb.COULOMB_SPHERE`), L_c = R."""
        return COULOMB_SPHERE

    @classmethod
    def from_size(cls, a: float, *, n_pb: int | Sequence[int] | None = None, diameter_nm: float | None = None,
                  corner_cut: int = 0, edge_cut: int = 0) -> OctahedraSphere:
        """The sphere of ``diameter_nm`` (nm)."""
        cls.check_options(corner_cut=corner_cut, edge_cut=edge_cut)
        if diameter_nm is None:
            raise ParameterError("a sphere needs diameter_nm")
        if n_pb is not None:
            raise ParameterError(f"a sphere is sized by diameter_nm, not by n_pb (got n_pb = {n_pb!r})")
        return cls(float(diameter_nm), a)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.diameter_nm) and self.diameter_nm > 0):
            raise ParameterError(f"sphere diameter must be positive (nm), got {self.diameter_nm}")

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


@register_shape
@dataclass(frozen=True)
class OctahedraCuboid(_OctahedraBox, Shape):
    """A lattice-aligned box of complete PbX6 octahedra with ``n_pb`` = (Nx, Ny, Nz) Pb per edge
    (lattice constant ``a``, nm), centred on its inversion centre, optionally faceted.

    ``corner_cut`` c: {111} facets removing the c outermost Pb layers at every corner
    (|u_x| + |u_y| + |u_z| ≤ Σ h − c, h_i = (N_i − 1)/2, u the Pb offset in units of a);
    ``edge_cut`` e: {110} facets removing e layers along every edge (|u_i| + |u_j| ≤ h_i + h_j − e);
    ``cuts``: further half-space cuts (n, d): keep n·u ≤ d (a single cut breaks inversion).
    Without cuts: Nx·Ny·Nz Pb and 3NxNyNz + NxNy + NyNz + NzNx X (checked on every build).
    """

    name: ClassVar[str] = "cuboid"
    summary: ClassVar[str] = "cuboid: Nx, Ny, Nz Pb per edge (tb), hard-wall box LX × LY × LZ (kp)"
    models: ClassVar[tuple[str, ...]] = ("kp", "tb")
    pb_edges: ClassVar[tuple[int, ...]] = (3,)
    kp_method: ClassVar[str | None] = "grid"
    kp_sizes: ClassVar[int] = 3

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

    @classmethod
    def from_size(cls, a: float, *, n_pb: int | Sequence[int] | None = None, diameter_nm: float | None = None,
                  corner_cut: int = 0, edge_cut: int = 0) -> OctahedraCuboid:
        """The box of ``n_pb`` Pb per edge (N: a cube's edges, for the faceted shape), with the facet cuts."""
        edges = cls.pb_counts(_box_size(cls, n_pb, diameter_nm, corner_cut, edge_cut))
        return cls(tuple(edges) if isinstance(edges, list) else (edges,) * 3, a, corner_cut, edge_cut)

    @property
    def kind(self) -> str:
        """Shape name: 'cuboid', or 'faceted' when any facet is cut."""
        return "faceted" if (self.corner_cut or self.edge_cut or self.cuts) else "cuboid"

    @property
    def box_counts(self) -> tuple[int, int, int]:
        """Pb per edge along x, y, z."""
        return self.n_pb

    @property
    def edge_nm(self) -> float:
        """Equivalent cube edge (nm): the geometric mean (NxNyNz)^(1/3)·a of the nominal edges."""
        return self.mean_edge_nm()

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
        return self.in_box(r) & np.all(normals @ u <= depths[:, None] + _EPS, axis=0)

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
        return type(self)(n_new, self.a, self.corner_cut, self.edge_cut, cuts)

    def expected_counts(self) -> dict[str, int]:
        """Pb and X numbers of the shape, enumerated from its own Pb sites: an X is in when one of its
        two Pb neighbours (±a/2 along its axis) is."""
        keys = np.round(2 * self.pb_offsets().T).astype(np.int64)        # units of a/2
        steps = np.eye(3, dtype=np.int64)
        x_keys = np.concatenate([keys + s for s in steps] + [keys - s for s in steps])
        return {"Pb": int(keys.shape[0]), "X": int(np.unique(x_keys, axis=0).shape[0])}


@register_shape
class OctahedraFaceted(OctahedraCuboid):
    """A faceted cube or cuboid of complete octahedra (tight binding only): the box of
    :class:`OctahedraCuboid` with ``corner_cut`` {111} and ``edge_cut`` {110} Pb layers removed."""

    name: ClassVar[str] = "faceted"
    summary: ClassVar[str] = "faceted (tb): a cube (N) or cuboid (Nx, Ny, Nz) with corner_cut / edge_cut facets"
    models: ClassVar[tuple[str, ...]] = ("tb",)
    pb_edges: ClassVar[tuple[int, ...]] = (1, 3)
    has_facets: ClassVar[bool] = True
    kp_method: ClassVar[str | None] = None
    kp_sizes: ClassVar[int] = 1


def octahedra_contains(shape: Shape):
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
