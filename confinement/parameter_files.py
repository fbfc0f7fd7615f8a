"""Parameter files with provenance: TOML tables of values, units and sources.

Every number the toolkit ships lives in a TOML file in which each value is a *quantity table*::

    [parameters.Delta]
    value = 1.5
    unit = "eV"
    source = "K22"                       # a key of the file's [references] table
    location = "Eq. 6 and text"          # optional: where in the source
    second_hand = "read from BRIEF §3"   # optional: set when the source was not read directly
    note = "..."                         # optional

A file has a ``[meta]`` table (``name``, ``description``, optional ``kind``), a ``[references]``
table (key → full citation) and any nesting of groups whose leaves are quantity tables.
Values are converted to the internal units on load (eV, nm, m0; see :mod:`confinement.units`).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ParameterError, ParameterFileError, UnknownNameError
from .units import ANGSTROM

#: Accepted unit strings → (internal unit, factor to multiply the quoted value by).
UNITS: dict[str, tuple[str, float]] = {
    "eV": ("eV", 1.0),
    "eV*nm": ("eV*nm", 1.0),
    "eV*Angstrom": ("eV*nm", ANGSTROM),
    "nm": ("nm", 1.0),
    "Angstrom": ("nm", ANGSTROM),
    "m0": ("m0", 1.0),
    "1": ("1", 1.0),
}

_QUANTITY_KEYS = {"value", "unit", "source", "location", "second_hand", "note"}
_REQUIRED_KEYS = ("value", "unit", "source")


@dataclass(frozen=True)
class Quantity:
    """One parameter value with its unit and provenance; ``value`` is in internal units."""

    name: str
    value: float
    unit: str
    quoted_value: float
    quoted_unit: str
    source: str
    citation: str
    location: str | None = None
    second_hand: str | None = None
    note: str | None = None

    def provenance(self) -> str:
        """One-line human-readable provenance, e.g. for ``landeg params``."""
        text = self.citation + (f", {self.location}" if self.location else "")
        if self.second_hand:
            text += f" (second-hand: {self.second_hand})"
        return text


@dataclass(frozen=True)
class ParameterFile:
    """A loaded parameter file: metadata, references and quantities keyed by dotted path."""

    path: Path
    name: str
    description: str
    kind: str | None
    references: dict[str, str]
    quantities: dict[str, Quantity] = field(repr=False)
    sha256: str = ""

    def group(self, prefix: str) -> dict[str, Quantity]:
        """Quantities directly under the dotted group ``prefix`` (keys without the prefix)."""
        start = prefix + "."
        found = {
            key[len(start):]: q
            for key, q in self.quantities.items()
            if key.startswith(start) and "." not in key[len(start):]
        }
        return found

    def subgroups(self, prefix: str) -> list[str]:
        """Names of the groups directly below ``prefix`` (e.g. the materials of a file)."""
        start = prefix + "."
        names = {key[len(start):].split(".")[0] for key in self.quantities if key.startswith(start)}
        return sorted(n for n in names if any(k.startswith(f"{start}{n}.") for k in self.quantities))

    def require(self, prefix: str, names: tuple[str, ...] | list[str]) -> dict[str, Quantity]:
        """The quantities ``names`` of group ``prefix``; a missing one raises naming it and the file."""
        group = self.group(prefix)
        missing = [n for n in names if n not in group]
        if missing:
            raise ParameterError(
                f"{self.path}: group [{prefix}] lacks required parameter(s) {', '.join(missing)}"
            )
        return {n: group[n] for n in names}

    def __iter__(self) -> Iterator[Quantity]:
        return iter(self.quantities.values())


def load_parameter_file(path: str | Path) -> ParameterFile:
    """Load and validate a parameter file; malformed content raises naming the key and file."""
    path = Path(path)
    if not path.is_file():
        raise ParameterFileError(f"parameter file not found: {path}")
    raw_bytes = path.read_bytes()
    try:
        raw = tomllib.loads(raw_bytes.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParameterFileError(f"{path}: not valid TOML ({exc})") from exc
    meta = raw.pop("meta", None)
    if not isinstance(meta, dict) or "name" not in meta or "description" not in meta:
        raise ParameterFileError(f"{path}: needs a [meta] table with 'name' and 'description'")
    references = raw.pop("references", None)
    if not isinstance(references, dict) or not references:
        raise ParameterFileError(f"{path}: needs a non-empty [references] table")
    quantities: dict[str, Quantity] = {}
    for dotted, table in _leaves(raw, ""):
        quantities[dotted] = _quantity(path, dotted, table, references)
    if not quantities:
        raise ParameterFileError(f"{path}: holds no parameter values")
    return ParameterFile(
        path=path,
        name=str(meta["name"]),
        description=str(meta["description"]),
        kind=meta.get("kind"),
        references={str(k): str(v) for k, v in references.items()},
        quantities=quantities,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def _leaves(table: dict[str, Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (dotted path, quantity table) for every leaf table that has a 'value' key."""
    for key, item in table.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if not isinstance(item, dict):
            raise ParameterFileError(
                f"{dotted}: expected a quantity table {{value, unit, source}} or a group, got {item!r}"
            )
        if "value" in item:
            yield dotted, item
        else:
            yield from _leaves(item, dotted)


def _quantity(path: Path, dotted: str, table: dict[str, Any], refs: dict[str, Any]) -> Quantity:
    where = f"{path}: [{dotted}]"
    unknown = set(table) - _QUANTITY_KEYS
    if unknown:
        raise ParameterFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    missing = [k for k in _REQUIRED_KEYS if k not in table]
    if missing:
        raise ParameterFileError(f"{where}: missing key(s) {', '.join(missing)}")
    value = table["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterFileError(f"{where}: 'value' must be a number, got {value!r}")
    unit = table["unit"]
    if unit not in UNITS:
        raise UnknownNameError("unit", unit, list(UNITS))
    source = table["source"]
    if source not in refs:
        raise ParameterFileError(f"{where}: source {source!r} is not a key of [references]")
    internal_unit, factor = UNITS[unit]
    return Quantity(
        name=dotted.rsplit(".", 1)[-1],
        value=float(value) * factor,
        unit=internal_unit,
        quoted_value=float(value),
        quoted_unit=unit,
        source=source,
        citation=str(refs[source]),
        location=table.get("location"),
        second_hand=table.get("second_hand"),
        note=table.get("note"),
    )
