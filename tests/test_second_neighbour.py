"""The X–X second-neighbour family (issue 8): refit constraints, failed members, zero strength."""

from __future__ import annotations

import pytest

from comparisons.sweeps.family_study import write_nc_results
from comparisons.theory_vs_data.results import load_results
from tightbinding.families import DEFAULT_TARGETS, second_neighbour_family, second_neighbour_hopping, shell_orbitals
from tightbinding.family_report import family_table, write_family_table
from tightbinding.parameters import load_tb_parameters
from tightbinding.refit import RefitError, RefitSection, observables, run_refit

BASE = "CsPbI3-N21-exp"


@pytest.fixture(scope="module")
def small_family():
    # s = 0 and two small strengths, continued outwards from zero (about 6 s).
    return second_neighbour_family(BASE, [0.0, 0.05, 0.1])


def test_family_holds_the_bulk_targets(small_family):
    base = observables(load_tb_parameters(BASE))
    for m in small_family:
        assert m.ok, m.error
        obs = observables(m.params)
        for key, tol in DEFAULT_TARGETS.items():
            limit = tol["tolerance"] if "tolerance" in tol else tol["tolerance_rel"] * abs(base[key])
            assert abs(obs[key] - base[key]) <= limit, (m.strength, key)
        assert all(abs(t["residual"]) <= 1 for t in m.result.targets.values())
        # The second neighbours are really there, with Harrison's ratio, and the set says it is a refit.
        if m.strength:
            assert m.params.hopping["X-X"] == pytest.approx({"p_p_sigma": m.strength, "p_p_pi": -m.strength / 4})
        else:
            assert "X-X" not in m.params.shells        # strength 0 is the base set itself
        assert "this project's refit" in m.params.description


def test_second_neighbours_move_bulk_g_when_the_band_edges_are_held(small_family):
    g_h = [m.bulk.g_h for m in small_family]
    g_e = [m.bulk.g_e for m in small_family]
    assert g_h[0] < g_h[1] < g_h[2] and g_e[0] > g_e[1] > g_e[2]


def test_zero_strength_reproduces_the_base_set(small_family):
    base = observables(load_tb_parameters(BASE))
    zero = small_family[0]
    assert zero.strength == 0.0
    assert zero.bulk.g_e == pytest.approx(base["g_e"], abs=1e-9)
    assert zero.bulk.g_h == pytest.approx(base["g_h"], abs=1e-9)
    assert zero.bulk.g_X == pytest.approx(base["g_e"] + base["g_h"], abs=1e-9)


def test_a_strength_that_cannot_be_refitted_is_reported_not_returned():
    # One free parameter cannot restore five targets once X–X hopping of 0.3 eV is added.
    family = second_neighbour_family(BASE, [0.3], free={"onsite.Pb.p": (3.0, 6.5)})
    (m,) = family
    assert not m.ok and m.result is None and m.bulk is None
    assert "missed its targets" in m.error
    assert max(abs(t["residual"]) for t in m.attempt.targets.values()) > 1    # the failed fit is kept for the table
    with pytest.raises(RefitError, match="refit failed"):
        _ = m.params
    row = family_table(family)
    assert row["refit"] == ["failed"] and "missed its targets" in row["error"][0]
    assert row["g_h"][0] != row["g_h"][0]      # NaN: no bulk g for a failed set


def test_hopping_of_a_strength():
    assert second_neighbour_hopping(0.4, {"p_p_sigma": 1.0, "p_p_pi": -0.25}) == {"p_p_sigma": 0.4, "p_p_pi": -0.1}
    extra = second_neighbour_hopping(0.4, {"p_p_sigma": 1.0, "s_p_sigma": 0.5})
    assert shell_orbitals({"s_p_sigma": 1.0}) == ("s", "p")
    assert extra == {"p_p_pi": 0.0, "p_p_sigma": 0.4, "s_p_sigma": 0.2, "s_s_sigma": 0.0}
    with pytest.raises(RefitError, match="unknown X-X integral"):
        second_neighbour_hopping(0.4, {"p_d_sigma": 1.0, "p_p_sigma": 1.0, "q_p_pi": 1.0})


def test_refit_start_values_must_be_free_parameters():
    section = RefitSection(base="CsPbI3-N21-sp3", name="t", free={"onsite.Pb.p": (0.5, 3.5)},
                           targets={"Eg": {"tolerance": 0.002}})
    with pytest.raises(RefitError, match="onsite.X.p, which is not a free parameter"):
        run_refit(section, initial={"onsite.X.p": -2.0})
    result = run_refit(section, initial={"onsite.Pb.p": 2.0})
    assert result.changes["onsite.Pb.p"]["start"] == 2.0 and result.success


def test_tables_are_readable(small_family, tmp_path):
    path = write_family_table(tmp_path / "family.csv", small_family)
    assert "this project's refits" in path.read_text()
    records = [{"model": "tb", "params": m.name, "shape": "cube", "n_pb": 4, "edge_nm": 2.5, "E_transition": 2.6 + i,
                "g_e": 0.7, "g_h": 1.7, "bulk": {"g_e": m.bulk.g_e, "g_h": m.bulk.g_h}, "strength_eV": m.strength}
               for i, m in enumerate(small_family)]
    curves = load_results([write_nc_results(tmp_path / "nc.csv", records)])
    assert [c.parameter_set for c in curves] == [m.name for m in small_family]
    assert curves[0].g_X[0] == pytest.approx(2.4)
