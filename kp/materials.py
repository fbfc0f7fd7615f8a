"""Named materials for the k·p model: a constant set plus a material row of N23 Table S2.

A material's k·p parameters take Eg from its Table S2 row and Δ, P, Δg_e, Δg_h, g0 from the
constant set (default: K22 'universal'). With ``remote_masses`` the remote-band terms γ_v, γ_c
are solved (this project's derivation, exact because the masses are linear in γ) so that the
band-edge masses equal the Table S2 masses at the material's gap; they are then kept fixed when
the gap is overridden.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from confinement.errors import UnknownNameError
from confinement.parameter_files import ParameterFile, load_parameter_file

from .bulk import bulk_kp
from .parameters import MATERIALS_FILE, KaneParameters, _provenance, constants_at_gap

_ROW_KEYS = ("Eg", "Delta", "m_e", "m_h", "g_e", "g_h")


def materials_file(path: str | Path | None = None) -> ParameterFile:
    """The material table (default: the bundled N23 Table S2 rows)."""
    return load_parameter_file(path or MATERIALS_FILE)


def known_materials(path: str | Path | None = None) -> list[str]:
    """Names of the materials in the material table."""
    return materials_file(path).subgroups("materials")


def reference_row(material: str, path: str | Path | None = None) -> dict[str, float]:
    """The Table S2 row of ``material`` (Eg, Delta in eV; m_e, m_h in m0; ETB g_e, g_h)."""
    table = materials_file(path)
    if material not in table.subgroups("materials"):
        raise UnknownNameError("material", material, table.subgroups("materials"))
    return {k: q.value for k, q in table.require(f"materials.{material}", _ROW_KEYS).items()}


def material_parameters(material: str, *, eg: float | None = None, constants: str | Path = "universal",
                        remote_masses: bool = True, materials_path: str | Path | None = None) -> KaneParameters:
    """k·p parameters of a named material (see module docstring); ``eg`` overrides the gap (eV)."""
    table = materials_file(materials_path)
    if material not in table.subgroups("materials"):
        raise UnknownNameError("material", material, table.subgroups("materials"))
    row = table.require(f"materials.{material}", _ROW_KEYS)
    params = constants_at_gap(row["Eg"].value, constants)
    params = replace(params, label=f"{material} ({params.label})",
                     provenance=params.provenance + _provenance({"Eg": row["Eg"]}))
    if remote_masses:
        params = fit_remote_masses(params, m_e=row["m_e"].value, m_h=row["m_h"].value)
        params = replace(params, provenance=params.provenance + _provenance(
            {"m_e (target of gamma_c)": row["m_e"], "m_h (target of gamma_v)": row["m_h"]}))
    return params if eg is None else params.with_gap(eg)


def fit_remote_masses(params: KaneParameters, *, m_e: float, m_h: float) -> KaneParameters:
    """Set γ_c, γ_v so that the band-edge masses equal ``m_e``, ``m_h`` (m0) at ``params.Eg``.

    m0/m_e = base_e + γ_c and m0/m_h = base_h − γ_v hold exactly in the model (the remote terms
    are diagonal ħ²k²/2m0 terms), so the solution is explicit.
    """
    bare = bulk_kp(replace(params, gamma_v=0.0, gamma_c=0.0))
    return replace(params, gamma_c=1 / m_e - 1 / bare.m_e, gamma_v=1 / bare.m_h - 1 / m_h)
