"""Measured points of one carrier as the comparison uses them: population, derived g_X, duplicates.

From a measurement table (:mod:`comparisons.experiment.measured`) this module takes the g_e, g_h or g_X rows
that state an energy and belong to the populations asked for (default: the paper's glass samples,
``glass-6K``), and adds, for g_X, the sum g_e + g_h of every sample measured for both at one
energy (kind ``derived``; its sample assignment is ``inferred`` when either part is).

Two rows of one sample, quantity and population that lie within :data:`SAME_POINT_EV` in energy
and :data:`SAME_POINT_G` in value are one measurement stated twice (e.g. the "+1.4 at 1.91 eV"
end of a series statement and sample #4's 1.41 at 1.911 eV). The row kept is the one the source
is surest of — a stated sample before an inferred one, then by kind in the order of
:data:`KIND_PRECEDENCE` —; the others are marked ``duplicate_of`` it and left out of the metrics
and figures. Units: energies eV, g dimensionless (J-convention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .measured import CARRIERS, DEFAULT_POPULATION, Measurement, MeasurementTable

#: Largest energy (eV) and g differences of two rows that are one measurement stated twice
#: (0.05 = the rounding of values stated to one decimal).
SAME_POINT_EV, SAME_POINT_G = 0.005, 0.05
#: Which of two rows of one measurement is kept: earlier kinds first.
KIND_PRECEDENCE = ("text", "caption", "fit", "derived", "digitised", "series_endpoint")
_SAME_ENERGY = 1e-9  # eV: g_e and g_h at "the same energy" for a derived g_X


@dataclass(frozen=True)
class MeasuredPoints:
    """Measured values of one carrier that have an energy, sorted by energy (σ NaN if not given).

    ``duplicate_of[i]`` is the index of the row that point ``i`` repeats, or -1.
    """

    carrier: str
    energy_eV: np.ndarray
    value: np.ndarray
    sigma: np.ndarray
    sample: tuple[str, ...]
    code: tuple[str, ...]
    kind: tuple[str, ...]
    location: tuple[str, ...]
    assignment: tuple[str, ...]
    population: tuple[str, ...]
    duplicate_of: np.ndarray

    def __len__(self) -> int:
        return len(self.energy_eV)

    @property
    def series_endpoint(self) -> np.ndarray:
        """(n,) True for rows that are end-points of a stated series."""
        return np.array([k == "series_endpoint" for k in self.kind], dtype=bool)

    @property
    def inferred(self) -> np.ndarray:
        """(n,) True for rows whose sample is inferred, not stated by the source."""
        return np.array([a == "inferred" for a in self.assignment], dtype=bool)

    @property
    def duplicate(self) -> np.ndarray:
        """(n,) True for rows that repeat another row (not used by metrics or figures)."""
        return self.duplicate_of >= 0

    def who(self, i: int) -> str:
        """The label of point ``i``: see :func:`sample_label`."""
        return sample_label(self.sample[i], self.assignment[i], self.code[i] or self.kind[i])


def sample_label(sample: str, assignment: str, fallback: str) -> str:
    """'#4' for a stated sample, '(#1)' for an inferred one, ``fallback`` when the row names no sample."""
    if not sample:
        return fallback
    return f"({sample})" if assignment == "inferred" else sample


def _derived_gx(rows: Sequence[Measurement]) -> list[Measurement]:
    """g_e + g_h of each sample measured for both at the same energy (no g_X stated there)."""
    def same(a: Measurement, b: Measurement) -> bool:
        return ((a.sample, a.code, a.population) == (b.sample, b.code, b.population)
                and abs(a.energy_eV - b.energy_eV) <= _SAME_ENERGY)  # type: ignore[operator]

    by_q = {q: [m for m in rows if m.quantity == q and m.sample and m.energy_eV is not None]
            for q in ("g_e", "g_h", "g_X")}
    out: list[Measurement] = []
    for e in by_q["g_e"]:
        for h in (h for h in by_q["g_h"] if same(e, h)):
            if any(same(e, x) for x in by_q["g_X"] + out):
                continue
            sigma = (None if e.uncertainty is None or h.uncertainty is None
                     else float(np.hypot(e.uncertainty, h.uncertainty)))
            inferred = "inferred" in (e.sample_assignment, h.sample_assignment)
            out.append(Measurement(sample=e.sample, code=e.code, quantity="g_X", value=e.value + h.value,
                                   uncertainty=sigma, unit="1", energy_eV=e.energy_eV, field_T=None,
                                   temperature_K=e.temperature_K, kind="derived",
                                   location=f"g_e + g_h of {e.location} / {h.location}",
                                   note="sum formed by the comparison layer" + (
                                       "; the sample of a part is inferred" if inferred else ""),
                                   sample_assignment="inferred" if inferred else "stated", population=e.population))
    return out


def _rank(m: Measurement) -> tuple[int, int]:
    kind = KIND_PRECEDENCE.index(m.kind) if m.kind in KIND_PRECEDENCE else len(KIND_PRECEDENCE)
    return (m.sample_assignment != "stated", kind)


def _duplicates(rows: Sequence[Measurement]) -> np.ndarray:
    """For each row the index of the kept row it repeats (-1: none); see the module docstring."""
    dup = np.full(len(rows), -1, dtype=int)
    kept: list[int] = []
    for i in sorted(range(len(rows)), key=lambda k: (_rank(rows[k]), k)):
        m = rows[i]
        match = next((j for j in kept if m.sample and (rows[j].sample, rows[j].population) == (m.sample, m.population)
                      and abs(rows[j].energy_eV - m.energy_eV) <= SAME_POINT_EV + _SAME_ENERGY  # type: ignore[operator]
                      and abs(rows[j].value - m.value) <= SAME_POINT_G + _SAME_ENERGY), -1)
        if match >= 0:
            dup[i] = match
        else:
            kept.append(i)
    return dup


def select_populations(table: MeasurementTable, populations: Sequence[str] | None) -> MeasurementTable:
    """The rows of ``table`` in ``populations`` (``None``: every row)."""
    return table if populations is None else table.select(population=tuple(populations))


def measured_points(table: MeasurementTable, carrier: str,
                    populations: Sequence[str] | None = (DEFAULT_POPULATION,)) -> MeasuredPoints:
    """The ``carrier`` rows of ``table`` in ``populations`` that have an energy (plus derived
    g_e + g_h for g_X), sorted by energy, duplicates marked. ``populations=None``: every row."""
    if carrier not in CARRIERS:
        raise KeyError(f"unknown carrier {carrier!r}; known: {', '.join(CARRIERS)}")
    chosen = select_populations(table, populations)
    if carrier == "g_X":
        parts = [m for q in ("g_e", "g_h") for m, d in _with_duplicates(chosen, q) if d < 0]
        rows = [m for m in chosen if m.quantity == "g_X" and m.energy_eV is not None]
        rows += _derived_gx(parts + rows)
    else:
        rows = [m for m in chosen if m.quantity == carrier and m.energy_eV is not None]
    rows.sort(key=lambda m: m.energy_eV)  # type: ignore[arg-type, return-value]
    num = np.array([(m.energy_eV, m.value, np.nan if m.uncertainty is None else m.uncertainty) for m in rows],
                   dtype=float).reshape(-1, 3)
    return MeasuredPoints(carrier, num[:, 0], num[:, 1], num[:, 2], tuple(m.sample for m in rows),
                          tuple(m.code for m in rows), tuple(m.kind for m in rows), tuple(m.location for m in rows),
                          tuple(m.sample_assignment for m in rows), tuple(m.population for m in rows),
                          _duplicates(rows))


def _with_duplicates(table: MeasurementTable, quantity: str) -> list[tuple[Measurement, int]]:
    rows = [m for m in table if m.quantity == quantity and m.energy_eV is not None]
    return list(zip(rows, _duplicates(rows).tolist()))


__all__ = ["KIND_PRECEDENCE", "SAME_POINT_EV", "SAME_POINT_G", "MeasuredPoints", "measured_points",
           "sample_label", "select_populations"]
