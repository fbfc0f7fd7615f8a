"""The band-edge front end: :func:`solve_band_edges` picks a strategy from the registry, runs it and
certifies what it returns (residual ‖Hv − Ev‖ ≤ tol for every pair, both sides covered, degenerate
pairs orthonormal); :func:`observe_solves` lets a caller (the command line's progress display)
follow every solve without the solver knowing of terminals. Energies in eV."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import ConvergenceError, ParameterError
from .common import check_hermitian, orthonormalise_degenerate, residual_norms, whole_levels
from .registry import choose_solver, get_solver

__all__ = ["BandEdgeStates", "observe_solves", "solve_band_edges", "SUBSPACE_KEY"]

#: Key under which a strategy may return its final subspace (a warm start, not JSON) in its info;
#: the front end moves it to :attr:`BandEdgeStates.subspace`.
SUBSPACE_KEY = "_subspace"

log = logging.getLogger(__name__)

#: Callbacks told of every solve (:func:`observe_solves`).
_OBSERVERS: list[Callable[[str, dict], None]] = []


@contextlib.contextmanager
def observe_solves(callback: Callable[[str, dict], None]) -> Iterator[Callable[[str, dict], None]]:
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
    residuals (k,) in eV; ``solver`` name; ``seconds`` wall time; ``info`` solver details (JSON-ready);
    ``subspace``: the strategy's final subspace where it keeps one (filtered: a
    :class:`confinement.solvers.filtered.Subspace`), else None.
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
    subspace: object | None = None

    @property
    def vectors(self) -> np.ndarray:
        """All returned vectors (n, k_below + k_above), below first."""
        return np.hstack([self.vectors_below, self.vectors_above])

    @property
    def warm_start(self):
        """What the next solve of a neighbouring system of the same size starts from
        (``solve_band_edges(..., guess=states.warm_start)``): the subspace, else the vectors."""
        return self.subspace if self.subspace is not None else self.vectors


def solve_band_edges(h, sigma: float, n_below: int = 2, n_above: int = 2, *, solver: str = "auto",
                     tol: float = 1e-8, **hints) -> BandEdgeStates:
    """The ``n_below`` highest eigenpairs below ``sigma`` and ``n_above`` lowest above it (eV),
    each side extended to a whole level: the states the strategy returned within
    ``LEVEL_TOL`` (:mod:`.common`) of the last one kept come too (with ``n_below = 2`` and a four-fold level at
    the edge all four are returned). The strategies ``dense``, ``shift-invert``, ``filtered`` and
    ``gpu`` return whole levels; ``arpack`` returns more than asked (its k nearest σ).

    ``tol``: maximal accepted residual ‖Hv − Ev‖ in eV. Raises :class:`ConvergenceError` naming
    the residuals if any returned pair misses it. ``hints`` go to the strategy (e.g. ``half_gap``,
    ``parity``, ``kramers``, ``rotation``, ``guess``; strategies ignore those they do not use).
    """
    if n_below < 1 or n_above < 1:
        raise ParameterError("ask for at least one state on each side of the gap")
    check_hermitian(h)
    name = choose_solver(h.shape[0], hints) if solver == "auto" else solver
    strategy = get_solver(name)
    _notify("start", {"solver": name, "n": h.shape[0]})
    log.info("solving n = %d with %r around sigma = %.4f eV", h.shape[0], name, sigma)
    start = time.perf_counter()
    energies, vectors, info = strategy(h, sigma, n_below, n_above, tol=tol, **hints)
    seconds = time.perf_counter() - start
    subspace = info.pop(SUBSPACE_KEY, None)
    _notify("end", {"solver": name, "n": h.shape[0], "seconds": seconds})
    states = _certified(h, sigma, n_below, n_above, tol, name, energies, vectors, seconds, info)
    return replace(states, subspace=subspace)


def _certified(h, sigma: float, n_below: int, n_above: int, tol: float, name: str, energies: np.ndarray,
               vectors: np.ndarray, seconds: float, info: dict) -> BandEdgeStates:
    """The asked-for states of a strategy's answer, orthonormalised and checked with H itself."""
    order = np.argsort(energies)
    energies, vectors = energies[order], vectors[:, order]
    below = whole_levels(energies, np.flatnonzero(energies < sigma)[::-1], n_below)
    above = whole_levels(energies, np.flatnonzero(energies > sigma), n_above)
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
    log.info("solver %r: %d + %d states in %.2f s, max residual %.1e eV", name, nb, len(above), seconds, res.max())
    return BandEdgeStates(below=energies[below], above=energies[above], vectors_below=vecs[:, :nb],
                          vectors_above=vecs[:, nb:], residuals_below=res[:nb], residuals_above=res[nb:],
                          solver=name, seconds=seconds, info=info)
