"""Strategy ``filtered``: band-edge eigenpairs of a large sparse Hermitian tight-binding Hamiltonian with a clean gap.

    energies, vectors, residuals = band_edge_states(H, e_vbm_guess, e_cbm_guess, n_each=2, tol=1e-9)

Returns every eigenpair of the ``n_each`` highest Kramers doublets below the gap and the ``n_each``
lowest above it (a degenerate multiplet cut by that count is completed: cubic nanocrystals have
4-fold levels), sorted by energy.  ``residuals`` are ||H v - E v|| for normalised v, recomputed
with the original H.  Raises ConvergenceError if that is not <= tol for every returned pair.
numpy + scipy only; the filter can run on a GPU through CuPy (``backend='cupy'``).

Method
------
Chebyshev-filtered subspace iteration on the folded spectrum.  With sigma in the gap, the filter
p(H) = T_m(l((H - sigma)^2)), l mapping [a^2, B] onto [-1, 1] (B >= max (E - sigma)^2), is the
minimax polynomial that is small on the whole spectrum outside (sigma - a, sigma + a) and grows
fastest towards sigma, i.e. on both band edges at once.  Per outer iteration: filter a block V,
Rayleigh-Ritz in H on span{previous Ritz vectors, p(H)V} (a depth-1 block Krylov step in p(H),
free of extra filter work), keep the Ritz vectors nearest sigma (ordered by ||(H - sigma) z||,
which is immune to spurious in-gap Ritz values), adapt a (folded Ritz bound), degree and sigma
(re-centred in the gap once both edges are seen).  No factorisation: memory is O(n * block).
The default polynomial ('bands') replaces T_m by the orthonormal polynomials of the bands outside
the window (confinement.solvers.band_filter; bands from a KPM estimate on one block): with the
degree that matches the fold's planned growth at the nearest pair, 1.2-1.3x fewer powers of H on
the CsPbX3 spectra, which are asymmetric about the gap and have gaps of 1.7-5 eV. A Ritz pair
(theta, r) inside a gap of the estimate proves a state there: that gap is filled. The certificate
below does not depend on the polynomial (Ritz residuals and the folded Ritz bound).
Once the Ritz pairs show the answer (the edge levels, the level that proves them whole), each
pair gets the residual it must reach; a symmetry block whose pairs all meet theirs is not
filtered again, and a block that is nearly there gets the lower degree that should finish it.

Threads: the symmetry blocks are filtered side by side (the sparse kernels release the GIL), in
column slices where the blocks left are fewer than the threads or uneven (:func:`column_tasks`);
see :func:`confinement.solvers.common.solver_threads`.

The driver is :class:`FilterOptions` (tuning) plus the named steps of :class:`_FilteredRun`
(blocks, bounds, first degree, per iteration: filter and project, select, re-centre sigma,
plan the blocks, next degree, grow; then assemble in the full space). Progress goes to this
module's logger.

Symmetry (both optional, both checked numerically before use; confinement.symmetry):
  parity=(perm, sign) with (P x)[i] = sign[i] x[perm[i]]: an involution commuting with H
      (inversion through the nanocrystal centre: site r -> -r, orbital sign (-1)^l, spin kept).
      H splits into two decoupled halves, each solved separately (half the work per matvec, and
      the band edges of a centro-symmetric crystal have opposite parities).
  kramers=True: Theta = (I (x) i sigma_y) K in the basis index = 2*orbital + spin.  One vector per
      doublet is filtered; the Rayleigh-Ritz space is span{Y, Theta Y} (Theta commutes with p(H)).
      Pass kramers=False for Hamiltonians that break time reversal (magnetic field).

Choosing the inputs
-------------------
e_vbm_guess / e_cbm_guess: the bulk band edges of the same model are a safe choice (confinement
only widens the gap, so the bulk mid-gap lies inside the nanocrystal gap and the bulk half-gap is a
lower bound on the distance of every state from it); sigma is re-centred automatically.  If the
structure has in-gap surface states they *are* the states nearest the gap and will be returned:
check their localisation.
bounds: (Emin, Emax) of the spectrum; default: 40-step Lanczos estimate widened by its residuals
and 1%.  For a cluster cut from a crystal without on-site modifications the bulk band extremes
are rigorous bounds.  An underestimated bound is detected (Ritz values outside) and widened.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace

import numpy as np
import scipy.sparse as sp

from ..array_backend import ArrayBackend, get_backend
from ..errors import ConvergenceError, ParameterError
from ..symmetry import full_space_states, split_by_block, symmetry_sectors
from .band_edges import SUBSPACE_KEY
from .block_filters import BlockFilter, fold_argument
from .column_tasks import column_tasks
from .common import (
    LEVEL_TOL,
    as_complex_csr,
    doublets_per_side,
    energy_levels,
    require_clean_gap,
    solver_threads,
    spectrum_bounds,
)
from .registry import register_solver
from .spectral_support import Intervals, fill_gap, spectral_support, support_gaps

__all__ = ["band_edge_states", "filtered_band_edges", "FilterOptions", "SolverInfo", "Subspace"]

log = logging.getLogger(__name__)


@dataclass
class SolverInfo:
    """Statistics of one filtered solve: final ``sigma`` (eV), spectrum ``bounds`` (eV), outer
    ``iterations``, ``matvecs`` (in units of one full-size H @ v, block products weighted by their
    size), per-iteration ``degrees`` and ``history``, block sizes, ``times`` (s), backend, threads."""

    sigma: float = 0.0
    bounds: tuple = (0.0, 0.0)
    iterations: int = 0
    matvecs: float = 0.0
    sector_matvecs: dict = field(default_factory=dict)
    degrees: list = field(default_factory=list)
    blocks: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    backend: str = "cpu"
    threads: int = 1
    gap: float = 0.0
    subspace: Subspace | None = None
    support: tuple | None = None


@dataclass(frozen=True)
class Subspace:
    """The final Ritz basis of a filtered solve, per symmetry block (key → (n_block, k) orthonormal
    columns, the guard vectors included): a warm start for a solve of the same dimension ``n`` and
    the same blocks (a neighbouring parameter set at the same size), or of the same system in a
    field along its rotation axis (the blocks Θ pairs with are filled by time reversal).
    ``bounds``: the (Emin, Emax) estimate (eV) the solve ended with, already widened by 1 % of the
    span (:func:`~confinement.solvers.common.spectrum_bounds`): the next solve starts from it
    instead of its own Lanczos estimate (a neighbouring parameter point or a 1 T field moves the
    extremes by far less; bounds still too narrow show as Ritz values outside them and are
    widened, see filter_and_project; widening them again at every warm start compounds along a
    sweep and raised the degree by 8 % over six points, measured).
    ``previous``: the block bases of the solve before this one on the same layout (set by
    :class:`~confinement.warm_start.WarmStarts`), or None. A warm start then seeds each block with
    span{blocks, previous}: along a sweep that span holds the first-order change with the
    parameter, so the Rayleigh–Ritz step (which keeps the pairs nearest sigma in ‖(H − σ)z‖ and
    leaves the spurious mixtures, residual ~ eV, out) starts O(Δ²) instead of O(Δ) from the
    answer (edge residuals 4e-3 → 4e-5 eV on the X–X family, N = 6; docs/performance.md).
    ``support``: the bands (eV intervals) the solve's band polynomial was small on, gaps found to
    hold states already filled (:mod:`~confinement.solvers.spectral_support`), or None."""

    n: int
    blocks: dict
    bounds: tuple[float, float] | None = None
    previous: dict | None = None
    support: Intervals | None = None


#: The filter polynomials (FilterOptions.polynomial) and the default one.
FILTER_POLYNOMIALS = ("bands", "fold")
DEFAULT_POLYNOMIAL = "bands"


@dataclass(frozen=True)
class FilterOptions:
    """Tuning of the filtered solver (energies in eV).

    block: vectors filtered per sector (default: from n_each, guard, symmetry); guard: extra doublets
    kept beyond those needed; rho: target damping per outer iteration (sets the degree when growth is
    None); growth: per outer iteration the filter amplifies the state nearest sigma by ~growth over
    the cut (sets the degree; 1e5 was best across N = 6..10); tol_found: residual below which a level
    counts as found (proves the last returned level complete); lock: Ritz pairs with residual
    ≤ lock·tol are locked (kept in the Rayleigh–Ritz space, no longer filtered; 0 disables);
    degree_max: cap of the degree (powers of H) per iteration; max_iter: outer iterations before
    ConvergenceError; finish_safety: a block's finishing degree amplifies each pair it still
    needs by this factor beyond residual / target; deg_tol: degeneracy tolerance; first_window,
    first_rho, max_growth: the first filter; depth: filtered blocks per iteration; m_fixed: fixed
    half-degree (tests); min_gap_fraction: raise if the gap found is below this fraction of the
    guessed gap; seed; bounds: (Emin, Emax), default a warm start's or a 40-step Lanczos estimate;
    backend: where the filter runs (None/'cpu', 'cupy', an ArrayBackend); threads: blocks side by side
    (default :func:`solver_threads`); polynomial: 'bands' (orthogonal polynomials of the bands
    outside the window, :mod:`~confinement.solvers.band_filter`, the bands from a KPM estimate of
    ``support_moments`` moments) or 'fold' (Chebyshev on the folded hull).
    """

    block: int | None = None
    guard: int = 3
    rho: float = 1e-4
    growth: float | None = 1e5
    tol_found: float = 1e-6
    lock: float = 0.1
    degree_max: int = 8000
    max_iter: int = 60
    deg_tol: float = LEVEL_TOL
    first_window: float = 0.8
    first_rho: float = 1e-8
    max_growth: float = 1e10
    depth: int = 1
    m_fixed: int | None = None
    finish_safety: float = 10.0
    min_gap_fraction: float = 0.5
    seed: int = 0
    bounds: tuple[float, float] | None = None
    backend: str | ArrayBackend | None = None
    threads: int | None = None
    polynomial: str = DEFAULT_POLYNOMIAL
    support_moments: int = 1024


#: Names of the tuning keywords :func:`band_edge_states` accepts besides ``options``.
OPTION_NAMES = frozenset(f.name for f in fields(FilterOptions))

#: Smallest half-degree of a filter.
M_MIN = 10

#: Largest residual (eV) of a Ritz pair kept in the warm-start subspace of a solve.
SEED_RESIDUAL = 0.1


# ----------------------------------------------------------------------------------------------
# block-level kernels

def _orth_against(M, Z):
    """M minus its projection on the orthonormal columns of Z (twice, classical Gram-Schmidt)."""
    if Z is None or Z.shape[1] == 0:
        return M
    for _ in range(2):
        M = M - Z @ (Z.conj().T @ M)
    return M


def _principal_directions(X: np.ndarray, rel: float = 1e-3) -> np.ndarray:
    """Orthonormal basis of the column space of X, directions below ``rel`` of the largest dropped."""
    U, sv, _ = np.linalg.svd(X, full_matrices=False)
    return U[:, sv > rel * sv[0]] if sv.size and sv[0] > 0 else U[:, :0]


def _pick_one_per_doublet(K, keep):
    """Coefficient vectors c_1..c_keep (columns) of a Theta-invariant Ritz basis, one per doublet:
    each new c is orthogonalised against the accepted c_i and their Theta images K conj(c_i)."""
    L = K.shape[0]
    acc = []
    for j in range(L):
        c = np.zeros(L, complex)
        c[j] = 1.0
        for _ in range(2):
            for u in acc:
                c -= u * np.vdot(u, c)
                tu = K @ u.conj()
                c -= tu * np.vdot(tu, c)
        nrm = np.linalg.norm(c)
        if nrm > 0.5:
            acc.append(c / nrm)
            if len(acc) == keep:
                break
    return np.array(acc).T if acc else np.zeros((L, 0), complex)


# ----------------------------------------------------------------------------------------------

class _Sector:
    """One symmetry block of the filtered solver: its matrix A (eV), time reversal J (or None),
    weight (fraction of the full dimension), block size b, current block V and Ritz pairs."""

    def __init__(self, name, A, J, weight, b, rng, backend: ArrayBackend, partner: bool = False):
        self.name, self.J, self.weight, self.b = name, J, weight, b
        self.filters = BlockFilter(A, backend)      # p(H) V; owns A (its diagonal may be completed)
        self.partner = partner      # every state stands for a doublet (its partner is in an unsolved block)
        self.per = 2 if J is not None else 1        # Ritz pairs kept per filtered vector
        self.n = A.shape[0]
        self.matvecs = 0
        self.rng = rng
        self.V = self._random(b)
        self.probed = False         # filtered at least once; until then V always holds a random column
        self.Z = self.HZ = None
        self.ritz = self.res = self.dist = None
        self.a = None
        self.fresh = False
        self.locked = 0
        self.active = True          # filtered in the next iteration (see _FilteredRun.plan_filtering)
        self.need = None            # Ritz pairs the answer still needs, and their residual / target
        self.need_ratio = None
        self.last_need = np.inf     # the largest residual / target after its previous filter
        self.m = M_MIN              # half-degree of its next filter
        self.support = None         # bands of A (eV intervals) for the band polynomial; None: the fold
        self.d_ref = None           # distance (eV) from sigma at which the planned fold growth is matched
        self.all_res = None

    def _random(self, k):
        return self.rng.standard_normal((self.n, k)) + 1j * self.rng.standard_normal((self.n, k))

    @property
    def A(self) -> sp.csr_matrix:
        """The block matrix (eV)."""
        return self.filters.A

    @property
    def kramers(self):
        return self.J is not None

    def theta(self, X):
        return self.J @ X.conj()

    def matmul(self, X):
        self.matvecs += X.shape[1]
        return self.A @ X

    def plan_filter(self, sigma, a, B, m) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
        """(apply, degree in H) of the block's next filter (:meth:`BlockFilter.plan` with the block's
        bands and reference distance): ``apply(V)`` is p(H) V for any columns V of the block."""
        return self.filters.plan(self.support, self.d_ref, sigma, a, B, m)

    def filter(self, sigma, a, B, m) -> tuple[np.ndarray, int]:
        """(p(H) V, degree in H) for the block's whole V (:meth:`plan_filter`), mat-vecs counted."""
        apply, degree = self.plan_filter(sigma, a, B, m)
        self.matvecs += degree * self.V.shape[1]
        return apply(self.V), degree

    def filter_krylov(self, sigma, a, B, m, depth, first: tuple[np.ndarray, int]):
        """Blocks p(H)V, p(H)^2 V, ... (depth of them, each of half-degree :func:`_per_block`,
        re-orthonormalised in between), Theta images included, orthogonalised against the kept Ritz
        vectors. ``first``: (p(H) V, degree) of the first block, filtered by the caller
        (:meth:`_FilteredRun.filter_columns`)."""
        blocks = []
        prev = self.Z
        used = 0
        for j in range(depth):
            Y, deg = first if j == 0 else self.filter(sigma, a, B, _per_block(m, depth))
            used += deg
            M = np.hstack([Y, self.theta(Y)]) if self.kramers else Y
            basis = prev if not blocks else np.hstack([prev] + blocks) if prev is not None else np.hstack(blocks)
            M = _orth_against(M, basis)
            Q, _ = np.linalg.qr(M)
            blocks.append(Q)
            if j + 1 < depth:
                self.V = np.ascontiguousarray(Q[:, :Y.shape[1]]) if self.kramers else np.ascontiguousarray(Q)
        return np.hstack(blocks), used

    def rayleigh_ritz(self, Q, sigma, keep, lock_tol=0.0):
        """RR in H on span{Z_prev, Q} (Q orthonormal, orthogonal to Z_prev); keep the `keep` Ritz
        pairs nearest sigma in the RMS sense ||(H - sigma) z||; pairs with residual ≤ lock_tol
        (eV) are locked (not filtered again, see _next_block)."""
        HQ = self.matmul(Q)
        if self.Z is not None:
            Bs, HB = np.hstack([self.Z, Q]), np.hstack([self.HZ, HQ])
        else:
            Bs, HB = Q, HQ
        G = Bs.conj().T @ HB
        th, U = np.linalg.eigh(0.5 * (G + G.conj().T))
        Z, HZ = Bs @ U, HB @ U
        R = HZ - Z * th
        res = np.linalg.norm(R, axis=0)
        dist = np.sqrt((th - sigma) ** 2 + res ** 2)          # = ||(H - sigma) z||
        order = np.argsort(dist, kind="stable")[:keep]
        # folded Ritz values of the whole RR space: sqrt(mu_keep) >= distance of the keep-th state
        F = HB - sigma * Bs
        mu = np.linalg.eigvalsh(F.conj().T @ F)
        self.a_fold = float(np.sqrt(max(mu[min(keep, mu.size) - 1], 0.0)))
        self.Z, self.HZ = Z[:, order], HZ[:, order]
        self.ritz, self.res, self.dist = th[order], res[order], dist[order]
        self.all_ritz, self.all_res = th, res                 # for the bounds and the gap checks
        self.V = self._next_block(lock_tol)

    def _next_block(self, lock_tol: float) -> np.ndarray:
        """The vectors to filter next: one per doublet of the kept Ritz vectors, except those locked
        (residual ≤ ``lock_tol`` eV: they stay in the Rayleigh–Ritz space through Z and cost no
        filter work); random vectors fill up to the block size less the locked doublets, and one
        random vector joins a block not yet :attr:`probed` (a seeded block)."""
        active = self.res > lock_tol
        self.locked = int(np.sum(~active)) // self.per
        Zu = self.Z[:, active]
        target = max(self.b - self.locked, 1)
        if self.kramers:
            V = Zu @ _pick_one_per_doublet(Zu.conj().T @ self.theta(Zu), target)
        else:
            V = Zu[:, :target]
        extra = max(target - V.shape[1], 0 if self.probed else 1)
        if extra:
            V = np.hstack([V, self._random(extra)])
        return V

    def seed(self, X: np.ndarray) -> None:
        """Start from the block vectors ``X`` (a warm-start guess, orthonormal columns): they take
        the first columns of the first block, random vectors the rest (at least one: see probed)."""
        k = min(X.shape[1], self.b - 1)
        self.V = np.hstack([X[:, :k] * np.sqrt(2 * self.n), self._random(self.b - k)])

    def grow(self, extra):
        """Add ``extra`` random vectors to the block (marked fresh for the next cut)."""
        self.b += extra
        self.V = np.hstack([self.V, self._random(extra)])
        self.fresh = True


