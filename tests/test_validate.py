"""`landeg validate` on every kind of config the project ships: run, refit, bulk sweep, ensemble, bound (issue 16)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from comparisons.cli import main
from comparisons.cli.config_kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


def expected_kind(path: Path) -> str:
    """The kind the file's name promises (examples are named refit_*, bulk_*, ensemble_*, *_bound*, else
    run configs)."""
    if "bound" in path.stem.split("_"):
        return "bound"
    return next((k for k in ("refit", "bulk", "ensemble") if path.name.startswith(f"{k}_")), "run")


def test_the_examples_are_of_known_kinds_and_cover_the_main_ones():
    # The parametrised test below must see the shipped examples (a wrong glob would pass vacuously).
    found = {expected_kind(p) for p in EXAMPLES}
    assert {"run", "refit", "bulk"} <= found <= {k.name for k in KINDS}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_shipped_config_validates_as_its_kind(path, capsys):
    assert main(["validate", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is True and result["kind"] == expected_kind(path)
    if result["kind"] == "run":
        assert result["points"] == sum(result["per_model"].values()) > 0


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_file_of_no_kind_lists_the_kinds(tmp_path, capsys):
    path = _write(tmp_path, '[outputs]\ndir = "x"\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a config of any known kind (top-level keys: outputs)" in err
    for kind in KINDS:                       # each kind named with the section that marks it
        assert f"{kind.name} ({kind.section}" in err


def test_a_file_with_two_kinds_is_refused(tmp_path, capsys):
    path = _write(tmp_path, '[refit]\nbase = "x"\n[bulk]\nmodel = "kp"\n')
    assert main(["validate", str(path)]) == 2
    assert "has the sections of several kinds ([refit], [bulk])" in capsys.readouterr().err


REFIT = """
[refit]
base = "CsPbI3-N21-sp3"
name = "test"
free = { "onsite.Pb.p" = [0.5, 3.5] }
targets = { Eg = { tolerance = 0.01 } }
[output]
file = "{out}"
"""


@pytest.mark.parametrize("change, message", [
    (("targets = {", "targest = {"), "refit.targest: unknown key"),                  # its own schema
    (('"onsite.Pb.p"', '"onsite.Pb.q"'), "free parameter 'onsite.Pb.q' is not a parameter of the set"),
    (("[0.5, 3.5]", "[3.0, 3.5]"), "starting value outside its bounds for onsite.Pb.p"),
    (('"CsPbI3-N21-sp3"', '"CsPbI3-nope"'), "unknown tight-binding parameter set 'CsPbI3-nope'"),
])
def test_refit_config_is_set_up_without_fitting(tmp_path, capsys, change, message):
    out = tmp_path / "set.toml"
    good = _write(tmp_path, REFIT.replace("{out}", str(out)))
    assert main(["validate", str(good)]) == 0
    assert "valid; refit of CsPbI3-N21-sp3 → test: 1 free parameters, targets Eg" in capsys.readouterr().out
    bad = _write(tmp_path, REFIT.replace("{out}", str(out)).replace(*change))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(bad) in err
    assert not out.exists()                 # validation writes nothing


@pytest.mark.parametrize("change, message", [
    (('materials = ["CsPbI3"]', 'materials = ["CsPbF3"]'), "bulk.materials[0]: unknown material 'CsPbF3'"),
    (('params = "universal"', 'params = "universel"'), "bulk.params: unknown k·p parameter set 'universel'"),
    (("step = 0.1", "step = -0.1"), "bulk.eg.step: Input should be greater than 0"),
])
def test_bulk_config_names_are_checked(tmp_path, capsys, change, message):
    text = ('[bulk]\nmodel = "kp"\nparams = "universal"\neg = { start = 1.5, stop = 2.0, step = 0.1 }\n'
            'materials = ["CsPbI3"]\n[output]\ndir = "unused"\n')
    assert main(["validate", str(_write(tmp_path, text))]) == 0
    assert "bulk kp sweep (universal): 6 gaps 1.5–2 eV" in capsys.readouterr().out
    assert main(["validate", str(_write(tmp_path, text.replace(*change)))]) == 2
    assert message in capsys.readouterr().err


def test_run_config_with_a_refit_model_validates_without_an_output_directory(tmp_path, capsys):
    # dry run: the refit config is set up (and checked) but not fitted, and no cache directory is needed
    refit = tmp_path / "refit.toml"
    refit.write_text(textwrap.dedent(REFIT.replace("{out}", str(tmp_path / "set.toml"))))
    run = _write(tmp_path, f"""
        [[models]]
        id = "etb"
        kind = "tb"
        refit = "{refit}"
        [models.sweep]
        n_pb = [2, 3]
        [compare]
        enabled = false
        [output]
        dir = "{tmp_path / 'out'}"
        """)
    assert main(["validate", str(run)]) == 0
    assert "valid; 2 points (etb: 2)" in capsys.readouterr().out
    assert not (tmp_path / "out").exists() and not (tmp_path / "set.toml").exists()
