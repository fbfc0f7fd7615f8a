"""Band-edge eigen-solvers: eigenpairs just below and just above a reference energy inside the gap.

One module per strategy (``solver=``), each registering itself in :mod:`.registry`:

- ``dense`` (:mod:`.dense`): LAPACK on the full matrix; robust reference for small systems
  (n ≤ DENSE_LIMIT in ``auto``).
- ``shift-invert`` (:mod:`.slicing`): spectrum slicing in the symmetry blocks: with the C4z
  rotation, inversion and time reversal of a cubic NC, four blocks of n/8, each solved by ARPACK on
  one sparse LDLᴴ of A − σ; completeness certified by Sylvester inertia counts. The fast path up
  to SLICING_LIMIT; needs blocks free of Kramers degeneracy.
- ``arpack`` (:mod:`.arpack`): pybinding's ``solver.arpack`` call, ``eigsh(H, k, sigma)``; the
  benchmark baseline.
- ``filtered`` (:mod:`.filtered`): Chebyshev-filtered subspace iteration on the folded spectrum
  in the same symmetry blocks; no factorisation, memory O(n·block); the path for large systems.
- ``gpu`` (:mod:`.gpu`): the filtered solver with its filter on a GPU through CuPy.
- ``auto``: :func:`choose_solver`.

Shared helpers live in :mod:`.common`, the certifying front end :func:`solve_band_edges` in
:mod:`.band_edges`. Every path returns orthonormal vectors, checks the residual ‖Hv − Ev‖ of
every returned pair and raises :class:`confinement.errors.ConvergenceError` instead of returning
unconverged vectors. Energies in eV. Progress is logged (``logging``, one logger per module).
"""

from __future__ import annotations

from . import arpack, dense, filtered, gpu, slicing  # noqa: F401  (each registers its strategy)
from .band_edges import BandEdgeStates, observe_solves, solve_band_edges
from .common import check_hermitian, orthonormalise_degenerate, residual_norms
from .registry import DENSE_LIMIT, SLICING_LIMIT, SOLVERS, choose_solver, register_solver, solver_names

__all__ = ["BandEdgeStates", "observe_solves", "solve_band_edges", "check_hermitian", "orthonormalise_degenerate",
           "residual_norms", "DENSE_LIMIT", "SLICING_LIMIT", "SOLVERS", "choose_solver", "register_solver",
           "solver_names"]
