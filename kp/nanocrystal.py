"""One k·p nanocrystal as a JSON-ready record: energies, g-factors and the bulk curve at its energy.

``kp_nanocrystal(material, shape, edge_nm)`` solves the eight-band model of ``material`` (K22
universal constants, remote masses fitted to N23 Table S2, :func:`kp.materials.material_parameters`)
in a hard-wall shape of the registry (:mod:`confinement.shapes`, the ``kp`` ones): the sphere
(diameter L, spectral radial basis, :mod:`kp.sphere`) or a grid box — cube of edge L or cuboid
LX × LY × LZ (:mod:`kp.cube`) — and reports

- E_cb, E_vb (the band-edge doublets, eV from the bulk valence-band top), E_gap = E_cb − E_vb;
- E_transition = E_gap + Coulomb shift (:mod:`kp.coulomb`; only if a dielectric constant is given);
- g_e, g_h, g_X = g_e + g_h (J-convention, g0 of the parameter set), first order and at a finite field;
- g_e_bulk_at_E, g_h_bulk_at_E: the bulk K22 closed forms (:func:`kp.bulk.bulk_kp`, same constants)
  at Eg = E_transition, and δg = g − g_bulk(E_transition).

Cube g-factors are Richardson-extrapolated (default): the central-difference scheme is symmetric,
so its error is a series in h², and g(h→0) ≈ [4 g(h) − g(2h)]/3 (the solve at 2h costs 1/8 of the
one at h). The per-grid values are kept in ``grids``. The result is a
:class:`confinement.nc_result.NCResult` (the same fields as tight binding). Energies eV, lengths nm,
fields T.
"""

from __future__ import annotations

import math
import time

import numpy as np

from confinement.coulomb import coulomb_shift
from confinement.errors import ParameterError
from confinement.gfactor import GTensor
from confinement.nc_result import NCResult
from confinement.shapes import get_shape, shape_names
from confinement.units import MU_B

from .bulk import bulk_kp
from .cube import GridCube, GridCuboid, cube_gfactors
from .materials import material_parameters
from .parameters import KaneParameters
from .sphere import DEFAULT_N_RADIAL, sphere_finite_field, sphere_gfactors

#: Default number of grid steps per cube edge (h = L/16; with the 2h grid for the extrapolation).
DEFAULT_CUBE_INTERVALS = 16


