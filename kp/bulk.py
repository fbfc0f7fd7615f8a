"""Bulk g-factors and masses of the perovskite eight-band model, from the symbolic elimination.

The closed forms are derived once per process by :func:`kp.elimination.second_order_doublet`
(not typed in) and lambdified to vectorised NumPy functions of the parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from . import symbols as S
from .elimination import second_order_doublet
from .hamiltonian import Eg, perovskite_model
from .parameters import KaneParameters

_OUTPUTS = ("g_e", "g_h", "inv_m_e", "inv_m_v")


@cache
def closed_forms(free_electron: bool = True) -> dict[str, sp.Expr]:
    """Symbolic g_e, g_h and inverse masses (m0/m of the electron dispersion) of the band edges.

    ``inv_m_e`` is m0/m_e of the conduction J=1/2 doublet; ``inv_m_v`` is m0/m of the valence
    doublet's electron dispersion (negative: m_h = −1/inv_m_v).
    """
    model = perovskite_model(free_electron=free_electron)
    cb = second_order_doublet(model, Eg)
    vb = second_order_doublet(model, 0)
    return {"g_e": cb.g, "g_h": vb.g, "inv_m_e": cb.inverse_mass_isotropic, "inv_m_v": vb.inverse_mass_isotropic}


@cache
def _numeric_forms(free_electron: bool) -> tuple[tuple[str, ...], dict[str, Callable[..., np.ndarray]]]:
    forms = closed_forms(free_electron)
    symbols = tuple(sorted(set().union(*(e.free_symbols for e in forms.values())), key=lambda s: s.name))
    funcs = {k: sp.lambdify(symbols, forms[k], modules="numpy") for k in _OUTPUTS}
    return tuple(s.name for s in symbols), funcs


@dataclass(frozen=True)
class BulkKP:
    """Bulk band-edge results (arrays if evaluated on a gap grid).

    Eg, Delta, Ep in eV; g_e, g_h, g_X = g_e + g_h dimensionless (J-convention);
    m_e, m_h in m0 (m_h > 0 for a valence band that curves down).
    """

    Eg: np.ndarray | float
    Delta: float
    Ep: float
    g_e: np.ndarray | float
    g_h: np.ndarray | float
    g_X: np.ndarray | float
    m_e: np.ndarray | float
    m_h: np.ndarray | float
    parameters: KaneParameters

    def as_dict(self) -> dict[str, object]:
        """JSON-ready dict of the bulk results (eV, m0, J-convention g)."""
        def plain(x: object) -> object:
            return x.tolist() if isinstance(x, np.ndarray) else (float(x) if isinstance(x, np.floating) else x)
        return {k: plain(getattr(self, k)) for k in ("Eg", "Delta", "Ep", "g_e", "g_h", "g_X", "m_e", "m_h")}


def bulk_kp(params: KaneParameters, eg: np.ndarray | float | None = None) -> BulkKP:
    """Bulk g_e, g_h, g_X and masses for ``params``, optionally on a grid of gaps ``eg`` (eV)."""
    names, funcs = _numeric_forms(params.free_electron)
    values: dict[str, object] = {**S.CONSTANT_VALUES, **params.symbol_values()}
    if eg is not None:
        eg_arr = np.asarray(eg, dtype=float)
        if np.any(~np.isfinite(eg_arr)) or np.any(eg_arr <= 0):
            raise ValueError("band gaps must be finite and positive (eV)")
        values["E_g"] = eg_arr
    args = [values[n] for n in names]
    out = {k: funcs[k](*args) * np.ones_like(values["E_g"], dtype=float) for k in _OUTPUTS}
    squeeze = (lambda a: float(a)) if np.ndim(values["E_g"]) == 0 else (lambda a: a)
    return BulkKP(
        Eg=squeeze(np.asarray(values["E_g"], dtype=float)), Delta=params.Delta, Ep=params.Ep,
        g_e=squeeze(out["g_e"]), g_h=squeeze(out["g_h"]), g_X=squeeze(out["g_e"] + out["g_h"]),
        m_e=squeeze(1 / out["inv_m_e"]), m_h=squeeze(-1 / out["inv_m_v"]), parameters=params,
    )
