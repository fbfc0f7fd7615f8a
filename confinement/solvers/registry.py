"""The strategy registry: name → function, and the choice ``auto`` makes.

A strategy is ``function(h, sigma, n_below, n_above, tol=..., **hints) -> (energies, vectors, info)``
(energies in eV, vectors (n, k), ``info`` a JSON-ready dict). The strategy modules of
:mod:`confinement.solvers` register themselves on import; :func:`solver_names` is what a command
line offers.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ParameterError

__all__ = ["SOLVERS", "DENSE_LIMIT", "SLICING_LIMIT", "register_solver", "get_solver", "choose_solver", "solver_names"]

#: Largest dimension for which ``auto`` uses dense diagonalisation (tight binding and k·p grids
#: alike). Measured on one core: TB cube n = 880 dense 0.7 s / filtered 1.0 s, n = 2700 dense 28 s /
#: filtered 0.5 s; k·p grid cube n = 2744 dense ~40 s / filtered 1.2 s.
DENSE_LIMIT = 1000
#: Largest dimension for which ``auto`` uses ``shift-invert`` (spectrum slicing). Measured on this
#: 2-core machine (CsPbI3 cubes, solve only): n = 44 800 shift-invert 1.37 s / filtered 1.69 s,
#: n = 86 000 3.2 s / 2.6 s, n = 185 900 12.6 s / 7.4 s (docs/performance.md).
SLICING_LIMIT = 60000

#: Registered strategies, in registration order.
SOLVERS: dict[str, Callable] = {}


def register_solver(name: str, function: Callable) -> Callable:
    """Add (or replace) a strategy under ``name`` (signature: module doc); returns ``function``."""
    if not name or name == "auto":
        raise ParameterError(f"a solver cannot be registered as {name!r}")
    SOLVERS[name] = function
    return function


#: The built-in strategies in the order a command line lists them.
BUILT_IN = ("dense", "shift-invert", "arpack", "filtered", "gpu")


def solver_names() -> tuple[str, ...]:
    """Every name ``solve_band_edges(solver=...)`` accepts: ``auto`` first, the built-in strategies,
    then any others registered (in registration order)."""
    return ("auto", *sorted(SOLVERS, key=lambda name: BUILT_IN.index(name) if name in BUILT_IN else len(BUILT_IN)))


def get_solver(name: str) -> Callable:
    """The strategy registered as ``name``; ParameterError naming the known ones otherwise."""
    try:
        return SOLVERS[name]
    except KeyError:
        raise ParameterError(f"unknown solver {name!r}; available: {', '.join(solver_names())}") from None


def choose_solver(n: int, hints: dict | None = None) -> str:
    """The strategy ``auto`` picks for dimension ``n`` and the solver ``hints``: dense up to
    DENSE_LIMIT, shift-invert up to SLICING_LIMIT when its blocks are free of Kramers degeneracy
    (the C4z ``rotation`` hint, or ``kramers=False``), else gpu where CuPy sees a GPU, else filtered."""
    hints = hints or {}
    if n <= DENSE_LIMIT:
        return "dense"
    if n <= SLICING_LIMIT and (hints.get("rotation") is not None or hints.get("kramers") is False):
        return "shift-invert"
    from ..array_backend import gpu_available

    return "gpu" if gpu_available() else "filtered"