def validate_size(edge_nm: float) -> float:
    """The NC size (cube edge or sphere diameter, nm) as a float, or :class:`ParameterError`."""
    try:
        value = float(edge_nm)
    except (TypeError, ValueError):
        raise ParameterError(f"NC size must be a number (nm), got {edge_nm!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise ParameterError(f"NC size (cube edge or sphere diameter) must be positive (nm), got {edge_nm}")
    return value


def cube_grid(edge_nm: float, grid_nm: float | None = None, *, richardson: bool = True) -> GridCube:
    """The fine grid of a cube: spacing ``grid_nm`` (rounded to L/N) or L/16 by default.

    With ``richardson`` N is made even so that the 2h grid exists, and N/2 ≥ 2 is required.
    """
    if grid_nm is None:
        n = DEFAULT_CUBE_INTERVALS
    else:
        cube = GridCube.from_spacing(edge_nm, grid_nm)
        n = cube.n_intervals
    if richardson:
        n += n % 2
        if n // 2 < 2:
            raise ParameterError(f"grid spacing {grid_nm} nm is too coarse for the extrapolation in a "
                                 f"{edge_nm} nm cube (need h ≤ edge/4 = {edge_nm / 4} nm)")
    return GridCube(edge_nm, n)


def _bulk_columns(params: KaneParameters, record: dict) -> None:
    bulk = bulk_kp(params, eg=record["E_transition"])
    ref = bulk_kp(params)
    record.update({
        "g_X": record["g_e"] + record["g_h"],
        "g_e_bulk_at_E": bulk.g_e, "g_h_bulk_at_E": bulk.g_h,
        "delta_g_e": record["g_e"] - bulk.g_e, "delta_g_h": record["g_h"] - bulk.g_h,
        "bulk": {"Eg": params.Eg, "g_e": ref.g_e, "g_h": ref.g_h, "m_e": ref.m_e, "m_h": ref.m_h},
    })


def _sphere_record(params: KaneParameters, diameter: float, n_radial: int, finite_field_T: float | None) -> dict:
    r = sphere_gfactors(params, [diameter], n_radial=n_radial)
    record = {"E_cb": float(r["E_e"][0]), "E_vb": float(r["E_h"][0]), "g_e": float(r["g_e"][0]),
              "g_h": float(r["g_h"][0]), "n_radial": n_radial, "solver": "sphere-spectral",
              "g_e_anisotropy": float(r["anisotropy_e"][0]), "g_h_anisotropy": float(r["anisotropy_h"][0]),
              "channel_weights_e": r["w_e"][0].tolist(), "channel_weights_h": r["w_h"][0].tolist(),
              "channels": {"electron": "(S,l=1), (p J=1/2,l=0), (p J=3/2,l=2)",
                           "hole": "(S,l=0), (p J=1/2,l=1), (p J=3/2,l=1)"}}
    if finite_field_T:
        for key, carrier in (("g_e_finite_field", "electron"), ("g_h_finite_field", "hole")):
            split = sphere_finite_field(params, diameter, [0.0, 0.0, finite_field_T], carrier=carrier,
                                        n_radial=n_radial)
            record[key] = split / (MU_B * finite_field_T)
        record["finite_field_T"] = finite_field_T
    return record


_GRID_KEYS = ("grid_nm", "n_intervals", "n_orbitals", "E_cb", "E_vb", "g_e", "g_h", "g_e_anisotropy",
              "g_h_anisotropy", "g_e_tensor", "g_h_tensor", "n_in_gap", "levels_below", "levels_above", "solver",
              "solver_seconds", "residual_max")


def _cube_record(params: KaneParameters, edge: float | tuple[float, float, float], grid_nm: float | None,
                 richardson: bool, finite_field_T: float | None, solver: str, field_axes: str = "z") -> dict:
    """A grid box: cube (``edge`` one number) or cuboid (``edge`` three edges, nm) on grids h (and 2h)."""
    if np.ndim(edge):
        fine = GridCuboid.from_edges(edge, grid_nm, steps=DEFAULT_CUBE_INTERVALS, even=richardson)
        coarse = fine.coarse() if richardson else None
    else:
        fine = cube_grid(edge, grid_nm, richardson=richardson)
        coarse = GridCube(edge, fine.n_intervals // 2) if richardson else None
    if richardson and min(coarse.intervals) < 2:
        raise ParameterError(f"grid spacing {fine.h:g} nm is too coarse for the extrapolation in the {fine.kind}")
    grids = [cube_gfactors(params, fine, solver=solver, finite_field_T=finite_field_T, field_axes=field_axes)]
    if richardson:
        grids.append(cube_gfactors(params, coarse, solver=solver, finite_field_T=None))
    f = grids[0]
    record = {"grids": [{k: g[k] for k in _GRID_KEYS} for g in grids], "grid_nm": fine.h,
              "n_intervals": fine.n_intervals, "n_orbitals": f["n_orbitals"], "solver": f["solver"],
              "extrapolation": "Richardson in h²: [4 X(h) − X(2h)]/3" if richardson else "none",
              "n_in_gap": max(g["n_in_gap"] for g in grids), "bulk_scan": f["bulk_scan"],
              "g_e_anisotropy": f["g_e_anisotropy"], "g_h_anisotropy": f["g_h_anisotropy"],
              "g_e_tensor": f["g_e_tensor"], "g_h_tensor": f["g_h_tensor"], "warnings": f["warnings"],
              "point_group": f["point_group"], "edges_nm": (np.asarray(fine.intervals) * fine.h).tolist()}

    def extrapolate(key: str) -> float:
        return (4 * grids[0][key] - grids[1][key]) / 3 if richardson else grids[0][key]

    record.update({"E_cb": extrapolate("E_cb"), "E_vb": extrapolate("E_vb"), "g_e": extrapolate("g_e"),
                   "g_h": extrapolate("g_h")})
    if finite_field_T:
        # finite-field splitting on the fine grid, compared with that grid's first-order g
        record.update({"finite_field_T": finite_field_T, "g_e_finite_field": f["g_e_finite_field"],
                       "g_h_finite_field": f["g_h_finite_field"], "g_e_first_order_fine": f["g_e"],
                       "g_h_first_order_fine": f["g_h"], "g_e_field_check": f["g_e_field_check"],
                       "g_h_field_check": f["g_h_field_check"]})
    for key in ("g_e", "g_h"):          # principal form of the (extrapolated) tensor
        tensors = [np.asarray(g[f"{key}_tensor"]) for g in grids]
        tensor = (4 * tensors[0] - tensors[1]) / 3 if richardson else tensors[0]
        record[f"{key}_tensor"] = tensor.tolist()
        record[f"{key}_principal"] = GTensor(tensor, 1).summary()
    return record


def kp_nanocrystal(material: str, shape: str, edge_nm: float | tuple[float, float, float], *,
                   epsilon: float | None = None, grid_nm: float | None = None, richardson: bool = True,
                   n_radial: int = DEFAULT_N_RADIAL, finite_field_T: float | None = 1.0, solver: str = "auto",
                   constants: str = "universal", params: KaneParameters | None = None,
                   field_axes: str = "z") -> NCResult:
    """Energies (eV) and J-convention g-factors of one k·p NC (:class:`~confinement.nc_result.NCResult`);
    ``edge_nm`` = cube edge or sphere diameter, or the three edges (LX, LY, LZ) of a ``cuboid`` (nm).

    ``epsilon``: dielectric constant of the Coulomb correction of E_transition (None: no correction;
    cubes and spheres only). Cube and cuboid: ``grid_nm`` (default: shortest edge/16; a cuboid's
    edges are rounded to even multiples of h, the actual ones are ``edges_nm``), ``richardson`` and
    ``field_axes`` (axes of the finite-field check); sphere: ``n_radial`` functions per channel.
    ``params`` overrides the material's parameter set (``material`` is then only a label).
    """
    start = time.perf_counter()
    if shape not in shape_names("kp"):
        get_shape(shape, model="kp")                     # names the problem: unknown, or not a k·p shape
    kind = get_shape(shape)
    if kind.kp_sizes == 3:
        edges = np.atleast_1d(np.asarray(edge_nm, dtype=object))
        if edges.size != 3:
            raise ParameterError(f"a {shape} needs three edges LX,LY,LZ (nm), got {edge_nm!r}")
        edge = tuple(validate_size(e) for e in edges)
    else:
        edge = validate_size(edge_nm)
    if epsilon is not None and kind.coulomb_coefficient() is None:
        coulomb_shift(shape, 1.0, epsilon)               # refuses it, naming the shapes that have the correction
    if params is None:
        params = material_parameters(material, constants=constants)
    if kind.kp_method == "spectral":
        if int(n_radial) < 2:
            raise ParameterError(f"the sphere needs at least 2 radial functions per channel, got {n_radial}")
        if field_axes != "z":
            raise ParameterError("the k·p sphere is isotropic by construction: its finite-field check is along z only")
        record = _sphere_record(params, edge, int(n_radial), finite_field_T)
    else:
        record = _cube_record(params, edge, grid_nm, richardson, finite_field_T, solver, field_axes)
    c = kind.coulomb_coefficient()
    coefficient = {"coulomb_coefficient": c, "coulomb_length": kind.coulomb_length if c is not None else None,
                   "coulomb_source": kind.coulomb_source if c is not None else None}
    size = float(np.prod(record["edges_nm"]) ** (1 / 3)) if kind.kp_sizes == 3 else edge
    shift = coulomb_shift(shape, size, epsilon) if c is not None else 0.0
    record.update({"model": "kp", "material": material, "shape": shape, "edge_nm": size,
                   "E_gap": record["E_cb"] - record["E_vb"], "coulomb_shift": shift, "epsilon": epsilon,
                   **coefficient})
    record["E_transition"] = record["E_gap"] + shift
    _bulk_columns(params, record)
    record.update({"params": params.as_dict(), "seconds": time.perf_counter() - start,
                   "units": {"energies": "eV from the bulk VBM", "lengths": "nm",
                             "g": f"J-convention, g0 = {params.g0}"}})
    return NCResult.from_record(record)


def size_series(material: str, shape: str, sizes_nm, **options) -> list[NCResult]:
    """:func:`kp_nanocrystal` for each size (nm)."""
    return [kp_nanocrystal(material, shape, float(L), **options) for L in np.atleast_1d(sizes_nm)]
