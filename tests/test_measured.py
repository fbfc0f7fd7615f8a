"""The measured-data table: schema validation, provenance rules and the bundled values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from comparisons.experiment.measured import (
    BUNDLED,
    COLUMNS,
    DEFAULT_POPULATION,
    KINDS,
    PAPER_SAMPLES,
    REQUIRED_COLUMNS,
    SCHEMA_VERSION,
    Measurement,
    MeasurementError,
    MeasurementFileError,
    MeasurementTable,
    load_measurements,
)
from confinement.errors import ParameterError, ParameterFileError
from confinement.io import read_table

HEADER = ",".join(REQUIRED_COLUMNS)        # the version-1 layout: still read, the new columns take defaults
GOOD = '"#4",EK201,g_h,0.95,0.05,1,1.92,,6,text,"my lab, run 7",digitised'
HEADER2 = ",".join(COLUMNS)
GOOD2 = GOOD + ",stated,glass-6K"


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "user.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(["# my measurements", header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def table() -> MeasurementTable:
    return load_measurements()


def test_bundled_table_loads_with_provenance(table: MeasurementTable) -> None:
    assert len(table) == 23
    assert BUNDLED.read_text(encoding="utf-8").splitlines()[19] == HEADER2     # the bundled file uses every column
    assert all(m.kind in KINDS and m.location and m.source == str(BUNDLED) for m in table)
    head = [ln for ln in BUNDLED.read_text(encoding="utf-8").splitlines() if ln.startswith("#")]
    text = "\n".join(head)
    assert "10.1039/d4nr04602a" in text and "Nanoscale 17, 6522 (2025)" in text and SCHEMA_VERSION in text
    # rows are quoted, so a naive '#'-comment stripper (confinement.io.read_table) keeps them all
    assert len(read_table(BUNDLED)["sample"]) == len(table)


def test_series_endpoints_carry_inferred_samples_with_the_reasoning(table: MeasurementTable) -> None:
    """The paper does not say which sample gives an end of a 'from A to B' series: the samples are
    inferred (numbered by decreasing size, energy rising with confinement) and marked so."""
    for quantity, expected in (("g_e", [(1.69, 2.3, "#1"), (1.91, 1.4, "#4")]),
                               ("g_h", [(1.69, -0.19, "#1"), (2.25, 1.69, "#6")])):
        rows = table.select(quantity=quantity, kind="series_endpoint")
        assert [(m.energy_eV, m.value, m.sample) for m in rows] == expected
        assert all(m.sample_assignment == "inferred" and m.code == PAPER_SAMPLES[m.sample] for m in rows)
        assert all("inferred because the paper numbers the samples by decreasing NC size" in m.note for m in rows)
        assert all(m.temperature_K == 6 and m.population == "glass-6K" for m in rows)
    # every other g row with a sample is one the paper states for that sample
    stated = table.select(quantity=("g_e", "g_h"), sample_assignment="stated")
    assert {m.sample for m in stated} == {"#4"}
    assert table.select(sample=("#2", "#3", "#5")).rows == ()          # no value stated for these samples


def test_sample_4_values_and_signs(table: MeasurementTable) -> None:
    s4 = table.select(sample="#4")
    assert {m.code for m in s4} == {"EK201"}
    at_1911 = {m.quantity: m.value for m in s4.select(kind="text") if m.energy_eV == 1.911 and m.field_T is None}
    assert at_1911 == {"g_e": 1.41, "g_h": 0.91, "T2_h_ps": 260}
    # |g| quoted by the paper, stored positive (refs. 14, 28), and the note says so
    for m in table.select(quantity=("g_e", "g_h"), sample="#4", sample_assignment="stated"):
        assert m.value > 0 and "stored positive" in m.note
    t2e = table.select(sample="#4", quantity="T2_e_ps", kind="series_endpoint")
    assert [(m.field_T, m.value) for m in t2e] == [(0.09, 280), (0.42, 90)]
    # the paper's relative spread Δg_e/g_e = 16 % follows from the stored 0.22 and 1.41
    dg = table.select(sample="#4", quantity="delta_g_e")[0]
    assert dg.kind == "fit" and round(100 * dg.value / at_1911["g_e"]) == 16


def test_other_sample_types_and_m24(table: MeasurementTable) -> None:
    (sol,) = table.select(code="solution-NC")
    assert (sol.sample, sol.value, sol.energy_eV, sol.temperature_K) == ("", 2.29, 1.812, 200)
    assert (sol.population, sol.sample_assignment) == ("solution-200K", "none")
    bulk = table.select(code="bulk-Ko23", kind="series_endpoint")
    assert sorted(m.value for m in bulk) == [2.3, 2.7] and {m.population for m in bulk} == {"bulk"}
    assert {m.quantity: m.value for m in table.select(sample="#1", kind="text")} == {"delta_g_e": 0.25,
                                                                                     "delta_g_h": 0.07}
    assert {m.population for m in table.select(sample="#1", kind="text")} == {"glass-M24"}
    (gx,) = table.select(quantity="g_X", code="")
    assert gx.value == 2.2 and gx.kind == "derived" and gx.energy_eV is None and gx.population == DEFAULT_POPULATION
    # the default population holds the paper's glass samples only
    assert table.populations == ("glass-6K", "glass-M24", "solution-200K", "bulk")
    assert {m.code for m in table.select(population="glass-6K")} == {"EK31", "EK201", "EK203", ""}


def test_points_are_sorted_and_typed(table: MeasurementTable) -> None:
    energy, value, unc = table.points("g_e")
    np.testing.assert_array_equal(energy, [1.69, 1.91, 1.911])
    np.testing.assert_array_equal(value, [2.3, 1.4, 1.41])
    assert np.isnan(unc).all()
    e, v, u = table.select(kind="caption").points("g_X")
    assert e.shape == v.shape == u.shape == (0,)
    with pytest.raises(MeasurementError, match="unknown quantity"):
        table.points("g_z")


def test_user_table_loads_and_concatenates(tmp_path: Path, table: MeasurementTable) -> None:
    unquoted = GOOD.replace('"#4"', "#4")  # after the header a leading '#' is data, not a comment
    path = write(tmp_path, GOOD, unquoted, "")
    user = load_measurements(path)
    assert len(user) == 2 and user[0] == user[1]
    m = user[0]
    assert (m.sample, m.value, m.uncertainty, m.energy_eV, m.field_T, m.location) == \
        ("#4", 0.95, 0.05, 1.92, None, "my lab, run 7")
    both = load_measurements([BUNDLED, path])
    assert len(both) == len(table) + 2 and both.rows[-2:] == user.rows
    assert table.extend(path) == both and table + user == both
    e, v, u = both.select(sample="#4").points("g_h")
    np.testing.assert_array_equal(e, [1.911, 1.92, 1.92])
    np.testing.assert_array_equal(u[1:], [0.05, 0.05])
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.value = 1.0  # type: ignore[misc]


BAD_ROWS = [
    (GOOD.replace("g_h,", "g_z,"), "quantity", "unknown quantity 'g_z'"),
    (GOOD.replace("0.95", "0.9five"), "value", "not a number"),
    (GOOD.replace("0.95", "nan"), "value", "not a finite number"),
    (GOOD.replace(",0.95,", ",,"), "value", "required field is empty"),
    (GOOD.replace('"my lab, run 7"', ""), "location", "required field is empty"),
    (GOOD.replace(",text,", ",guess,"), "kind", "unknown kind 'guess'"),
    (GOOD.replace(",0.05,", ",-0.05,"), "uncertainty", "non-negative"),
    (GOOD.replace(",1,1.92", ",ps,1.92"), "unit", "must be given in '1'"),
    (GOOD.replace("EK201", "EK7"), "code", "sample #4 has code EK201"),
    ('"",EK31,g_h,0.5,,1,1.8,,6,text,here,', "sample", "code EK31 belongs to sample #1"),
    (GOOD.replace('"#4"', '"#7"').replace("EK201", ""), "sample", "unknown paper sample '#7'"),
    ('"#4",EK201,omega_L_e,58.5,,rad/ns,,,6,text,here,', "field_T", "needs the field"),
    ('"#4",EK201,T2_e_ps,-5,,ps,,0.1,6,text,here,', "value", "must be positive"),
    (GOOD + ",extra", "(row length)", "has 13 fields"),
]


@pytest.mark.parametrize("row, field, message", BAD_ROWS, ids=[b[1] + "-" + b[2][:12] for b in BAD_ROWS])
def test_bad_rows_are_refused_naming_file_row_and_field(tmp_path: Path, row: str, field: str, message: str) -> None:
    path = write(tmp_path, GOOD, row)
    with pytest.raises(MeasurementFileError) as info:
        load_measurements([BUNDLED, path])
    text = str(info.value)
    assert str(path) in text and "row 2 (line 4)" in text and f"field {field!r}" in text and message in text
    assert (info.value.row, info.value.line, info.value.field) == (2, 4, field)
    assert isinstance(info.value, ParameterFileError)


@pytest.mark.parametrize("header, field", [(HEADER + ",comment", "comment"),
                                           (HEADER.replace(",note", ""), "note"),
                                           (HEADER.replace("kind", "Kind"), "Kind")])
def test_bad_header_is_refused(tmp_path: Path, header: str, field: str) -> None:
    with pytest.raises(MeasurementFileError, match=rf"line 2, field '{field}': .*column"):
        load_measurements(write(tmp_path, GOOD, header=header))


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(MeasurementFileError, match="not found"):
        load_measurements(tmp_path / "missing.csv")
    other = tmp_path / "v3.csv"
    other.write_text(f"# schema: landeg-measurements/3\n{HEADER}\n{GOOD}\n", encoding="utf-8")
    with pytest.raises(MeasurementFileError, match="schema 'landeg-measurements/3' is not one of"):
        load_measurements(other)


def test_measurement_validates_when_built_in_python() -> None:
    good = load_measurements()[0]
    with pytest.raises(ParameterError, match="field 'unit'"):
        dataclasses.replace(good, unit="rad/ns")
    assert set(PAPER_SAMPLES.values()) == {"EK31", "EK7", "EK8", "EK201", "EK205", "EK203"}
    assert isinstance(dataclasses.replace(good, value=2.0), Measurement)


# --- schema version 2: sample assignment, population, digitised points ----------------------------

def test_version_1_tables_take_the_documented_defaults(tmp_path: Path) -> None:
    """A table without the version-2 columns loads: a named sample is 'stated', none is 'none', and
    the population is the default (the paper's glass samples)."""
    v1 = write(tmp_path, GOOD, '"",,g_h,1.0,,1,2.0,,6,text,here,', header="# schema: landeg-measurements/1\n" + HEADER)
    rows = load_measurements(v1)
    assert [(m.sample_assignment, m.population) for m in rows] == [("stated", DEFAULT_POPULATION),
                                                                   ("none", DEFAULT_POPULATION)]
    # a version-1 table with a version-2 column is refused with the fix
    bad = write(tmp_path, GOOD2, header="# schema: landeg-measurements/1\n" + HEADER2, name="bad.csv")
    with pytest.raises(MeasurementFileError, match="unknown column: 'sample_assignment'.*declare '# schema: "
                                                   "landeg-measurements/2'"):
        load_measurements(bad)


def test_version_2_columns_are_read_and_empty_cells_take_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD2, GOOD + ",,", GOOD.replace('"#4",EK201', '"",lab') + ",,solution-200K",
                 '"#6",EK203,g_h,1.7,,1,2.25,,6,digitised,"Fig. 4, digitised",'
                 '"WebPlotDigitizer 4.6, A. User, 2025-05-01",inferred,glass-6K', header=HEADER2)
    rows = load_measurements(path)
    assert [(m.sample, m.sample_assignment, m.population, m.kind) for m in rows] == [
        ("#4", "stated", "glass-6K", "text"), ("#4", "stated", "glass-6K", "text"),
        ("", "none", "solution-200K", "text"), ("#6", "inferred", "glass-6K", "digitised")]
    assert rows[0] == rows[1]                                         # defaults equal the explicit values
    assert rows.select(population="solution-200K").rows == (rows[2],)
    assert rows.select(sample_assignment="inferred").rows == (rows[3],)
    assert rows.populations == ("glass-6K", "solution-200K")


