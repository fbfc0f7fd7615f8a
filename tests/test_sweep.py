"""Config-driven sweeps: validation with key paths, per-point cache, resume, executors, quick example."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from comparisons.cli import main
from comparisons.sweeps import runner, sweep
from comparisons.sweeps.config import load_config
from comparisons.sweeps.sweep_config import RunConfig
from confinement.errors import ConfigError
from confinement.io import read_table

ROOT = Path(__file__).resolve().parents[1]
PHYSICS = ("E_transition", "g_e", "g_h", "g_X")

KP_TB = """
[[models]]
id = "kp"
kind = "kp"
material = "CsPbI3"
shape = "sphere"
n_radial = 12
[models.sweep]
edge_nm = [4.0, 6.0, 9.0]

[[models]]
id = "tb"
kind = "tb"
params = "CsPbI3-N21-exp"
[models.sweep]
n_pb = [2]
passivation_shift = ["inf", 100.0]

[compare]
enabled = false

[output]
dir = "unused"
"""


def config_from(tmp_path: Path, text: str, name: str = "run.toml") -> RunConfig:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load_config(path, RunConfig)


def physics(out: Path) -> dict[str, tuple]:
    table = read_table(out / "results.csv")
    return {k: tuple(float(table[c][i]) for c in PHYSICS) for i, k in enumerate(table["key"])}


@pytest.mark.parametrize("snippet, message", [
    ('[run]\nworkerz = 2\n', "run.workerz: unknown key"),
    ('[run]\nworkers = "two"\n', "run.workers"),
    ('[run]\ntol = -1e-9\n', "run.tol"),
])
def test_structural_errors_name_the_key(tmp_path, snippet, message):
    with pytest.raises(ConfigError, match=message):
        config_from(tmp_path, snippet + KP_TB)


def test_missing_required_sections_are_named(tmp_path):
    with pytest.raises(ConfigError, match="output: Field required"):
        config_from(tmp_path, KP_TB.replace('[output]\ndir = "unused"\n', ""))
    with pytest.raises(ConfigError, match=r"models\[1\].tb.shapes: unknown key"):
        config_from(tmp_path, KP_TB.replace('params = "CsPbI3-N21-exp"', 'params = "CsPbI3-N21-exp"\nshapes = "cube"'))


@pytest.mark.parametrize("old, new, message", [
    ('material = "CsPbI3"', 'material = "CsPbXX"', r"models\[0\] \(kp\).material: unknown material 'CsPbXX'"),
    ("edge_nm = [4.0, 6.0, 9.0]", "edge_nm = [4.0, -6.0]", r"models\[0\] \(kp\).sweep.edge_nm: sizes must be positive"),
    ('params = "CsPbI3-N21-exp"', 'params = "CsPbI3-N99"', r"models\[1\] \(tb\).params: unknown tight-binding"),
    ("n_pb = [2]", "n_pb = [2, 0]", r"models\[1\] \(tb\).sweep.n_pb: Pb per edge must be an integer"),
    ("n_pb = [2]", 'n_pb = [2]\n"hopping.Pb-X.sPb_pX_sigmaa" = [1.0]', r"models\[1\] \(tb\).sweep.hopping.Pb-X"),
    ("n_pb = [2]", "n_pb = [2]\nstrength = [1.0]", r"models\[1\] \(tb\).sweep.strength: unknown axis"),
])
def test_impossible_values_are_refused_before_any_work(tmp_path, old, new, message):
    config = config_from(tmp_path, KP_TB.replace(old, new))
    with pytest.raises(ConfigError, match=message):
        sweep.plan(config)


def test_zip_and_product_and_point_keys(tmp_path):
    text = KP_TB.replace("edge_nm = [4.0, 6.0, 9.0]", "edge_nm = [4.0, 6.0]\nDelta = [1.4, 1.5]")
    product = sweep.plan(config_from(tmp_path, text))
    zipped = sweep.plan(config_from(tmp_path, text.replace('n_radial = 12', 'n_radial = 12\ncombine = "zip"')))
    assert sum(p.model_id == "kp" for p in product) == 4 and sum(p.model_id == "kp" for p in zipped) == 2
    again = sweep.plan(config_from(tmp_path, text))
    assert [p.key for p in again] == [p.key for p in product]            # keys are deterministic
    assert len({p.key for p in product}) == len(product)
    with pytest.raises(ConfigError, match="equal length"):
        config_from(tmp_path, text.replace("Delta = [1.4, 1.5]", "Delta = [1.4]").replace(
            'n_radial = 12', 'n_radial = 12\ncombine = "zip"'))


def test_cache_hit_miss_and_invalidation_by_parameter(tmp_path):
    out = tmp_path / "out"
    config = config_from(tmp_path, KP_TB)
    first = runner.run_sweep(config, out, progress=lambda *a: None)
    assert (first.n_computed, first.n_cached) == (5, 0)
    again = runner.run_sweep(config, out, progress=lambda *a: None)
    assert (again.n_computed, again.n_cached) == (0, 5)
    # a changed k·p parameter recomputes the k·p points only; a changed TB integral the TB points only
    changed = config_from(tmp_path, KP_TB.replace('n_radial = 12', 'n_radial = 12\noverrides = { Delta = 1.45 }'))
    assert runner.run_sweep(changed, out, progress=lambda *a: None).n_computed == 3
    tb_changed = config_from(tmp_path, KP_TB.replace(
        'params = "CsPbI3-N21-exp"', 'params = "CsPbI3-N21-exp"\noverrides = { "onsite.X.p" = -2.0 }'))
    result = runner.run_sweep(tb_changed, out, progress=lambda *a: None)
    assert (result.n_computed, result.n_cached) == (2, 3)


def test_interrupted_run_keeps_finished_points_and_resumes(tmp_path, monkeypatch):
    out = tmp_path / "out"
    config = config_from(tmp_path, KP_TB)
    real = sweep.evaluate_point
    calls = []

    def interrupted(point):
        if len(calls) == 3:
            raise KeyboardInterrupt          # the user presses Ctrl-C during the fourth point
        calls.append(point.key)
        return real(point)

    monkeypatch.setattr(runner, "evaluate_point", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runner.run_sweep(config, out, progress=lambda *a: None)
    assert len(list((out / "points").glob("*.json"))) == 3
    assert not list((out / "points").glob(".*.tmp"))                  # no half-written files
    monkeypatch.setattr(runner, "evaluate_point", real)
    resumed = runner.run_sweep(config, out, progress=lambda *a: None)
    assert (resumed.n_cached, resumed.n_computed) == (3, 2)


def test_failed_point_is_reported_not_cached(tmp_path, monkeypatch):
    from confinement.errors import ConvergenceError

    out = tmp_path / "out"
    config = config_from(tmp_path, KP_TB)
    real = sweep.evaluate_point

    def flaky(point):
        if point.coords.get("passivation_shift") == 100.0:
            raise ConvergenceError("residuals 1e-3 exceed tol")
        return real(point)

    monkeypatch.setattr(runner, "evaluate_point", flaky)
    with pytest.raises(runner.SweepError,
                       match=r"(?s)1 of 5 points failed.*tb n_pb=2 passivation_shift=100.0: ConvergenceError"):
        runner.run_sweep(config, out, progress=lambda *a: None)
    assert len(read_table(out / "results.csv")["key"]) == 4
    monkeypatch.setattr(runner, "evaluate_point", real)
    assert runner.run_sweep(config, out, progress=lambda *a: None).n_computed == 1


def test_process_pool_and_dask_equal_the_serial_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    text = KP_TB.replace('passivation_shift = ["inf", 100.0]', "")
    serial, pool, dask = (tmp_path / n for n in ("serial", "pool", "dask"))
    config = config_from(tmp_path, text)
    runner.run_sweep(config, serial, progress=lambda *a: None)
    runner.run_sweep(config, pool, workers=2, progress=lambda *a: None)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        runner.run_sweep(config, dask, scheduler=client, progress=lambda *a: None)
    reference = physics(serial)
    for other in (pool, dask):
        result = physics(other)
        assert result.keys() == reference.keys()
        for key in reference:
            np.testing.assert_allclose(result[key], reference[key], rtol=0, atol=1e-10)


def test_quick_example_end_to_end(tmp_path, capsys):
    out = tmp_path / "quick"
    assert main(["run", str(ROOT / "examples" / "quick.toml"), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["points"] == summary["computed"] == 9
    table = read_table(out / "results.csv")
    g_x = np.array(table["g_X"], float)
    assert np.allclose(g_x, np.array(table["g_e"], float) + np.array(table["g_h"], float))
    kp_energies = [float(e) for e, m in zip(table["E_transition"], table["model_id"]) if m == "kp-sphere"]
    assert all(a > b for a, b in zip(kp_energies, kp_energies[1:]))         # larger NC, smaller energy
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["config"]["models"][1]["params"] == "CsPbI3-N21-exp" and len(meta["points"]) == 9
    assert all(p["params_sha256"] for p in meta["points"] if p["model_id"] == "etb")
    assert (out / "compare" / "g_vs_energy.png").stat().st_size > 10_000
    assert main(["validate", str(ROOT / "examples" / "quick.toml")]) == 0


def test_config_reference_in_docs_is_generated_from_the_schema():
    """docs/config_reference.md must equal the text generated from the pydantic schema."""
    from comparisons.sweeps.config_reference import markdown_reference

    committed = (ROOT / "docs" / "config_reference.md").read_text(encoding="utf-8")
    assert committed == markdown_reference(), \
        "regenerate: python -m comparisons.sweeps.config_reference > docs/config_reference.md"


def test_second_neighbour_family_points_use_refitted_sets(tmp_path):
    """xx_strength sweeps run each strength on its refitted set (bulk targets held), cached."""
    text = """
    [[models]]
    id = "xx"
    kind = "tb"
    params = "CsPbI3-N21-exp"
    [models.second_neighbour]
    ratio = -0.25
    [models.sweep]
    xx_strength = [0.0, 0.1]
    n_pb = [2]

    [compare]
    enabled = false

    [output]
    dir = "unused"
    """
    config = config_from(tmp_path, text)
    out = tmp_path / "out"
    summary = runner.run_sweep(config, out, progress=lambda *a: None)
    assert summary.n_computed == 2
    family = read_table(next((out / "refits").glob("second_neighbour-*/family.csv")))
    assert family["refit"] == ["ok", "ok"]
    assert max(abs(float(e) - float(family["Eg"][0])) for e in family["Eg"]) < 0.005     # Eg(R) held (eV)
    labels = read_table(out / "results.csv")["label"]
    assert labels == ["xx xx_strength=0.0", "xx xx_strength=0.1"]
    assert runner.run_sweep(config, out, progress=lambda *a: None).n_cached == 2   # refits and points reused


def test_validate_checks_family_configs_without_refitting(tmp_path, capsys):
    """`landeg validate` resolves names and counts points, but runs no refit (it must be quick)."""
    path = tmp_path / "family.toml"
    path.write_text(textwrap.dedent("""
    [[models]]
    id = "xx"
    kind = "tb"
    [models.second_neighbour]
    [models.sweep]
    xx_strength = [0.0, 0.4]
    n_pb = [4, 6]
    [output]
    dir = "%s"
    """ % (tmp_path / "out")))
    assert main(["validate", str(path)]) == 0
    assert "valid; 4 points" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


# --- Ctrl-C, the measured data of [compare], systematics --------------------------------------------

def _write_config(tmp_path: Path, text: str, name: str = "run.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_ctrl_c_prints_one_line_and_exits_130_then_resumes(tmp_path, monkeypatch, capsys):
    path = _write_config(tmp_path, KP_TB)
    out = tmp_path / "out"
    real = sweep.evaluate_point
    calls = []

    def interrupted(point):
        if len(calls) == 3:
            raise KeyboardInterrupt          # Ctrl-C while numpy works on the fourth point
        calls.append(point.key)
        return real(point)

    monkeypatch.setattr(runner, "evaluate_point", interrupted)
    assert main(["run", str(path), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == ("landeg run: interrupted after 3 of 5 points; rerun the same command "
                                            "to resume")
    monkeypatch.setattr(runner, "evaluate_point", real)
    assert main(["run", str(path), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["cached"], summary["computed"]) == (3, 2)


def test_ctrl_c_stops_the_worker_processes(tmp_path, capfd):
    """With a process pool, Ctrl-C reaches the main process only: it terminates the workers (none left,
    no worker traceback) and reports the points cached so far."""
    import multiprocessing
    import os
    import signal

    config = config_from(tmp_path, KP_TB.replace("edge_nm = [4.0, 6.0, 9.0]",
                                                 "edge_nm = { start = 4.0, stop = 16.0, step = 0.25 }"))

    def press_ctrl_c(point, record, error):       # after the first point is cached
        os.kill(os.getpid(), signal.SIGINT)

    before = set(multiprocessing.active_children())          # (e.g. left by a Dask cluster of another test)
    with pytest.raises(runner.SweepInterrupted) as info:
        runner.run_sweep(config, tmp_path / "out", workers=2, progress=press_ctrl_c)
    # The signal is sent after the first point is cached; on a loaded machine another worker may
    # finish its point before the main process handles it, so "done" is 1 or a few, never all,
    # and every completed point (and only those) is on disk.
    assert 1 <= info.value.done < info.value.total == 51
    assert len(list((tmp_path / "out" / "points").glob("*.json"))) == info.value.done
    assert [p for p in multiprocessing.active_children() if p not in before] == []   # the workers are gone
    assert "Traceback" not in capfd.readouterr().err


def kp_model(model_id: str, edges: str, extra: str = "") -> str:
    """The TOML of a small k·p sphere model (12 radial functions: fast)."""
    return (f'[[models]]\nid = "{model_id}"\nkind = "kp"\nmaterial = "CsPbI3"\nn_radial = 12\n{extra}'
            f'[models.sweep]\nedge_nm = {edges}\n')


DATA_CONFIG = kp_model("kp", "[6.0, 9.0]") + """
[compare]
data = ["%s"]

