"""Band-edge eigen-solver: eigenpairs just below and just above a reference energy inside the gap.

Strategy layer (``solver=``):

- ``"dense"``: LAPACK on the full matrix; robust reference for small systems (n ≲ 1000 in ``auto``).
- ``"shift-invert"``: spectrum slicing in the symmetry blocks (:mod:`confinement.slicing`): with
  the C4z rotation, inversion and time reversal of a cubic NC, four blocks of n/8, each solved by
  ARPACK on one sparse LDLᴴ of A − σ (minimum-degree ordering on A + Aᴴ); the completeness of
  the returned levels is certified by Sylvester inertia counts. The fast path up to
  SLICING_LIMIT (its factor fill grows faster than the filter's cost; docs/performance.md);
  needs blocks free of Kramers degeneracy (the ``rotation`` hint, or ``kramers=False``).
- ``"arpack"``: pybinding's ``solver.arpack`` call, ``eigsh(H, k, sigma)`` (the k states nearest σ);
  the benchmark baseline of ``benchmarks/nc_solver.py``.
- ``"filtered"``: Chebyshev-filtered subspace iteration on the folded spectrum in the same
  symmetry blocks (:mod:`confinement.filtered_solver`); no factorisation, memory O(n·block); the
  fast path for large systems. The blocks run side by side on threads (``LANDEG_THREADS`` caps them).
- ``"gpu"``: the filtered solver with its Chebyshev filter on a GPU through CuPy
  (:mod:`confinement.array_backend`); needs CuPy and a CUDA device, never imported otherwise.
- ``"auto"``: dense for n ≤ DENSE_LIMIT, shift-invert for n ≤ SLICING_LIMIT (when its blocks are
  free of Kramers degeneracy), otherwise gpu if CuPy sees a GPU (and LANDEG_GPU is not 0), else
  filtered.

Every path returns orthonormal vectors, orthonormalises degenerate (Kramers) pairs, checks the
residual ‖Hv − Ev‖ of every returned pair and raises :class:`ConvergenceError` with the residuals
instead of returning unconverged vectors. Energies in eV. :func:`observe_solves` lets a caller
(the command line's progress display) follow every solve without the solver knowing of terminals.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sps
import scipy.sparse.linalg as spla

from .errors import ConvergenceError, ParameterError

#: Largest dimension for which ``auto`` uses dense diagonalisation (tight binding and k·p grids
#: alike). Measured on one core: TB cube n = 880 dense 0.7 s / filtered 1.0 s, n = 2700 dense 28 s /
#: filtered 0.5 s; k·p grid cube n = 2744 dense ~40 s / filtered 1.2 s.
DENSE_LIMIT = 1000
#: Largest dimension for which ``auto`` uses ``shift-invert`` (spectrum slicing). Measured on this
#: 2-core machine (CsPbI3 cubes, solve only): n = 44 800 shift-invert 1.37 s / filtered 1.69 s,
#: n = 86 000 3.2 s / 2.6 s, n = 185 900 12.6 s / 7.4 s (docs/performance.md).
SLICING_LIMIT = 60000


#: Callbacks told of every solve (:func:`observe_solves`).
_OBSERVERS: list[Callable[[str, dict], None]] = []


@contextlib.contextmanager
def observe_solves(callback: Callable[[str, dict], None]):
    """While active, ``callback("start", info)`` and ``callback("end", info)`` bracket every
    :func:`solve_band_edges` call; ``info``: ``solver`` (the strategy chosen), ``n`` (dimension) and,
    at the end, ``seconds``. A solve that raises reports no end."""
    _OBSERVERS.append(callback)
    try:
        yield callback
    finally:
        _OBSERVERS.remove(callback)


def _notify(event: str, info: dict) -> None:
    for callback in list(_OBSERVERS):
        callback(event, info)


@dataclass(frozen=True)
class BandEdgeStates:
    """States below (descending from the gap) and above (ascending) the reference energy.

    ``below``/``above``: energies (k,) eV; ``vectors_below``/``vectors_above``: (n, k);
    residuals (k,) in eV; ``solver`` name; ``seconds`` wall time; ``info`` solver details.
    """

    below: np.ndarray
    above: np.ndarray
    vectors_below: np.ndarray
    vectors_above: np.ndarray
    residuals_below: np.ndarray
    residuals_above: np.ndarray
    solver: str
    seconds: float
    info: dict = field(default_factory=dict)


def check_hermitian(h, rtol: float = 1e-12) -> None:
    """Raise :class:`ParameterError` if ``h`` is not Hermitian (relative to its largest element)."""
    diff = h - (h.getH() if sps.issparse(h) else np.conj(np.asarray(h)).T)
    err = abs(diff).max() if (not sps.issparse(diff) or diff.nnz) else 0.0
    scale = max(abs(h).max(), 1.0)
    if err > rtol * scale:
        raise ParameterError(f"the Hamiltonian is not Hermitian: max |H − H†| = {err:.2e} eV")


def residual_norms(h, energies: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """‖H v − E v‖ for each column (eV)."""
    return np.linalg.norm(h @ vectors - vectors * energies[None, :], axis=0)


def orthonormalise_degenerate(energies: np.ndarray, vectors: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """QR-orthonormalise every cluster of (near-)degenerate vectors; other vectors are normalised."""
    out = vectors.copy()
    order = np.argsort(energies)
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and abs(energies[order[stop]] - energies[order[start]]) < tol:
            stop += 1
        cols = order[start:stop]
        q, _ = np.linalg.qr(out[:, cols])
        out[:, cols] = q
        start = stop
    return out


def _dense(h, sigma: float, n_below: int, n_above: int, **_) -> tuple[np.ndarray, np.ndarray, dict]:
    hd = h.toarray() if sps.issparse(h) else np.asarray(h)
    e, v = np.linalg.eigh(hd)                       # one full decomposition (LAPACK heevd)
    i0 = int(np.searchsorted(e, sigma))
    lo, hi = max(i0 - n_below, 0), min(i0 + n_above, len(e))
    return e[lo:hi], v[:, lo:hi], {"n": hd.shape[0]}


def _shift_invert(h, sigma: float, n_below: int, n_above: int, tol: float = 1e-10, *, half_gap: float | None = None,
                  parity=None, kramers: bool = True, rotation=None, **_):
    """Shift-invert Lanczos (ARPACK on one sparse LDLᴴ of H − σ) in every symmetry block, the
    completeness certified by Sylvester inertia (``confinement.slicing``)."""
    from .filtered_solver import require_clean_gap
    from .slicing import sliced_band_edges

    info: dict = {}
    e, v, _ = sliced_band_edges(h, sigma, n_each=_doublets_per_side(n_below, n_above), tol=tol, parity=parity,
                                kramers=kramers, rotation=rotation, info=info)
    if half_gap:
        require_clean_gap(e, sigma, half_gap)
    return e, v, info


def _doublets_per_side(n_below: int, n_above: int) -> int:
    """Kramers doublets per side that cover n_below states below and n_above above."""
    return max(-(-n_below // 2), -(-n_above // 2))


def _arpack(h, sigma: float, n_below: int, n_above: int, tol: float = 1e-10, **_):
    """pybinding's ``arpack`` solver on the same matrix: ``eigsh(H, k, sigma)`` (SuperLU shift-invert,
    the k eigenvalues nearest σ). ``pb.solver.arpack(model, k, sigma)`` makes exactly this call on
    ``model.hamiltonian``; here it runs on the finished H (passivation included). The nearest k
    can all lie on one side of an off-centre σ: k is doubled (a new call, as a pybinding user
    would do) until both sides are covered."""
    k, calls = 2 * (n_below + n_above) + 4, 0
    while True:
        e, v = spla.eigsh(h, k=min(k, h.shape[0] - 2), sigma=sigma, which="LM", tol=tol * 1e-2)
        calls += 1
        if (np.sum(e < sigma) > n_below and np.sum(e > sigma) > n_above) or k >= h.shape[0] - 2:
            return e, v, {"k": k, "calls": calls}
        k *= 2


def _filtered(h, sigma: float, n_below: int, n_above: int, tol: float = 1e-10, *, half_gap: float | None = None,
              parity=None, kramers: bool = True, rotation=None, backend=None, **_):
    """Chebyshev-filtered subspace iteration on the folded spectrum (``confinement.filtered_solver``).

    Needs no factorisation (memory O(n·block)); uses inversion parity, the C4z rotation
    (``rotation``, a :class:`confinement.symmetry.SiteSymmetry`) and Kramers symmetry when supplied.
    ``half_gap``: a lower bound of the distance from σ to the band edges (the bulk half-gap for a σ
    at the bulk mid-gap). ``backend``: where the filter runs (None: CPU).
    """
    from .filtered_solver import SolverInfo, band_edge_states

    hg = half_gap if half_gap else 0.25
    info = SolverInfo()
    n_each = _doublets_per_side(n_below, n_above)
    try:
        e, v, _ = band_edge_states(h, sigma - hg, sigma + hg, n_each=n_each, tol=tol, parity=parity,
                                   kramers=kramers, rotation=rotation, info=info, backend=backend)
    except ConvergenceError as exc:
        if half_gap:
            raise
        raise ConvergenceError(f"{exc}. No half_gap hint was given (0.25 eV assumed): pass half_gap, a lower "
                               "bound of the distance from sigma to the band edges (e.g. the bulk half-gap "
                               "for sigma at the bulk mid-gap)") from None
    return e, v, {"iterations": info.iterations, "matvecs": float(info.matvecs), "sigma_final": info.sigma,
                  "degrees": info.degrees, "backend": info.backend, "threads": info.threads}


def _gpu(h, sigma: float, n_below: int, n_above: int, tol: float = 1e-10, **hints):
    """The filtered solver with the filter on the GPU (CuPy); raises if no GPU is usable."""
    from .array_backend import gpu_available

    if not gpu_available():
        raise ParameterError("solver 'gpu' needs CuPy and a CUDA device (none found, or LANDEG_GPU=0); "
                             "use 'filtered' for the CPU")
    hints.pop("backend", None)
    return _filtered(h, sigma, n_below, n_above, tol, backend="cupy", **hints)


SOLVERS: dict[str, Callable] = {"dense": _dense, "shift-invert": _shift_invert, "arpack": _arpack,
                                "filtered": _filtered, "gpu": _gpu}


def register_solver(name: str, function: Callable) -> None:
    """Add a strategy: ``function(h, sigma, n_below, n_above, tol=...) -> (energies, vectors, info)``."""
    SOLVERS[name] = function


def choose_solver(n: int, hints: dict | None = None) -> str:
    """The strategy ``auto`` picks for dimension ``n`` and the solver ``hints`` (shift-invert needs
    blocks free of Kramers degeneracy: the C4z ``rotation`` hint, or ``kramers=False``)."""
    hints = hints or {}
    if n <= DENSE_LIMIT:
        return "dense"
    if n <= SLICING_LIMIT and (hints.get("rotation") is not None or hints.get("kramers") is False):
        return "shift-invert"
    from .array_backend import gpu_available

    return "gpu" if gpu_available() else "filtered"


def solve_band_edges(h, sigma: float, n_below: int = 2, n_above: int = 2, *, solver: str = "auto",
                     tol: float = 1e-8, **hints) -> BandEdgeStates:
    """The ``n_below`` highest eigenpairs below ``sigma`` and ``n_above`` lowest above it (eV).

    ``tol``: maximal accepted residual ‖Hv − Ev‖ in eV. Raises :class:`ConvergenceError` naming
    the residuals if any returned pair misses it. ``hints`` go to the strategy (e.g. ``half_gap``,
    ``parity``, ``kramers`` for the filtered solver; others ignore them).
    """
    if n_below < 1 or n_above < 1:
        raise ParameterError("ask for at least one state on each side of the gap")
    check_hermitian(h)
    name = choose_solver(h.shape[0], hints) if solver == "auto" else solver
    if name not in SOLVERS:
        raise ParameterError(f"unknown solver {name!r}; available: auto, {', '.join(SOLVERS)}")
    _notify("start", {"solver": name, "n": h.shape[0]})
    start = time.perf_counter()
    energies, vectors, info = SOLVERS[name](h, sigma, n_below, n_above, tol=tol, **hints)
    seconds = time.perf_counter() - start
    _notify("end", {"solver": name, "n": h.shape[0], "seconds": seconds})
    order = np.argsort(energies)
    energies, vectors = energies[order], vectors[:, order]
    below = np.flatnonzero(energies < sigma)[::-1][:n_below]
    above = np.flatnonzero(energies > sigma)[:n_above]
    if len(below) < n_below or len(above) < n_above:
        raise ConvergenceError(f"solver {name!r} returned {len(below)} states below and {len(above)} above "
                               f"σ = {sigma:.4f} eV; asked for {n_below} and {n_above}")
    keep = np.concatenate([below, above])
    vecs = orthonormalise_degenerate(energies[keep], vectors[:, keep])
    res = residual_norms(h, energies[keep], vecs)
    if np.any(res > tol):
        raise ConvergenceError(f"solver {name!r} did not converge: residuals ‖Hv − Ev‖ = "
                               f"{np.array2string(res, precision=2)} eV exceed tol = {tol:.1e} eV")
    nb = len(below)
    return BandEdgeStates(below=energies[below], above=energies[above], vectors_below=vecs[:, :nb],
                          vectors_above=vecs[:, nb:], residuals_below=res[:nb], residuals_above=res[nb:],
                          solver=name, seconds=seconds, info=info)
