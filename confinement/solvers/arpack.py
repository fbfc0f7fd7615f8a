"""Strategy ``arpack``: pybinding's ``solver.arpack`` call, the benchmark baseline of
``benchmarks/nc_solver.py``."""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from .registry import register_solver


def arpack_band_edges(h, sigma: float, n_below: int, n_above: int, tol: float = 1e-10,
                      **_) -> tuple[np.ndarray, np.ndarray, dict]:
    """``eigsh(H, k, sigma)`` (SuperLU shift-invert, the k eigenvalues nearest σ, eV), as
    ``pb.solver.arpack(model, k, sigma)`` makes it on ``model.hamiltonian``; here on the finished H
    (passivation included). The nearest k can all lie on one side of an off-centre σ: k is
    doubled (a new call, as a pybinding user would do) until both sides are covered."""
    k, calls = 2 * (n_below + n_above) + 4, 0
    while True:
        e, v = spla.eigsh(h, k=min(k, h.shape[0] - 2), sigma=sigma, which="LM", tol=tol * 1e-2)
        calls += 1
        if (np.sum(e < sigma) > n_below and np.sum(e > sigma) > n_above) or k >= h.shape[0] - 2:
            return e, v, {"k": k, "calls": calls}
        k *= 2


register_solver("arpack", arpack_band_edges)