[output]
dir = "%s"
"""


@pytest.mark.parametrize("content, message", [
    (None, "compare: {path}: measurement file not found"),
    ("sample,code\n", "compare: {path}: line 1, field 'quantity': missing column"),
])
def test_validate_and_run_refuse_a_missing_or_broken_data_file_before_any_work(tmp_path, capsys, content, message):
    data = tmp_path / "mine.csv"
    if content is not None:
        data.write_text(content)
    out = tmp_path / "out"
    path = _write_config(tmp_path, DATA_CONFIG % (data, out))
    for command in ("validate", "run"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"landeg {command}: error: {message.format(path=data)}")
    assert not out.exists()                                             # nothing was computed


def test_validate_checks_populations_and_systematics_by_name(tmp_path, capsys):
    base = KP_TB.replace("[compare]\nenabled = false\n", "")
    cases = [
        ('[compare]\npopulations = ["glas-6K"]\n', "measured population 'glas-6K' has no rows"),
        ('[compare.systematics]\nkp = ["tbb"]\n', "compare.systematics: unknown model id 'tbb'; models: kp, tb"),
        ('[compare.systematics]\nnope = ["tb"]\n', "unknown model id 'nope'"),
        ('[compare.systematics]\ntb = ["kp"]\n', "central model 'tb' sweeps 'passivation_shift' besides its size"),
        ('[compare.systematics]\nkp = []\n', "central model 'kp' has no variants"),
    ]
    for i, (section, message) in enumerate(cases):
        path = _write_config(tmp_path, base + section, f"c{i}.toml")
        assert main(["validate", str(path)]) == 2
        assert message in capsys.readouterr().err
    good = _write_config(tmp_path, base + '[compare]\nshow_populations = ["solution-200K"]\n'
                                          '[compare.systematics]\nkp = ["tb"]\n', "good.toml")
    assert main(["validate", str(good)]) == 0


def test_run_draws_the_band_of_its_systematics(tmp_path):
    """A k·p sphere curve and its Coulomb-shifted variant (epsilon = 10): the run's comparison reports the
    band at the measured points inside the common range."""
    edges = "[5.0, 7.0, 10.0, 14.0]"
    text = kp_model("kp", edges) + kp_model("kp-coulomb", edges, "epsilon = 10.0\n") + """
