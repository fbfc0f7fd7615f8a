"""Measured g-factors and spin-dephasing data: schema, validating loader and selection.

The bundled table ``data/meliakov2025_CsPbI3.csv`` holds every value stated in the text and
captions of S. R. Meliakov et al., Nanoscale 17, 6522 (2025). Users add their own tables
(digitised figure points, their own measurements) in the same CSV format; the schema, units
and provenance rules are in ``docs/data.md``. Every row says how its sample is known
(``sample_assignment``: stated / inferred / none) and which population it belongs to
(``population``, e.g. ``glass-6K``, ``solution-200K``, ``bulk``), so that a comparison takes
only the population it is asked for. Version-1 tables (without those two columns) still load.

Units: g-factors and Δg dimensionless ("1"), times in ps, Larmor frequencies in rad/ns,
energies in eV, fields in T, temperatures in K. g in the J-convention, g_X = g_e + g_h.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from confinement.errors import ParameterError, ParameterFileError

SCHEMA_VERSION = "landeg-measurements/2"
#: Schema versions the loader reads (a version-1 table is a version-2 table without the optional columns).
READABLE_VERSIONS = ("landeg-measurements/1", SCHEMA_VERSION)
#: The table shipped with the toolkit.
BUNDLED = Path(__file__).resolve().parents[1] / "data" / "meliakov2025_CsPbI3.csv"
#: The measured g-factors a table may hold (and a theory curve gives): electron, hole, exciton.
CARRIERS = ("g_e", "g_h", "g_X")

#: Columns every table has (version 1 had exactly these).
REQUIRED_COLUMNS = ("sample", "code", "quantity", "value", "uncertainty", "unit", "energy_eV", "field_T",
                    "temperature_K", "kind", "location", "note")
#: Version-2 columns that a table may leave out; the defaults are in :data:`DEFAULTS`.
OPTIONAL_COLUMNS = ("sample_assignment", "population")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
#: How the row's sample is known: said by the source, inferred (the note gives the reasoning), or no sample.
ASSIGNMENTS = ("stated", "inferred", "none")
#: The population the comparison uses unless told otherwise: the paper's glass samples, TRFE at 6 K.
DEFAULT_POPULATION = "glass-6K"
#: Values of the optional columns when a table leaves them out (or a cell is empty).
DEFAULTS = {"sample_assignment": "'stated' when the row names a sample, 'none' otherwise",
            "population": DEFAULT_POPULATION}
_POPULATION_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-")
#: Allowed quantities and the unit each must be stated in.
UNITS = {
    "g_e": "1", "g_h": "1", "g_X": "1", "delta_g_e": "1", "delta_g_h": "1",
    "T2_e_ps": "ps", "T2_h_ps": "ps", "tau_B0_ps": "ps",
    "omega_L_e": "rad/ns", "omega_L_h": "rad/ns",
}
#: Quantities that are magnitudes (must be > 0; Δg ≥ 0).
_POSITIVE = {"T2_e_ps", "T2_h_ps", "tau_B0_ps", "omega_L_e", "omega_L_h"}
_NON_NEGATIVE = {"delta_g_e", "delta_g_h"}
KINDS = ("text", "caption", "series_endpoint", "derived", "fit", "digitised")
#: The reference paper's sample labels and technology codes.
PAPER_SAMPLES = {"#1": "EK31", "#2": "EK7", "#3": "EK8", "#4": "EK201", "#5": "EK205", "#6": "EK203"}
_REQUIRED = ("quantity", "value", "unit", "kind", "location")
_NUMERIC = ("value", "uncertainty", "energy_eV", "field_T", "temperature_K")


class MeasurementError(ParameterError):
    """One measurement violates the schema; ``field`` names the offending column."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        super().__init__(f"field {field_name!r}: {message}")