def _per_block(m: int, depth: int) -> int:
    """Half-degree of each of the ``depth`` filtered blocks of an iteration of half-degree ``m``."""
    return max(2, int(np.ceil(m / depth)))


def _select(ritz, res, mult, sigma, n_each, tol, tol_found, deg_tol, radius):
    """Indices of the answer, or None if not decidable yet.

    ``mult``: states each Ritz pair stands for (2 in a block whose Kramers partners are not solved).
    Per side, from the gap outwards: whole levels until >= 2*n_each states, each with res <= tol,
    then one more found level (res <= tol_found) to prove the last level complete; everything
    used must lie inside `radius` (all states of all sectors nearer than radius are found)."""
    picks = []
    for side in (-1, 1):
        found = (np.sign(ritz - sigma) == side) & (res <= tol_found) & (np.abs(ritz - sigma) < radius)
        idx = np.where(found)[0]
        idx = idx[np.argsort(side * (ritz[idx] - sigma))]
        count, take, done = 0, [], False
        for lev in energy_levels(side * (ritz[idx] - sigma), deg_tol):
            if count >= 2 * n_each:
                done = True
                break
            if np.any(res[idx[lev]] > tol):
                return None
            take.extend(idx[lev])
            count += int(mult[idx[lev]].sum())
        if not done:
            return None
        picks.extend(take)
    return np.array(picks, dtype=int)


