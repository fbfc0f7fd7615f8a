"""The typed NC result shared by k·p and tight binding (confinement/nc_result.py, issue 16).

Both models return :class:`NCResult` with the same band-edge names (E_cb, E_vb; k·p records once
said E_e, E_h), their rows of results.csv keep the columns of every run directory, and a row
written by the table writer reads back to the same values.
"""

from __future__ import annotations

import math

import pytest

from comparisons.sweeps.sweep import Point, result_row
from confinement.errors import ParameterError
from confinement.io import read_table, to_json, write_table
from confinement.nc_result import TABLE_COLUMNS, NCResult
from kp.nanocrystal import kp_nanocrystal
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import make_shape, nanocrystal_gfactors
from tightbinding.parameters import load_tb_parameters

#: The header of results.csv of every `landeg run` since the sweep runner was written (after the coordinates).
RUN_DIRECTORY_COLUMNS = ["model", "label", "model_id", "shape", "key", "edge_nm", "E_vb", "E_cb", "E_gap",
                         "E_transition", "g_e", "g_h", "g_X", "g_e_finite_field", "g_h_finite_field", "g_e_bulk_at_E",
                         "g_h_bulk_at_E", "surface_weight_cb", "surface_weight_vb", "solver", "seconds"]


@pytest.fixture(scope="module")
def results() -> dict[str, NCResult]:
    crystal = Crystal(load_tb_parameters("CsPbI3-N21-exp"))
    return {"kp": kp_nanocrystal("CsPbI3", "sphere", 5.0, n_radial=8, finite_field_T=None, epsilon=5.0),
            "tb": nanocrystal_gfactors(crystal, make_shape(crystal, "cube", n_pb=2), finite_field_T=None)}


def test_both_models_fill_the_same_fields_with_consistent_values(results):
    # Fails if a model leaves a core field empty, keeps its own band-edge names, or if the derived
    # fields do not follow from the others (E_gap = E_cb − E_vb, E_transition = E_gap + shift, g_X).
    for model, r in results.items():
        assert isinstance(r, NCResult) and r.model == model
        assert r.E_cb > r.E_vb and r.E_gap == pytest.approx(r.E_cb - r.E_vb, abs=1e-12)
        assert r.E_transition == pytest.approx(r.E_gap + r.coulomb_shift, abs=1e-12)
        assert r.g_X == pytest.approx(r.g_e + r.g_h, abs=1e-12)
        assert "E_e" not in r and "E_h" not in r
    assert results["kp"].coulomb_shift < 0 and results["tb"].n_pb == 2 and results["kp"].n_pb is None
    assert set(results["kp"].table_row()) == set(results["tb"].table_row()) == set(TABLE_COLUMNS)


def test_rows_round_trip_through_the_table_writer(results, tmp_path):
    rows = [r.table_row() for r in results.values()]
    write_table(tmp_path / "nc.csv", {c: [row[c] for row in rows] for c in TABLE_COLUMNS})
    table = read_table(tmp_path / "nc.csv")
    assert list(table) == list(TABLE_COLUMNS)
    for i, row in enumerate(rows):
        back = NCResult.from_row({c: table[c][i] for c in table}).table_row()
        for column, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(back[column]), column
            else:
                assert back[column] == value, column            # repr(float) round-trips exactly


def test_run_rows_keep_the_columns_of_old_run_directories(results):
    point = Point("m", "tb", "m N=2", {"n_pb": 2}, {}, "abc123")
    record = results["tb"].as_record()
    assert list(result_row(point, record)) == RUN_DIRECTORY_COLUMNS
    assert result_row(point, record)["E_cb"] == results["tb"].E_cb


def test_records_of_old_kp_runs_still_load(results):
    # A k·p point cached before issue 16 named the band edges E_e, E_h; it reads as E_cb, E_vb.
    old = {k: v for k, v in results["kp"].as_record().items() if k not in ("E_cb", "E_vb")}
    old.update({"E_e": results["kp"].E_cb, "E_h": results["kp"].E_vb})
    loaded = NCResult.from_record(old)
    assert (loaded.E_cb, loaded.E_vb) == (results["kp"].E_cb, results["kp"].E_vb)
    point = Point("k", "kp", "k L=5", {"edge_nm": 5.0}, {}, "def456")
    assert result_row(point, old)["E_vb"] == results["kp"].E_vb


def test_json_record_is_the_mapping_view(results):
    import json

    r = results["tb"]
    record = json.loads(to_json(r))
    assert record["g_e"] == r.g_e and record["counts"] == r.details["counts"] and r["point_group"] == "C4h"
    assert NCResult.from_record(record).table_row().keys() == r.table_row().keys()


def test_a_record_without_a_core_field_is_refused_by_name(results):
    record = results["tb"].as_record()
    del record["E_transition"]
    with pytest.raises(ParameterError, match="lacks E_transition"):
        NCResult.from_record(record)
    with pytest.raises(ParameterError, match="g_e must be a number"):
        NCResult(model="tb", shape="cube", edge_nm=1.0, E_cb=1.0, E_vb=0.0, E_gap=1.0, E_transition=1.0,
                 g_e="big", g_h=0.0, g_X=0.0)