class MeasurementFileError(ParameterFileError):
    """A measurement table violates the schema; the message names file, row, line and field."""

    def __init__(self, path: str | Path, message: str, *, row: int | None = None,
                 line: int | None = None, field_name: str | None = None):
        self.path, self.row, self.line, self.field = str(path), row, line, field_name
        where = (f" row {row}" if row is not None else "") + (
            "" if line is None else f" (line {line})" if row is not None else f" line {line}")
        what = f" field {field_name!r}:" if field_name and not message.startswith("field ") else ""
        super().__init__(f"{path}:{where}{',' if where else ''}{what} {message}")


@dataclass(frozen=True)
class Measurement:
    """One stated value. Optional numbers are ``None`` when the source does not give them.

    ``value`` is in ``unit`` (g: "1", times: "ps", Larmor frequencies: "rad/ns");
    ``energy_eV`` laser/transition energy (eV), ``field_T`` magnetic field (T),
    ``temperature_K`` (K). ``sample_assignment`` (stated / inferred / none) and ``population``
    (e.g. glass-6K) take the defaults of :data:`DEFAULTS` when left empty.
    ``source``/``line`` locate the row in its file (not compared).
    """

    sample: str
    code: str
    quantity: str
    value: float
    uncertainty: float | None
    unit: str
    energy_eV: float | None
    field_T: float | None
    temperature_K: float | None
    kind: str
    location: str
    note: str = ""
    sample_assignment: str = ""
    population: str = ""
    source: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        for name in _REQUIRED:
            if getattr(self, name) in ("", None):
                raise MeasurementError(name, "required field is empty")
        for name in _NUMERIC:
            x = getattr(self, name)
            if x is not None and not math.isfinite(x):
                raise MeasurementError(name, f"not a finite number: {x!r}")
        q = self.quantity
        if q not in UNITS:
            raise MeasurementError("quantity", f"unknown quantity {q!r}; allowed: {', '.join(UNITS)}")
        if self.unit != UNITS[q]:
            raise MeasurementError("unit", f"{q} must be given in {UNITS[q]!r}, not {self.unit!r}")
        if q in _POSITIVE and self.value <= 0 or q in _NON_NEGATIVE and self.value < 0:
            raise MeasurementError("value", f"{q} must be {'positive' if q in _POSITIVE else '>= 0'}, "
                                            f"got {self.value}")
        if self.kind not in KINDS:
            raise MeasurementError("kind", f"unknown kind {self.kind!r}; allowed: {', '.join(KINDS)}")
        for name, low, strict in (("uncertainty", 0.0, False), ("energy_eV", 0.0, True),
                                  ("field_T", 0.0, False), ("temperature_K", 0.0, True)):
            x = getattr(self, name)
            if x is not None and (x <= low if strict else x < low):
                raise MeasurementError(name, f"must be {'positive' if strict else 'non-negative'}, got {x}")
        if q.startswith("omega_L") and self.field_T is None:
            raise MeasurementError("field_T", f"{q} needs the field it was measured at")
        if self.kind == "digitised" and not self.note:
            raise MeasurementError("note", "a digitised row must give the digitiser's provenance in note "
                                           "(who, tool, date, figure panel)")
        self._check_sample()
        self._check_assignment()
        self._check_population()

    def _check_sample(self) -> None:
        expected = PAPER_SAMPLES.get(self.sample)
        if self.sample.startswith("#") and expected is None:
            raise MeasurementError("sample", f"unknown paper sample {self.sample!r}; '#n' labels are "
                                             f"reserved for {', '.join(PAPER_SAMPLES)}")
        if expected is not None and self.code != expected:
            raise MeasurementError("code", f"sample {self.sample} has code {expected}, not {self.code!r}")
        owner = {c: s for s, c in PAPER_SAMPLES.items()}.get(self.code)
        if owner is not None and self.sample != owner:
            raise MeasurementError("sample", f"code {self.code} belongs to sample {owner}, "
                                             f"not {self.sample!r}")


    def _check_assignment(self) -> None:
        if not self.sample_assignment:   # frozen dataclass: fill the documented default in place
            object.__setattr__(self, "sample_assignment", "stated" if self.sample else "none")
        a = self.sample_assignment
        if a not in ASSIGNMENTS:
            raise MeasurementError("sample_assignment", f"unknown assignment {a!r}; allowed: {', '.join(ASSIGNMENTS)}")
        if (a == "none") != (self.sample == ""):
            raise MeasurementError("sample_assignment", f"{a!r} does not fit sample {self.sample!r}: use 'none' "
                                                        "exactly when the row names no sample")
        if a == "inferred" and not self.note:
            raise MeasurementError("note", "an inferred sample assignment must give its reasoning in note")

    def _check_population(self) -> None:
        if not self.population:
            object.__setattr__(self, "population", DEFAULT_POPULATION)
        bad = sorted(set(self.population) - _POPULATION_CHARS)
        if bad:
            raise MeasurementError("population", f"{self.population!r}: use letters, digits and _ . + - only "
                                                 f"(not {''.join(bad)!r})")


