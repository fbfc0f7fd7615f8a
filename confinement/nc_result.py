"""One NC result record shared by the k·p and tight-binding models: the same field names for both.

:class:`NCResult` holds what every consumer of an NC calculation reads — band-edge doublet
energies ``E_cb``, ``E_vb`` (eV; k·p from the bulk valence-band top, tight binding on the energy
scale of its parameter set), ``E_gap`` = E_cb − E_vb, ``E_transition`` = E_gap + ``coulomb_shift``
(eV), the J-convention ``g_e``, ``g_h``, ``g_X`` = g_e + g_h (first order; at ``finite_field_T``:
``g_e_finite_field``, ``g_h_finite_field``), the shape (a registered name,
:mod:`confinement.shapes`), its nominal size ``edge_nm`` (nm), ``edges_nm`` and ``n_pb`` (tight
binding) — as typed fields, and everything model-specific (tensors, grids, solver diagnostics,
parameter set, bulk values, units) in ``details``.

The record is also a read-only mapping over its fields and details (``result["g_e"]``), which is
the JSON layout of ``landeg nc --json`` and of the cached points of a run (:meth:`as_record`).
:meth:`from_record` reads that layout back — including the k·p records written before issue 16,
whose band edges were called ``E_e``/``E_h`` — and :meth:`table_row` / :meth:`from_row` are its
columns of ``results.csv`` (:data:`TABLE_COLUMNS`, unchanged, so old run directories still load).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from .errors import ParameterError

#: Columns of an NC result in the results table, in table order (``model`` first; the sweep layer
#: inserts its point columns ``label``, ``model_id`` after it and ``key`` at the end).
TABLE_COLUMNS = ("model", "shape", "edge_nm", "E_vb", "E_cb", "E_gap", "E_transition", "g_e", "g_h", "g_X",
                 "g_e_finite_field", "g_h_finite_field", "g_e_bulk_at_E", "g_h_bulk_at_E", "surface_weight_cb",
                 "surface_weight_vb", "solver", "seconds")
#: Band-edge keys of k·p records written before issue 16 (new name → old name).
LEGACY_KEYS = {"E_cb": "E_e", "E_vb": "E_h"}
_TEXT_COLUMNS = ("model", "shape", "solver")


@dataclass(frozen=True)
class NCResult(Mapping):
    """Band edges and g-factors of one NC (eV, nm, J-convention), the same fields for every model."""

    model: str                           #: 'kp' or 'tb'
    shape: str                           #: registered shape name (confinement.shapes)
    edge_nm: float                       #: nominal size: cube edge, sphere diameter, box geometric mean (nm)
    E_cb: float                          #: conduction-band-edge doublet (eV)
    E_vb: float                          #: valence-band-edge doublet (eV)
    E_gap: float                         #: E_cb − E_vb (eV)
    E_transition: float                  #: E_gap + coulomb_shift (eV)
    g_e: float                           #: electron g (first order)
    g_h: float                           #: hole g (first order, J-convention)
    g_X: float                           #: bright-exciton g = g_e + g_h
    coulomb_shift: float = 0.0           #: first-order e–h shift of E_transition (eV, ≤ 0)
    epsilon: float | None = None         #: dielectric constant of the Coulomb shift (None: no shift)
    edges_nm: tuple[float, ...] | None = None          #: the three nominal edges (nm)
    n_pb: int | tuple[int, ...] | None = None          #: Pb per edge (tight-binding boxes)
    finite_field_T: float | None = None                #: field of the finite-field check (T)
    g_e_finite_field: float | None = None
    g_h_finite_field: float | None = None
    g_e_bulk_at_E: float | None = None   #: bulk g at Eg = E_transition (k·p)
    g_h_bulk_at_E: float | None = None
    surface_weight_cb: float | None = None             #: weight of the band-edge states on surface sites (TB)
    surface_weight_vb: float | None = None
    solver: str | None = None            #: solver strategy that produced the band edges
    seconds: float | None = None         #: wall time (s)
    details: Mapping[str, Any] = field(default_factory=dict)   #: model metadata and diagnostics

    def __post_init__(self) -> None:
        for name in ("E_cb", "E_vb", "E_gap", "E_transition", "g_e", "g_h", "g_X", "edge_nm"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ParameterError(f"NC result field {name} must be a number, got {value!r}")
        clash = set(self.details) & set(_FIELDS)
        if clash:
            raise ParameterError(f"NC result details repeat the fields {sorted(clash)}")

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> NCResult:
        """The result of a JSON-ready record (``landeg nc --json``, a cached point): fields by name,
        legacy k·p band-edge keys (:data:`LEGACY_KEYS`) accepted, everything else into ``details``;
        ParameterError naming a missing field."""
        values = dict(record)
        for new, old in LEGACY_KEYS.items():
            if values.get(new) is None and old in values:
                values[new] = values.pop(old)
        if "g_X" not in values and "g_e" in values and "g_h" in values:
            values["g_X"] = values["g_e"] + values["g_h"]
        missing = [f for f in _REQUIRED if values.get(f) is None]
        if missing:
            raise ParameterError(f"NC result record lacks {', '.join(missing)} (has: {', '.join(sorted(values))})")
        core = {f: values.pop(f) for f in _FIELDS if f in values}
        for name in ("edges_nm", "n_pb"):
            if isinstance(core.get(name), list):
                core[name] = tuple(core[name])
        for name in _FLOATS:
            if core.get(name) is not None:
                core[name] = float(core[name])
        return cls(**core, details=values)

    def as_record(self) -> dict[str, Any]:
        """The flat JSON-ready record: fields, then details."""
        return dict(self.items())

    def table_row(self) -> dict[str, Any]:
        """This result's cells of the results table (:data:`TABLE_COLUMNS`; NaN where a value is missing)."""
        return {c: (getattr(self, c) if getattr(self, c) is not None else math.nan) for c in TABLE_COLUMNS}

    @classmethod
    def from_row(cls, row: Mapping[str, str]) -> NCResult:
        """A result from one row of the results table as read back (strings; 'nan' = missing)."""
        values: dict[str, Any] = {}
        for column in TABLE_COLUMNS:
            text = row.get(column, "")
            if column in _TEXT_COLUMNS:
                values[column] = text or None
            elif text not in ("", "nan", "NaN"):
                values[column] = float(text)
        return cls.from_record(values)

    # the read-only mapping over fields and details
    def __getitem__(self, key: str) -> Any:
        if key in _FIELDS:
            return getattr(self, key)
        return self.details[key]

    def __iter__(self) -> Iterator[str]:
        yield from _FIELDS
        yield from self.details

    def __len__(self) -> int:
        return len(_FIELDS) + len(self.details)

    __hash__ = None  # type: ignore[assignment]   # details may hold lists


#: Field names of the record other than ``details``, in order.
_FIELDS = tuple(f.name for f in fields(NCResult) if f.name != "details")
_REQUIRED = tuple(f.name for f in fields(NCResult) if f.default is MISSING and f.default_factory is MISSING)
_FLOATS = ("edge_nm", "E_cb", "E_vb", "E_gap", "E_transition", "g_e", "g_h", "g_X", "coulomb_shift", "epsilon",
           "finite_field_T", "g_e_finite_field", "g_h_finite_field", "g_e_bulk_at_E", "g_h_bulk_at_E",
           "surface_weight_cb", "surface_weight_vb", "seconds")
