"""The refitted parameter family (:mod:`tightbinding.families`) as files: its table and its sets.

:func:`family_table` / :func:`write_family_table` give one row per strength — refit status, bulk
observables, g_e, g_h, g_X, residuals/tolerance and fitted values (CSV, atomic);
:func:`write_family_sets` writes every refitted set as a parameter file (this project's refits).
The study built on these sets — NC cubes of each member, their results table and the figures —
is the comparison layer's :mod:`comparisons.sweeps.family_study`. Units: eV, nm, m0; g in the J-convention.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from confinement.io import write_table

from .families import FamilyMember
from .refit import write_refit

#: Provenance line of every table of the family (here and in :mod:`comparisons.sweeps.family_study`).
SOURCE_NOTE = ("parameter sets: this project's refits (landeg) of CsPbI3-N21-exp (N21 arXiv v2 Table I, "
               "second-hand via BRIEF §5) with X-X second-neighbour hopping; see docs/second_neighbour.md")


def family_table(members: Sequence[FamilyMember]) -> dict[str, list]:
    """Columns of the family table (the union of the members' rows; NaN/empty where absent)."""
    rows = [m.row() for m in members]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return {k: [r.get(k, "" if k == "error" else np.nan) for r in rows] for k in keys}


def write_family_table(path: str | Path, members: Sequence[FamilyMember]) -> Path:
    """Write :func:`family_table` as CSV with a provenance header."""
    ok = next((m for m in members if m.ok), None)
    targets = [] if ok is None else [f"{k} = {t['target']:.4f} ± {t['tolerance']:.4f}"
                                     for k, t in ok.result.targets.items()]  # type: ignore[union-attr]
    return write_table(path, family_table(members), [
        SOURCE_NOTE,
        "strength s (eV): X-X ppσ = s, ppπ = ratio·s (columns XX_*); refit targets (base set's own): "
        + ", ".join(targets),
        "Eg, Eg_M, Delta (eV), m_e, m_h (m0), g (J-convention) of the refitted set; "
        "res_* = (value - target)/tolerance; "
        "onsite.*, spin_orbit.*, hopping.* = fitted values (eV); failed refits: refit = failed, error says why"])


def write_family_sets(members: Sequence[FamilyMember], out_dir: str | Path) -> list[Path]:
    """Write each refitted set as ``<name>.toml`` (sources kept; fitted values carry 'landeg')."""
    return [write_refit(m.result, Path(out_dir) / f"{m.name}.toml", config_path="tightbinding.families")
            for m in members if m.result is not None]
