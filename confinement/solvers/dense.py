"""Strategy ``dense``: LAPACK on the full matrix; the robust reference for small systems
(n ≤ DENSE_LIMIT in ``auto``)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from .common import LEVEL_TOL
from .registry import register_solver


def dense_band_edges(h, sigma: float, n_below: int, n_above: int, **_) -> tuple[np.ndarray, np.ndarray, dict]:
    """The ``n_below`` eigenpairs below ``sigma`` (eV) and ``n_above`` above, from one full
    decomposition (LAPACK heevd); a level cut by the count is completed (within LEVEL_TOL)."""
    hd = h.toarray() if sps.issparse(h) else np.asarray(h)
    e, v = np.linalg.eigh(hd)
    i0 = int(np.searchsorted(e, sigma))
    lo, hi = max(i0 - n_below, 0), min(i0 + n_above, len(e))
    while 0 < lo < i0 and e[lo] - e[lo - 1] <= LEVEL_TOL:
        lo -= 1
    while i0 < hi < len(e) and e[hi] - e[hi - 1] <= LEVEL_TOL:
        hi += 1
    return e[lo:hi], v[:, lo:hi], {"n": hd.shape[0]}


register_solver("dense", dense_band_edges)
