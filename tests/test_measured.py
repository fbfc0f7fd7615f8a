"""The measured-data table: schema validation, provenance rules and the bundled values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from comparisons.io import read_table
from comparisons.measured import (BUNDLED, COLUMNS, KINDS, PAPER_SAMPLES, SCHEMA_VERSION, Measurement,
                                  MeasurementError, MeasurementFileError, MeasurementTable,
                                  load_measurements)
from confinement.errors import ParameterError, ParameterFileError

HEADER = ",".join(COLUMNS)
GOOD = '"#4",EK201,g_h,0.95,0.05,1,1.92,,6,text,"my lab, run 7",digitised'


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "user.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(["# my measurements", header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def table() -> MeasurementTable:
    return load_measurements()


def test_bundled_table_loads_with_provenance(table: MeasurementTable) -> None:
    assert len(table) == 23
    assert all(m.kind in KINDS and m.location and m.source == str(BUNDLED) for m in table)
    head = [ln for ln in BUNDLED.read_text(encoding="utf-8").splitlines() if ln.startswith("#")]
    text = "\n".join(head)
    assert "10.1039/d4nr04602a" in text and "Nanoscale 17, 6522 (2025)" in text and SCHEMA_VERSION in text
    # rows are quoted, so a naive '#'-comment stripper (comparisons.io.read_table) keeps them all
    assert len(read_table(BUNDLED)["sample"]) == len(table)


def test_series_statements_are_two_unassigned_endpoints(table: MeasurementTable) -> None:
    for quantity, expected in (("g_e", [(1.69, 2.3), (1.91, 1.4)]), ("g_h", [(1.69, -0.19), (2.25, 1.69)])):
        rows = table.select(quantity=quantity, kind="series_endpoint")
        assert [(m.energy_eV, m.value) for m in rows] == expected
        assert all(m.sample == "" and m.code == "" and m.temperature_K == 6 for m in rows)


def test_sample_4_values_and_signs(table: MeasurementTable) -> None:
    s4 = table.select(sample="#4")
    assert {m.code for m in s4} == {"EK201"}
    at_1911 = {m.quantity: m.value for m in s4.select(kind="text") if m.energy_eV == 1.911 and m.field_T is None}
    assert at_1911 == {"g_e": 1.41, "g_h": 0.91, "T2_h_ps": 260}
    # |g| quoted by the paper, stored positive (refs. 14, 28), and the note says so
    for m in table.select(quantity=("g_e", "g_h"), sample="#4"):
        assert m.value > 0 and "stored positive" in m.note
    t2e = table.select(sample="#4", quantity="T2_e_ps", kind="series_endpoint")
    assert [(m.field_T, m.value) for m in t2e] == [(0.09, 280), (0.42, 90)]
    # the paper's relative spread Δg_e/g_e = 16 % follows from the stored 0.22 and 1.41
    dg = table.select(sample="#4", quantity="delta_g_e")[0]
    assert dg.kind == "fit" and round(100 * dg.value / at_1911["g_e"]) == 16


def test_other_sample_types_and_m24(table: MeasurementTable) -> None:
    (sol,) = table.select(code="solution-NC")
    assert (sol.sample, sol.value, sol.energy_eV, sol.temperature_K) == ("", 2.29, 1.812, 200)
    assert sorted(m.value for m in table.select(code="bulk-Ko23", kind="series_endpoint")) == [2.3, 2.7]
    assert {m.quantity: m.value for m in table.select(sample="#1")} == {"delta_g_e": 0.25, "delta_g_h": 0.07}
    (gx,) = table.select(quantity="g_X", code="")
    assert gx.value == 2.2 and gx.kind == "derived" and gx.energy_eV is None


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
    other = tmp_path / "v2.csv"
    other.write_text(f"# schema: landeg-measurements/2\n{HEADER}\n{GOOD}\n", encoding="utf-8")
    with pytest.raises(MeasurementFileError, match="schema 'landeg-measurements/2'"):
        load_measurements(other)


def test_measurement_validates_when_built_in_python() -> None:
    good = load_measurements()[0]
    with pytest.raises(ParameterError, match="field 'unit'"):
        dataclasses.replace(good, unit="rad/ns")
    assert set(PAPER_SAMPLES.values()) == {"EK31", "EK7", "EK8", "EK201", "EK205", "EK203"}
    assert isinstance(dataclasses.replace(good, value=2.0), Measurement)