def _targets(ritz, dist, mult, sigma, n_each, tol, tol_found, deg_tol) -> np.ndarray | None:
    """Residual each Ritz pair must reach for :func:`_select` to accept the answer these Ritz
    pairs suggest (eV; inf: not needed): per side, in the order of ``dist`` = ‖(H − sigma) z‖
    (spurious in-gap Ritz values have large residuals and come late), whole levels (ritz within
    ``deg_tol``) up to 2·n_each states at ``tol``, then one level at ``tol_found``; None if a side
    has too few pairs."""
    target = np.full(ritz.size, np.inf)
    for side in (-1, 1):
        idx = np.flatnonzero(np.sign(ritz - sigma) == side)
        idx = idx[np.argsort(dist[idx], kind="stable")]
        count, j = 0, 0
        while j < idx.size:
            rest = np.abs(ritz[idx[j + 1:]] - ritz[idx[j]]) > deg_tol
            end = j + 1 + (int(np.argmax(rest)) if rest.any() else rest.size)
            if count >= 2 * n_each:
                target[idx[j:end]] = tol_found
                break
            target[idx[j:end]] = tol
            count += int(mult[idx[j:end]].sum())
            j = end
        else:
            return None
    return target


def _union(supports: list[Intervals]) -> Intervals:
    """The union of several supports (eV intervals, each sorted and disjoint)."""
    merged: list[list[float]] = []
    for lo, hi in sorted(iv for sup in supports for iv in sup):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((float(lo), float(hi)) for lo, hi in merged)