BAD_V2 = [
    (GOOD + ",guessed,glass-6K", "sample_assignment", "unknown assignment 'guessed'"),
    (GOOD + ",none,glass-6K", "sample_assignment", "'none' does not fit sample '#4'"),
    ('"",lab,g_h,0.9,,1,1.9,,6,text,here,,stated,', "sample_assignment", "'stated' does not fit sample ''"),
    (GOOD.replace(",digitised", ",") + ",inferred,", "note", "inferred sample assignment must give its reasoning"),
    (GOOD + ",stated,glass 6K", "population", "letters, digits and _ . + - only"),
    ('"#4",EK201,g_h,0.95,0.05,1,1.92,,6,digitised,"Fig. 4",,stated,glass-6K', "note",
     "digitised row must give the digitiser's provenance"),
]


@pytest.mark.parametrize("row, field, message", BAD_V2, ids=[b[1] + "-" + b[2][:14] for b in BAD_V2])
def test_bad_version_2_rows_are_refused(tmp_path: Path, row: str, field: str, message: str) -> None:
    with pytest.raises(MeasurementFileError) as info:
        load_measurements(write(tmp_path, GOOD2, row, header=HEADER2))
    assert f"row 2 (line 4), field {field!r}" in str(info.value) and message in str(info.value)
