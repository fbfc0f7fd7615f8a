"""Refit machinery and the delivered second-neighbour refit of the experiment-corrected set."""

from __future__ import annotations

import pytest

from comparisons.config import load_config
from confinement.errors import ConfigError, UnknownNameError
from tightbinding.parameters import load_tb_parameters
from tightbinding.refit import RefitConfig, RefitError, RefitSection, observables, run_refit

FAST = dict(base="CsPbI3-N21-sp3", name="sp3-XX-test", enable_shells={"X-X": ["p"]},
            fixed={"hopping.X-X.p_p_sigma": 0.1, "hopping.X-X.p_p_pi": -0.025},
            free={"onsite.Pb.p": (0.5, 3.5), "hopping.Pb-X.sPb_pX_sigma": (0.5, 2.0)},
            targets={"Eg": {"tolerance": 0.002}, "Eg_M": {"tolerance": 0.002}})


def test_delivered_XX_refit_restores_the_bulk_targets():
    # Issue 3: X–X ppσ/ppπ added to CsPbI3-N21-exp, Eg(R), Eg(M), Δ within 5 meV, masses within 2 %.
    base = observables(load_tb_parameters("CsPbI3-N21-exp"))
    refit_set = load_tb_parameters("CsPbI3-N21-exp-XX")
    refit = observables(refit_set)
    for key in ("Eg", "Eg_M", "Delta"):
        assert refit[key] == pytest.approx(base[key], abs=0.005)
    for key in ("m_e", "m_h"):
        assert refit[key] == pytest.approx(base[key], rel=0.02)
    # It really has second neighbours, and they really matter before the refit.
    assert refit_set.hopping["X-X"]["p_p_sigma"] != 0
    unfitted = load_tb_parameters("CsPbI3-N21-exp").with_values(
        {k: v for k, v in refit_set.values().items() if k.startswith("hopping.X-X")},
        shells={"X-X": refit_set.shells["X-X"]})
    assert abs(observables(unfitted)["Eg"] - base["Eg"]) > 0.1      # BRIEF §5: tenths of an eV


def test_refitted_set_is_labelled_as_this_projects_refit():
    p = load_tb_parameters("CsPbI3-N21-exp-XX")
    assert "this project's refit" in p.description
    assert p.meta_extra["refit"]["success"] is True and p.meta_extra["refit"]["base"] == "CsPbI3-N21-exp"
    assert p.sources["hopping.X-X.p_p_sigma"].source == "landeg"
    assert p.sources["onsite.Pb.p"].source == "landeg"          # fitted
    assert p.sources["onsite.Pb.d"].source == "N21"             # untouched keeps its source


def test_small_refit_converges_and_reports():
    result = run_refit(RefitSection(**FAST))
    assert result.success
    assert all(abs(row["residual"]) <= 1 for row in result.targets.values())
    assert set(result.changes) == {"onsite.Pb.p", "hopping.Pb-X.sPb_pX_sigma"}
    assert "| Eg |" in result.table()


def test_unreachable_target_raises_with_the_residual_table():
    # Bounds too tight to reach the target: the fit ends, misses, and says by how much.
    bad = {**FAST, "free": {"onsite.Pb.p": (1.77, 1.78)}, "targets": {"Eg": {"value": 1.3, "tolerance": 0.002}}}
    with pytest.raises(RefitError, match=r"missed its targets[\s\S]*\| Eg \| 1.3000"):
        run_refit(RefitSection(**bad))


def test_search_through_a_band_crossing_fails_clearly():
    bad = {**FAST, "targets": {"Eg": {"value": 9.0, "tolerance": 0.002}}}
    with pytest.raises(RefitError, match="failed during the search: .*degenerate"):
        run_refit(RefitSection(**bad))


def test_unknown_parameter_path_is_named():
    with pytest.raises(UnknownNameError, match="colour"):
        run_refit(RefitSection(**{**FAST, "fixed": {"hopping.X-X.colour": 1.0}}))
    with pytest.raises(RefitError, match="hopping.Pb-Pb.s_s_sigma"):
        run_refit(RefitSection(**{**FAST, "free": {"hopping.Pb-Pb.s_s_sigma": (-1, 1)}}))


@pytest.mark.parametrize("text, message", [
    ('[refit]\nbase="a"\nname="b"\nfree={x=[0,1]}\ntargets={Eg={tolerance=1}}\ncolour=1\n[output]\nfile="f"\n',
     "refit.colour: unknown key"),
    ('[refit]\nbase="a"\nname="b"\nfree={x=[1,0]}\ntargets={Eg={tolerance=1}}\n[output]\nfile="f"\n',
     "lower bound 1.0 is not below upper bound 0.0"),
    ('[refit]\nbase="a"\nname="b"\nfree={x=[0,1]}\ntargets={Eg_X={tolerance=1}}\n[output]\nfile="f"\n',
     "refit.targets.Eg_X"),
    ('[refit]\nbase="a"\nname="b"\nfree={x=[0,1]}\ntargets={Eg={}}\n[output]\nfile="f"\n',
     "exactly one of tolerance"),
    ('[refit]\nbase="a"\nname="b"\nfree={x=[0,1]}\nenable_shells={"Cs-X"=["p"]}\ntargets={Eg={tolerance=1}}\n'
     '[output]\nfile="f"\n', "unknown shell"),
])
def test_bad_refit_config_names_the_key(tmp_path, text, message):
    path = tmp_path / "refit.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path, RefitConfig)
