"""Compatibility module: the Chebyshev-filtered solver is :mod:`confinement.solvers.filtered`, its
helpers :mod:`confinement.solvers.common`; these names are re-exported from there."""

from __future__ import annotations

from .errors import ConvergenceError as NotConvergedError
from .solvers.common import energy_levels, require_clean_gap, solver_threads, spectrum_bounds
from .solvers.filtered import FilterOptions, SolverInfo, band_edge_states

__all__ = ["band_edge_states", "FilterOptions", "NotConvergedError", "spectrum_bounds", "SolverInfo",
           "energy_levels", "require_clean_gap", "solver_threads"]
