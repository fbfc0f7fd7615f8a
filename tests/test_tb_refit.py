"""Refit machinery and the delivered second-neighbour refit of the experiment-corrected set."""

from __future__ import annotations

import pytest

from comparisons.sweeps.config import load_config
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


# --- the sets on the N23 bulk targets (issue 15) ----------------------------------------------

#: N23 SI Table S2 (BRIEF §3, second-hand): the bulk values of the model behind the paper's lines.
N23_TABLE_S2 = {
    "CsPbI3": {"Eg": 1.652, "Delta": 1.258, "m_e": 0.168, "m_h": 0.145, "g_e": 3.23, "g_h": -0.33},
    "CsPbBr3": {"Eg": 2.352, "Delta": 1.436, "m_e": 0.219, "m_h": 0.191, "g_e": 1.77, "g_h": 0.66},
    "CsPbCl3": {"Eg": 3.090, "Delta": 1.526, "m_e": 0.315, "m_h": 0.250, "g_e": 0.95, "g_h": 1.14},
}
#: Cubic lattice constants (nm): N21 (I), Møller 1958 as commonly quoted (Br, Cl).
LATTICE_NM = {"CsPbI3": 0.6289, "CsPbBr3": 0.5874, "CsPbCl3": 0.5605}
#: Tolerances of the refit configs: gaps 5 meV, masses 2 %, g 0.02 (Table S2 quotes g to 0.01).
TOLERANCE = {"Eg": 0.005, "Delta": 0.005, "g_e": 0.02, "g_h": 0.02}


@pytest.mark.parametrize("material", list(N23_TABLE_S2))
def test_n23_refit_meets_table_s2(material):
    params = load_tb_parameters(f"{material}-refit-N23")
    obs = observables(params)
    for key, target in N23_TABLE_S2[material].items():
        if key in TOLERANCE:
            assert obs[key] == pytest.approx(target, abs=TOLERANCE[key]), key
        else:
            assert obs[key] == pytest.approx(target, rel=0.02), key
    record = params.meta_extra["refit"]
    # the second gap: met within the tolerance its file records (N21 for I, constructed for Br, Cl)
    eg_m = record["targets"]["Eg_M"]
    assert abs(obs["Eg_M"] - eg_m["target"]) <= eg_m["tolerance"]
    # the file's own target table is Table S2 (no drift between config, file and brief)
    for key, target in N23_TABLE_S2[material].items():
        assert record["targets"][key]["target"] == pytest.approx(target, abs=1e-12)
        assert "N23" in record["targets"][key]["source"]
    assert params.material == material and params.a == pytest.approx(LATTICE_NM[material], abs=1e-12)


@pytest.mark.parametrize("material", list(N23_TABLE_S2))
def test_n23_refit_is_labelled_and_records_its_fit(material):
    params = load_tb_parameters(f"{material}-refit-N23")
    record = params.meta_extra["refit"]
    assert "this project's refit" in params.description
    assert record["success"] is True and record["at_bound"] == []
    assert set(record["free"]) and all(lo < hi for lo, hi in record["free"].values())
    for path, (lo, hi) in record["free"].items():
        assert lo <= params.values()[path] <= hi and params.sources[path].source == "landeg"
    # several starts, all but at most one meet every target; each of those gave an N-cube g
    starts = record["starts"]
    assert starts["n"] >= 4 and starts["successful"] >= starts["n"] - 1 and starts["at_kept_solution"] >= 1
    check = record["nc_check"]
    assert len(check["g_e"]) + len(check["not_solved"]) == starts["successful"]
    assert starts["spread"]["nc_g_h"] < 0.025         # the hole g of the 3.8 nm cube is pinned by the bulk
    assert starts["spread"]["nc_g_e"] < 0.1           # the electron's is not, to this degree (docs/tb.md)


def test_several_starts_of_a_determined_fit_reach_one_solution():
    # Two free parameters, two targets: the solution is unique, so every start must find it.
    result = run_refit(RefitSection(**{**FAST, "starts": 3, "seed": 7}))
    assert len(result.starts) == 3 and len(result.successful_starts) == 3
    assert result.same_as_best() == 3
    assert max(result.spread().values()) < 1e-4
    assert "3 of 3 starts met every target" in result.table()


def test_harrison_scaling_scales_every_integral_not_fitted():
    base = load_tb_parameters("CsPbI3-N21-sp3")
    section = RefitSection(**{**FAST, "enable_shells": {}, "fixed": {"structure.a": 0.9 * base.a},
                              "hopping_scaling": "harrison", "targets": {"Eg": {"value": 1.1, "tolerance": 0.01}},
                              "free": {"onsite.Pb.p": (0.5, 3.5)}})
    result = run_refit(section)
    for path, value in base.values().items():
        if path.startswith("hopping."):
            assert result.params.values()[path] == pytest.approx(value / 0.81, rel=1e-12), path
    assert "Harrison" in result.notes["hopping.Pb-X.sPb_pX_sigma"]


def test_free_and_fixed_overlap_and_stray_notes_are_refused():
    with pytest.raises(ValueError, match="both free and fixed"):
        RefitSection(**{**FAST, "fixed": {"onsite.Pb.p": 1.0}})
    with pytest.raises(ValueError, match="notes document fixed values"):
        RefitSection(**{**FAST, "notes": {"onsite.X.p": "from somewhere"}})


def test_cli_lists_and_reproduces_the_n23_refits(capsys):
    import json

    from comparisons.cli import main

    assert main(["params"]) == 0
    listing = capsys.readouterr().out
    assert all(f"{m}-refit-N23" in listing for m in N23_TABLE_S2)
    assert main(["bulk", "--model", "tb", "--params", "CsPbBr3-refit-N23", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["g_h"] == pytest.approx(0.66, abs=0.02) and out["Eg"] == pytest.approx(2.352, abs=0.005)