class _FilteredRun:
    """One filtered solve: the state of the outer iteration and its named steps."""

    def __init__(self, H, e_vbm_guess: float, e_cbm_guess: float, n_each: int, tol: float, parity, kramers: bool,
                 rotation, opts: FilterOptions, info: SolverInfo):
        self.opts, self.info, self.n_each, self.tol = opts, info, n_each, tol
        self.device = get_backend(opts.backend)
        info.backend = self.device.name
        self.H = as_complex_csr(H)
        self.sigma = 0.5 * (e_vbm_guess + e_cbm_guess)
        self.half_gap = 0.5 * (e_cbm_guess - e_vbm_guess)
        if self.half_gap <= 0:
            raise ParameterError("e_cbm_guess must exceed e_vbm_guess")
        self.tol_found = max(opts.tol_found, tol)
        self.parity, self.kramers, self.rotation = parity, kramers, rotation
        self.e_vbm_guess, self.e_cbm_guess = float(e_vbm_guess), float(e_cbm_guess)
        self.stagnant, self.last_radius = 0, 0.0
        self.result = None
        self.seed_bounds = self.seed_support = None
        self.foreign_gaps = np.empty((0, 2))     # gaps of the band estimate other than sigma's (eV)

    # --- set-up ---------------------------------------------------------------------------------
    def make_sectors(self) -> None:
        """Symmetry blocks (each symmetry checked numerically first) and their filtered blocks."""
        t0 = time.perf_counter()
        opts = self.opts
        self.blocks = symmetry_sectors(self.H, self.parity, self.kramers, rotation=self.rotation, seed=opts.seed)
        nsec = len(self.blocks)
        need = 2 * (self.n_each + 2)    # doublets per side: n_each, +1 to complete a 4-fold level, +1 boundary
        b_default = (-(-need // nsec) + opts.guard) * (1 if self.kramers else 2)
        self.sectors = []
        for i, blk in enumerate(self.blocks):
            per = 2 if blk.theta is not None else 1
            b = min(opts.block or b_default, blk.matrix.shape[0] // (2 * per))
            self.sectors.append(_Sector(blk.key, blk.matrix, blk.theta, blk.weight, b,
                                        np.random.default_rng([opts.seed, i]), self.device, partner=blk.partner))
        cpu = self.device.name == "cpu"
        # the filter runs in column slices (filter_columns): up to one thread per column; one GPU: one stream
        self.n_threads = solver_threads(sum(s.b for s in self.sectors), opts.threads) if cpu else 1
        self.info.threads = self.n_threads
        self.info.times["setup"] = time.perf_counter() - t0

    def seed_sectors(self, guess) -> bool:
        """Warm start. A :class:`Subspace` seeds every block with its previous Ritz basis, joined by
        the basis of the solve before it where ``previous`` is set (True: the
        first wide filter is skipped); its blocks must be those of this solve, or a subset of them
        whose time-reversed images fill the rest (the zero-field subspace, Kramers-reduced, seeding a
        solve in a field along the rotation axis: same bases, Θ no longer a symmetry). Full-space
        vectors (n, k) are projected onto every block (orthonormalised; directions below 1e-3 of the
        largest dropped) and join the random start block (False: the first filter stays)."""
        if guess is None:
            return False
        if isinstance(guess, Subspace):
            keys = [str(blk.key) for blk in self.blocks]
            if guess.n != self.H.shape[0] or not set(guess.blocks) <= set(keys):
                raise ParameterError(f"the warm-start subspace is of another system (n = {guess.n}, blocks "
                                     f"{sorted(guess.blocks)}; here n = {self.H.shape[0]}, blocks {keys})")
            images = self._time_reversed(guess) if set(guess.blocks) != set(keys) else None
            previous = guess.previous if images is None and guess.previous is not None else {}
            for key, blk, sec in zip(keys, self.blocks, self.sectors):
                seed = guess.blocks.get(key)
                if key in previous:     # first-order extrapolation along the sweep (Subspace doc)
                    seed = np.hstack([seed, previous[key]])
                if seed is None:
                    seed = _principal_directions(blk.basis.conj().T @ images)
                    if seed.shape[1] == 0:
                        raise ParameterError(f"the warm-start subspace has no time-reversed image in block {key}")
                sec.V = np.asarray(seed, dtype=np.complex128)    # project_seed adds the random column
                if images is not None:      # as many vectors as the seed has: random fill would
                    sec.b = max(1, min(sec.b, sec.V.shape[1] // sec.per))   # spoil the cut (measured)
            self.info.blocks["guess"] = "subspace" if images is None else "subspace and its time reversal"
            self.seed_bounds = guess.bounds
            self.seed_support = guess.support
            return True
        guess = np.asarray(guess, dtype=np.complex128)
        if guess.ndim != 2 or guess.shape[0] != self.H.shape[0]:
            raise ParameterError(f"a warm-start guess must be (n, k) with n = {self.H.shape[0]}, got {guess.shape}")
        for blk, sec in zip(self.blocks, self.sectors):
            X = _principal_directions(guess if blk.basis is None else blk.basis.conj().T @ guess)
            if X.shape[1]:
                sec.seed(X)
        self.info.blocks["guess"] = int(guess.shape[1])
        return False

    def _time_reversed(self, guess: Subspace) -> np.ndarray:
        """Θ of the guess's block bases lifted to the full space (n, Σk): J conj(V_key Z_key)."""
        from ..symmetry import kramers_matrix

        bases = {str(blk.key): blk for blk in self.blocks}
        lifted = np.hstack([bases[key].to_full(np.asarray(Z, np.complex128)) for key, Z in guess.blocks.items()])
        return kramers_matrix(self.H.shape[0]) @ lifted.conj()

    def project_seed(self) -> bool:
        """Rayleigh–Ritz on the seeded blocks (no filter), then sigma, cut and degree from the Ritz
        pairs as after an iteration. False, with nothing planned, if the seed does not show both
        band edges (:meth:`edge_candidates` with residuals up to SEED_RESIDUAL, the residual up to
        which a solve keeps its pairs in a warm start; the zero-field seed of a 1 T solve has
        residuals of ~1e-3 eV): cuts planned from a seed showing one side only exclude the unseen
        edge, whose components the first filters damp to rounding level; a block whose kept pairs
        then all converge (on the seen side) is filtered no more, and its nearest state stays
        missing. Measured: a Ritz subspace mapped from the N = 6 cube onto N = 7 and cut to one
        conduction-side vector per block gave a valence edge 0.20 eV too deep, certified.
        Such a seed is demoted (:meth:`demote_seed`)."""
        self.B = self.B_of(self.sigma)
        self.a = {s.name: self.half_gap + self.opts.first_window for s in self.sectors}
        for sec in self.sectors:
            Q, _ = np.linalg.qr(sec.V)
            sec.rayleigh_ritz(Q, self.sigma, sec.b * sec.per, self.opts.lock * self.tol)
        ritz, res, _, _ = self.ritz_pairs()
        below, above = self.edge_candidates(ritz, res, SEED_RESIDUAL)
        if not (below.size and above.size):
            return False
        self.recentre_sigma(-1, ritz, res)
        self.plan_filtering()
        self.next_degree()
        return True

    def demote_seed(self) -> None:
        """Treat the seed as full-space vectors (a guess, not a subspace): per block its Ritz
        vectors (one per doublet) take the first columns of a random start block, the Rayleigh–Ritz
        space starts empty, and the first (wide) filter runs as in a cold start."""
        for sec in self.sectors:
            X = sec.Z
            if sec.kramers:
                X = X @ _pick_one_per_doublet(X.conj().T @ sec.theta(X), sec.b)
            sec.Z = sec.HZ = sec.ritz = sec.res = sec.dist = sec.all_res = None
            sec.seed(X)
        self.info.blocks["guess"] = "subspace without both band edges: joined the random start"

    def subspace(self) -> Subspace:
        """The final Ritz basis per block (a warm start for the next solve), without the pairs of
        residual above SEED_RESIDUAL (vectors added late that never converged: their distance
        from sigma would set a cut far out and the degree too low in the next solve; measured)."""
        supports = [s.support for s in self.sectors if s.support is not None]
        support = _union(supports) if supports else None
        return Subspace(self.H.shape[0], {str(blk.key): s.Z[:, (s.res <= SEED_RESIDUAL) | (np.arange(s.res.size) == 0)]
                                          for blk, s in zip(self.blocks, self.sectors)}, (self.emin, self.emax),
                        support=support)

    def each_sector(self, pool, work, sectors=None):
        """work(sector) for every sector (or those of ``sectors``), on the thread pool if there is
        one (the sparse kernels release the GIL); returns the results in sector order."""
        sectors = self.sectors if sectors is None else sectors
        return list(pool.map(work, sectors)) if pool else [work(sec) for sec in sectors]

    def estimate_bounds(self) -> None:
        """(Emin, Emax) of the spectrum: the given bounds, a warm start's, or a 40-step Lanczos
        estimate."""
        t0 = time.perf_counter()
        bounds = self.opts.bounds or self.seed_bounds
        if bounds is None:
            bounds = spectrum_bounds(self.H)
            self.info.matvecs += 40
        self.emin, self.emax = map(float, bounds)
        self.info.times["bounds"] = time.perf_counter() - t0
        self.estimate_support()

    def estimate_support(self) -> None:
        """The bands of the spectrum for the band polynomial (opts.polynomial == 'bands'): a warm
        start's, or a KPM estimate on the largest block (every symmetry block has states in every
        band; a gap one block holds states in is filled when they show, fill_occupied_gaps)."""
        opts = self.opts
        if opts.polynomial not in FILTER_POLYNOMIALS:
            raise ParameterError(f"unknown filter polynomial {opts.polynomial!r}; "
                                 f"known: {', '.join(map(repr, FILTER_POLYNOMIALS))}")
        if opts.polynomial == "fold":
            return
        t0 = time.perf_counter()
        support = self.seed_support
        if support is None:
            big = max(self.sectors, key=lambda sec: sec.n)
            support = spectral_support(big.A, (self.emin, self.emax), opts.support_moments, seed=opts.seed)
            self.info.matvecs += 0.5 * opts.support_moments * big.weight
        support = fill_gap(fill_gap(tuple(support), self.emin), self.emax)
        gaps = support_gaps(support)
        self.foreign_gaps = gaps[~((gaps[:, 0] < self.sigma) & (self.sigma < gaps[:, 1]))]
        for sec in self.sectors:
            sec.support = support
        self.info.support = support
        self.info.times["support"] = time.perf_counter() - t0

    def B_of(self, sig: float) -> float:
        """Upper end of the folded spectrum, max (E − sig)² (eV²)."""
        return max((self.emax - sig) ** 2, (self.emin - sig) ** 2)

    def first_filter(self) -> None:
        """The first pass: states within half_gap + first_window of sigma are amplified."""
        opts = self.opts
        self.B = self.B_of(self.sigma)
        a0 = self.half_gap + opts.first_window
        self.a = {s.name: a0 for s in self.sectors}
        d_ref = self.half_gap + opts.first_window / 3
        m = np.arccosh(1 / opts.first_rho) / np.arccosh(fold_argument(d_ref, a0, self.B))
        m_cap = np.arccosh(opts.max_growth) / np.arccosh(fold_argument(self.half_gap, a0, self.B))
        self.m = int(np.clip(min(m, m_cap), M_MIN, opts.degree_max // 2))
        for sec in self.sectors:
            sec.m = self.m
            sec.d_ref = d_ref

    # --- one outer iteration ----------------------------------------------------------------------
    def filter_columns(self, pool, sectors) -> dict:
        """{sector name: (p(H) V, degree)}: the first filter of each sector in ``sectors``, planned per
        sector on the pool, then run there in column slices (:func:`column_tasks`) so that the threads
        stay busy when the blocks still filtered are fewer than the threads or uneven (one block
        left, three of four); the columns are independent, so the result is that of filtering each
        V whole."""
        plans = self.each_sector(pool, lambda sec: sec.plan_filter(self.sigma, self.a[sec.name], self.B,
                                                                   _per_block(sec.m, self.opts.depth)), sectors)
        widths = [sec.V.shape[1] for sec in sectors]
        tasks = column_tasks(widths, [sec.n * deg for sec, (_, deg) in zip(sectors, plans)],
                             self.n_threads if pool else 1)

        def run(task):
            j, start, stop = task
            return plans[j][0](sectors[j].V[:, start:stop])

        out = list(pool.map(run, tasks)) if pool else [run(t) for t in tasks]
        first = {}
        for j, sec in enumerate(sectors):
            parts = [y for t, y in zip(tasks, out) if t[0] == j]
            degree = plans[j][1]
            sec.matvecs += degree * widths[j]
            first[sec.name] = (parts[0] if len(parts) == 1 else np.hstack(parts), degree)
        return first

    def filter_and_project(self, pool, it: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Filter every block, Rayleigh–Ritz, widen underestimated bounds; (ritz, res, mult, radius)."""
        t0 = time.perf_counter()

        active = [s for s in self.sectors if s.active]
        first = self.filter_columns(pool, active)

        def work(sec):
            sec.probed = True       # its V holds a random column (_Sector.probed)
            Q, used = sec.filter_krylov(self.sigma, self.a[sec.name], self.B, sec.m, self.opts.depth,
                                        first[sec.name])
            sec.rayleigh_ritz(Q, self.sigma, sec.b * sec.per, self.opts.lock * self.tol)
            return used

        self.info.degrees.append(max(self.each_sector(pool, work, active)))
        allr = np.concatenate([s.all_ritz for s in self.sectors])   # outside [emin, emax]: amplified
        if allr.min() < self.emin or allr.max() > self.emax:
            span = self.emax - self.emin
            self.emin, self.emax = min(self.emin, allr.min() - 0.02 * span), max(self.emax, allr.max() + 0.02 * span)
            self.info.history.append(dict(it=it, widened_bounds=(self.emin, self.emax)))
            for sec in self.sectors:
                if sec.support is not None:
                    sec.support = fill_gap(fill_gap(sec.support, self.emin), self.emax)
        self.fill_occupied_gaps(it)
        ritz, res, _, mult = self.ritz_pairs()
        radius = np.inf
        for s in self.sectors:
            bad = s.res > self.tol_found
            s.radius = s.dist[bad].min() if bad.any() else s.dist.max() * (1 + 1e-12)
            radius = min(radius, s.radius)
        self.info.history.append(dict(it=it, degree=2 * self.m, sigma=self.sigma, radius=float(radius),
                                      a={str(k): float(v) for k, v in self.a.items()},
                                      time=time.perf_counter() - t0))
        if log.isEnabledFor(logging.DEBUG):
            near = np.sort(ritz[np.argsort(np.abs(ritz - self.sigma))[:12]])
            log.debug("it %d: degree %d, sigma %.4f, a %s, radius %.4f, res (first 4 per block) %s, near %s",
                      it, 2 * self.m, self.sigma, [round(float(v), 4) for v in self.a.values()], radius,
                      [float(np.max(s.res[:4])) for s in self.sectors], np.round(near, 4))
        return ritz, res, mult, radius

    def fill_occupied_gaps(self, it: int) -> None:
        """A Ritz pair (theta, r) of a block with [theta - r, theta + r] inside a gap of the block's
        support, outside the window, proves an eigenvalue there (the band polynomial amplifies it):
        that gap is filled for the rest of the solve (and the warm starts from it)."""
        for sec in self.sectors:
            if sec.support is None or sec.all_res is None:
                continue
            gaps = support_gaps(sec.support)
            for th, r in zip(sec.all_ritz, sec.all_res):
                inside = (gaps[:, 0] < th - r) & (th + r < gaps[:, 1])
                if inside.any() and abs(th - self.sigma) > self.a[sec.name]:
                    sec.support = fill_gap(sec.support, float(th))
                    gaps = support_gaps(sec.support)
                    self.info.history.append(dict(it=it, filled_gap=float(th), block=str(sec.name)))

    def in_foreign_gap(self, energies: np.ndarray) -> np.ndarray:
        """Mask of ``energies`` (eV) inside a gap of the band estimate other than sigma's."""
        g = self.foreign_gaps
        return ((g[:, 0] < energies[:, None]) & (energies[:, None] < g[:, 1])).any(axis=1)

    def edge_candidates(self, ritz: np.ndarray, res: np.ndarray,
                        max_res: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
        """Ritz values (eV) that may be band edges, below and above sigma: residual < ``max_res``
        (eV), outside the gaps of the band estimate other than sigma's (:meth:`recentre_sigma`)."""
        conv = (res < max_res) & ~self.in_foreign_gap(ritz)
        return ritz[conv & (ritz < self.sigma)], ritz[conv & (ritz > self.sigma)]

    def recentre_sigma(self, it: int, ritz: np.ndarray, res: np.ndarray) -> None:
        """Move sigma between the best edge estimates once both are seen (res < 1e-3 eV).

        With one edge seen (E_c, say), sigma may only move towards the unseen side, and at most to
        (E_c + e_vbm_guess)/2: confinement only widens the gap (the NC valence edge lies below the
        bulk one), so that bound is an upper bound of the NC mid-gap. (Moving sigma a bulk half-gap
        below the seen edge pushed it away from the unseen edge, which then never converged: the
        12 nm CsPbI3-refit-N23 cube.)

        Pairs in a gap of the band estimate other than sigma's are no edge candidates: the NC band
        edges lie in the bulk bands next to the gap, and states in the other gaps (surface states
        of a small NC) are what the band polynomial amplifies most, so they converge first
        (measured: a 2.5 nm X–X cube whose valence 'edge' was taken at a gap state 6 eV below)."""
        below, above = self.edge_candidates(ritz, res)
        new_sigma = self.sigma
        if below.size and above.size:
            new_sigma = 0.5 * (below.max() + above.min())       # balance the two edges
        elif above.size:
            new_sigma = min(self.sigma, 0.5 * (above.min() + self.e_vbm_guess))
        elif below.size:
            new_sigma = max(self.sigma, 0.5 * (below.max() + self.e_cbm_guess))
        if new_sigma != self.sigma:
            self.sigma = new_sigma
            for s in self.sectors:   # distances relative to the new sigma
                s.dist = np.sqrt((s.ritz - self.sigma) ** 2 + s.res ** 2)
            self.info.history.append(dict(it=it, moved_sigma=self.sigma))

    def next_degree(self) -> None:
        """Cut a (per block) and filter degree m of every block filtered next.

        The degree m_ref is the least over these blocks of the m at which the pair nearest sigma
        gains ``growth`` over the cut. A block whose still-needed pairs (:meth:`plan_filtering`)
        should all meet their targets with less (``finish_safety`` × residual / target of
        amplification) gets that finishing degree instead, unless its last finishing degree
        gained less than 10× (the Rayleigh–Ritz step of an interior level can lose what a weak
        filter gains). Measured against one degree for all and against per-block degrees above
        m_ref: docs/performance.md."""
        opts = self.opts
        self.B = self.B_of(self.sigma)
        nearest = []
        for s in self.sectors:
            d = np.sort(s.dist)
            aa = max(s.a_fold, d[-1] * (1 + 1e-9))
            if s.fresh:       # vectors added at the last growth are barely filtered yet: their large
                # distances would widen the window and collapse the degree; widen by at most 25 %
                aa = min(aa, 1.25 * self.a[s.name])
                s.fresh = False
            self.a[s.name] = aa
            if not s.active:        # not filtered next
                continue
            dw = min(d[max(len(d) - opts.guard * s.per - 1, 0)], 0.999 * aa)      # outermost non-guard pair
            s.d_ref = min(d[0], 0.999 * aa)
            deg = np.arccosh(1.0 / opts.rho) / np.arccosh(fold_argument(dw, aa, self.B))
            cap = np.arccosh(opts.max_growth) / np.arccosh(fold_argument(min(d[0], 0.999 * aa), aa, self.B))
            nearest.append(cap * np.log(opts.growth) / np.log(opts.max_growth) if opts.growth is not None
                           else min(deg, cap))
        m_ref = min(nearest)
        for s in self.sectors:
            if s.active:
                m = min(m_ref, self._finishing_degree(s))
                s.m = opts.m_fixed or int(np.clip(m, M_MIN, opts.degree_max // 2))
        self.m = max(s.m for s in self.sectors if s.active)

    def _finishing_degree(self, s: _Sector) -> float:
        """Half-degree at which every pair block ``s`` still needs should meet its target (each
        amplified by ``finish_safety`` × residual / target over the cut); inf if not known, or if
        the block's last finishing degree gained less than 10×. Records the block's worst
        residual / target for that comparison at its next filter (called once per filter)."""
        if s.need is None or not s.need.size:
            return np.inf
        worst = float(s.need_ratio.max())
        gained = worst < 0.1 * s.last_need
        s.last_need = worst
        if not gained:
            return np.inf
        aa = self.a[s.name]
        x = np.array([fold_argument(d, aa, self.B) for d in np.minimum(s.dist[s.need], 0.999 * aa)])
        return float(np.max(np.arccosh(np.maximum(self.opts.finish_safety * s.need_ratio, 1.0)) / np.arccosh(x)))

    def ritz_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Ritz values, residuals, distances ‖(H − sigma) z‖ (eV) and the states each pair stands
        for (2 in a block whose Kramers partners are not solved), over the blocks in order."""
        secs = self.sectors
        return (np.concatenate([s.ritz for s in secs]), np.concatenate([s.res for s in secs]),
                np.concatenate([s.dist for s in secs]),
                np.concatenate([np.full(len(s.ritz), 2 if s.partner else 1) for s in secs]))

    def plan_filtering(self) -> None:
        """Filter next only the blocks that hold a Ritz pair the answer still needs.

        The answer the Ritz pairs suggest (:func:`_targets`: per side the edge levels at tol, the
        next level at tol_found, and every pair nearer sigma than those, by ‖(H − sigma) z‖, at
        tol_found: the radius :func:`_select` asks for) fixes what each pair must reach. A block
        whose pairs all meet it is left as it is: its Ritz pairs, residuals and radius stay as
        they are, and the selection accepts nothing it would refuse on the same pairs, so the
        certificate is that of filtering every block. Every block is filtered while a side lacks
        pairs, or if no block is left (the selection refused what the targets accept); a block
        grown by :meth:`grow_if_stuck` is filtered. A block not yet ``probed`` is filtered, with one
        random vector among its seeds (:meth:`_Sector._next_block`; the random vector alone if the
        block needs nothing else), and no answer is accepted
        before every block is: a warm-start seed may lack a block's nearest state, and only a
        filter of random components can show it (measured: the own converged subspace of a 9-cube
        with a block's valence-side pairs removed gave a valence edge 0.15 eV too deep in 44
        mat-vecs, certified, before this rule)."""
        secs = self.sectors
        ritz, res, dist, mult = self.ritz_pairs()
        target = _targets(ritz, dist, mult, self.sigma, self.n_each, self.tol, self.tol_found, self.opts.deg_tol)
        if target is None:
            for sec in secs:
                sec.active, sec.need = True, None
            return
        reach = np.abs(ritz[np.isfinite(target)] - self.sigma).max()
        for sec, tgt in zip(secs, np.split(target, np.cumsum([len(s.ritz) for s in secs])[:-1])):
            near = sec.dist <= reach * (1 + 1e-9)
            # the block's nearest unresolved pair must place its eigenvalue (within res of the Ritz
            # value) beyond reach; if not (a block whose random start is not yet filtered into
            # shape), that pair must be found too: such a block may hide an edge state (measured:
            # the 1 T partner of the valence edge, missed in a cube of 3 cells without this rule)
            open_ = np.flatnonzero(sec.res > self.tol_found)
            if open_.size:
                first = open_[np.argmin(sec.dist[open_])]
                near[first] |= abs(sec.ritz[first] - self.sigma) - sec.res[first] <= reach
            tgt = np.where(near, np.minimum(tgt, self.tol_found), tgt)
            sec.need = np.flatnonzero(sec.res > tgt)
            sec.need_ratio = sec.res[sec.need] / tgt[sec.need]
            if not sec.need.size and not sec.probed:     # filtered only to probe: one random vector
                sec.V = sec._random(1)
            sec.active = bool(sec.need.size) or not sec.probed
        if not any(sec.active for sec in secs):
            for sec in secs:
                sec.active, sec.need = True, None

    def grow_if_stuck(self, radius: float) -> None:
        """Grow the block that limits the radius when it has converged all but its guard, or when
        the radius has stopped growing (a near-degenerate cluster straddles the subspace edge) —
        unless that block is not filtered next: then its radius already lies beyond every pair
        the answer needs (:meth:`plan_filtering`)."""
        lim = min(self.sectors, key=lambda s: s.radius)
        self.stagnant = self.stagnant + 1 if radius <= self.last_radius * (1 + 1e-6) else 0
        self.last_radius = max(self.last_radius, radius)
        if not lim.active:
            return
        if np.sum(lim.res <= self.tol_found) >= len(lim.ritz) - self.opts.guard * lim.per or self.stagnant >= 2:
            lim.grow(2)
            self.stagnant = 0
            self.info.blocks["grown"] = self.info.blocks.get("grown", 0) + 2

    # --- the whole solve ------------------------------------------------------------------------------
    def iterate(self) -> None:
        """Outer iterations until the answer is decided (self.result) or max_iter."""
        pool = ThreadPoolExecutor(self.n_threads) if self.n_threads > 1 else None
        try:
            for it in range(self.opts.max_iter):
                ritz, res, mult, radius = self.filter_and_project(pool, it)
                picks = _select(ritz, res, mult, self.sigma, self.n_each, self.tol, self.tol_found,
                                self.opts.deg_tol, radius)
                if picks is not None and all(s.probed for s in self.sectors):
                    self.result = picks
                    break
                self.recentre_sigma(it, ritz, res)
                self.plan_filtering()
                self.next_degree()
                self.grow_if_stuck(radius)
        finally:
            if pool:
                pool.shutdown()
        info = self.info
        info.iterations = sum(1 for h in info.history if "degree" in h)
        info.sigma = self.sigma
        info.bounds = (self.emin, self.emax)
        info.sector_matvecs = {str(s.name): s.matvecs for s in self.sectors}
        info.matvecs += sum(s.matvecs * s.weight for s in self.sectors)
        info.blocks.update({str(s.name): s.b for s in self.sectors})
        log.info("filtered: %d iterations, %.0f mat-vecs, sigma %.4f eV", info.iterations, info.matvecs, self.sigma)
        if self.result is None:
            raise ConvergenceError(f"filtered solver not converged after {self.opts.max_iter} iterations; "
                                   f"last: {info.history[-1]}")

    def assemble(self, t_start: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The selected states in the full space, residuals with the original H, clean-gap check."""
        chosen = split_by_block(self.result, [len(s.ritz) for s in self.sectors])
        E, Z, R = full_space_states(self.H, [(blk, s.Z[:, sel], s.ritz[sel])
                                             for blk, s, sel in zip(self.blocks, self.sectors, chosen)])
        self.info.matvecs += Z.shape[1]
        self.info.times["total"] = time.perf_counter() - t_start
        if R.max() > self.tol:
            raise ConvergenceError(f"final residual {R.max():.2e} > tol {self.tol:.1e}")
        self.info.gap = require_clean_gap(E, self.sigma, self.half_gap, self.opts.min_gap_fraction)
        return E, Z, R

    def solve(self, guess: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All steps: blocks (seeded with a warm-start ``guess``), bounds, first filter, iterations,
        assembly."""
        t_start = time.perf_counter()
        self.make_sectors()
        seeded = self.seed_sectors(guess)
        self.estimate_bounds()
        if seeded and not self.project_seed():
            self.demote_seed()
            seeded = False
        if not seeded:
            self.first_filter()
        self.iterate()
        return self.assemble(t_start)


def band_edge_states(H, e_vbm_guess: float, e_cbm_guess: float, n_each: int = 2, tol: float = 1e-9, *,
                     parity=None, kramers: bool = True, rotation=None, options: FilterOptions | None = None,
                     info: SolverInfo | None = None, guess: np.ndarray | None = None,
                     **overrides) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigenpairs of the n_each highest doublets below and the n_each lowest above the gap.

    H: sparse Hermitian (n × n), eV; e_vbm_guess, e_cbm_guess: rough band edges (eV), e.g. the bulk
    VBM/CBM of the same model (module doc); n_each: Kramers doublets per side (a cut degenerate
    level is completed); tol: absolute residual bound ‖Hv − Ev‖ (eV); parity, rotation, kramers:
    symmetries (module doc); options: :class:`FilterOptions`, ``overrides`` replace single fields of
    it (e.g. ``threads=2``); info: optional :class:`SolverInfo`, filled with statistics; guess:
    full-space vectors (n, k) to start from (a warm start, e.g. the band edges of a neighbouring
    parameter set: same certificate, fewer iterations when the guess is good).
    Returns (energies, vectors, residuals), sorted by energy; raises ConvergenceError otherwise.
    """
    unknown = set(overrides) - OPTION_NAMES
    if unknown:
        raise ParameterError(f"unknown filtered-solver option(s) {sorted(unknown)}; known: {sorted(OPTION_NAMES)}")
    opts = replace(options or FilterOptions(), **overrides)
    info = info if info is not None else SolverInfo()
    run = _FilteredRun(H, e_vbm_guess, e_cbm_guess, n_each, tol, parity, kramers, rotation, opts, info)
    result = run.solve(guess)
    info.subspace = run.subspace()
    return result


def filtered_band_edges(h, sigma: float, n_below: int, n_above: int, tol: float = 1e-10, *,
                        half_gap: float | None = None, parity=None, kramers: bool = True, rotation=None,
                        backend=None, guess: np.ndarray | None = None, polynomial: str = DEFAULT_POLYNOMIAL,
                        **_) -> tuple[np.ndarray, np.ndarray, dict]:
    """Strategy ``filtered``: :func:`band_edge_states` around ``sigma`` (eV) with the window
    sigma ± ``half_gap`` (a lower bound of the distance from sigma to the band edges, e.g. the bulk
    half-gap for sigma at the bulk mid-gap; 0.25 eV when not given) and the doublets covering
    ``n_below``/``n_above`` states. ``backend``: where the filter runs (None: CPU); ``guess``:
    warm-start vectors (n, k), e.g. ``BandEdgeStates.vectors`` of a neighbouring solve;
    ``polynomial``: the filter polynomial, 'bands' or 'fold' (:class:`FilterOptions`)."""
    hg = half_gap if half_gap else 0.25
    info = SolverInfo()
    n_each = doublets_per_side(n_below, n_above)
    try:
        e, v, _ = band_edge_states(h, sigma - hg, sigma + hg, n_each=n_each, tol=tol, parity=parity,
                                   kramers=kramers, rotation=rotation, info=info, backend=backend, guess=guess,
                                   polynomial=polynomial)
    except ConvergenceError as exc:
        if half_gap:
            raise
        raise ConvergenceError(f"{exc}. No half_gap hint was given (0.25 eV assumed): pass half_gap, a lower "
                               "bound of the distance from sigma to the band edges (e.g. the bulk half-gap "
                               "for sigma at the bulk mid-gap)") from None
    return e, v, {"iterations": info.iterations, "matvecs": float(info.matvecs), "sigma_final": info.sigma,
                  "degrees": info.degrees, "backend": info.backend, "threads": info.threads,
                  "times": dict(info.times), "polynomial": polynomial,
                  "warm_start": guess is not None, "seed": info.blocks.get("guess"), SUBSPACE_KEY: info.subspace}


register_solver("filtered", filtered_band_edges)
