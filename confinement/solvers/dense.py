"""Strategy ``dense``: LAPACK on the full matrix; the robust reference for small systems
(n ≤ DENSE_LIMIT in ``auto``)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps

from .common import whole_levels
from .registry import register_solver


def dense_band_edges(h, sigma: float, n_below: int, n_above: int, **_) -> tuple[np.ndarray, np.ndarray, dict]:
    """The ``n_below`` eigenpairs below ``sigma`` (eV) and ``n_above`` above, from one full
    decomposition (LAPACK heevd); a level cut by the count is completed (within LEVEL_TOL)."""
    hd = h.toarray() if sps.issparse(h) else np.asarray(h)
    e, v = np.linalg.eigh(hd)
    i0 = int(np.searchsorted(e, sigma))
    keep = np.sort(np.concatenate([whole_levels(e, np.arange(i0)[::-1], n_below),
                                   whole_levels(e, np.arange(i0, len(e)), n_above)]))
    return e[keep], v[:, keep], {"n": hd.shape[0]}


register_solver("dense", dense_band_edges)
