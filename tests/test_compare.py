"""The comparison layer: results loader, metrics on hand-computed cases, figures, `landeg compare`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from comparisons.cli import main
from comparisons.experiment.measured import REQUIRED_COLUMNS as COLUMNS
from comparisons.experiment.measured import load_measurements
from comparisons.theory_vs_data import style
from comparisons.theory_vs_data.bulk_curve import bulk_curve
from comparisons.theory_vs_data.compare import redraw
from comparisons.theory_vs_data.figures import g_vs_energy_figure, gx_figure, residual_figure
from comparisons.theory_vs_data.metrics import curve_metrics, measured_points, metrics_markdown
from comparisons.theory_vs_data.results import (
    ResultsFileError,
    TheoryCurve,
    group_points,
    load_results,
    read_results,
    write_results_csv,
)
from confinement.errors import ParameterFileError

# Synthetic theory: g_e = 2 − 2(E − 1.8), g_h = 2(E − 1.8) on 1.8–2.2 eV (linear, so interpolation is exact).
ENERGIES = (1.8, 2.0, 2.2)


def record(e: float, **kw) -> dict:
    """A `landeg nc --json`-like record of the synthetic curve at energy e (eV)."""
    g_e, g_h = 2 - 2 * (e - 1.8), 2 * (e - 1.8)
    return {"model": "tb", "params": "toy", "shape": "cube", "edge_nm": 10 / e, "E_gap": e, "E_transition": e,
            "g_e": g_e, "g_h": g_h, "g_X": g_e + g_h, "shells": ["Pb-X"], "units": {"energies": "eV"}, **kw}


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Measured rows (landeg-measurements/1): g_h residuals +0.1 (A, σ 0.1), −0.15 (B, σ 0.05), +0.1 (end-point at
# the curve's edge, no σ); C at 2.3 eV and the end-point at 1.7 eV lie outside 1.8–2.2 eV.
MEASURED = [
    "A,lab,g_h,0.1,0.1,1,1.9,,6,text,here,",
    "B,lab,g_h,0.75,0.05,1,2.1,,6,text,here,",
    "C,lab,g_h,1.0,,1,2.3,,6,text,here,",
    ",,g_h,-0.2,,1,1.7,,6,series_endpoint,here,",
    ",,g_h,0.7,,1,2.2,,6,series_endpoint,here,",
    "A,lab,g_e,1.5,0.03,1,1.9,,6,text,here,",
]


@pytest.fixture
def measured(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "measured.csv", ",".join(COLUMNS), *MEASURED)


@pytest.fixture
def curve() -> TheoryCurve:
    return group_points(p for e in ENERGIES for p in _points(e))[0]


def _points(e: float):
    from comparisons.theory_vs_data.results import point_from_record
    yield point_from_record(record(e), "synthetic.json")


# --- results loader ----------------------------------------------------------------------------

def test_json_records_list_and_series_directory_group_into_one_sorted_curve(tmp_path):
    write_json(tmp_path / "one.json", record(2.0))
    write_json(tmp_path / "many.json", [record(2.2), record(1.8)])
    series = tmp_path / "series"
    series.mkdir()
    for n, e in ((10, 1.9), (9, 2.1)):
        write_json(series / f"point_N{n}.json", record(e))
    (curve,) = load_results([tmp_path / "one.json", tmp_path / "many.json", series])
    assert curve.key == "tb | toy | cube" and curve.label == "tb, toy (cube)"
    np.testing.assert_allclose(curve.energy_eV, [1.8, 1.9, 2.0, 2.1, 2.2])
    np.testing.assert_allclose(curve.g_h, 2 * (curve.energy_eV - 1.8), atol=1e-12)
    np.testing.assert_allclose(curve.g_X, curve.g_e + curve.g_h)
    np.testing.assert_allclose(curve.size_nm, 10 / curve.energy_eV)
    assert len(curve.sources) == 4


def test_csv_table_with_e_gap_material_and_params_and_round_trip(tmp_path):
    path = write_csv(tmp_path / "kp.csv", "# my k·p points", "model,material,params,shape,E_gap,g_e,g_h,extra",
                     "kp-sphere,CsPbI3,universal,sphere,2.0,1.6,0.4,x", "",
                     "kp-sphere,CsPbI3,universal,sphere,1.8,2.0,0.0,y")
    (curve,) = load_results([path])
    assert curve.key == "kp-sphere | CsPbI3 (universal) | sphere"
    np.testing.assert_allclose(curve.energy_eV, [1.8, 2.0])
    assert np.isnan(curve.size_nm).all()
    again = load_results([write_results_csv(tmp_path / "out.csv", [curve])])[0]
    assert again.key == curve.key
    for name in ("energy_eV", "g_e", "g_h", "g_X"):
        np.testing.assert_array_equal(getattr(again, name), getattr(curve, name))


def test_kp_records_name_the_set_by_its_label_and_keep_coulomb_variants_apart(tmp_path):
    kp = {"model": "kp", "material": "CsPbI3", "shape": "sphere", "edge_nm": 8.0, "E_gap": 1.95, "E_transition": 1.9,
          "g_e": 2.1, "g_h": 0.4, "epsilon": None, "params": {"label": "CsPbI3 (universal)", "Eg": 1.652}}
    (curve,) = load_results([write_json(tmp_path / "kp.json", [kp, {**kp, "E_transition": 2.0, "edge_nm": 6.0}])])
    assert curve.key == "kp | CsPbI3 (universal) | sphere"
    np.testing.assert_allclose(curve.energy_eV, [1.9, 2.0])          # E_transition wins over E_gap
    mixed = write_json(tmp_path / "mixed.json", [kp, {**kp, "E_transition": 2.0, "epsilon": 5.0}])
    with pytest.raises(ResultsFileError, match="field 'epsilon'"):
        load_results([mixed])


def test_identical_points_read_twice_are_kept_once(tmp_path):
    path = write_json(tmp_path / "p.json", [record(1.8), record(2.0)])
    assert len(load_results([path, path])[0].energy_eV) == 2


@pytest.mark.parametrize("content, message", [
    ({"params": "toy", "E_gap": 2.0, "g_e": 1, "g_h": 1}, "record 1, field 'model': required field is missing"),
    ({"model": "tb", "E_gap": 2.0, "g_e": 1, "g_h": 1}, "field 'params': no parameter set"),
    ({"model": "tb", "params": "toy", "g_e": 1, "g_h": 1}, "field 'E_transition': required field is missing"),
    ({"model": "tb", "params": "toy", "E_gap": 2.0, "g_h": 1}, "field 'g_e': required field"),
    ({"model": "tb", "params": "toy", "E_gap": "two", "g_e": 1, "g_h": 1}, "field 'E_gap': not a number: 'two'"),
    ({"model": "tb", "params": "toy", "E_gap": -1, "g_e": 1, "g_h": 1},
     "field 'E_gap': transition energy must be positive"),
    ({"model": "tb", "params": "toy", "E_gap": 2, "g_e": 1, "g_h": 1, "g_X": 3}, "field 'g_X': g_X = 3"),
    ({"model": "tb", "params": "toy", "E_gap": 2, "g_e": None, "g_h": 1}, "field 'g_e'"),
    ([record(2.0), [1, 2]], "record 2: a result record must be a JSON object"),
    ([], "empty list"),
])
def test_bad_json_records_name_file_record_and_field(tmp_path, content, message):
    path = write_json(tmp_path / "bad.json", content)
    with pytest.raises(ResultsFileError, match="bad.json") as err:
        read_results(path)
    assert message in str(err.value)
    assert isinstance(err.value, ParameterFileError)


@pytest.mark.parametrize("lines, message", [
    (("model,params,E_transition,g_e,g_h", "tb,toy,2.0,1,1", "tb,toy,2.1,abc,1"),
     "row 2 (line 3), field 'g_e': not a number: 'abc'"),
    (("model,params,E_transition,g_e", "tb,toy,2.0,1"), "field 'g_h': missing column"),
    (("model,params,g_e,g_h", "tb,toy,1,1"), "field 'E_transition': missing column"),
    (("model,params,E_transition,g_e,g_h,g_h", "tb,toy,2,1,1,1"), "field 'g_h': repeated column"),
    (("model,params,E_transition,g_e,g_h", "tb,toy,2.0,1"), "row 1 (line 2): has 4 fields, the header 5"),
    (("# schema: landeg-results/9", "model,params,E_transition,g_e,g_h"), "schema 'landeg-results/9'"),
    (("model,params,E_transition,g_e,g_h",), "no data rows"),
    (("model,params,E_transition,g_e,g_h", "tb,toy,2.0,1,1", "tb,toy,2.0,1,1.5"),
     "row 2 (line 3), field 'E_transition': same energy 2.0 eV"),
])
def test_bad_csv_tables_name_file_row_and_field(tmp_path, lines, message):
    path = write_csv(tmp_path / "bad.csv", *lines)
    with pytest.raises(ResultsFileError, match="bad.csv") as err:
        load_results([path])
    assert message in str(err.value)


def test_bad_paths_and_mixed_variants(tmp_path):
    with pytest.raises(ResultsFileError, match="results file not found"):
        read_results(tmp_path / "missing.json")
    with pytest.raises(ResultsFileError, match="no point_N"):
        read_results(tmp_path)
    with pytest.raises(ResultsFileError, match="unknown results format '.txt'"):
        read_results(write_csv(tmp_path / "r.txt", "x"))
    with pytest.raises(ResultsFileError, match="not valid JSON"):
        read_results(write_csv(tmp_path / "r.json", "{"))
    mixed = write_json(tmp_path / "mixed.json", [record(1.8), record(2.0, shells=["Pb-X", "X-X"])])
    with pytest.raises(ResultsFileError, match="record 2, field 'shells': shells differs"):
        load_results([mixed])


# --- interpolation and metrics -----------------------------------------------------------------

def test_interpolation_is_linear_inside_and_nan_outside(curve):
    values, inside = curve.interpolate("g_h", np.array([1.79, 1.8, 1.9, 2.2, 2.21]))
    np.testing.assert_array_equal(inside, [False, True, True, True, False])
    np.testing.assert_allclose(values[1:4], [0.0, 0.2, 0.8], atol=1e-12)
    assert np.isnan(values[[0, 4]]).all()


def test_metrics_hand_computed(curve, measured):
    m = curve_metrics([curve], load_measurements(measured))["tb | toy | cube"]
    h = m["g_h"]
    assert (h["n_used"], h["n_excluded"]) == (3, 2)
    # residuals +0.1, −0.15, +0.1 → RMS sqrt(0.0425/3); χ² = (0.1/0.1)² + (0.15/0.05)² = 10 over 2 points
    assert h["rms"] == pytest.approx(math.sqrt(0.0425 / 3), abs=1e-12)
    assert h["max_abs"]["sample"] == "B" and h["max_abs"]["residual"] == pytest.approx(-0.15, abs=1e-12)
    assert h["max_abs"]["abs_residual"] == pytest.approx(0.15, abs=1e-12)
    assert h["chi2"] == pytest.approx(10.0, abs=1e-9) and h["n_chi2"] == 2
    assert h["reduced_chi2"] == pytest.approx(5.0, abs=1e-9)
    end = h["high_energy_end"]   # highest used point: the series end-point at the curve's edge, 2.2 eV
    assert end["series_endpoint"] and end["energy_eV"] == 2.2 and end["residual"] == pytest.approx(0.1, abs=1e-12)
    assert end["at_highest_measured"] is False          # C at 2.3 eV lies outside the curve
    excluded = [p for p in h["points"] if not p["used"]]
    assert [p["energy_eV"] for p in excluded] == [1.7, 2.3]
    assert all("outside the theory range" in p["excluded"] and "theory" not in p for p in excluded)
    assert [p["series_endpoint"] for p in h["points"]] == [True, False, False, True, False]
    # g_e: one point (A), no extrapolation needed; theory 1.8, residual 0.3, χ² = (0.3/0.03)² = 100
    e = m["g_e"]
    assert e["n_used"] == 1 and e["rms"] == pytest.approx(0.3, abs=1e-12) and e["chi2"] == pytest.approx(100.0)
    # g_X: derived from A's g_e + g_h at 1.9 eV: 1.6 ± hypot(0.03, 0.1); theory 2.0
    x = m["g_X"]
    (p,) = x["points"]
    assert p["kind"] == "derived" and p["measured"] == pytest.approx(1.6)
    assert p["uncertainty"] == pytest.approx(math.hypot(0.03, 0.1))
    assert x["chi2"] == pytest.approx(0.4**2 / (0.03**2 + 0.1**2), rel=1e-12)
    assert m["curve"]["energy_range_eV"] == [1.8, 2.2] and m["curve"]["n_points"] == 3


def test_metrics_without_usable_points_and_markdown(curve, tmp_path):
    table = load_measurements(write_csv(tmp_path / "far.csv", ",".join(COLUMNS), "A,lab,g_e,1.0,,1,2.5,,6,text,here,"))
    m = curve_metrics([curve], table)["tb | toy | cube"]
    assert m["g_e"]["n_used"] == 0 and m["g_e"]["n_excluded"] == 1
    assert m["g_e"]["rms"] is None and m["g_e"]["max_abs"] is None and m["g_e"]["high_energy_end"] is None
    assert m["g_h"]["points"] == [] and m["g_h"]["n_excluded"] == 0
    text = metrics_markdown({"tb | toy | cube": m})
    assert "| tb \\| toy \\| cube | g_e | 0 | 1 | – |" in text and "excluded" in text


def test_bundled_points_keep_series_endpoints_flagged():
    pts = measured_points(load_measurements(), "g_h")
    assert list(pts.energy_eV) == [1.69, 1.911, 2.25]
    assert list(pts.series_endpoint) == [True, False, True]
    assert [pts.who(i) for i in range(3)] == ["(#1)", "#4", "(#6)"]          # inferred samples in parentheses


def test_default_population_leaves_other_sample_types_out():
    """g_X: only the glass samples' g_e + g_h (#1 inferred at 1.69 eV, #4 at 1.911 eV); the solution-grown
    NCs at 200 K (the paper's ref. 25) only when that population is asked for."""
    table = load_measurements()
    gx = measured_points(table, "g_X")
    assert [(k, s, a, round(v, 3)) for k, s, a, v in zip(gx.kind, gx.sample, gx.assignment, gx.value)] == [
        ("derived", "#1", "inferred", 2.11), ("derived", "#4", "stated", 2.32)]
    solution = measured_points(table, "g_X", ["solution-200K"])
    assert list(solution.value) == [2.29] and solution.code == ("solution-NC",)
    assert len(measured_points(table, "g_X", None)) == 3                     # every population


def test_a_measurement_stated_twice_is_used_once():
    """'g_e decreases ... to +1.4 at 1.91 eV' is sample #4's 1.41 at 1.911 eV rounded: the stated row is
    used, the end-point is listed as its duplicate (it would otherwise count #4 twice)."""
    pts = measured_points(load_measurements(), "g_e")
    assert list(pts.value) == [2.3, 1.4, 1.41] and list(pts.duplicate_of) == [-1, 2, -1]
    e = np.array([1.6, 2.4])
    wide = TheoryCurve("tb", "wide", "cube", e, np.array([2.0, 1.0]), np.array([0.0, 1.0]), np.array([2.0, 2.0]),
                       np.full(2, np.nan))
    g_e = curve_metrics([wide], load_measurements())["tb | wide | cube"]["g_e"]
    assert (g_e["n_used"], g_e["n_excluded"], g_e["n_duplicates"]) == (2, 1, 1)
    (dup,) = [p for p in g_e["points"] if not p["used"]]
    assert dup["energy_eV"] == 1.91 and dup["excluded"].startswith("duplicate of #4 (text) at 1.911 eV")
    assert g_e["populations"] == ["glass-6K"]


def test_theory_minus_bulk_per_point_and_summary(curve, measured):
    """At every used point g(theory) − g_bulk(E) of the bulk curve at Eg = E (K22 closed forms)."""
    bulk = bulk_curve()
    m = curve_metrics([curve, bulk], load_measurements(measured), bulk=bulk)
    h = m["tb | toy | cube"]["g_h"]
    p2 = 6.8**2 / 7.61996

    def bulk_g_h(e):
        return 2 - 4 / 3 * p2 * (1 / e - 1 / (e + 1.5))

    used = [p for p in h["points"] if p["used"]]
    expected = [2 * (p["energy_eV"] - 1.8) - bulk_g_h(p["energy_eV"]) for p in used]
    assert [p["theory_minus_bulk"] for p in used] == pytest.approx(expected, abs=1e-4)   # 5 meV bulk grid
    summary = h["theory_minus_bulk"]
    assert summary["reference"] == "kp-bulk | universal | bulk" and summary["n"] == 3
    assert summary["mean"] == pytest.approx(np.mean(expected), abs=1e-4)
    assert (summary["min"], summary["max"]) == pytest.approx((min(expected), max(expected)), abs=1e-4)
    assert summary["high_energy_end"] == pytest.approx(expected[-1], abs=1e-4)
    assert all("theory_minus_bulk" not in p for p in h["points"] if not p["used"])
    assert "theory_minus_bulk" not in m["kp-bulk | universal | bulk"]["g_h"]      # not against itself
    text = metrics_markdown(m)
    assert "theory − bulk" in text and f"{summary['mean']:+.3f} ({summary['min']:+.3f} to" in text


def _shifted(curve: TheoryCurve, name: str, dg_h: float, energies: np.ndarray) -> TheoryCurve:
    """The toy curve moved by dg_h in g_h, sampled at ``energies`` (a variant with its own range)."""
    g_e, g_h = 2 - 2 * (energies - 1.8), 2 * (energies - 1.8) + dg_h
    return TheoryCurve("tb", name, "cube", energies, g_e, g_h, g_e + g_h, np.full(energies.shape, np.nan),
                       model_id=name)


def test_systematic_band_is_min_max_inside_the_common_range_only(curve, measured):
    from comparisons.theory_vs_data.systematics import resolve_systematics

    up = _shifted(curve, "toy-up", 0.1, np.array([1.85, 2.0, 2.2]))
    down = _shifted(curve, "toy-down", -0.05, np.array([1.75, 2.15]))
    (band,) = resolve_systematics([curve, up, down], {"toy": ["toy-up", "toy-down"]})   # 'toy': parameter set
    assert band.energy_range == (1.85, 2.15)                          # common to the three curves
    low, high, inside = band.envelope("g_h", np.array([1.84, 1.9, 2.1, 2.16]))
    np.testing.assert_array_equal(inside, [False, True, True, False])  # never extrapolated
    np.testing.assert_allclose(low[1:3], [0.2 - 0.05, 0.6 - 0.05], atol=1e-12)
    np.testing.assert_allclose(high[1:3], [0.2 + 0.1, 0.6 + 0.1], atol=1e-12)
    assert np.isnan(low[[0, 3]]).all()
    grid = band.grid()
    assert grid[0] == 1.85 and grid[-1] == 2.15 and np.all(np.diff(grid) > 0)
    m = curve_metrics([curve, up, down], load_measurements(measured), bands=[band])
    central = m["tb | toy | cube"]
    assert central["systematics"]["variants"] == ["tb | toy-up | cube", "tb | toy-down | cube"]
    a, b, end = [p for p in central["g_h"]["points"] if p["used"]]      # 1.9, 2.1 eV and the 2.2 eV end-point
    assert (a["systematic_low"], a["systematic_high"]) == pytest.approx((0.15, 0.3), abs=1e-12)
    assert b["systematic_half_width"] == pytest.approx(0.075, abs=1e-12)
    assert end["systematic_low"] is None and end["systematic_high"] is None      # 2.2 eV: outside 1.85–2.15
    assert central["g_h"]["systematics"] == {"n_inside": 2, "max_half_width": pytest.approx(0.075, abs=1e-12)}
    assert "systematic_low" not in m["tb | toy-up | cube"]["g_h"]["points"][1]
    assert "band (low to high)" in metrics_markdown(m)


@pytest.mark.parametrize("spec, message", [
    ({"toy": ["nope"]}, "unknown variant model id 'nope'"),
    ({"nope": ["toy-up"]}, "unknown central model id 'nope'"),
    ({"toy": []}, "has no variants"),
    ({"toy": ["toy"]}, "variant of itself"),
    ({"tb": ["toy-up"]}, "central model 'tb' has 2 curves"),   # two curves of model id 'tb': no single centre
])
def test_systematics_refuse_unknown_or_ambiguous_ids(curve, spec, message):
    from comparisons.theory_vs_data.systematics import resolve_systematics
    from confinement.errors import ParameterError

    up = _shifted(curve, "toy-up", 0.1, np.array([1.85, 2.2]))
    twin = TheoryCurve("kp", "tb", "sphere", up.energy_eV, up.g_e, up.g_h, up.g_X, up.size_nm, model_id="tb")
    other = TheoryCurve("kp", "tb2", "sphere", up.energy_eV, up.g_e, up.g_h, up.g_X, up.size_nm, model_id="tb")
    with pytest.raises(ParameterError, match=message):
        resolve_systematics([curve, up, twin, other], spec)


def test_systematics_command_line_syntax():
    from comparisons.theory_vs_data.systematics import parse_systematics
    from confinement.errors import ParameterError

    assert parse_systematics(["etb=etb-shift, etb-coulomb", "kp=kp2"]) == {"etb": ["etb-shift", "etb-coulomb"],
                                                                           "kp": ["kp2"]}
    for bad in ("etb", "=x", "etb=", "etb= ,"):
        with pytest.raises(ParameterError, match="CENTRAL=VARIANT"):
            parse_systematics([bad])
    with pytest.raises(ParameterError, match="central model 'etb' given twice"):
        parse_systematics(["etb=a", "etb=b"])


def test_bulk_curve_is_k22_at_eg_equal_e():
    c = bulk_curve(energies_eV=np.array([1.9, 2.2]))
    p2 = 6.8**2 / 7.61996   # (ħp/m0)²/(ħ²/m0) = p²/m0 in eV
    np.testing.assert_allclose(c.g_h, 2 - 4 / 3 * p2 * (1 / c.energy_eV - 1 / (c.energy_eV + 1.5)), atol=1e-4)
    np.testing.assert_allclose(c.g_e, -2 / 3 + 4 / 3 * p2 / c.energy_eV - 1, atol=1e-4)
    assert c.key == "kp-bulk | universal | bulk"


# --- figures and command -----------------------------------------------------------------------

def _check_axes(fig) -> None:
    for ax in fig.axes:
        assert ax.get_ylabel()
        assert any(len(line.get_xdata()) for line in ax.get_lines())
    assert "(eV)" in fig.axes[-1].get_xlabel()


def test_figures_are_labelled_and_not_empty(curve, measured):
    table = load_measurements(measured)
    bulk = bulk_curve(energies_eV=np.linspace(1.6, 2.4, 9))
    metrics = curve_metrics([curve, bulk], table)
    for fig in (g_vs_energy_figure([curve], bulk, table), gx_figure([curve], bulk, table), residual_figure(metrics)):
        _check_axes(fig)
        legend = " ".join(t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts())
        assert "tb, toy (cube)" in legend and "bulk k·p" in legend
        style.close(fig)


def _legend(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def _annotations(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _marker_at(fig, x: float, y: float):
    """The plotted marker line at (x, y) (a measured point)."""
    found = [line for ax in fig.axes for line in ax.get_lines()
             if len(line.get_xdata()) == 1 and np.isclose(line.get_xdata()[0], x)
             and np.isclose(line.get_ydata()[0], y)]
    assert found, f"no marker at ({x}, {y})"
    return found[0]


def test_figures_label_every_sample_of_the_bundled_data_once():
    """Each stated or inferred value carries its sample (#4 filled; (#1), (#6) hollow: inferred); the legend
    names each sample with a value once, and the samples without a stated value (#2, #3, #5)."""
    from matplotlib.colors import to_rgba

    table = load_measurements()
    run_like = TheoryCurve("kp", "kp-sphere", "sphere", np.array([1.6, 2.4]), np.array([2.5, 1.0]),
                           np.array([-0.3, 1.2]), np.array([2.2, 2.2]), np.full(2, np.nan), model_id="kp-sphere")
    bulk = bulk_curve()
    fig = g_vs_energy_figure([run_like], bulk, table)
    legend = _legend(fig)
    assert len(legend) == len(set(legend)), legend                     # every entry once
    assert {"#1 (EK31)", "#4 (EK201)", "#6 (EK203)", "no value in the data: #2, #3, #5"} <= set(legend)
    assert "kp-sphere" in legend and not any("kp, kp-sphere" in t for t in legend)   # short, not repeated
    assert sorted(_annotations(fig)) == ["#4", "#4", "(#1)", "(#1)", "(#6)"]       # g_e and g_h of #1, #4; g_h of #6
    assert to_rgba(_marker_at(fig, 1.69, 2.3).get_markerfacecolor()) == to_rgba("white")     # inferred: hollow
    assert to_rgba(_marker_at(fig, 1.911, 1.41).get_markerfacecolor()) == to_rgba(style.COLORS["g_e"])
    assert _marker_at(fig, 1.911, 1.41).get_marker() == "^" and _marker_at(fig, 2.25, 1.69).get_marker() == "p"
    with pytest.raises(AssertionError):
        _marker_at(fig, 1.91, 1.4)                                      # the duplicate is not drawn
    style.close(fig)
    gx = gx_figure([run_like], bulk, table)
    assert not any("solution" in t or "bulk-Ko23" in t for t in _legend(gx) + _annotations(gx))
    with pytest.raises(AssertionError):
        _marker_at(gx, 1.812, 2.29)                                     # another population: not by default
    style.close(gx)
    shown = gx_figure([run_like], bulk, table, show=["solution-200K", "bulk"])
    legend = _legend(shown)
    assert "solution-200K: shown, not in the metrics" in legend and len(legend) == len(set(legend))
    assert _marker_at(shown, 1.812, 2.29).get_marker() == "*"
    assert any("bulk-Ko23" in t for t in legend)                        # the Ko23 range, drawn on request
    style.close(shown)


def test_residuals_of_different_curves_at_one_energy_stay_apart(curve, measured):
    from comparisons.theory_vs_data.figures import RESIDUAL_OFFSET_EV

    table = load_measurements(measured)
    other = TheoryCurve("kp", "kp-x", "sphere", curve.energy_eV, curve.g_e, curve.g_h + 0.001, curve.g_X + 0.001,
                        curve.size_nm)
    bulk = bulk_curve()
    fig = residual_figure(curve_metrics([curve, other, bulk], table), table)
    xs = sorted(line.get_xdata()[0] for line in fig.axes[1].get_lines()
                if len(line.get_xdata()) == 1 and abs(line.get_xdata()[0] - 1.9) < 0.05)
    assert len(xs) == 3 and np.diff(xs) == pytest.approx([RESIDUAL_OFFSET_EV] * 2, abs=1e-12)
    colours = {tuple(line.get_color()) if not isinstance(line.get_color(), str) else line.get_color()
               for line in fig.axes[1].get_lines() if len(line.get_xdata()) == 1}
    assert len(colours) == 3                                            # one colour per curve
    legend = _legend(fig)
    assert len(legend) == len(set(legend)) and {"tb, toy (cube)", "kp-x (sphere)"} <= set(legend)
    style.close(fig)


def test_band_is_drawn_inside_the_common_range_and_variants_not_as_lines(curve, measured):
    from matplotlib.collections import PolyCollection

    from comparisons.theory_vs_data.systematics import resolve_systematics

    up = _shifted(curve, "toy-up", 0.1, np.array([1.85, 2.0, 2.2]))
    bands = resolve_systematics([curve, up], {"toy": ["toy-up"]})
    fig = g_vs_energy_figure([curve, up], None, load_measurements(measured), bands=bands)
    (ax,) = fig.axes
    (patch, *_), = [c.get_paths() for c in ax.collections if isinstance(c, PolyCollection)][:1]
    x = patch.vertices[:, 0]
    assert x.min() == pytest.approx(1.85) and x.max() == pytest.approx(2.2)
    legend = _legend(fig)
    assert "toy-up" not in legend and any(t.startswith("shaded: tb, toy (cube) with its systematics") for t in legend)
    style.close(fig)


def test_cli_end_to_end(tmp_path, measured, capsys):
    results = write_json(tmp_path / "nc.json", [record(e) for e in ENERGIES])
    table = write_results_csv(tmp_path / "kp.csv", [TheoryCurve("kp-sphere", "toy-kp", "sphere", np.array([1.7, 2.3]),
                                                                np.array([2.0, 1.0]), np.array([0.0, 0.6]),
                                                                np.array([2.0, 1.6]), np.array([8.0, 4.0]))])
    out = tmp_path / "cmp"
    assert main(["compare", str(results), str(table), "--no-bundled", "--data", str(measured),
                 "--out", str(out), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert list(metrics) == ["tb | toy | cube", "kp-sphere | toy-kp | sphere", "kp-bulk | universal | bulk"]
    assert set(metrics["tb | toy | cube"]) == {"curve", "g_e", "g_h", "g_X"}
    assert metrics["tb | toy | cube"]["g_h"]["chi2"] == pytest.approx(10.0)
    assert metrics["kp-sphere | toy-kp | sphere"]["g_h"]["n_used"] == 5   # 1.7–2.3 eV covers every g_h row
    names = {p.name for p in out.iterdir()}
    assert {"metrics.json", "metrics.md", "theory_curves.csv", "bulk_kp.csv"} <= names
    assert {f"{s}.{f}" for s in ("g_vs_energy", "gX_vs_energy", "residuals") for f in ("png", "pdf")} <= names
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["curves"] == metrics and saved["schema"] == "landeg-metrics/1"
    before = (out / "residuals.png").stat().st_mtime_ns
    assert len(redraw(out, formats=("png",))) == 3 and (out / "residuals.png").stat().st_mtime_ns >= before
    # the saved curves are a valid results input
    assert [c.key for c in load_results([out / "theory_curves.csv"])] == list(metrics)[:2]


def test_cli_errors_exit_2_naming_the_file(tmp_path, capsys):
    bad = write_json(tmp_path / "bad.json", {"model": "tb", "params": "toy", "E_gap": 2.0, "g_h": 1})
    assert main(["compare", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.json: record 1, field 'g_e'" in capsys.readouterr().err
    assert main(["compare", "--no-bundled", "--out", str(tmp_path / "o")]) == 2
    assert "no measured data" in capsys.readouterr().err
    assert main(["compare", "--formats", "gif", "--out", str(tmp_path / "o")]) == 2
    assert "figure formats" in capsys.readouterr().err


def test_cli_population_show_and_systematics_flags(tmp_path, capsys):
    """`landeg compare --population/--show-population/--systematics`: metrics of the population asked for,
    the others drawn only, the band reported for the central curve, all of it redrawn from the saved files."""
    curves = [TheoryCurve("tb", name, "cube", np.array([1.6, 2.4]), np.array([2.5, 1.0]) + dg,
                          np.array([-0.3, 1.2]) + dg, np.array([2.2, 2.2]) + 2 * dg, np.full(2, np.nan), model_id=name)
              for name, dg in (("etb", 0.0), ("etb-shift", 0.1))]
    results = write_results_csv(tmp_path / "r.csv", curves)
    out = tmp_path / "cmp"
    assert main(["compare", str(results), "--out", str(out), "--show-population", "solution-200K",
                 "--systematics", "etb=etb-shift", "--formats", "png"]) == 0
    printed = capsys.readouterr().out
    assert "Measured population: **glass-6K**" in printed and "band ±" in printed
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["populations"] == ["glass-6K"]
    gx = saved["curves"]["tb | etb | cube"]["g_X"]
    assert [p["energy_eV"] for p in gx["points"]] == [1.69, 1.911]      # 1.812 eV (solution-grown) left out
    assert gx["points"][0]["systematic_high"] - gx["points"][0]["systematic_low"] == pytest.approx(0.2)
    assert saved["metadata"]["inputs"]["systematics"] == {"etb": ["etb-shift"]}
    assert len(redraw(out, formats=("png",))) == 3
    assert main(["compare", str(results), "--out", str(out), "--population", "solution-200K", "--json"]) == 0
    only = json.loads(capsys.readouterr().out)["tb | etb | cube"]["g_X"]
    assert [p["energy_eV"] for p in only["points"]] == [1.812] and only["populations"] == ["solution-200K"]


@pytest.mark.parametrize("extra, message", [
    (["--population", "glas-6K"], "measured population 'glas-6K' has no rows in the data; populations there: "
                                  "glass-6K, glass-M24, solution-200K, bulk"),
    (["--show-population", "glass-6K"], "population 'glass-6K' is both compared and only shown"),
    (["--systematics", "etb"], "--systematics expects CENTRAL=VARIANT"),
    (["--systematics", "etb=nope"], "systematics: unknown variant model id 'nope'"),
])
def test_cli_bad_population_or_systematics_exit_2(tmp_path, capsys, extra, message):
    results = write_json(tmp_path / "nc.json", [record(e) | {"model_id": "etb"} for e in ENERGIES])
    assert main(["compare", str(results), "--out", str(tmp_path / "o"), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