def _selector(value: str | Iterable[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset((value,) if isinstance(value, str) else value)


@dataclass(frozen=True)
class MeasurementTable:
    """An immutable, ordered collection of :class:`Measurement` rows."""

    rows: tuple[Measurement, ...] = ()

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Measurement]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> Measurement:
        return self.rows[index]

    def __add__(self, other: MeasurementTable) -> MeasurementTable:
        return MeasurementTable(self.rows + tuple(other))

    @property
    def quantities(self) -> tuple[str, ...]:
        """Quantities present, in first-appearance order."""
        return tuple(dict.fromkeys(m.quantity for m in self.rows))

    @property
    def populations(self) -> tuple[str, ...]:
        """Populations present, in first-appearance order."""
        return tuple(dict.fromkeys(m.population for m in self.rows))

    def select(self, quantity: str | Iterable[str] | None = None, sample: str | Iterable[str] | None = None,
               kind: str | Iterable[str] | None = None, code: str | Iterable[str] | None = None,
               population: str | Iterable[str] | None = None,
               sample_assignment: str | Iterable[str] | None = None) -> MeasurementTable:
        """Rows matching every given criterion (a value or a collection; ``None`` = any).

        ``sample=""`` selects the rows that are not sample specific.
        """
        crit = {"quantity": _selector(quantity), "sample": _selector(sample),
                "kind": _selector(kind), "code": _selector(code), "population": _selector(population),
                "sample_assignment": _selector(sample_assignment)}
        return MeasurementTable(tuple(m for m in self.rows
                                      if all(s is None or getattr(m, k) in s for k, s in crit.items())))

    def extend(self, *others: MeasurementTable | str | Path) -> MeasurementTable:
        """A new table: these rows followed by those of ``others`` (tables or CSV paths)."""
        tables = [o if isinstance(o, MeasurementTable) else read_measurements(o) for o in others]
        return MeasurementTable(self.rows + tuple(m for t in tables for m in t))

    def points(self, quantity: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(energy_eV, value, uncertainty)`` of the ``quantity`` rows that have an energy.

        Sorted by energy; a missing uncertainty is NaN. Select first to restrict the kind,
        e.g. ``table.select(kind=("text", "caption")).points("g_e")``.
        """
        if quantity not in UNITS:
            raise MeasurementError("quantity", f"unknown quantity {quantity!r}; allowed: {', '.join(UNITS)}")
        rows = sorted((m for m in self.rows if m.quantity == quantity and m.energy_eV is not None),
                      key=lambda m: m.energy_eV)  # type: ignore[arg-type, return-value]
        arr = np.array([(m.energy_eV, m.value, np.nan if m.uncertainty is None else m.uncertainty)
                        for m in rows], dtype=float).reshape(-1, 3)
        return arr[:, 0], arr[:, 1], arr[:, 2]


def _number(name: str, text: str) -> float | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise MeasurementError(name, f"not a number: {text!r}") from None


def _header_block(lines: list[str], path: Path) -> tuple[int, str | None]:
    """Index of the header line and the version of a ``# schema:`` comment (``None`` if absent)."""
    version = None
    for i, line in enumerate(lines):
        text = line.strip()
        if text and not text.startswith("#"):
            return i, version
        if text.lower().startswith("# schema:"):
            version = (text.split(":", 1)[1].split() or [""])[0]
            if version not in READABLE_VERSIONS:
                raise MeasurementFileError(path, f"schema {version!r} is not one of {', '.join(READABLE_VERSIONS)}")
    raise MeasurementFileError(path, "no header line (expected columns: " + ",".join(COLUMNS) + ")")


def _check_header(header: list[str], version: str | None, path: Path, line: int) -> None:
    """The required columns, any of the optional ones (not under a version-1 schema), none repeated."""
    allowed = REQUIRED_COLUMNS if version == READABLE_VERSIONS[0] else COLUMNS
    unknown = [h for h in header if h not in allowed]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    for bad, what in ((unknown, "unknown column"), (missing, "missing column"), (duplicated, "repeated column")):
        if bad:
            hint = (f"a {READABLE_VERSIONS[0]} table has exactly {','.join(REQUIRED_COLUMNS)}; declare "
                    f"'# schema: {SCHEMA_VERSION}' for {', '.join(OPTIONAL_COLUMNS)}"
                    if version == READABLE_VERSIONS[0] and bad[0] in OPTIONAL_COLUMNS else
                    f"columns: {','.join(REQUIRED_COLUMNS)}, optionally {','.join(OPTIONAL_COLUMNS)}")
            raise MeasurementFileError(path, f"{what}: {bad[0]!r} ({hint})", line=line, field_name=bad[0])


def read_measurements(path: str | Path) -> MeasurementTable:
    """Read and validate one measurement CSV.

    Leading lines starting with ``#`` are comments; after the header every non-blank line is a
    data row (so a row may start with a sample label such as ``#4``). Columns of
    :data:`OPTIONAL_COLUMNS` left out take the :data:`DEFAULTS`. Raises
    :class:`MeasurementFileError` naming the file, data-row number, line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise MeasurementFileError(path, "measurement file not found")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise MeasurementFileError(path, f"not UTF-8 text ({exc})") from None
    start, version = _header_block(lines, path)
    reader = csv.reader(lines[start:])
    header = [h.strip() for h in next(reader)]
    _check_header(header, version, path, start + 1)
    rows: list[Measurement] = []
    for cells in reader:
        line = start + reader.line_num
        if not any(c.strip() for c in cells):
            continue
        row = len(rows) + 1
        if len(cells) != len(header):
            raise MeasurementFileError(path, f"has {len(cells)} fields, the header {len(header)}",
                                       row=row, line=line, field_name="(row length)")
        raw = {h: c.strip() for h, c in zip(header, cells)}
        try:
            kw: dict[str, object] = {n: _number(n, raw[n]) if n in _NUMERIC else raw.get(n, "") for n in COLUMNS}
            if kw["value"] is None:
                raise MeasurementError("value", "required field is empty")
            rows.append(Measurement(**kw, source=str(path), line=line))  # type: ignore[arg-type]
        except MeasurementError as exc:
            raise MeasurementFileError(path, str(exc), row=row, line=line, field_name=exc.field) from None
    return MeasurementTable(tuple(rows))


def load_measurements(path: str | Path | Sequence[str | Path] | None = None) -> MeasurementTable:
    """Load the bundled table (``path=None``), one CSV, or several CSVs concatenated in order."""
    if path is None:
        return read_measurements(BUNDLED)
    if isinstance(path, (str, Path)):
        return read_measurements(path)
    return MeasurementTable().extend(*path)


__all__ = ["ASSIGNMENTS", "BUNDLED", "CARRIERS", "COLUMNS", "DEFAULTS", "DEFAULT_POPULATION", "KINDS",
           "OPTIONAL_COLUMNS", "PAPER_SAMPLES", "READABLE_VERSIONS", "REQUIRED_COLUMNS", "SCHEMA_VERSION", "UNITS",
           "Measurement", "MeasurementError", "MeasurementFileError", "MeasurementTable", "load_measurements",
           "read_measurements"]
