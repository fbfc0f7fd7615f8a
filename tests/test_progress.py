"""Progress on stderr: plain lines off a terminal (fixed format), a live bar on one (issue 16)."""

from __future__ import annotations

import io
import re

import numpy as np
import scipy.sparse as sps

from comparisons.cli import main
from comparisons.sweeps import progress, runner
from comparisons.sweeps.sweep import Point
from confinement.eigensolver import observe_solves, solve_band_edges
from tightbinding.refit import RefitSection, run_refit

#: One plain line of `landeg run` per finished point (logs and CI read these).
RUN_LINE = re.compile(r"^\[(\d+)/3\] kp edge_nm=6\.0: E = 1\.234 eV, g_e = \+1\.500, g_h = -0\.250 \(2\.0 s\)  "
                      r"ETA \d+:\d\d:\d\d$")


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


POINT = Point("kp", "kp", "kp", {"edge_nm": 6.0}, {})
RECORD = {"E_transition": 1.234, "g_e": 1.5, "g_h": -0.25, "seconds": 2.0}


def test_run_progress_off_a_terminal_is_one_plain_line_per_point():
    stream = io.StringIO()
    report = runner.Progress(3, stream=stream)
    report(POINT, RECORD)
    report(POINT, None, "ConvergenceError: residuals too large")
    report.close()
    first, failed = stream.getvalue().splitlines()
    assert RUN_LINE.match(first) and RUN_LINE.match(first).group(1) == "1"
    assert failed.startswith("[2/3] kp edge_nm=6.0: FAILED: ConvergenceError: residuals too large  ETA ")
    assert "\x1b" not in stream.getvalue()           # no terminal control codes in logs


def test_run_progress_on_a_terminal_draws_a_bar_and_keeps_the_lines():
    stream = Terminal()
    report = runner.Progress(2, stream=stream)
    report(POINT, RECORD)
    report(POINT, RECORD)
    report.close()
    text = stream.getvalue()
    assert "landeg run" in text and "2/2" in text                   # the bar: label and done/total
    assert "kp edge_nm=6.0: E = 1.234 eV" in text                    # each point printed above it
    assert progress._LIVE == []                                      # the live display is stopped


def _diagonal(n: int) -> sps.csr_matrix:
    return sps.diags(np.linspace(-1.0, 1.0, n) + np.where(np.arange(n) < n // 2, -0.5, 0.5)).tocsr()


def test_large_solves_are_reported_and_small_ones_are_not():
    stream = io.StringIO()
    reporter = progress.SolveProgress("landeg nc", stream, min_size=100)
    with observe_solves(reporter):
        solve_band_edges(_diagonal(40), 0.0, solver="dense")      # below min_size: quiet
        solve_band_edges(_diagonal(200), 0.0, solver="dense")
    solve_band_edges(_diagonal(200), 0.0, solver="dense")          # no observer any more
    (line,) = stream.getvalue().splitlines()
    assert re.fullmatch(r"landeg nc: solve 1 \(dense, n = 200\): \d+\.\d s", line)


def test_refit_reports_every_start(capsys):
    seen = []
    section = RefitSection(base="CsPbI3-N21-sp3", name="t", free={"onsite.Pb.p": (0.5, 3.5)},
                           targets={"Eg": {"tolerance": 0.01}}, starts=3)
    run_refit(section, progress=lambda done, total, outcome: seen.append((done, total, outcome.success)))
    assert seen == [(1, 3, True), (2, 3, True), (3, 3, True)]


def test_refit_command_prints_the_starts_on_stderr(tmp_path, capsys):
    config = tmp_path / "refit.toml"
    config.write_text('[refit]\nbase = "CsPbI3-N21-sp3"\nname = "t"\nstarts = 2\n'
                      'free = { "onsite.Pb.p" = [0.5, 3.5] }\n'
                      f'targets = {{ Eg = {{ tolerance = 0.01 }} }}\n[output]\nfile = "{tmp_path / "t.toml"}"\n')
    assert main(["refit", str(config), "--json"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("{")                                        # stdout: only the JSON
    lines = err.splitlines()
    assert [line.split(":")[0] for line in lines] == ["[1/2] refit start 1", "[2/2] refit start 2"]
    assert all("met every target, cost" in line for line in lines)
