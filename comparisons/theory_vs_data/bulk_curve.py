"""The bulk k·p reference curve of the comparison: g_e, g_h, g_X of the bulk at Eg = E.

K22 closed forms (:func:`kp.bulk.bulk_kp`, derived symbolically) evaluated with a constant set
(default: the universal constants Δ = 1.5 eV, ħp/m0 = 6.8 eV·Å, Δg_e = −1) at band gaps equal to the
transition energy: the "bulk universal" line against which confined g-factors are read.
"""

from __future__ import annotations

import numpy as np

from kp.bulk import bulk_kp
from kp.parameters import constants_at_gap

from .results import TheoryCurve

MODEL = "kp-bulk"
#: Default energy grid (eV): covers the measured range and bulk CsPbX3 gaps (Ko23: 1.5–3.2 eV).
DEFAULT_GRID = (1.5, 3.2, 0.005)


def bulk_curve(constants: str = "universal", energies_eV: np.ndarray | None = None) -> TheoryCurve:
    """Bulk k·p g-factors at Eg = E on ``energies_eV`` (default :data:`DEFAULT_GRID`), as a curve."""
    if energies_eV is None:
        start, stop, step = DEFAULT_GRID
        energies_eV = start + step * np.arange(int(round((stop - start) / step)) + 1)
    e = np.asarray(energies_eV, dtype=float)
    res = bulk_kp(constants_at_gap(float(e[0]), constants), e)
    g_e, g_h = np.atleast_1d(res.g_e), np.atleast_1d(res.g_h)
    return TheoryCurve(MODEL, constants, "bulk", energy_eV=e, g_e=g_e, g_h=g_h, g_X=g_e + g_h,
                       size_nm=np.full(e.shape, np.nan), sources=(f"kp.bulk closed forms, constants {constants!r}",))


__all__ = ["DEFAULT_GRID", "MODEL", "bulk_curve"]
