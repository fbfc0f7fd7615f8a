"""g-factors of band-edge Kramers doublets in finite systems.

First order: M_γ = ⟨a|∂H/∂B_γ|b⟩/μB on the orthonormalised doublet, with ∂H/∂B the Peierls
derivative of every hopping (symmetric gauge about ``gauge_origin``, straight paths) plus the
on-site L + g0 S; the J-convention g-tensor follows from the projected J (``confinement.gfactor``).
Finite field: diagonalise H(B) with exact Peierls phases at a small field and read
g = [E(⇑) − E(⇓)]/(μB B), ⇑ the state with positive ⟨J·n⟩.
"""

from __future__ import annotations

import numpy as np

from .errors import ParameterError, PhysicsCheckError
from .gfactor import GTensor, g_tensor
from .magnetic import hamiltonian_in_field, peierls_derivative
from .solvers import solve_band_edges
from .solvers.common import LEVEL_TOL
from .solvers.filtered import DEFAULT_POLYNOMIAL
from .system import FiniteSystem
from .units import MU_B
from .warm_start import WarmStarts

#: Unit field directions of the crystal axes.
AXES = {"x": np.array([1.0, 0.0, 0.0]), "y": np.array([0.0, 1.0, 0.0]), "z": np.array([0.0, 0.0, 1.0])}


def _project(op, states: np.ndarray) -> np.ndarray:
    return states.conj().T @ (op @ states)


def first_order_g(system: FiniteSystem, states: np.ndarray, gauge_origin: np.ndarray | None = None, *,
                  peierls: tuple | None = None) -> GTensor:
    """J-convention g-tensor of the doublet spanned by ``states`` (n, 2), to first order in B.
    ``peierls``: :func:`~confinement.magnetic.peierls_derivative` of this system and gauge origin,
    if already computed (it is the costly part: one pass over every hopping)."""
    if states.shape[1] != 2:
        raise PhysicsCheckError(f"a Kramers doublet has two states, got {states.shape[1]}")
    if peierls is None:
        peierls = peierls_derivative(system, gauge_origin)
    zeeman = np.array([_project(peierls[g], states) + _project(system.zeeman[g], states) for g in range(3)])
    ang = np.array([_project(system.angular_momentum[g], states) for g in range(3)])
    return g_tensor(zeeman, ang, atol=1e-7)


def solver_hints(system: FiniteSystem, half_gap: float | None, *, kramers: bool = True, rotation: bool = True) -> dict:
    """Symmetry and gap hints for the eigen-solver: inversion parity and the rotation about z the
    system keeps (C4z, else C2z; ``rotation=False``: none, e.g. for a field not along z), Kramers,
    half-gap."""
    return {"parity": system.inversion(), "rotation": system.z_rotation() if rotation else None,
            "kramers": kramers, "half_gap": half_gap}


def require_solver_symmetry(system: FiniteSystem, solver: str, shape: str = "") -> None:
    """Refuse ``shift-invert`` at B = 0 on a system without a rotation about z (group Ci or C1): its
    blocks keep exact Kramers pairs, on which single-vector Lanczos stalls. Names the group and the
    strategies that work (dense, filtered, auto)."""
    if solver == "shift-invert" and system.z_rotation() is None:
        raise ParameterError(f"the {shape or 'system'} keeps only the group {system.point_group()} (no C4z or C2z "
                             "rotation about z): the 'shift-invert' solver needs blocks free of Kramers degeneracy; "
                             "use 'auto' (dense for small systems, filtered otherwise), 'dense' or 'filtered'")


def _solve_warm(h, sigma: float, n: int, system: FiniteSystem, solve: str, warm_starts: WarmStarts | None,
                start=None, **options):
    """:func:`solve_band_edges` (n states per side) from ``start`` if given, else from
    ``warm_starts``' entry for this layout and solve kind (its own subspace left there)."""
    store = warm_starts if start is None else None
    guess = store.get(system, solve) if store is not None else start
    if guess is not None:
        options["guess"] = guess
    states = solve_band_edges(h, sigma, n, n, **options)
    if store is not None:
        store.put(system, states, solve)
    states.info.setdefault("warm_start", guess is not None)
    return states


