"""The ``landeg`` command line: JSON output, sweep job outputs, error exits."""

from __future__ import annotations

import json

import pytest

from comparisons.cli import main
from confinement.io import read_table

REQUIRED = {"Eg", "g_e", "g_h", "g_X", "m_e", "m_h"}


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_bulk_kp_material_json(capsys):
    out = _json(capsys, ["bulk", "--model", "kp", "--material", "CsPbI3", "--json"])
    assert REQUIRED <= out.keys()
    assert out["Eg"] == 1.652
    assert out["g_e"] == pytest.approx(3.23, abs=0.01) and out["g_h"] == pytest.approx(-0.33, abs=0.01)
    assert out["g_X"] == pytest.approx(out["g_e"] + out["g_h"], abs=1e-12)
    assert out["m_e"] == pytest.approx(0.168) and out["m_h"] == pytest.approx(0.145)


def test_bulk_eg_override_evaluates_the_universal_curve(capsys):
    at_19 = _json(capsys, ["bulk", "--material", "CsPbI3", "--eg", "1.9", "--json"])
    plain = _json(capsys, ["bulk", "--eg", "1.9", "--json"])
    assert at_19["Eg"] == plain["Eg"] == 1.9
    assert at_19["g_e"] == pytest.approx(plain["g_e"], abs=1e-14)    # g does not depend on remote masses
    # K22 Eq. 6 at 1.9 eV with p²/m0 = (6.8 eV·Å)²/(7.61996 eV·Å²):
    assert plain["g_e"] == pytest.approx(-2 / 3 + 4 / 3 * 6.8**2 / 7.61996 / 1.9 - 1, abs=1e-4)


