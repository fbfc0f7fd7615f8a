"""Compatibility module: the band-edge solvers live in :mod:`confinement.solvers` (one module per
strategy); these names are re-exported from there."""

from __future__ import annotations

from .solvers import (
    DENSE_LIMIT,
    SLICING_LIMIT,
    SOLVERS,
    BandEdgeStates,
    check_hermitian,
    choose_solver,
    observe_solves,
    orthonormalise_degenerate,
    register_solver,
    residual_norms,
    solve_band_edges,
    solver_names,
)

__all__ = ["BandEdgeStates", "observe_solves", "solve_band_edges", "check_hermitian", "orthonormalise_degenerate",
           "residual_norms", "DENSE_LIMIT", "SLICING_LIMIT", "SOLVERS", "choose_solver", "register_solver",
           "solver_names"]
