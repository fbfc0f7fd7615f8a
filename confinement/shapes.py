"""NC shapes: one class per shape, registered by name, read by every model, the CLI and the schema.

A shape class (:class:`Shape`) is the site predicate of one kind of nanocrystal — its instances
say which Pb sites of the lattice belong to the crystallite (``contains_pb``), which subgroup of
C4h they keep (``point_group``) and their nominal size (``edge_nm``, nm) — and, as class
attributes, everything the rest of the toolkit asks of the kind: how the tight-binding model sizes
it (Pb per edge or a diameter, how many edges), whether it is faceted, which models build it, how
the k·p model solves it (finite-difference grid box or the spectral sphere), whether its doublets
are isotropic (the default finite-field axes) and its e–h Coulomb coefficient (or none).

The registry (:func:`register_shape`, :func:`get_shape`, :func:`shape_names`) is what
``tightbinding.nanocrystal``, ``kp.nanocrystal``, :mod:`confinement.coulomb`, the ``landeg nc
--shape`` choices and the sweep schema read: a new shape is one decorated class. The built-in
shapes (cube, sphere, cuboid, faceted) live in :mod:`confinement.geometry`.

:class:`BoxGeometry` is the lattice-aligned box shared by the octahedra boxes (tight binding) and
the k·p grid boxes: nominal edges, centre, bounding box and the in-box test. Lengths in nm.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .errors import ParameterError, UnknownNameError

#: Models that build NCs (``Shape.models`` names a subset).
MODELS = ("kp", "tb")
#: Relative tolerance of the in-box test, in units of the site spacing.
_EPS = 1e-6


class Shape(ABC):
    """One kind of NC: a site predicate (instances) plus what every builder needs (class attributes).

    Instances provide ``edge_nm`` (nominal size, nm), ``center`` and ``width`` (nm, for the
    lattice cut), ``point_group`` and ``contains_pb(r)``; the class attributes are read through
    the registry before any instance exists (CLI, schema, k·p dispatch).
    """

    #: Registry name (``--shape``, ``shape =`` of a config, ``shape`` of every record).
    name: ClassVar[str]
    #: One line for help texts and the config reference.
    summary: ClassVar[str]
    #: Models that build this shape (of :data:`MODELS`).
    models: ClassVar[tuple[str, ...]] = ("tb",)
    #: Tight binding: numbers of ``n_pb`` values accepted (1: N, 3: Nx,Ny,Nz); () = sized by ``diameter_nm``.
    pb_edges: ClassVar[tuple[int, ...]] = (1,)
    #: Whether ``corner_cut`` / ``edge_cut`` apply.
    has_facets: ClassVar[bool] = False
    #: k·p: 'grid' (finite-difference box), 'spectral' (radial basis of the sphere) or None (not built).
    kp_method: ClassVar[str | None] = None
    #: k·p: number of size values (1: cube edge or diameter L; 3: box edges LX, LY, LZ).
    kp_sizes: ClassVar[int] = 1
    #: Whether the doublets are isotropic (finite-field check along z only by default; else x, y, z).
    isotropic: ClassVar[bool] = False
    #: Coulomb length L_c as a fraction of the nominal size (sphere: R = D/2; cube: L); None: no model.
    coulomb_length_factor: ClassVar[float | None] = None
    #: How the Coulomb length is read off the size, and where the coefficient comes from (records).
    coulomb_length: ClassVar[str] = ""
    coulomb_source: ClassVar[str] = ""

    @classmethod
    def coulomb_coefficient(cls) -> float | None:
        """Dimensionless c of the first-order e–h shift −c e²/(4π ε0 ε L_c); None if the shape has none."""
        return None

    @classmethod
    @abstractmethod
    def from_size(cls, a: float, *, n_pb: int | Sequence[int] | None = None, diameter_nm: float | None = None,
                  corner_cut: int = 0, edge_cut: int = 0) -> Shape:
        """The shape of complete octahedra of a lattice with constant ``a`` (nm), sized as the class says."""

    @property
    def kind(self) -> str:
        """The registry name of the shape."""
        return self.name

    @classmethod
    def size_axis(cls) -> str:
        """The tight-binding size parameter: ``n_pb`` or ``diameter_nm``."""
        return "n_pb" if cls.pb_edges else "diameter_nm"

    @classmethod
    def default_field_axes(cls) -> str:
        """Axes of the finite-field check unless asked otherwise: 'z' (isotropic) or 'xyz'."""
        return "z" if cls.isotropic else "xyz"

    @classmethod
    def check_options(cls, *, corner_cut: int = 0, edge_cut: int = 0) -> None:
        """ParameterError if facet cuts are given to a shape without facets."""
        if (corner_cut or edge_cut) and not cls.has_facets:
            faceted = ", ".join(n for n in shape_names() if get_shape(n).has_facets)
            raise ParameterError(f"corner_cut and edge_cut shape a faceted NC ({faceted}), not a {cls.name}")

    @classmethod
    def pb_counts(cls, value: int | str | Sequence[Any]) -> int | list[int]:
        """``n_pb`` as validated data: one integer ≥ 1 or three (a list or a "Nx,Ny,Nz" string), as
        many as :attr:`pb_edges` allows; ParameterError naming the problem."""
        if not cls.pb_edges:
            raise ParameterError(f"a {cls.name} is sized by diameter_nm, not by n_pb")
        items = value.split(",") if isinstance(value, str) else (
            list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value])
        try:
            numbers = [float(v) for v in items]
        except (TypeError, ValueError):
            numbers = [float("nan")]
        if not numbers or not all(n.is_integer() and n >= 1 for n in numbers):
            raise ParameterError(f"n_pb: Pb per edge must be an integer ≥ 1, got {value!r}")
        if len(numbers) not in cls.pb_edges:
            need = {(3,): "three edges Nx,Ny,Nz", (1, 3): "N or three edges Nx,Ny,Nz"}.get(cls.pb_edges, "one N")
            raise ParameterError(f"n_pb: a {cls.name} needs {need} (Pb per edge), got {value!r}")
        return int(numbers[0]) if len(numbers) == 1 else [int(n) for n in numbers]


_REGISTRY: dict[str, type[Shape]] = {}


def register_shape(cls: type[Shape]) -> type[Shape]:
    """Class decorator: add a :class:`Shape` subclass to the registry under ``cls.name``."""
    name = getattr(cls, "name", None)
    if not (isinstance(name, str) and name.isidentifier()):
        raise ParameterError(f"a shape needs a name that is an identifier, got {name!r} on {cls.__name__}")
    if name in _REGISTRY and _REGISTRY[name] is not cls:
        raise ParameterError(f"shape {name!r} is registered already ({_REGISTRY[name].__name__})")
    unknown = set(cls.models) - set(MODELS)
    if unknown or cls.kp_method not in (None, "grid", "spectral") or ("kp" in cls.models) != bool(cls.kp_method):
        raise ParameterError(f"shape {name!r}: models {cls.models} and kp_method {cls.kp_method!r} disagree "
                             f"(models of {MODELS}; 'kp' needs kp_method 'grid' or 'spectral')")
    _REGISTRY[name] = cls
    return cls


def _builtin() -> dict[str, type[Shape]]:
    from . import geometry  # noqa: F401  (registers the built-in shapes)

    return _REGISTRY


def shape_names(model: str | None = None) -> tuple[str, ...]:
    """Names of the registered shapes, in registration order; with ``model`` only those it builds."""
    if model is not None and model not in MODELS:
        raise UnknownNameError("model", model, MODELS)
    return tuple(n for n, cls in _builtin().items() if model is None or model in cls.models)


def get_shape(name: str, model: str | None = None) -> type[Shape]:
    """The shape class registered as ``name`` (UnknownNameError listing the names; with ``model``,
    ParameterError if that model does not build it)."""
    registry = _builtin()
    if name not in registry:
        raise UnknownNameError("shape", name, shape_names())
    cls = registry[name]
    if model is not None and model not in cls.models:
        raise ParameterError(f"the {model} model does not build a {name}; its shapes: {', '.join(shape_names(model))}")
    return cls


class BoxGeometry:
    """A lattice-aligned box of sites (nm): ``box_counts`` (3 integers) steps of ``box_step`` per edge.

    Subclasses give ``box_counts``, ``box_step`` and the class constants: ``box_origin`` (where the
    nominal box starts, in steps before the first site: −½ for octahedra, whose edge N·a reaches half a
    spacing beyond the outer Pb; 0 for a grid, whose walls are grid points left out) and
    ``box_margin`` (bounding box beyond the nominal edges, in steps).
    """

    box_origin: ClassVar[float] = 0.0
    box_margin: ClassVar[float] = 2.0

    @property
    def box_counts(self) -> tuple[int, int, int]:
        raise NotImplementedError

    @property
    def box_step(self) -> float:
        raise NotImplementedError

    @property
    def edges_nm(self) -> np.ndarray:
        """Nominal edges (nm), (3,): steps × step."""
        return np.asarray(self.box_counts, float) * self.box_step

    def mean_edge_nm(self) -> float:
        """Equivalent cube edge (nm): the geometric mean of the nominal edges."""
        return float(np.prod(self.edges_nm) ** (1 / 3))

    @property
    def center(self) -> np.ndarray:
        """Centre of the box (nm): its inversion centre and the default gauge origin."""
        return (np.asarray(self.box_counts, float) + 2 * self.box_origin) * self.box_step / 2

    @property
    def width(self) -> np.ndarray:
        """Bounding-box widths (nm) handed to pybinding's shape."""
        return (np.asarray(self.box_counts, float) + self.box_margin) * self.box_step

    def in_box(self, r: np.ndarray) -> np.ndarray:
        """Sites r (3, n), nm, inside the box: within half an edge less half a step of the centre."""
        half = (np.asarray(self.box_counts, float)[:, None] - 1) / 2 + _EPS
        return np.all(np.abs((r - self.center[:, None]) / self.box_step) <= half, axis=0)