@pytest.mark.parametrize("argv, message", [
    (["bulk", "--material", "CsPbF3"], "unknown material 'CsPbF3'"),
    (["bulk", "--eg", "-1"], "Eg must be positive"),
    (["bulk", "--eg", "1.9", "--params", "missing.toml"], "parameter file not found"),
    (["bulk"], "give --material"),
])
def test_bad_input_exits_2_with_a_clear_message(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bulk_sweep_writes_table_figure_and_metadata(tmp_path, capsys):
    config = tmp_path / "sweep.toml"
    config.write_text('[bulk]\neg = { start = 1.5, stop = 3.0, step = 0.5 }\nmaterials = ["CsPbBr3"]\n'
                      '[output]\ndir = "unused"\nformats = ["png"]\n')
    assert main(["bulk", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    table = read_table(tmp_path / "out" / "bulk_vs_gap.csv")
    assert [float(x) for x in table["Eg_eV"]] == [1.5, 2.0, 2.5, 3.0]
    assert {"g_e", "g_h", "g_X", "m_e", "m_h"} <= table.keys()
    assert (tmp_path / "out" / "bulk_g_vs_gap.png").stat().st_size > 10_000
    meta = json.loads((tmp_path / "out" / "metadata.json").read_text())
    assert meta["parameter_files"][0]["sha256"] and meta["config"]["bulk"]["eg"]["step"] == 0.5
    assert not list((tmp_path / "out").glob(".*tmp"))   # no temporary files left behind


@pytest.mark.parametrize("text, message", [
    ('[bulk]\neg = { start = 1.5, stop = 3.0, step = 0.5 }\ncolour = 1\n[output]\ndir = "x"\n',
     "bulk.colour: unknown key"),
    ('[bulk]\neg = { start = -1.5, stop = 3.0, step = 0.5 }\n[output]\ndir = "x"\n',
     "bulk.eg: Value error, band gaps must be positive"),
    ('[bulk]\neg = { start = 1.5, stop = 3.0, step = 0 }\n[output]\ndir = "x"\n', "bulk.eg.step"),
    ('[bulk]\neg = { start = 1.5, stop = 3.0, step = 0.5 }\nmaterials = ["CsPbX3"]\n[output]\ndir = "x"\n',
     "bulk.materials[0]: unknown material 'CsPbX3'"),
    ('[bulk]\neg = { start = 1.5, stop = 3.0, step = 0.5 }\n', "output: Field required"),
])
def test_bad_config_names_the_key(tmp_path, capsys, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    assert main(["bulk", "--config", str(config), "--out", str(tmp_path / "o")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()    # refused before any work started


def test_bulk_tb_json(capsys):
    out = _json(capsys, ["bulk", "--model", "tb", "--params", "CsPbI3-N21-exp", "--json"])
    assert {"Eg", "Eg_M", "Delta", "m_e", "m_h", "g_e", "g_h", "g_X"} <= out.keys()
    assert out["Eg"] == pytest.approx(1.650, abs=0.003) and out["Eg_M"] == pytest.approx(2.755, abs=0.003)
    assert out["g_X"] == pytest.approx(out["g_e"] + out["g_h"], abs=1e-12)
    assert sum(out["g_e_parts"].values()) == pytest.approx(out["g_e"], abs=1e-10)


@pytest.mark.parametrize("argv, message", [
    (["bulk", "--model", "tb", "--params", "CsPbI3-N99"], "unknown tight-binding parameter set 'CsPbI3-N99'"),
    (["bulk", "--model", "tb", "--shells", "Pb-X,X-X"], "shell 'X-X' is not defined"),
    (["bulk", "--model", "tb", "--material", "CsPbI3"], "--material and --eg belong to --model kp"),
])
def test_bulk_tb_bad_input(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_params_lists_every_set_with_sources(capsys):
    out = _json(capsys, ["params", "--json"])
    expected = {"CsPbI3-N21-sp3", "CsPbI3-N21-dft", "CsPbI3-N21-exp", "CsPbCl3-KGN21", "CsPbBr3-KGN21", "CsPbI3-KGN21"}
    assert expected <= out["tb"].keys()
    assert all(info["sources"] for info in out["tb"].values())
    assert "universal" in out["kp"] and out["kp_materials"] == ["CsPbBr3", "CsPbCl3", "CsPbI3"]


def test_bands_writes_table_and_figure(tmp_path, capsys):
    out = _json(capsys, ["bands", "--params", "CsPbI3-N21-sp3", "--density", "8", "--character", "X p",
                         "--out", str(tmp_path), "--json"])
    table = read_table(tmp_path / "bands.csv")
    assert len(table["E1_eV"]) > 10 and "E32_eV" in table          # sp3: 16 orbitals × 2 spins
    assert {p.split("/")[-1] for p in out["files"]} == {"bands.csv", "band_character.npz", "bands.png", "bands.pdf"}


def test_refit_command_writes_a_loadable_set(tmp_path, capsys):
    config = tmp_path / "refit.toml"
    config.write_text('[refit]\nbase = "CsPbI3-N21-sp3"\nname = "sp3-test"\nenable_shells = { "X-X" = ["p"] }\n'
                      'fixed = { "hopping.X-X.p_p_sigma" = 0.1, "hopping.X-X.p_p_pi" = -0.025 }\n'
                      'free = { "onsite.Pb.p" = [0.5, 3.5], "hopping.Pb-X.sPb_pX_sigma" = [0.5, 2.0] }\n'
                      'targets = { Eg = { tolerance = 0.002 }, Eg_M = { tolerance = 0.002 } }\n'
                      f'[output]\nfile = "{tmp_path / "out.toml"}"\n')
    out = _json(capsys, ["refit", str(config), "--json"])
    from tightbinding.parameters import load_tb_parameters
    refit = load_tb_parameters(out["file"])
    assert refit.name == "sp3-test" and "X-X" in refit.shells
    assert all(abs(t["residual"]) <= 1 for t in out["targets"].values())


def test_nc_refuses_options_of_the_other_model(capsys):
    """`landeg nc --model kp --n-pb 4` must not silently ignore the tight-binding option."""
    from comparisons.cli import main

    assert main(["nc", "--model", "kp", "--edge-nm", "4", "--n-pb", "4"]) == 2
    assert "--n-pb belong(s) to --model tb" in capsys.readouterr().err
    assert main(["nc", "--n-pb", "4", "--grid-nm", "0.2"]) == 2
    assert "--grid-nm belong(s) to --model kp" in capsys.readouterr().err


def test_nc_extra_states_match_dense_diagonalisation(capsys):
    """`--extra-states 3`: 5 states per side (the doublet and 3 more; a level cut by that count
    comes whole), nearest the gap first, equal to the full spectrum of the same cube around the
    bulk mid-gap (1e-8 eV); a negative count is refused."""
    import numpy as np

    from tightbinding.bulk import bulk_tb
    from tightbinding.crystal import Crystal
    from tightbinding.nanocrystal import build_nanocrystal, make_shape
    from tightbinding.parameters import load_tb_parameters

    out = _json(capsys, ["nc", "--n-pb", "2", "--extra-states", "3", "--no-finite-field", "--json"])
    crystal = Crystal(load_tb_parameters("CsPbI3-N21-exp"))
    bulk = bulk_tb(crystal)
    e = np.linalg.eigvalsh(build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=2)).hamiltonian.toarray())
    sigma = bulk.E_vbm + bulk.Eg / 2
    below, above = e[e < sigma][::-1], e[e > sigma]
    assert len(out["levels_below"]) >= 5 and len(out["levels_above"]) >= 5
    np.testing.assert_allclose(out["levels_below"], below[:len(out["levels_below"])], atol=1e-8)
    np.testing.assert_allclose(out["levels_above"], above[:len(out["levels_above"])], atol=1e-8)
    for levels, exact in ((out["levels_below"], below), (out["levels_above"], above)):
        assert abs(exact[len(levels)] - levels[-1]) > 1e-6       # the last level is whole
    assert main(["nc", "--n-pb", "2", "--extra-states", "-1"]) == 2
    assert "must be an integer >= 0" in capsys.readouterr().err


def test_nc_size_series_runs_through_the_sweep_runner(tmp_path, capsys):
    """`landeg nc --n-pb 2:3` is a one-model run: results.csv, cache, figure; a re-run is all cached."""
    import json

    from comparisons.cli import main
    from confinement.io import read_table

    out = tmp_path / "series"
    args = ["nc", "--n-pb", "2:3", "--out", str(out), "--no-finite-field", "--json"]
    assert main(args) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert any(f.endswith("nc_g_vs_energy.png") for f in files)
    table = read_table(out / "results.csv")
    energies = [float(e) for e in table["E_transition"]]
    assert [int(float(n)) for n in table["n_pb"]] == [2, 3] and energies[0] > energies[1]   # larger, lower E
    assert len(list((out / "points").glob("*.json"))) == 2
    assert main(args) == 0
    capsys.readouterr()
    assert len(list((out / "points").glob("*.json"))) == 2


def test_solver_choices_come_from_the_solver_registry(monkeypatch, capsys):
    # Fails if the CLI or the run-config schema keeps its own solver list: a strategy registered
    # through confinement.solvers reaches `landeg nc --solver` and `[run] solver`; an unknown name is
    # refused by both, naming the registered ones.
    from comparisons.cli.commands import build_parser
    from comparisons.sweeps.sweep_config import RunSection
    from confinement.solvers import registry

    monkeypatch.setitem(registry.SOLVERS, "toy", registry.SOLVERS["dense"])
    assert build_parser().parse_args(["nc", "--solver", "toy"]).solver == "toy"
    assert RunSection(solver="toy").solver == "toy"
    monkeypatch.delitem(registry.SOLVERS, "toy")
    with pytest.raises(ValueError, match="unknown solver 'toy'; solvers: auto, dense, shift-invert"):
        RunSection(solver="toy")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["nc", "--solver", "toy"])
    assert "invalid choice: 'toy'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["nc", "--n-pb", "2", "--no-finite-field"],
                                  ["nc", "--model", "kp", "--shape", "sphere", "--edge-nm", "5", "--n-radial", "8",
                                   "--no-finite-field"]])
def test_nc_text_output_without_a_finite_field(argv, capsys):
    # The typed record always has its finite-field fields (None here): the text report must leave
    # them out rather than try to format None.
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "E_transition" in out and "g_X" in out and "finite_field" not in out