def finite_field_splittings(system: FiniteSystem, sigma: float, *, field_T: float = 1.0,
                            direction: np.ndarray = AXES["z"], gauge_origin: np.ndarray | None = None,
                            solver: str = "auto", tol: float = 1e-9, half_gap: float | None = None,
                            warm_starts: WarmStarts | None = None, zero_field=None,
                            info: dict | None = None,
                            filter_polynomial: str = DEFAULT_POLYNOMIAL) -> dict[str, float]:
    """g along ``direction`` of both band-edge doublets from one solve at ``field_T`` (T):
    {'above': conduction-band bottom (electron), 'below': valence-band top (hole)},
    g = [E(⇑) − E(⇓)]/(μB B) with ⇑ the state of positive ⟨J·n⟩.

    Only a field along z keeps the rotation about z (C4z or C2z) in the symmetric gauge about the
    centre: for any other direction the solver gets inversion parity only (and no time reversal).
    ``warm_starts``: a :class:`~confinement.warm_start.WarmStarts` store consulted and updated (the
    solve kind names the field and its direction) unless ``zero_field`` is used: the subspace of
    the same system's zero-field solve (``BandEdgeStates.subspace``), the start whenever the field
    keeps the rotation blocks (along z, symmetric gauge; measured better than the previous
    parameter point's field subspace, docs/performance.md); ``info``: a dict filled with the
    solver's statistics (mat-vecs, iterations, warm_start); ``filter_polynomial``: as in
    :func:`band_edge_gfactors`.
    """
    n_hat = np.asarray(direction, float) / np.linalg.norm(direction)
    h = hamiltonian_in_field(system, field_T * n_hat, gauge_origin)
    along_z = bool(np.allclose(n_hat[:2], 0.0))          # only a field along z keeps C4z / C2z
    hints = (solver_hints(system, half_gap, kramers=False, rotation=along_z) if gauge_origin is None
             else {"half_gap": half_gap, "kramers": False})
    solve = f"B={field_T:g}T n={np.round(n_hat, 9).tolist()} origin={gauge_origin is not None}"
    same_blocks = along_z and gauge_origin is None and hints.get("rotation") is not None
    states = _solve_warm(h, sigma, 2, system, solve, warm_starts, zero_field if same_blocks else None,
                         solver=solver, tol=tol, polynomial=filter_polynomial, **hints)
    if info is not None:
        info.update(states.info, solver=states.solver, seconds=states.seconds)
    j_n = sum(n_hat[g] * system.angular_momentum[g] for g in range(3))
    out = {}
    for side, energies, vectors in (("below", states.below, states.vectors_below),
                                    ("above", states.above, states.vectors_above)):
        proj = np.real(np.einsum("ia,ia->a", vectors.conj(), j_n @ vectors))
        if np.sign(proj[0]) == np.sign(proj[1]):
            raise PhysicsCheckError(f"split doublet has ⟨J·n⟩ = {proj} of equal sign: ⇑/⇓ undefined "
                                    f"(field too large or levels crossed)")
        up, down = (0, 1) if proj[0] > 0 else (1, 0)
        out[side] = float((energies[up] - energies[down]) / (MU_B * field_T))
    return out


def finite_field_g(system: FiniteSystem, sigma: float, side: str, **options) -> float:
    """g along ``direction`` from the Zeeman splitting at ``field_T`` of the doublet next to ``sigma``.

    ``side`` is 'below' (valence-band top) or 'above' (conduction-band bottom); ``options`` as in
    :func:`finite_field_splittings` (field_T, direction, gauge_origin, solver, tol, half_gap).
    """
    if side not in ("below", "above"):
        raise ParameterError(f"side must be 'below' or 'above', got {side!r}")
    return finite_field_splittings(system, sigma, **options)[side]


