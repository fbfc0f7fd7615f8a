"""From a validated run config to a list of points, each with a content hash, and their evaluation.

A :class:`Point` is one NC calculation: the model kind, its fully resolved inputs (JSON-ready:
parameter values after overrides, size, shape, solver settings) and its coordinates on the sweep
axes. ``key`` is the SHA-256 of the inputs (:data:`CACHE_VERSION` included), so a result is
reused exactly when everything that determines it is unchanged, and a changed parameter
recomputes only the points it enters. :func:`evaluate_point` is a plain top-level function of a
picklable point: it runs the same in this process, a local process pool or a Dask worker.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from confinement.errors import ConfigError, LandegError
from confinement.nc_result import TABLE_COLUMNS, NCResult
from confinement.shapes import get_shape
from confinement.solvers.filtered import DEFAULT_POLYNOMIAL
from confinement.warm_start import WarmStarts

from .config import Range
from .sweep_config import SIZE_AXES, KPModel, RunConfig, TBModel, box_edges

#: Bump when a change of the physics code invalidates cached points.
CACHE_VERSION = 1
_KANE_FIELDS = ("Eg", "Delta", "P", "delta_g_e", "delta_g_h", "g0", "gamma_v", "gamma_c")
_KP_AXES = ("edge_nm", "material", "epsilon")
_TB_AXES = ("n_pb", "diameter_nm", "params", "passivation_shift", "epsilon", "xx_strength")


@dataclass(frozen=True)
class Point:
    """One calculation. ``inputs`` determine the result; ``coords`` are its sweep coordinates."""

    model_id: str
    kind: str
    label: str
    coords: dict[str, Any]
    inputs: dict[str, Any]
    key: str = field(default="")
    warm_start: bool = True     # not part of the key: the answer is the same within tol
    filter_polynomial: str = DEFAULT_POLYNOMIAL    # not part of the key either (the filtered solver's polynomial)

    def describe(self) -> str:
        """'etb n_pb=5' — for progress lines and error messages."""
        return " ".join([self.model_id] + [f"{k}={v}" for k, v in self.coords.items()])


def content_hash(inputs: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``inputs`` and the cache version."""
    text = json.dumps({"cache_version": CACHE_VERSION, "inputs": inputs}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# planning: axes → coordinates → resolved inputs (every name checked here, before any work)

def axis_values(values: list | Range) -> list:
    """The values of one sweep axis (a list, or an inclusive range)."""
    return [float(v) for v in values.values()] if isinstance(values, Range) else list(values)


def combinations(model: KPModel | TBModel) -> list[dict[str, Any]]:
    """The coordinate dicts of a model's sweep (Cartesian product or zip of its axes)."""
    names = list(model.sweep)
    columns = [axis_values(model.sweep[n]) for n in names]
    rows = zip(*columns) if model.combine == "zip" else itertools.product(*columns)
    return [dict(zip(names, row)) for row in rows] or [{}]


def plan(config: RunConfig, *, refit_dir: str | Path | None = None, skipped: list[str] | None = None,
         dry_run: bool = False) -> list[Point]:
    """Every point of the config, in order; raises ConfigError naming the key path of a bad value.

    ``refit_dir``: where refitted sets are cached (needed by models with ``refit`` or
    ``second_neighbour``). Points whose parameter set could not be refitted are left out and
    described in ``skipped`` (reported, never computed with an unfitted set). ``dry_run``: check
    everything but run no refit (refit configs are validated, the base set stands in for the
    refitted ones): the points and names are checked, their keys are not final.
    """
    points: list[Point] = []
    for i, model in enumerate(config.models):
        where = f"models[{i}] ({model.id})"
        try:
            resolve = _kp_inputs if model.kind == "kp" else _tb_inputs
            base = _kp_base(model) if model.kind == "kp" else _tb_base(model, refit_dir, dry_run)
            for coords in combinations(model):
                inputs = resolve(model, base, coords, config)
                if "skip" in inputs:
                    if skipped is not None:
                        skipped.append(f"{model.id} {coords}: {inputs['skip']}")
                    continue
                label = " ".join([model.id] + [f"{k}={v}" for k, v in coords.items() if k not in SIZE_AXES])
                points.append(Point(model.id, model.kind, label, coords, inputs, content_hash(inputs),
                                    warm_start=config.run.warm_start,
                                    filter_polynomial=config.run.filter_polynomial))
        except ConfigError as exc:
            raise ConfigError(f"{where}.{exc}") from None
        except LandegError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    keys = [p.key for p in points]
    if len(set(keys)) != len(keys) and not dry_run:     # (dry run: refitted sets are stood in for)
        repeated = sorted({p.describe() for p in points if keys.count(p.key) > 1})
        raise ConfigError(f"the config computes identical points more than once: {repeated}")
    return points


def _check_axes(model, allowed: tuple[str, ...], parameter_ok) -> None:
    for name in model.sweep:
        if name not in allowed and not parameter_ok(name):
            raise ConfigError(f"sweep.{name}: unknown axis; allowed: {', '.join(allowed)} or a model parameter")
    for name in model.overrides:
        if not parameter_ok(name):
            raise ConfigError(f"overrides.{name}: unknown model parameter")


def _kp_base(model: KPModel) -> dict[str, Any]:
    from kp.materials import known_materials

    _check_axes(model, _KP_AXES, lambda n: n in _KANE_FIELDS)
    materials = [model.material] + [str(m) for m in axis_values(model.sweep.get("material", []))]
    known = known_materials()
    for m in materials:
        if m not in known:
            raise ConfigError(f"material: unknown material {m!r}; known: {', '.join(known)}")
    if "edge_nm" not in model.sweep and model.edge_nm is None:
        raise ConfigError("edge_nm: give the size (nm) as a value or a sweep axis")
    return {}


def _kp_inputs(model: KPModel, base: dict, coords: dict[str, Any], config: RunConfig) -> dict[str, Any]:
    from kp.materials import material_parameters

    values = {**model.overrides, **{k: v for k, v in coords.items() if k in _KANE_FIELDS}}
    material = str(coords.get("material", model.material))
    edge = float(coords.get("edge_nm", model.edge_nm))
    if edge <= 0:
        raise ConfigError(f"sweep.edge_nm: sizes must be positive (nm), got {edge}")
    params = material_parameters(material, constants=model.constants)
    params = replace(params, **{k: float(v) for k, v in values.items()})
    return {"kind": "kp", "material": material, "shape": model.shape, "edge_nm": edge,
            "params": {f.name: getattr(params, f.name) for f in fields(params) if f.name != "provenance"},
            "epsilon": _optional_float(coords.get("epsilon", model.epsilon)), "n_radial": model.n_radial,
            "grid_nm": model.grid_nm, "richardson": model.richardson,
            "finite_field_T": model.finite_field_T or None, "solver": config.run.solver}


def _tb_base(model: TBModel, refit_dir: str | Path | None, dry_run: bool = False) -> dict[str, Any]:
    from tightbinding.parameters import load_tb_parameters

    sets = [str(s) for s in axis_values(model.sweep.get("params", []))] or [model.params]
    if model.refit:
        if "params" in model.sweep:
            raise ConfigError("refit: a refit replaces params; do not sweep params as well")
        sets = [str(refitted_set(model.refit, refit_dir, dry_run=dry_run))]
    family: dict[float, str] = {}
    if model.second_neighbour is not None or "xx_strength" in model.sweep:
        if model.second_neighbour is None:
            raise ConfigError("sweep.xx_strength: needs a [models.second_neighbour] table")
        if "params" in model.sweep or model.refit:
            raise ConfigError("second_neighbour: refits params itself; do not sweep params or add refit")
        strengths = [float(v) for v in axis_values(model.sweep.get("xx_strength", []))]
        if not strengths:
            if model.second_neighbour.xx_strength is None:
                raise ConfigError("second_neighbour.xx_strength: give a strength (eV) or sweep xx_strength")
            strengths = [model.second_neighbour.xx_strength]
        family = ({s: model.params for s in strengths} if dry_run else
                  second_neighbour_sets(model.params, strengths, model.second_neighbour.ratio, refit_dir))
        sets = [f for f in family.values() if not f.startswith("refit failed")] or [model.params]
    loaded = {}
    for s in sets:
        try:
            loaded[s] = load_tb_parameters(s)
        except LandegError as exc:
            raise ConfigError(f"params: {exc}") from None
    any_set = next(iter(loaded.values()))
    paths = set(any_set.values())
    _check_axes(model, _TB_AXES, lambda n: n in paths or n.startswith("hopping."))
    size_axis = model.size_axis
    wrong = "diameter_nm" if size_axis == "n_pb" else "n_pb"
    if wrong in model.sweep:
        raise ConfigError(f"sweep.{wrong}: a {model.shape} is sized by {size_axis}")
    if size_axis not in model.sweep and getattr(model, size_axis) is None:
        raise ConfigError(f"{size_axis}: give the size as a value or a sweep axis")
    return {"sets": loaded, "family": family}


def _tb_inputs(model: TBModel, base: dict, coords: dict[str, Any], config: RunConfig) -> dict[str, Any]:
    from tightbinding.crystal import Crystal

    set_name = str(coords.get("params", next(iter(base["sets"]))))
    if base["family"]:
        strength = float(coords.get("xx_strength", model.second_neighbour.xx_strength))
        set_name = base["family"][strength]
        if set_name.startswith("refit failed"):
            return {"skip": set_name}
    params = base["sets"][set_name]
    updates = {**model.overrides, **{k: float(v) for k, v in coords.items() if k not in _TB_AXES}}
    for path, value in updates.items():
        try:
            params.with_values({path: value})
        except LandegError as exc:
            raise ConfigError(f"{'sweep' if path in coords else 'overrides'}.{path}: {exc}") from None
    try:
        params = params.with_values(updates) if updates else params
        Crystal(params, shells=tuple(model.shells) if model.shells else None)   # shells and completeness
    except LandegError as exc:
        raise ConfigError(f"shells: {exc}") from None
    shift = coords.get("passivation_shift", model.passivation_shift)
    size_axis = model.size_axis
    size = coords.get(size_axis, getattr(model, size_axis))
    if size_axis == "n_pb":
        try:
            size = box_edges(size, model.shape)
        except ValueError as exc:
            raise ConfigError(f"sweep.{exc}") from None
    elif float(size) <= 0:
        raise ConfigError(f"sweep.{size_axis}: sizes must be positive, got {size}")
    facets = {"corner_cut": model.corner_cut, "edge_cut": model.edge_cut} if get_shape(model.shape).has_facets else {}
    return {"kind": "tb", "params_file": str(params_source(set_name)), "params_sha256": base["sets"][set_name].sha256,
            "overrides": updates, "values": params.values(), "shells": list(model.shells) if model.shells else None,
            "shape": model.shape, size_axis: size if size_axis == "n_pb" else float(size), **facets,
            "passivation": model.passivation, "passivation_shift": str(shift) if shift == "inf" else float(shift),
            "finite_field_T": model.finite_field_T or None, "solver": config.run.solver, "tol": config.run.tol,
            "epsilon": _optional_float(coords.get("epsilon", model.epsilon))}


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def params_source(name_or_path: str) -> Path:
    """The file of a registered set name or a path."""
    from tightbinding.parameters import registered_sets

    sets = registered_sets()
    return Path(sets[name_or_path]) if name_or_path in sets else Path(name_or_path).resolve()


def second_neighbour_sets(base: str, strengths: list[float], ratio: float, cache_dir: str | Path | None
                          ) -> dict[float, str]:
    """strength (eV) → path of the refitted X–X family member, or 'refit failed: …' (cached by a
    hash of base set, strengths, ratio, free parameters and targets; one family run per change)."""
    from tightbinding import families
    from tightbinding.family_report import write_family_sets, write_family_table
    from tightbinding.parameters import load_tb_parameters

    if cache_dir is None:
        raise ConfigError("second_neighbour: needs an output directory to cache the refitted sets")
    digest = content_hash({"base_sha256": load_tb_parameters(base).sha256, "strengths": strengths, "ratio": ratio,
                           "free": families.DEFAULT_FREE, "targets": families.DEFAULT_TARGETS})[:16]
    folder = Path(cache_dir) / f"second_neighbour-{digest}"
    index_path = folder / "index.json"
    if not index_path.is_file():
        from confinement.io import write_json

        members = families.second_neighbour_family(base, strengths, ratio=ratio)
        written = iter(write_family_sets(members, folder))      # one file per successful refit, in order
        index = {str(m.strength): str(next(written)) if m.ok else f"refit failed: {(m.error or '').splitlines()[0]}"
                 for m in members}
        write_family_table(folder / "family.csv", members)
        write_json(index_path, index)
    index = json.loads(index_path.read_text())
    return {float(k): v for k, v in index.items()}


def refitted_set(refit_config: str | Path, cache_dir: str | Path | None, *, dry_run: bool = False) -> Path:
    """Run the refit of ``refit_config`` once and cache the set by the hash of config and base set
    (``dry_run``: check the refit config and its set-up without fitting, and return its base set's
    file instead)."""
    from tightbinding.parameters import load_tb_parameters
    from tightbinding.refit import RefitConfig, check_refit, run_refit, write_refit

    from .config import load_config

    cfg = load_config(refit_config, RefitConfig)
    if dry_run:
        check_refit(cfg.refit)
        return params_source(cfg.refit.base)
    if cache_dir is None:
        raise ConfigError("refit: needs an output directory to cache the refitted set")
    base = load_tb_parameters(cfg.refit.base)
    digest = content_hash({"refit": cfg.refit.model_dump(mode="json"), "base_sha256": base.sha256})[:16]
    path = Path(cache_dir) / f"{cfg.refit.name}-{digest}.toml"
    if not path.exists():
        write_refit(run_refit(cfg.refit), path, config_path=refit_config)
    return path


# ----------------------------------------------------------------------------------------------
# evaluation (runs on workers)

#: The warm starts of the points this process computes (one store per worker process): a point
#: starts its filtered solves from the last subspace of a cube of the same layout
#: (:mod:`confinement.warm_start`); ``[run] warm_start = false`` turns it off.
WARM_STARTS = WarmStarts()


def evaluate_point(point: Point) -> dict[str, Any]:
    """The result record of one point: the model's :class:`~confinement.nc_result.NCResult` as its
    JSON-ready record plus the point (energies eV, sizes nm, g J-convention)."""
    inputs = point.inputs
    if point.kind == "kp":
        result = _evaluate_kp(inputs)
    else:
        result = _evaluate_tb(inputs, WARM_STARTS if point.warm_start else None, point.filter_polynomial)
    record = result.as_record()
    record["point"] = {"model_id": point.model_id, "label": point.label, "coords": point.coords, "key": point.key}
    record["label"] = point.label
    return record


def _evaluate_kp(inputs: dict[str, Any]) -> NCResult:
    from kp.nanocrystal import kp_nanocrystal
    from kp.parameters import KaneParameters

    params = KaneParameters(**inputs["params"])
    return kp_nanocrystal(inputs["material"], inputs["shape"], inputs["edge_nm"], epsilon=inputs["epsilon"],
                          grid_nm=inputs["grid_nm"], richardson=inputs["richardson"], n_radial=inputs["n_radial"],
                          finite_field_T=inputs["finite_field_T"], solver=inputs["solver"], params=params)


def _evaluate_tb(inputs: dict[str, Any], warm_starts: WarmStarts | None, filter_polynomial: str) -> NCResult:
    from tightbinding.crystal import Crystal
    from tightbinding.nanocrystal import make_shape, nanocrystal_gfactors
    from tightbinding.parameters import load_tb_parameters

    params = load_tb_parameters(inputs["params_file"])
    if inputs["overrides"]:
        params = params.with_values(inputs["overrides"])
    if params.values() != inputs["values"]:
        raise LandegError(f"parameter set {inputs['params_file']} changed since the run was planned")
    crystal = Crystal(params, shells=tuple(inputs["shells"]) if inputs["shells"] else None)
    n_pb = inputs.get("n_pb")
    shape = make_shape(crystal, inputs["shape"], n_pb=tuple(n_pb) if isinstance(n_pb, list) else n_pb,
                       diameter_nm=inputs.get("diameter_nm"), corner_cut=inputs.get("corner_cut", 0),
                       edge_cut=inputs.get("edge_cut", 0))
    shift = float(inputs["passivation_shift"])
    return nanocrystal_gfactors(crystal, shape, passivation=inputs["passivation"], passivation_shift=shift,
                                solver=inputs["solver"], finite_field_T=inputs["finite_field_T"], tol=inputs["tol"],
                                epsilon=inputs["epsilon"], warm_starts=warm_starts,
                                filter_polynomial=filter_polynomial)


#: Columns of the tidy results table: the NC result's (confinement.nc_result.TABLE_COLUMNS) with the
#: point's label and model id after ``model`` and its key last (the columns of every run directory).
RESULT_COLUMNS = (TABLE_COLUMNS[0], "label", "model_id", *TABLE_COLUMNS[1:], "key")


def result_row(point: Point, record: dict[str, Any]) -> dict[str, Any]:
    """One row of the tidy table from a point's record (a cached one may predate the typed record):
    coordinates, energies, g-factors, diagnostics, timing."""
    cells = NCResult.from_record({"model": point.kind, **record}).table_row()
    row = {"model": cells["model"], "label": point.label, "model_id": point.model_id, "shape": cells["shape"],
           "key": point.key}                                       # the column order of every results.csv
    row.update({column: cells[column] for column in RESULT_COLUMNS if column not in row})
    return row
