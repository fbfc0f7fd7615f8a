"""A `landeg run` output directory: `landeg compare DIR` reads it, and a lock keeps one run in it (issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from comparisons.cli import main
from comparisons.sweeps import run_dir
from confinement.io import read_table

ROOT = Path(__file__).resolve().parents[1]


def sphere(model_id: str, extra: str = "") -> str:
    """A small k·p sphere model, 6 and 9 nm (12 radial functions: about a second)."""
    return (f'[[models]]\nid = "{model_id}"\nkind = "kp"\nmaterial = "CsPbI3"\nshape = "sphere"\nn_radial = 12\n'
            f'{extra}[models.sweep]\nedge_nm = [6.0, 9.0]\n')


#: Two sphere models with [compare] settings of their own (a template: format enabled=, out=).
RUN = sphere("kp") + sphere("kp-eps", "epsilon = 10.0\n") + """
[compare]
enabled = {enabled}
show_populations = ["solution-200K"]
[compare.systematics]
"kp" = ["kp-eps"]

[output]
dir = "{out}"
formats = ["png"]
"""


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("run")
    out = tmp / "out"
    config = tmp / "run.toml"
    config.write_text(textwrap.dedent(RUN.format(enabled="false", out=out)))
    assert main(["run", str(config)]) == 0
    return out


def test_compare_of_a_run_directory_reads_its_table_and_compare_settings(finished_run, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(finished_run), "--out", str(out), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    saved = json.loads((out / "metrics.json").read_text())
    inputs = saved["metadata"]["inputs"]
    # the run's [compare] settings are the defaults: its systematics, shown population and formats
    assert inputs["systematics"] == {"kp": ["kp-eps"]} and inputs["show_populations"] == ["solution-200K"]
    assert inputs["populations"] == ["glass-6K"]
    assert (out / "g_vs_energy.png").is_file() and not (out / "g_vs_energy.pdf").exists()
    # both curves of the run's results.csv are compared, the central one with its systematic band
    curves = read_table(out / "theory_curves.csv")
    assert len(curves["E_transition"]) == 4
    central = next(v for k, v in metrics.items() if k.startswith("kp |") and "g_e" in v)
    assert "systematic_low" in json.dumps(central)


def test_options_given_on_the_command_line_replace_the_run_settings(finished_run, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(finished_run), "--out", str(out), "--formats", "pdf",
                 "--systematics", "kp-eps=kp", "--json"]) == 0
    capsys.readouterr()
    inputs = json.loads((out / "metrics.json").read_text())["metadata"]["inputs"]
    assert inputs["systematics"] == {"kp-eps": ["kp"]} and inputs["show_populations"] == ["solution-200K"]
    assert (out / "g_vs_energy.pdf").is_file() and not (out / "g_vs_energy.png").exists()


def test_a_run_directory_without_metadata_still_compares(finished_run, tmp_path, capsys):
    # e.g. a directory copied without metadata.json: results.csv alone, the plain defaults
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "results.csv").write_text((finished_run / "results.csv").read_text())
    assert run_dir.compare_settings(bare) == {}
    assert main(["compare", str(bare), "--out", str(tmp_path / "cmp")]) == 0
    assert "wrote figures" in capsys.readouterr().out


def test_a_directory_that_is_no_run_is_named(tmp_path, capsys):
    assert main(["compare", str(tmp_path), "--out", str(tmp_path / "cmp")]) == 2
    assert ("holds no results.csv (of a `landeg run` output directory) and no point_N*.json"
            in capsys.readouterr().err)


# --- the lock --------------------------------------------------------------------------------

def test_a_second_run_into_a_busy_directory_is_refused_with_exit_2(tmp_path, capsys):
    out = tmp_path / "out"
    config = tmp_path / "run.toml"
    config.write_text(textwrap.dedent(RUN.format(enabled="false", out=out)))
    # another process holds the directory (as a running `landeg run` would)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from comparisons.sweeps.run_dir import locked
        with locked({str(out)!r}):
            print("locked", flush=True)
            sys.stdin.read()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert main(["run", str(config)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"landeg run: error: {out} is in use by another run (PID {holder.pid}, lock file "
                       f"{out / '.landeg.lock'}); wait for it to finish or choose another output directory"]
        assert not (out / "points").exists()                  # refused before any work
    finally:
        holder.communicate("")
    assert holder.returncode == 0 and not (out / ".landeg.lock").exists()   # removed at exit
    assert main(["run", str(config)]) == 0                                   # free again


def test_the_stale_lock_of_a_dead_process_is_taken_over_and_removed(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()                                   # its PID now belongs to no running process
    out = tmp_path / "out"
    out.mkdir()
    (out / ".landeg.lock").write_text(f"{dead.pid}\n")
    with run_dir.locked(out) as path:
        assert path.read_text() == f"{os.getpid()}\n"
    assert f"landeg run: taking over the stale lock {path} of PID {dead.pid} (no longer running)" in \
        capsys.readouterr().err
    assert not path.exists()


def test_the_lock_is_released_when_the_run_fails(tmp_path):
    with pytest.raises(RuntimeError), run_dir.locked(tmp_path):
        raise RuntimeError("a point failed")
    with run_dir.locked(tmp_path):                # (a second holder would be refused)
        with pytest.raises(run_dir.RunDirectoryBusy, match="in use by another run"), run_dir.locked(tmp_path):
            pass
