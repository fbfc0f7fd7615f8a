"""Band-edge eigenpairs of a large sparse Hermitian tight-binding Hamiltonian with a clean gap.

    energies, vectors, residuals = band_edge_states(H, e_vbm_guess, e_cbm_guess, n_each=2, tol=1e-9)

Returns every eigenpair of the ``n_each`` highest Kramers doublets below the gap and the ``n_each``
lowest above it (a degenerate multiplet cut by that count is completed: cubic nanocrystals have
4-fold levels), sorted by energy.  ``residuals`` are ||H v - E v|| for normalised v, recomputed
with the original H.  Raises NotConvergedError if that is not <= tol for every returned pair.
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

Threads: the symmetry blocks are filtered side by side (the sparse kernels release the GIL);
see solver_threads.

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

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from .array_backend import ArrayBackend, get_backend
from .errors import ConvergenceError as NotConvergedError  # one error type for every solver
from .symmetry import full_space_states, split_by_block, symmetry_sectors

__all__ = ["band_edge_states", "NotConvergedError", "spectrum_bounds", "SolverInfo", "energy_levels",
           "require_clean_gap"]




@dataclass
class SolverInfo:
    sigma: float = 0.0
    bounds: tuple = (0.0, 0.0)
    iterations: int = 0
    matvecs: float = 0.0            # in units of one full-size H @ v (sector products weighted by size)
    sector_matvecs: dict = field(default_factory=dict)
    degrees: list = field(default_factory=list)
    blocks: dict = field(default_factory=dict)
    times: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    backend: str = "cpu"
    threads: int = 1


# ----------------------------------------------------------------------------------------------
# helpers

def solver_threads(n_blocks: int, threads: int | None = None) -> int:
    """Threads for the per-block work: ``threads`` if given, else the environment variable
    ``LANDEG_THREADS``, else the usable cores; never more than ``n_blocks``. (The sweep runner's
    worker processes get ``LANDEG_THREADS=1``: one process per core already fills the machine.)"""
    if threads is None:
        env = os.environ.get("LANDEG_THREADS")
        if env is not None:
            try:
                threads = int(env)
            except ValueError:
                raise ValueError(f"LANDEG_THREADS must be a positive integer, got {env!r}") from None
        else:
            threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    return max(1, min(threads, n_blocks))


def spectrum_bounds(H, steps=40, seed=1):
    """[Emin, Emax] from a short Lanczos run: extreme Ritz values widened by their residuals and 1%."""
    n = H.shape[0]
    rng = np.random.default_rng(seed)
    steps = min(steps, n - 1)
    V = np.zeros((n, steps + 1), dtype=complex)
    v = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    V[:, 0] = v / np.linalg.norm(v)
    alpha, beta = np.zeros(steps), np.zeros(steps)
    for j in range(steps):
        w = H @ V[:, j]
        alpha[j] = np.vdot(V[:, j], w).real
        for _ in range(2):
            w -= V[:, :j + 1] @ (V[:, :j + 1].T @ w.conj()).conj()
        beta[j] = np.linalg.norm(w)
        V[:, j + 1] = w / beta[j]
    th, s = sla.eigh_tridiagonal(alpha, beta[:-1])
    res = np.abs(beta[-1] * s[-1, :])
    lo, hi = th[0] - res[0], th[-1] + res[-1]
    pad = 0.01 * (hi - lo)
    return lo - pad, hi + pad


def _orth_against(M, Z):
    """M minus its projection on the orthonormal columns of Z (twice, classical Gram-Schmidt)."""
    if Z is None or Z.shape[1] == 0:
        return M
    for _ in range(2):
        M = M - Z @ (Z.conj().T @ M)
    return M


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
    def __init__(self, name, A, J, weight, b, rng, backend: ArrayBackend, partner: bool = False):
        self.name, self.A, self.J, self.weight, self.b = name, A, J, weight, b
        self.partner = partner      # every state stands for a doublet (its partner is in an unsolved block)
        self.per = 2 if J is not None else 1        # Ritz pairs kept per filtered vector
        self.backend = backend
        self.n = A.shape[0]
        self.matvecs = 0
        self.rng = rng
        self.V = self._random(b)
        self.Z = self.HZ = None
        self.ritz = self.res = self.dist = None
        self.a = None
        self.fresh = False

    def _random(self, k):
        return self.rng.standard_normal((self.n, k)) + 1j * self.rng.standard_normal((self.n, k))

    @property
    def kramers(self):
        return self.J is not None

    def theta(self, X):
        return self.J @ X.conj()

    def matmul(self, X):
        self.matvecs += X.shape[1]
        return self.A @ X

    def filter(self, sigma, a, B, m):
        """p(H) V with p = T_m(l((H - sigma)^2)), l: [a^2, B] -> [-1, 1]; up to a phase per column.

        With A~ = sqrt(2/e)(H - sigma) and c' = 2c/e: l((H-sigma)^2) = (A~^2 - c')/2, and
        A~^2 - c' = (A~ - sqrt c')(A~ + sqrt c').  W_k = i^k Y_k obeys W_{k+1} = (i M) W_k + W_{k-1}, so
        every step is two in-place sparse products and nothing else.
        """
        e, c = 0.5 * (B - a * a), 0.5 * (B + a * a)
        f = np.sqrt(2.0 / e)
        rc = np.sqrt(2.0 * c / e)
        n = self.n
        As = ((self.A - sigma * sp.identity(n, format="csr")) * f).tocsr()
        Ap = (As + rc * sp.identity(n, format="csr")).tocsr()
        iAm = ((As - rc * sp.identity(n, format="csr")) * 1j).tocsr()
        del As
        for M_ in (Ap, iAm):
            M_.sort_indices()
            if M_.dtype != np.complex128:
                M_.data = M_.data.astype(np.complex128)
        dev = self.backend
        Ap, iAm = dev.sparse_to_device(Ap), dev.sparse_to_device(iAm)
        X = dev.to_device(self.V)
        k = X.shape[1]
        T = dev.xp.zeros_like(X)
        W0 = X.copy()
        dev.accumulate(Ap, X, T)
        W1 = dev.xp.zeros_like(X)
        dev.accumulate(iAm, T, W1)
        W1 *= 0.5
        for step in range(1, m):
            T.fill(0)
            dev.accumulate(Ap, W1, T)
            dev.accumulate(iAm, T, W0)
            W0, W1 = W1, W0
            if step % 24 == 0:
                s = 1.0 / dev.column_norms(W1)
                W1 *= s
                W0 *= s
        self.matvecs += 2 * m * k
        return np.ascontiguousarray(dev.to_host(W1))

    def filter_krylov(self, sigma, a, B, m, depth):
        """Blocks p(H)V, p(H)^2 V, ... (depth of them, each of degree m/depth, re-orthonormalised
        in between), Theta images included, orthogonalised against the kept Ritz vectors."""
        mj = max(2, int(np.ceil(m / depth)))
        blocks = []
        prev = self.Z
        for j in range(depth):
            Y = self.filter(sigma, a, B, mj)
            M = np.hstack([Y, self.theta(Y)]) if self.kramers else Y
            basis = prev if not blocks else np.hstack([prev] + blocks) if prev is not None else np.hstack(blocks)
            M = _orth_against(M, basis)
            Q, _ = np.linalg.qr(M)
            blocks.append(Q)
            if j + 1 < depth:
                self.V = np.ascontiguousarray(Q[:, :Y.shape[1]]) if self.kramers else np.ascontiguousarray(Q)
        return np.hstack(blocks), mj * depth

    def rayleigh_ritz(self, Q, sigma, keep):
        """RR in H on span{Z_prev, Q} (Q orthonormal, orthogonal to Z_prev); keep the `keep` Ritz
        pairs nearest sigma in the RMS sense ||(H - sigma) z||."""
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
        self.all_ritz = th                                    # for the bounds check
        # next block: one vector per doublet
        if self.kramers:
            K = self.Z.conj().T @ self.theta(self.Z)
            C = _pick_one_per_doublet(K, self.b)
            V = self.Z @ C
        else:
            V = self.Z[:, :self.b]
        if V.shape[1] < self.b:
            V = np.hstack([V, self._random(self.b - V.shape[1])])
        self.V = V

    def grow(self, extra):
        self.b += extra
        self.V = np.hstack([self.V, self._random(extra)])
        self.fresh = True


def energy_levels(x, deg_tol):
    """Index groups of the sorted values ``x`` that lie within ``deg_tol`` of their neighbour (degenerate levels)."""
    cuts = np.where(np.diff(x) > deg_tol)[0] + 1
    return np.split(np.arange(x.size), cuts) if x.size else []


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


def band_edge_states(H, e_vbm_guess, e_cbm_guess, n_each=2, tol=1e-9, *, parity=None, kramers=True, rotation=None,
                     bounds=None, block=None, guard=3, rho=1e-4, tol_found=1e-6, degree_max=8000,
                     max_iter=60, deg_tol=1e-6, first_window=0.8, first_rho=1e-8, max_growth=1e10,
                     depth=1, m_fixed=None, growth=1e5, min_gap_fraction=0.5, seed=0, verbose=False, info=None,
                     backend: str | ArrayBackend | None = None,
                     threads: int | None = None):
    """Eigenpairs of the n_each highest doublets below and the n_each lowest above the gap.

    H            : sparse Hermitian (n x n), complex or real; units of energy (eV).
    e_vbm_guess,
    e_cbm_guess  : rough band edges, e.g. the bulk VBM/CBM of the same model (see module doc).
    n_each       : Kramers doublets per side (2*n_each states, a cut degenerate level is completed).
    tol          : absolute residual tolerance ||H v - E v|| for normalised v.
    parity       : optional (perm, sign) inversion symmetry (module doc).
    rotation     : optional C4z site symmetry (:class:`confinement.symmetry.SiteSymmetry`, module doc).
    kramers      : use time reversal Theta = (I (x) i sigma_y) K (index 2*orbital + spin).
    bounds       : (Emin, Emax); default: 40-step Lanczos estimate.
    block        : vectors filtered per sector (default: from n_each, guard, symmetry).
    guard        : extra doublets kept in the subspace beyond those needed.
    rho          : target damping per outer iteration (sets the filter degree).
    growth       : per outer iteration, the filter amplifies the state nearest sigma by ~growth
                   relative to the cut (sets the degree; 1e5 was best across N = 6..10).
    min_gap_fraction : raise if the gap found is below this fraction of the guessed gap.
    tol_found    : residual below which a level counts as found (used only to prove that the
                   last returned level is complete; those boundary pairs are not returned).
    degree_max   : cap of the filter degree (in powers of H) per outer iteration.
    info         : optional SolverInfo, filled with statistics.
    backend      : where the Chebyshev filter runs: None/'cpu', 'cupy' (GPU) or an ArrayBackend
                   (:mod:`confinement.array_backend`); everything else stays on the host.
    threads      : threads working on the symmetry blocks side by side (default:
                   :func:`solver_threads`).
    Returns (energies, vectors, residuals), sorted by energy.
    """
    t_start = time.perf_counter()
    info = info if info is not None else SolverInfo()
    device = get_backend(backend)
    info.backend = device.name
    H = sp.csr_matrix(H)
    if H.dtype != np.complex128:
        H = H.astype(np.complex128)
    sigma = 0.5 * (e_vbm_guess + e_cbm_guess)
    half_gap = 0.5 * (e_cbm_guess - e_vbm_guess)
    if half_gap <= 0:
        raise ValueError("e_cbm_guess must exceed e_vbm_guess")
    tol_found = max(tol_found, tol)

    # --- symmetry blocks (each symmetry checked numerically first) --------------------------------
    t0 = time.perf_counter()
    blocks = symmetry_sectors(H, parity, kramers, rotation=rotation, seed=seed)
    nsec = len(blocks)
    # doublets needed per side: n_each, +1 to complete a 4-fold level, +1 boundary level
    need = 2 * (n_each + 2)
    b_default = (-(-need // nsec) + guard) * (1 if kramers else 2)
    sectors = []
    for i, blk in enumerate(blocks):
        per = 2 if blk.theta is not None else 1
        b = min(block or b_default, blk.matrix.shape[0] // (2 * per))
        sectors.append(_Sector(blk.key, blk.matrix, blk.theta, blk.weight, b, np.random.default_rng([seed, i]), device,
                               partner=blk.partner))
    n_threads = solver_threads(len(sectors), threads) if device.name == "cpu" else 1   # one GPU: one stream
    pool = ThreadPoolExecutor(n_threads) if n_threads > 1 else None
    info.threads = n_threads

    def each_sector(work):
        """work(sector) for every sector, on the thread pool if there is one (the sparse kernels
        release the GIL); returns the results in sector order."""
        return list(pool.map(work, sectors)) if pool else [work(sec) for sec in sectors]

    info.times["setup"] = time.perf_counter() - t0

    try:
        # --- spectrum bounds --------------------------------------------------------------------------
        t0 = time.perf_counter()
        m_min = 10
        if bounds is None:
            bounds = spectrum_bounds(H)
            info.matvecs += 40
        emin, emax = map(float, bounds)
        info.times["bounds"] = time.perf_counter() - t0

        def Bof(sig):
            return max((emax - sig) ** 2, (emin - sig) ** 2)

        def xval(d, aa, BB):
            """Argument of T_m at a state at distance d from sigma, for the cut at distance aa."""
            return (aa * aa + BB - 2 * d * d) / (BB - aa * aa)

        # --- first pass: states within half_gap + first_window of sigma are amplified ------------------
        B = Bof(sigma)
        a0 = half_gap + first_window
        a = {s.name: a0 for s in sectors}
        m = np.arccosh(1 / first_rho) / np.arccosh(xval(half_gap + first_window / 3, a0, B))
        m_cap = np.arccosh(max_growth) / np.arccosh(xval(half_gap, a0, B))
        m = int(np.clip(min(m, m_cap), m_min, degree_max // 2))
        result = None
        hg_eff, one_sided = half_gap, 0
        stagnant, last_radius = 0, 0.0
        for it in range(max_iter):
            t0 = time.perf_counter()
            def filter_and_project(sec):
                Q, used = sec.filter_krylov(sigma, a[sec.name], B, m, depth)  # noqa: B023 called in this iteration
                sec.rayleigh_ritz(Q, sigma, sec.b * sec.per)  # noqa: B023 called in this iteration
                return used

            m_used = each_sector(filter_and_project)[0]
            info.degrees.append(2 * m_used)
            # bounds check: a Ritz value outside [emin, emax] means the filter amplified it
            allr = np.concatenate([s.all_ritz for s in sectors])
            if (allr.min() < emin or allr.max() > emax):
                span = emax - emin
                emin, emax = min(emin, allr.min() - 0.02 * span), max(emax, allr.max() + 0.02 * span)
                info.history.append(dict(it=it, widened_bounds=(emin, emax)))
            ritz = np.concatenate([s.ritz for s in sectors])
            res = np.concatenate([s.res for s in sectors])
            mult = np.concatenate([np.full(len(s.ritz), 2 if s.partner else 1) for s in sectors])
            radius = np.inf
            for s in sectors:
                bad = s.res > tol_found
                s.radius = s.dist[bad].min() if bad.any() else s.dist.max() * (1 + 1e-12)
                radius = min(radius, s.radius)
            result = _select(ritz, res, mult, sigma, n_each, tol, tol_found, deg_tol, radius)
            info.history.append(dict(it=it, degree=2 * m, sigma=sigma, radius=float(radius),
                                     a={str(k): float(v) for k, v in a.items()},
                                     time=time.perf_counter() - t0))
            if verbose:
                near = np.sort(ritz[np.argsort(np.abs(ritz - sigma))[:12]])
                print(f"[it {it}] deg {2 * m} sigma {sigma:.4f} a {[round(float(v), 4) for v in a.values()]} "
                      f"radius {radius:.4f} res(first 4 per sector) "
                      f"{[float(np.max(s.res[:4])) for s in sectors]} near {np.round(near, 4)}", flush=True)
            if result is not None:
                break
            # --- re-centre sigma between the best edge estimates ------------------------------------------
            conv = res < 1e-3
            below, above = ritz[conv & (ritz < sigma)], ritz[conv & (ritz > sigma)]
            new_sigma = sigma
            if below.size and above.size:
                new_sigma = 0.5 * (below.max() + above.min())       # balance the two edges
            elif it >= 1 and (below.size or above.size):
                # only one side seen: sigma sits too close to that band edge; move it to hg_eff beyond
                # the edge found (inside the gap while hg_eff underestimates the half-gap); hg_eff grows
                # by 25% each time this repeats, but stays below the guessed (bulk) gap: confinement
                # only widens the gap, so sigma can never be pushed through the other band edge
                # (unbounded growth let sigma run into the conduction band of a 12 nm cube)
                one_sided += 1
                if one_sided % 3 == 0:
                    hg_eff = min(1.25 * hg_eff, 0.95 * 2 * half_gap)
                new_sigma = below.max() + hg_eff if below.size else above.min() - hg_eff
            if below.size and above.size:
                one_sided = 0
            if new_sigma != sigma:
                sigma = new_sigma
                for s in sectors:   # distances relative to the new sigma
                    s.dist = np.sqrt((s.ritz - sigma) ** 2 + s.res ** 2)
                info.history.append(dict(it=it, moved_sigma=sigma))
            B = Bof(sigma)
            # --- cut and degree per sector ------------------------------------------------------------------
            degs, caps = [], []
            for s in sectors:
                d = np.sort(s.dist)
                aa = max(s.a_fold, d[-1] * (1 + 1e-9))
                if s.fresh:       # vectors added at the last growth are barely filtered yet: their large
                    # distances would widen the window and collapse the degree; widen by at most 25 %
                    aa = min(aa, 1.25 * a[s.name])
                    s.fresh = False
                a[s.name] = aa
                dw = d[max(len(d) - guard * s.per - 1, 0)]      # outermost non-guard pair
                dw = min(dw, 0.999 * aa)
                degs.append(np.arccosh(1.0 / rho) / np.arccosh(xval(dw, aa, B)))
                dmin = min(max(d[0], half_gap * 0.0), 0.999 * aa)
                caps.append(np.arccosh(max_growth) / np.arccosh(xval(dmin, aa, B)))
            if growth is not None:        # degree from the amplification of the nearest state over the cut
                m = int(np.clip(min(caps) * np.log(growth) / np.log(max_growth), m_min, degree_max // 2))
            else:
                m = int(np.clip(min(max(degs), min(caps)), m_min, degree_max // 2))
            if m_fixed:
                m = m_fixed
            # --- the needed levels do not fit in the converged part: grow the blocks ------------------------
            # (the sector that limits the radius has converged all but its guard)
            # or the radius has stopped growing (a near-degenerate cluster straddles the subspace edge)
            lim = min(sectors, key=lambda s: s.radius)
            stagnant = stagnant + 1 if radius <= last_radius * (1 + 1e-6) else 0
            last_radius = max(last_radius, radius)
            if np.sum(lim.res <= tol_found) >= len(lim.ritz) - guard * lim.per or stagnant >= 2:
                lim.grow(2)
                stagnant = 0
                info.blocks["grown"] = info.blocks.get("grown", 0) + 2
    finally:
        if pool:
            pool.shutdown()
    info.iterations = sum(1 for h in info.history if "degree" in h)
    info.sigma = sigma
    info.bounds = (emin, emax)
    info.sector_matvecs = {str(s.name): s.matvecs for s in sectors}
    info.matvecs += sum(s.matvecs * s.weight for s in sectors)
    info.blocks.update({str(s.name): s.b for s in sectors})
    if result is None:
        raise NotConvergedError(f"not converged after {max_iter} iterations; last: {info.history[-1]}")

    # --- assemble in the full space; residuals with the original H ------------------------------------
    E, Z, R = full_space_states(H, [(blocks[k], s.Z[:, sel], s.ritz[sel]) for k, (s, sel)
                                    in enumerate(zip(sectors, split_by_block(result, [len(s.ritz) for s in sectors])))])
    info.matvecs += Z.shape[1]
    info.times["total"] = time.perf_counter() - t_start
    if R.max() > tol:
        raise NotConvergedError(f"final residual {R.max():.2e} > tol {tol:.1e}")
    info.gap = require_clean_gap(E, sigma, half_gap, min_gap_fraction)
    return E, Z, R


def require_clean_gap(E: np.ndarray, sigma: float, half_gap: float, min_gap_fraction: float = 0.5) -> float:
    """The gap (eV) between the states found on either side of ``sigma``; raises NotConvergedError if
    it is below ``min_gap_fraction`` of the guessed gap 2·``half_gap`` (σ not in a clean gap)."""
    gap = float(E[E > sigma].min() - E[E < sigma].max())
    if gap < min_gap_fraction * 2 * half_gap:
        raise NotConvergedError(
            f"the states nearest sigma={sigma:.4f} are only {gap:.4f} apart (guessed gap {2 * half_gap:.4f}): "
            "sigma is not in a clean gap (wrong guesses, or in-gap surface/defect states)")
    return gap
