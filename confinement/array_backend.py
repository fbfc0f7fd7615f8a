"""Where the Chebyshev filter of :mod:`confinement.solvers.filtered` runs: CPU (NumPy) or GPU (CuPy).

The filter is the only hot loop of the band-edge solver (≈ 95 % of its time): repeated products
of a sparse matrix with a dense block, Y += A @ X. An :class:`ArrayBackend` supplies exactly the
operations that loop needs — move a CSR matrix and a block to the device, Y += A @ X, column
norms, move the block back — so the same recurrence runs on either device. Everything else
(Rayleigh–Ritz, symmetry, convergence control) stays on the host in double precision.

Backends:
  ``cpu``   NumPy + SciPy, Y += A @ X in place through SciPy's CSR kernel (no temporaries).
  ``cupy``  CuPy + cupyx.scipy.sparse (cuSPARSE SpMM), complex128 on the GPU.
  ``array-module``: the generic path with any NumPy-like module pair; with (numpy, scipy.sparse)
            it executes the CuPy code path on the CPU, which is how the tests cover it on
            machines without a GPU.

:func:`gpu_available` is true when CuPy imports, sees a CUDA device, and ``LANDEG_GPU`` is not
``0``; the CPU path never imports CuPy.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sps

try:  # private but long-stable SciPy kernel: Y += A @ X without temporaries
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except Exception:  # pragma: no cover
    _csr_matvecs = None


def _cpu_accumulate(A: sps.csr_matrix, X: np.ndarray, Y: np.ndarray) -> None:
    """Y += A @ X for CSR A and C-contiguous 2-D X, Y of one dtype (in place)."""
    if _csr_matvecs is not None and X.flags.c_contiguous and Y.flags.c_contiguous \
            and A.dtype == X.dtype == Y.dtype:
        _csr_matvecs(A.shape[0], A.shape[1], X.shape[1], A.indptr, A.indices, A.data, X.ravel(), Y.ravel())
    else:
        Y += A @ X


@dataclass(frozen=True)
class ArrayBackend:
    """The device operations of the filter. ``xp``: NumPy-like array module."""

    name: str
    xp: Any
    sparse_to_device: Callable[[sps.csr_matrix], Any]
    to_device: Callable[[np.ndarray], Any]
    to_host: Callable[[Any], np.ndarray]
    accumulate: Callable[[Any, Any, Any], None]

    def column_norms(self, X) -> Any:
        """‖X[:, j]‖ for every column (on the device)."""
        return self.xp.linalg.norm(X, axis=0)


def _generic_accumulate(A, X, Y) -> None:
    Y += A @ X


CPU = ArrayBackend("cpu", np, lambda A: A, lambda X: np.ascontiguousarray(X, dtype=np.complex128),
                   np.asarray, _cpu_accumulate)


def array_module_backend(xp, sparse_module, to_host: Callable[[Any], np.ndarray] = np.asarray,
                         name: str = "array-module") -> ArrayBackend:
    """A backend from any array module ``xp`` with a SciPy-like ``sparse_module`` (``csr_matrix``)."""
    return ArrayBackend(
        name, xp,
        lambda A: sparse_module.csr_matrix(A),
        lambda X: xp.ascontiguousarray(xp.asarray(X, dtype=xp.complex128)),
        to_host, _generic_accumulate)


@functools.lru_cache(maxsize=1)
def gpu_available() -> bool:
    """True if CuPy imports and sees a CUDA device (and the environment does not set LANDEG_GPU=0)."""
    if os.environ.get("LANDEG_GPU", "1") == "0":
        return False
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


@functools.lru_cache(maxsize=1)
def cupy_backend() -> ArrayBackend:
    """The CuPy backend (raises ImportError without CuPy)."""
    import cupy
    import cupyx.scipy.sparse as cusparse

    return array_module_backend(cupy, cusparse, to_host=cupy.asnumpy, name="cupy")


def get_backend(name: str | ArrayBackend | None) -> ArrayBackend:
    """``None``/``'cpu'`` → CPU; ``'cupy'`` → GPU; an :class:`ArrayBackend` passes through."""
    if isinstance(name, ArrayBackend):
        return name
    if name in (None, "cpu"):
        return CPU
    if name == "cupy":
        return cupy_backend()
    if name == "array-module":
        return array_module_backend(np, sps)
    raise ValueError(f"unknown array backend {name!r}; known: cpu, cupy, array-module")
