"""Strategy ``gpu``: the filtered solver with its Chebyshev filter on a GPU through CuPy
(:mod:`confinement.array_backend`); needs CuPy and a CUDA device, never imported otherwise."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .filtered import filtered_band_edges
from .registry import register_solver


def gpu_band_edges(h, sigma: float, n_below: int, n_above: int, tol: float = 1e-10,
                   **hints) -> tuple[np.ndarray, np.ndarray, dict]:
    """:func:`confinement.solvers.filtered.filtered_band_edges` with ``backend='cupy'``; raises
    ParameterError if no GPU is usable."""
    from ..array_backend import gpu_available

    if not gpu_available():
        raise ParameterError("solver 'gpu' needs CuPy and a CUDA device (none found, or LANDEG_GPU=0); "
                             "use 'filtered' for the CPU")
    hints.pop("backend", None)
    return filtered_band_edges(h, sigma, n_below, n_above, tol, backend="cupy", **hints)


register_solver("gpu", gpu_band_edges)
