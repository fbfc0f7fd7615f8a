"""Parameter files and bad input: every error names what is wrong."""

from __future__ import annotations

import textwrap

import pytest

from confinement.errors import ParameterError, ParameterFileError, UnknownNameError
from confinement.parameter_files import load_parameter_file
from kp.bulk import bulk_kp
from kp.materials import material_parameters
from kp.parameters import CONSTANT_SETS, MATERIALS_FILE, KaneParameters, constants_at_gap

GOOD = """
[meta]
name = "test"
description = "test set"
[references]
X = "a reference"
[parameters]
Delta = { value = 1.5, unit = "eV", source = "X" }
hbar_p_over_m0 = { value = 6.8, unit = "eV*Angstrom", source = "X" }
delta_g_e = { value = -1.0, unit = "1", source = "X" }
delta_g_h = { value = 0.0, unit = "1", source = "X" }
g0 = { value = 2.0, unit = "1", source = "X" }
"""


def _write(tmp_path, text: str):
    path = tmp_path / "set.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_every_bundled_value_has_unit_and_source():
    for path in (*CONSTANT_SETS.values(), MATERIALS_FILE):
        pf = load_parameter_file(path)
        for q in pf:
            assert q.source in pf.references and q.citation
            assert q.second_hand, f"{q.name}: bundled values are all second-hand and must say so"


def test_custom_constant_file_round_trip(tmp_path):
    p = constants_at_gap(1.652, _write(tmp_path, GOOD))
    assert p.P == pytest.approx(0.68) and p.Delta == 1.5
    assert bulk_kp(p).g_e == pytest.approx(3.23, abs=0.01)


def test_unknown_material_names_the_known_ones():
    with pytest.raises(UnknownNameError, match=r"unknown material 'CsPbF3'; known: CsPbBr3, CsPbCl3, CsPbI3"):
        material_parameters("CsPbF3")


@pytest.mark.parametrize("eg", [-1.0, 0.0, float("nan")])
def test_non_physical_gap_is_refused(eg):
    with pytest.raises(ParameterError, match="Eg"):
        constants_at_gap(eg)
    with pytest.raises(ParameterError, match="Eg"):
        material_parameters("CsPbI3", eg=eg)


def test_negative_spin_orbit_is_refused():
    with pytest.raises(ParameterError, match="Delta"):
        KaneParameters(Eg=1.7, Delta=-0.1, P=0.68)


def test_missing_parameter_file(tmp_path):
    with pytest.raises(ParameterFileError, match="parameter file not found"):
        constants_at_gap(1.7, tmp_path / "nope.toml")


def test_unknown_set_name():
    with pytest.raises(UnknownNameError, match="k·p parameter set 'universel'"):
        constants_at_gap(1.7, "universel")


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('Delta = { value = 1.5, unit = "eV", source = "X" }\n', ""),
     "lacks required parameter.*Delta"),
    (lambda t: t.replace('unit = "eV", source', 'unit = "meV", source'), "unknown unit 'meV'"),
    (lambda t: t.replace('source = "X" }\nhbar', 'source = "Y" }\nhbar'), "source 'Y' is not a key"),
    (lambda t: t.replace("value = 1.5,", 'value = "1.5",'), "'value' must be a number"),
    (lambda t: t.replace("value = 1.5,", "value = 1.5, colour = 1,"), "unknown key.*colour"),
    (lambda t: t.replace('[meta]\nname = "test"\n', "[meta]\n"), r"\[meta\] table"),
    (lambda t: t + "oops = [", "not valid TOML"),
])
def test_malformed_files_are_refused_with_the_key(tmp_path, edit, message):
    with pytest.raises((ParameterFileError, ParameterError, UnknownNameError), match=message):
        constants_at_gap(1.7, _write(tmp_path, edit(GOOD)))
