"""Theory results as the comparison layer reads them: loader, validation and curves.

Accepted inputs (schema in ``docs/data.md``, section "Theory results"):

- a JSON record of ``landeg nc --json`` (or a JSON list of such records);
- a ``landeg run`` output directory (its ``results.csv``, below);
- a directory of ``point_N*.json`` records (``benchmarks/nc_solver.py --records DIR``);
- a tidy CSV table, one row per point (``DIR/results.csv`` of ``landeg run``; ``write_results_csv`` writes one).

Points are grouped into :class:`TheoryCurve` objects keyed by (model, parameter set, shape) and
sorted by transition energy; a curve keeps the run-config model id of its points (``model_id``
column of ``landeg run``'s results table), by which systematic bands name it. Units: energies eV,
sizes nm, g dimensionless (J-convention, g_X = g_e + g_h).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from confinement.errors import ParameterFileError
from confinement.io import write_table

from ..experiment.measured import CARRIERS

SCHEMA_VERSION = "landeg-results/1"
#: The results table in a `landeg run` output directory (written by the sweep runner, read here).
RESULTS_FILE = "results.csv"
#: Columns written by :func:`write_results_csv` (the tidy table format).
CSV_COLUMNS = ("model", "label", "shape", "size_nm", "E_transition", "g_e", "g_h", "g_X", "model_id")
#: Record keys that must agree between points of one curve (when present).
_CONSISTENT = ("shells", "passivation", "passivation_shift_eV", "epsilon", "model_id")
#: Largest accepted |g_X − (g_e + g_h)| of a record that states g_X.
GX_TOLERANCE = 1e-4
_SAME_ENERGY = 1e-9  # eV


class ResultsFileError(ParameterFileError):
    """A results file does not follow the schema; the message names file, record/row and field."""

    def __init__(self, path: str | Path, message: str, *, record: str | None = None,
                 field_name: str | None = None):
        self.path, self.record, self.field = str(path), record, field_name
        where = "".join((f" {record}" if record else "", f", field {field_name!r}" if field_name else ""))
        super().__init__(f"{path}:{where}{':' if where else ''} {message}")


@dataclass(frozen=True)
class TheoryPoint:
    """One computed nanocrystal: energy (eV), g-factors, size (nm, edge or diameter; may be None)."""

    model: str
    parameter_set: str
    shape: str
    energy_eV: float
    g_e: float
    g_h: float
    g_X: float
    size_nm: float | None = None
    source: str = ""
    record: str = ""
    variant: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    model_id: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """Curve key (model, parameter set, shape) this point belongs to."""
        return self.model, self.parameter_set, self.shape


@dataclass(frozen=True)
class TheoryCurve:
    """Points of one (model, parameter set, shape), sorted by energy (arrays, eV / nm / 1).

    ``model_id``: the run-config model id of the points ("" when the input does not say).
    """

    model: str
    parameter_set: str
    shape: str
    energy_eV: np.ndarray
    g_e: np.ndarray
    g_h: np.ndarray
    g_X: np.ndarray
    size_nm: np.ndarray
    sources: tuple[str, ...] = ()
    model_id: str = ""

    @property
    def key(self) -> str:
        """Identifier used in metrics files: ``model | parameter set | shape``."""
        return " | ".join(p for p in (self.model, self.parameter_set, self.shape) if p)

    @property
    def label(self) -> str:
        """Legend text naming model, parameter set and shape."""
        return f"{self.model}, {self.parameter_set}" + (f" ({self.shape})" if self.shape else "")

    @property
    def energy_range(self) -> tuple[float, float]:
        """(E_min, E_max) of the curve in eV; interpolation is valid only inside."""
        return float(self.energy_eV[0]), float(self.energy_eV[-1])

    def values(self, carrier: str) -> np.ndarray:
        """g_e, g_h or g_X along the curve."""
        if carrier not in CARRIERS:
            raise KeyError(f"unknown carrier {carrier!r}; known: {', '.join(CARRIERS)}")
        return getattr(self, carrier)

    def interpolate(self, carrier: str, energy_eV: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linear interpolation at ``energy_eV``; returns (values, inside). Outside the curve's
        energy range the value is NaN and ``inside`` False: the curve is never extrapolated."""
        e = np.asarray(energy_eV, dtype=float)
        lo, hi = self.energy_range
        inside = (e >= lo - _SAME_ENERGY) & (e <= hi + _SAME_ENERGY)
        values = np.interp(e, self.energy_eV, self.values(carrier))
        return np.where(inside, values, np.nan), inside


# --- parsing ----------------------------------------------------------------------------------