def band_edge_gfactors(system: FiniteSystem, sigma: float, *, solver: str = "auto", tol: float = 1e-8,
                       finite_field_T: float | None = 1.0, gauge_origin: np.ndarray | None = None,
                       n_extra: int = 0, surface_threshold: float = 0.5, half_gap: float | None = None,
                       field_axes: str = "z", warm_starts: WarmStarts | None = None,
                       filter_polynomial: str = DEFAULT_POLYNOMIAL) -> dict:
    """Band edges and g-factors of a finite system around the in-gap reference ``sigma`` (eV).

    Returns a JSON-ready record: energies (eV), first-order g tensors, their principal values and
    axes (:meth:`GTensor.summary`) and isotropic g of the conduction-band bottom (electron) and
    valence-band top (hole, J-convention), the point group of the symmetry blocks, finite-field g
    (if ``finite_field_T``) along each axis of ``field_axes`` (a subset of 'xyz'; one solve per axis,
    compared with the first-order tensor along it in ``g_e_field_check``/``g_h_field_check``;
    ``g_e_finite_field`` is the value along the last axis given), surface weights, residuals,
    solver and timing; ``levels_below``/``levels_above``: the doublet of each edge and ``n_extra``
    further states per side (eV, nearest the gap first; a level cut by the count comes whole). A
    band-edge doublet with surface weight above ``surface_threshold`` is reported in ``warnings``,
    never dropped. ``warm_starts``: a
    :class:`~confinement.warm_start.WarmStarts` store: the zero-field solve (and a field solve off
    the z axis) starts from the last subspace of a system of the same layout and leaves its own
    there. The field solve along z always starts from this system's zero-field subspace. The
    filtered solver uses these starts, the certificate is the same; ``solver_info['warm_start']``
    and ``field_solver_info[axis]['warm_start']`` say which solves were started warm.
    ``filter_polynomial``: the filtered solver's polynomial for every solve, 'bands' or 'fold'
    (other strategies ignore it; docs/performance.md says where each is faster).
    """
    import time

    if isinstance(n_extra, bool) or not isinstance(n_extra, (int, np.integer)) or n_extra < 0:
        raise ParameterError(f"n_extra (further states per side) must be an integer >= 0, got {n_extra!r}")
    if not field_axes or not set(field_axes) <= set(AXES) or len(set(field_axes)) != len(field_axes):
        raise ParameterError(f"field_axes must name distinct axes of 'xyz' (e.g. 'z' or 'xyz'), got {field_axes!r}")
    start = time.perf_counter()
    # The doublet per side; solve_band_edges completes a level cut by the count, so a four-fold
    # edge comes back whole (a third state per side, converged to tol, would only prove that).
    states = _solve_warm(system.hamiltonian, sigma, 2 + n_extra, system, "B=0", warm_starts, solver=solver, tol=tol,
                         polynomial=filter_polynomial, **solver_hints(system, half_gap))
    for side, e in (("valence", states.below), ("conduction", states.above)):
        if abs(e[0] - e[1]) > LEVEL_TOL:
            raise PhysicsCheckError(f"{side}-band edge is not degenerate: {e[:2]} eV (Kramers pair expected)")
        if len(e) > 2 and abs(e[2] - e[0]) <= LEVEL_TOL:
            raise PhysicsCheckError(f"{side}-band edge is (at least) four-fold degenerate at {e[0]:.6f} eV "
                                    f"(a Γ8-like quartet): it has no single doublet g-factor")
    peierls = peierls_derivative(system, gauge_origin)
    g_e = first_order_g(system, states.vectors_above[:, :2], gauge_origin, peierls=peierls)
    g_h = first_order_g(system, states.vectors_below[:, :2], gauge_origin, peierls=peierls)
    w_cb = system.surface_weight(states.vectors_above[:, :2]).mean()
    w_vb = system.surface_weight(states.vectors_below[:, :2]).mean()
    record = {
        "n_orbitals": system.n_orbitals, "n_sites": system.n_sites,
        "E_cb": float(states.above[:2].mean()), "E_vb": float(states.below[:2].mean()),
        "E_gap": float(states.above[:2].mean() - states.below[:2].mean()),
        "g_e": g_e.g, "g_h": g_h.g, "g_X": g_e.g + g_h.g,
        "g_e_tensor": g_e.tensor.tolist(), "g_h_tensor": g_h.tensor.tolist(),
        "g_e_anisotropy": g_e.anisotropy, "g_h_anisotropy": g_h.anisotropy,
        "g_e_principal": g_e.summary(), "g_h_principal": g_h.summary(), "point_group": system.point_group(),
        "surface_weight_cb": float(w_cb), "surface_weight_vb": float(w_vb),
        "surface_fraction_sites": float(system.surface.mean()),
        "levels_below": states.below.tolist(), "levels_above": states.above.tolist(),
        "residual_max": float(max(states.residuals_below.max(), states.residuals_above.max())),
        "solver": states.solver, "solver_seconds": states.seconds, "solver_info": states.info,
        "warnings": [],
    }
    for carrier, w in (("conduction", w_cb), ("valence", w_vb)):
        if w > surface_threshold:
            record["warnings"].append(f"{carrier}-band edge has surface weight {w:.2f} > {surface_threshold}: "
                                      f"a surface state, not an interior state")
    if finite_field_T:
        checks: dict[str, dict] = {"g_e_field_check": {}, "g_h_field_check": {}}
        field_info: dict[str, dict] = {}
        for axis in field_axes:
            field_info[axis] = {}
            split = finite_field_splittings(system, sigma, field_T=finite_field_T, direction=AXES[axis],
                                            gauge_origin=gauge_origin, solver=solver, tol=tol, half_gap=half_gap,
                                            warm_starts=warm_starts, zero_field=states.subspace,
                                            info=field_info[axis], filter_polynomial=filter_polynomial)
            for key, side, gt in (("g_e", "above", g_e), ("g_h", "below", g_h)):
                record[f"{key}_finite_field"] = split[side]
                checks[f"{key}_field_check"][axis] = {"finite_field": split[side],
                                                      "first_order": float(gt.along(AXES[axis]))}
        for check in checks.values():
            check["max_deviation"] = max(abs(c["finite_field"] - c["first_order"]) for c in check.values())
        record.update(checks, finite_field_T=finite_field_T, field_solver_info=field_info)
    record["seconds"] = time.perf_counter() - start
    return record