[compare.systematics]
kp = ["kp-coulomb"]

[output]
dir = "unused"
formats = ["png"]
"""
    summary = runner.run_sweep(config_from(tmp_path, text), tmp_path / "out", progress=lambda *a: None)
    central = summary.metrics["kp | kp | sphere"]
    assert central["systematics"]["variants"] == ["kp | kp-coulomb | sphere"]
    g_h = [p for p in central["g_h"]["points"] if p["used"] and p["systematic_low"] is not None]
    assert g_h and all(p["systematic_low"] <= p["theory"] <= p["systematic_high"] for p in g_h)
    assert all(p["systematic_high"] > p["systematic_low"] for p in g_h)       # the Coulomb shift moves the curve
    assert "theory_minus_bulk" in central["g_h"]


def test_filter_polynomial_key_selects_the_polynomial_and_not_the_answer(tmp_path):
    # [run] filter_polynomial reaches every filtered solve (zero field and 1 T), is not part of the
    # point key (the answer is the same within tol) and a wrong value is refused by name
    tb = textwrap.dedent("""
        [run]
        solver = "filtered"
        filter_polynomial = "{poly}"

        [[models]]
        id = "tb"
        kind = "tb"
        params = "CsPbI3-N21-exp"
        finite_field_T = 1.0
        [models.sweep]
        n_pb = [3]

        [compare]
        enabled = false

        [output]
        dir = "unused"
        """)
    with pytest.raises(ConfigError, match=r"run.filter_polynomial.*'bands' or 'fold'"):
        config_from(tmp_path, tb.format(poly="chebyshev"))
    runs = {}
    for poly in ("fold", "bands"):
        config = config_from(tmp_path, tb.format(poly=poly))
        (point,) = sweep.plan(config)
        record = sweep.evaluate_point(point)
        assert record["solver_info"]["polynomial"] == poly
        assert all(info["polynomial"] == poly for info in record["field_solver_info"].values())
        runs[poly] = (point.key, record["g_e"], record["g_h"], record["g_e_finite_field"])
    assert runs["fold"][0] == runs["bands"][0]
    np.testing.assert_allclose(runs["bands"][1:], runs["fold"][1:], atol=1e-6)