def _number(raw: Any, path: Path, record: str, name: str, required: bool) -> float | None:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if required:
            raise ResultsFileError(path, "required field is missing or empty", record=record, field_name=name)
        return None
    if isinstance(raw, bool):
        raise ResultsFileError(path, f"not a number: {raw!r}", record=record, field_name=name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ResultsFileError(path, f"not a number: {raw!r}", record=record, field_name=name) from None
    if not math.isfinite(value):
        raise ResultsFileError(path, f"not a finite number: {raw!r}", record=record, field_name=name)
    return value


def _text(raw: Any, path: Path, record: str, name: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ResultsFileError(path, f"must be text, got {raw!r}", record=record, field_name=name)
    return raw.strip()


def _parameter_set(rec: Mapping[str, Any], path: Path, record: str) -> str:
    label = _text(rec.get("label"), path, record, "label")
    if label:
        return label
    raw = rec.get("params")
    if isinstance(raw, Mapping):  # k·p records carry the parameter set itself; its label names it
        raw = raw.get("label", raw.get("name"))
    params = _text(raw, path, record, "params")
    material = _text(rec.get("material"), path, record, "material")
    if params and material:
        return params if material in params else f"{material} ({params})"
    if params or material:
        return params or material
    raise ResultsFileError(path, "no parameter set: give 'label', 'params' or 'material'", record=record,
                           field_name="params")


def point_from_record(rec: Mapping[str, Any], path: str | Path, record: str = "record 1") -> TheoryPoint:
    """Validate one result record (a ``landeg nc --json`` object or a CSV row as a dict)."""
    path = Path(path)
    if not isinstance(rec, Mapping):
        raise ResultsFileError(path, f"a result record must be a JSON object, got {type(rec).__name__}",
                               record=record)
    model = _text(rec.get("model"), path, record, "model")
    if not model:
        raise ResultsFileError(path, "required field is missing or empty", record=record, field_name="model")
    energy_key = next((k for k in ("E_transition", "E_gap") if rec.get(k) not in (None, "")), "E_transition")
    energy = _number(rec.get(energy_key), path, record, energy_key, True)
    if energy <= 0:  # type: ignore[operator]
        raise ResultsFileError(path, f"transition energy must be positive (eV), got {energy}", record=record,
                               field_name=energy_key)
    g_e = _number(rec.get("g_e"), path, record, "g_e", True)
    g_h = _number(rec.get("g_h"), path, record, "g_h", True)
    g_x = _number(rec.get("g_X"), path, record, "g_X", False)
    if g_x is not None and abs(g_x - (g_e + g_h)) > GX_TOLERANCE:  # type: ignore[operator]
        raise ResultsFileError(path, f"g_X = {g_x} is not g_e + g_h = {g_e + g_h} (J-convention)",  # type: ignore[operator]
                               record=record, field_name="g_X")
    size_key = next((k for k in ("size_nm", "edge_nm", "diameter_nm", "diameter") if rec.get(k) not in (None, "")),
                    None)
    size = None if size_key is None else _number(rec.get(size_key), path, record, size_key, False)
    point = rec.get("point")
    model_id = _text(rec.get("model_id", point.get("model_id") if isinstance(point, Mapping) else None),
                     path, record, "model_id")
    rec = {**rec, "model_id": model_id} if model_id else rec
    variant = tuple((k, json.dumps(rec[k], sort_keys=True)) for k in _CONSISTENT if k in rec)
    return TheoryPoint(model=model, parameter_set=_parameter_set(rec, path, record),
                       shape=_text(rec.get("shape"), path, record, "shape"), energy_eV=energy,  # type: ignore[arg-type]
                       g_e=g_e, g_h=g_h, g_X=g_e + g_h, size_nm=size, source=str(path), record=record,  # type: ignore[arg-type, operator]
                       variant=variant, model_id=model_id)


def _read_json(path: Path) -> list[TheoryPoint]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsFileError(path, f"not valid JSON ({exc})") from None
    records = data if isinstance(data, list) else [data]
    if not records:
        raise ResultsFileError(path, "empty list: no result records")
    return [point_from_record(r, path, f"record {i + 1}") for i, r in enumerate(records)]


def _read_csv(path: Path) -> list[TheoryPoint]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ResultsFileError(path, f"not UTF-8 text ({exc})") from None
    start = 0
    for start, line in enumerate(lines):  # noqa: B007 the header's index is used after the loop
        text = line.strip()
        if text.lower().startswith("# schema:"):
            version = (text.split(":", 1)[1].split() or [""])[0]
            if version != SCHEMA_VERSION:
                raise ResultsFileError(path, f"schema {version!r} is not {SCHEMA_VERSION!r}")
        if text and not text.startswith("#"):
            break
    else:
        raise ResultsFileError(path, "no header line")
    reader = csv.reader(lines[start:])
    header = [h.strip() for h in next(reader)]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ResultsFileError(path, "repeated column", record=f"line {start + 1}", field_name=repeated[0])
    for need in ("model", "g_e", "g_h"):
        if need not in header:
            raise ResultsFileError(path, "missing column", record=f"line {start + 1}", field_name=need)
    if "E_transition" not in header and "E_gap" not in header:
        raise ResultsFileError(path, "missing column (or 'E_gap')", record=f"line {start + 1}",
                               field_name="E_transition")
    points = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        where = f"row {len(points) + 1} (line {start + reader.line_num})"
        if len(cells) != len(header):
            raise ResultsFileError(path, f"has {len(cells)} fields, the header {len(header)}", record=where)
        points.append(point_from_record(dict(zip(header, cells)), path, where))
    if not points:
        raise ResultsFileError(path, "no data rows")
    return points


def read_results(path: str | Path) -> list[TheoryPoint]:
    """Points of one results file (``.json``, ``.csv``), ``landeg run`` output directory (its
    ``results.csv``) or size-series directory (``point_N*.json``)."""
    path = Path(path)
    if path.is_dir():
        if (path / RESULTS_FILE).is_file():
            return _read_csv(path / RESULTS_FILE)
        files = sorted(path.glob("point_N*.json"), key=lambda p: (len(p.name), p.name))
        if not files:
            raise ResultsFileError(path, f"directory holds no {RESULTS_FILE} (of a `landeg run` output directory) and "
                                         "no point_N*.json files of a size series")
        return [p for f in files for p in _read_json(f)]
    if not path.is_file():
        raise ResultsFileError(path, "results file not found")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise ResultsFileError(path, f"unknown results format {suffix!r}: expected .json, .csv or a directory")


def group_points(points: Iterable[TheoryPoint]) -> list[TheoryCurve]:
    """Curves keyed by (model, parameter set, shape), in first-appearance order, sorted by energy.

    Identical points read twice are kept once; two different points at the same energy, or points
    whose shells/passivation differ, are refused (give them distinct ``label`` values).
    """
    groups: dict[tuple[str, str, str], list[TheoryPoint]] = {}
    for p in points:
        groups.setdefault(p.key, []).append(p)
    curves = []
    for key, members in groups.items():
        first = members[0]
        for p in members[1:]:
            diff = [k for k, v in dict(p.variant).items() if dict(first.variant).get(k, v) != v]
            if diff:
                raise ResultsFileError(p.source, f"{diff[0]} differs from {first.source} ({first.record}) in curve "
                                       f"{' | '.join(key)}; give the variants distinct 'label' values",
                                       record=p.record, field_name=diff[0])
        members = sorted(members, key=lambda p: p.energy_eV)
        unique: list[TheoryPoint] = []
        for p in members:
            if unique and abs(p.energy_eV - unique[-1].energy_eV) <= _SAME_ENERGY:
                q = unique[-1]
                if (p.g_e, p.g_h) == (q.g_e, q.g_h):
                    continue
                raise ResultsFileError(p.source, f"same energy {p.energy_eV} eV as {q.source} ({q.record}) in curve "
                                       f"{' | '.join(key)} but different g", record=p.record, field_name="E_transition")
            unique.append(p)
        arr = np.array([(p.energy_eV, p.g_e, p.g_h, p.g_X, np.nan if p.size_nm is None else p.size_nm)
                        for p in unique], dtype=float)
        curves.append(TheoryCurve(*key, energy_eV=arr[:, 0], g_e=arr[:, 1], g_h=arr[:, 2], g_X=arr[:, 3],
                                  size_nm=arr[:, 4], sources=tuple(dict.fromkeys(p.source for p in unique)),
                                  model_id=first.model_id))
    return curves


def load_results(paths: Sequence[str | Path]) -> list[TheoryCurve]:
    """Read every results path and group the points into curves (see :func:`group_points`)."""
    return group_points(p for path in paths for p in read_results(path))


def write_results_csv(path: str | Path, curves: Sequence[TheoryCurve], comments: Iterable[str] = ()) -> Path:
    """Write ``curves`` as one tidy results CSV (columns :data:`CSV_COLUMNS`), readable by :func:`read_results`."""
    columns: dict[str, list] = {k: [] for k in CSV_COLUMNS}
    for c in curves:
        n = len(c.energy_eV)
        for name, values in (("model", [c.model] * n), ("label", [c.parameter_set] * n), ("shape", [c.shape] * n),
                             ("size_nm", ["" if np.isnan(s) else float(s) for s in c.size_nm]),
                             ("E_transition", c.energy_eV), ("g_e", c.g_e), ("g_h", c.g_h), ("g_X", c.g_X),
                             ("model_id", [c.model_id] * n)):
            columns[name].extend(values)
    header = [f"schema: {SCHEMA_VERSION}  (docs/data.md, 'Theory results')",
              "energies eV, sizes nm (edge of a cube, diameter of a sphere), g in the J-convention", *comments]
    return write_table(path, columns, header)


__all__ = ["CARRIERS", "CSV_COLUMNS", "RESULTS_FILE", "SCHEMA_VERSION", "ResultsFileError", "TheoryCurve",
           "TheoryPoint", "group_points", "load_results", "point_from_record", "read_results", "write_results_csv"]
