"""The symmetries the band-edge solvers use: time reversal (Kramers), inversion parity and the
four-fold rotation C4z of a cubic nanocrystal.

Both are checked numerically on the Hamiltonian before use; a model that breaks one (a magnetic
field breaks time reversal, an off-centre cluster breaks inversion) gets a clear error instead of
a wrong spectrum.

Time reversal: Θ = (I ⊗ iσ_y) K in the basis index = 2·orbital + spin, so Θx = J x̄ with the real
matrix J of :func:`kramers_matrix`. Every level is (at least) doubly degenerate.

Parity: (P x)[i] = sign[i] · x[perm[i]], an involution commuting with H (inversion through the
nanocrystal centre: site r → −r, orbital sign (−1)^l, spin kept). H splits into two decoupled
blocks Qₛᵀ H Qₛ on the ±1 eigenspaces; Θ commutes with P, so each block keeps its Kramers pairs
(Qₛᵀ J Qₛ is the time reversal inside the block).

Site symmetries (:class:`SiteSymmetry`): a unitary U|s, μ⟩ = Σ_ν D_νμ(s) |π(s), ν⟩ that moves
site s to π(s) and mixes its orbitals by an on-site block D (C4z: D = D_orb(R) ⊗ e^{−iπσ_z/4}).
U^K = phase·1 fixes its eigenvalues λ (K-th roots of the phase). Commuting site symmetries (C4z
and inversion: the abelian group C4h, 8 one-dimensional sectors) split H into blocks V_χᴴ H V_χ
on their joint eigenspaces. The isometries V_χ are built orbit by orbit (vectorised): for every
representative site r of a site orbit, V_χ e_{r,α} ∝ P_χ e_{r,α} with the group projector
P_χ = |G|⁻¹ Σ_g χ(g)* U_g; sites with a non-trivial stabiliser (on the axis, in the mirror plane)
are orthonormalised by a batched eigen-decomposition of their local projector blocks. Θ maps the
sector of eigenvalue λ onto that of λ*: for C4z (λ = e^{−iπm/2}, m half-integer, λ* ≠ λ) no
sector is Θ-invariant, Kramers partners lie in partner sectors, and only half of the sectors need
solving (:attr:`SymmetrySector.partner`; the other half are their time reverses).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .errors import ParameterError

__all__ = ["kramers_matrix", "parity_sector_bases", "SiteSymmetry", "C4Z", "spinful_rotation_block", "map_sites",
           "group_sector_bases", "representative_orbitals", "project_onto_sector", "SECTOR_BASES",
           "split_by_block", "full_space_states", "SymmetrySector", "symmetry_sectors"]


def kramers_matrix(n: int) -> sp.csr_matrix:
    """Real J with Θx = J conj(x), J = I ⊗ [[0, 1], [−1, 0]] (index 2·orbital + spin)."""
    if n % 2:
        raise ValueError("Kramers structure needs an even dimension (index = 2*orbital + spin)")
    i = np.arange(0, n, 2)
    rows = np.concatenate([i, i + 1])
    cols = np.concatenate([i + 1, i])
    vals = np.concatenate([np.ones(n // 2), -np.ones(n // 2)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))


def parity_sector_bases(perm, sign) -> dict[int, sp.csr_matrix]:
    """Real isometries Qₛ (n × nₛ) onto the ±1 eigenspaces of (P x)[i] = sign[i] x[perm[i]]."""
    perm = np.asarray(perm, dtype=np.int64)
    sign = np.asarray(sign, dtype=float)
    n = perm.size
    if not np.array_equal(perm[perm], np.arange(n)):
        raise ValueError("parity permutation is not an involution")
    if np.any(sign[perm] * sign != 1):
        raise ValueError("parity signs are inconsistent (P^2 != 1)")
    idx = np.arange(n)
    fixed = idx[perm == idx]
    pair = idx[perm > idx]
    out = {}
    for s in (1, -1):
        f = fixed[sign[fixed] == s]
        first = np.concatenate([pair, f])
        order = np.argsort(first, kind="stable")      # keeps (2*orbital + spin) pairs adjacent
        first = first[order]
        is_pair = np.concatenate([np.ones(pair.size, bool), np.zeros(f.size, bool)])[order]
        cols = np.arange(first.size)
        h = np.sqrt(0.5)
        r = np.concatenate([first, perm[first[is_pair]]])
        c = np.concatenate([cols, cols[is_pair]])
        v = np.concatenate([np.where(is_pair, h, 1.0), s * sign[first[is_pair]] * h])
        out[s] = sp.csr_matrix((v, (r, c)), shape=(n, first.size))
    return out


@dataclass(frozen=True)
class SiteSymmetry:
    """A unitary site symmetry U (module doc): ``site_map`` (S,) π(s); ``matrix`` U (n × n CSR);
    ``offsets`` (S + 1,) first orbital of each site; U^``order`` = ``phase``·1."""

    name: str
    site_map: np.ndarray
    matrix: sp.csr_matrix
    offsets: np.ndarray
    order: int
    phase: complex = 1.0

    @property
    def eigenvalues(self) -> np.ndarray:
        """The possible eigenvalues λ of U (λ^order = phase), ordered by angle from −π."""
        roots = self.phase ** (1.0 / self.order) * np.exp(2j * np.pi * np.arange(self.order) / self.order)
        return roots[np.argsort(np.angle(roots) + 1e-9 * np.pi)]

    @classmethod
    def from_parity(cls, perm, sign, offsets) -> SiteSymmetry:
        """Inversion given as (P x)[i] = sign[i] x[perm[i]] (an involution) on the sites of ``offsets``."""
        perm = np.asarray(perm, dtype=np.int64)
        offsets = np.asarray(offsets, dtype=np.int64)
        n = perm.size
        site_of = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
        matrix = sp.csr_matrix((np.asarray(sign, float).astype(complex), (np.arange(n), perm)), shape=(n, n))
        return cls("inversion", site_of[perm[offsets[:-1]]], matrix, offsets, 2, 1.0)


#: Rotation by +π/2 about z (x̂ → ŷ), the generator C4z of the cube's tetragonal subgroup.
C4Z = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def spinful_rotation_block(orbital_block: np.ndarray, angle: float) -> np.ndarray:
    """On-site block D_orb ⊗ exp(−i angle σ_z/2) of a rotation about z (index 2·orbital + spin)."""
    return np.kron(orbital_block, np.diag([np.exp(-0.5j * angle), np.exp(0.5j * angle)]))


def map_sites(positions: np.ndarray, transform: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """(S,) index of the site at R·r for every site r (``positions`` (S, 3) about the symmetry
    centre, ``transform`` R 3 × 3); −1 where no site sits there (matched to ``tol`` of the size)."""
    scale = max(np.abs(positions).max(), 1.0)
    keys = np.round(positions / (tol * scale)).astype(np.int64)
    index = {tuple(k): i for i, k in enumerate(keys)}
    moved = np.round(positions @ np.asarray(transform, float).T / (tol * scale)).astype(np.int64)
    return np.array([index.get(tuple(k), -1) for k in moved])


def _group_site_maps(generators: list[SiteSymmetry]) -> tuple[list[tuple], np.ndarray]:
    """Every group element as its tuple of generator powers, and its site map (|G|, S)."""
    n_sites = generators[0].offsets.size - 1
    powers, maps = [], []
    for pw in itertools.product(*(range(g.order) for g in generators)):
        smap = np.arange(n_sites)
        for g, p in zip(generators, pw):
            for _ in range(p):
                smap = g.site_map[smap]
        powers.append(pw)
        maps.append(smap)
    return powers, np.array(maps)


def representative_orbitals(generators: list[SiteSymmetry]) -> np.ndarray:
    """Orbitals of the representative site of every site orbit (the site of lowest index): the
    rows V_χ is built from (:func:`group_sector_bases`, :func:`project_onto_sector`)."""
    offsets = generators[0].offsets
    _, maps = _group_site_maps(generators)
    is_rep = maps.min(axis=0) == np.arange(maps.shape[1])
    return np.flatnonzero(np.repeat(is_rep, np.diff(offsets)))


def project_onto_sector(H_rep_rows: sp.csr_matrix, V: sp.csr_matrix, rep: np.ndarray) -> sp.csr_matrix:
    """V_χᴴ H V_χ from the rows ``H_rep_rows`` = H[rep] of the representative orbitals ``rep`` only.

    V_χ = P_χ[:, rep] C with P_χ the (Hermitian) group projector, and P_χ[rep, rep] C = C W,
    W = diag(w) with w the column weights ‖V_χ[rep, c]‖² (1/|G| on free orbits, |Stab|/|G| on
    sites with a stabiliser; module doc). With [H, P_χ] = 0 (checked before), V_χᴴ H V_χ =
    Cᴴ P_χ[rep, :] H V_χ = W⁻¹ V_χ[rep]ᴴ (H[rep] V_χ): one product with |rep| ≈ n/|G| rows instead
    of two of n (5× faster at N = 12, measured; equal to 1e-14 eV)."""
    V_rep = V[rep]
    w = np.asarray(abs(V_rep).power(2).sum(axis=0)).ravel()
    return (sp.diags(1.0 / w) @ (V_rep.conj().T @ (H_rep_rows @ V))).tocsr()


def group_sector_bases(generators: list[SiteSymmetry], keys=None) -> dict[tuple, sp.csr_matrix]:
    """Isometries V_χ (n × n_χ, orthonormal columns) onto the joint eigenspaces of commuting site
    symmetries, keyed by the tuple of eigenvalue indices (into each generator's ``eigenvalues``);
    ``keys`` restricts the sectors built (module doc for the construction)."""
    offsets = generators[0].offsets
    n_sites = offsets.size - 1
    n = int(offsets[-1])
    all_powers, maps = _group_site_maps(generators)
    elements = []                                   # (powers, U_g)
    for powers in all_powers:
        U = sp.identity(n, dtype=complex, format="csr")
        for g, p in zip(generators, powers):
            for _ in range(p):
                U = (g.matrix @ U).tocsr()
        elements.append((powers, U))
    size = len(elements)
    stabiliser = (maps == np.arange(n_sites)).sum(axis=0)
    site_of = np.repeat(np.arange(n_sites), np.diff(offsets))
    ro = representative_orbitals(generators)                     # orbitals of representative sites
    fixed = stabiliser[site_of[ro]] > 1                          # ... with a non-trivial stabiliser
    columns = [U.tocsc()[:, ro] for _, U in elements]
    sub_rows = ro[fixed]
    block_site = site_of[sub_rows]
    _, block_id = np.unique(block_site, return_inverse=True)
    local = sub_rows - offsets[block_site]
    dim = int(np.diff(offsets).max())
    if keys is None:
        keys = list(itertools.product(*(range(g.order) for g in generators)))
    lams = [g.eigenvalues for g in generators]
    out = {}
    for key in keys:
        coef = [np.prod([lams[i][key[i]] ** -p for i, p in enumerate(powers)]) / size for powers, _ in elements]
        B = sum(c * M for c, M in zip(coef, columns)).tocsc()          # P_χ[:, ro]
        # free orbits: P_χ e_{r,α} are orthogonal with norm² 1/|G|
        free_pos = np.flatnonzero(~fixed)
        r_idx, c_idx = [free_pos], [np.arange(free_pos.size)]
        v_idx = [np.full(free_pos.size, np.sqrt(size), dtype=complex)]
        ncol = free_pos.size
        if fixed.any():
            fixed_pos = np.flatnonzero(fixed)
            G = B[sub_rows][:, fixed_pos].tocoo()                        # block-diagonal P_χ[ro, ro]
            blocks = np.zeros((block_id.max() + 1, dim, dim), complex)
            blocks[block_id[G.row], local[G.row], local[G.col]] = G.data
            w, X = np.linalg.eigh(blocks)
            keep = w > 0.5 / size                                        # eigenvalues |Stab|/|G| or 0
            b_k, j_k = np.nonzero(keep)
            position = np.full((blocks.shape[0], dim), -1)               # (block, local) → position in ro
            position[block_id, local] = fixed_pos
            rows = position[b_k]                                         # (kept, dim)
            vals = X[b_k, :, j_k] / np.sqrt(w[b_k, j_k])[:, None]
            cols = np.broadcast_to((ncol + np.arange(b_k.size))[:, None], rows.shape)
            valid = rows >= 0
            r_idx.append(rows[valid])
            c_idx.append(cols[valid])
            v_idx.append(vals[valid])
            ncol += b_k.size
        C = sp.csr_matrix((np.concatenate(v_idx), (np.concatenate(r_idx), np.concatenate(c_idx))),
                          shape=(ro.size, ncol))
        out[tuple(key)] = (B @ C).tocsr()
    return out


def _layout_fingerprint(generators: list[SiteSymmetry]) -> bytes:
    """Digest of everything the sector bases depend on: each generator's site map, matrix, order,
    phase and the orbital offsets (not H: the bases of one layout serve every parameter set)."""
    digest = hashlib.blake2b(digest_size=20)
    for g in generators:
        m = g.matrix.tocsr()
        digest.update(f"{g.name}|{g.order}|{complex(g.phase)!r}|{m.shape}".encode())
        for arr in (g.site_map, g.offsets, m.indptr, m.indices, m.data):
            digest.update(np.ascontiguousarray(arr).tobytes())
    return digest.digest()


class _SectorBasisCache:
    """The sector bases of the last layout solved (one layout kept: a new one evicts it before its
    own bases are built, so the cache never holds two layouts at once). A parameter sweep at one
    size, and the finite-field solve after the zero-field one, reuse them (1.4 s per solve at
    N = 25, measured; docs/performance.md)."""

    def __init__(self) -> None:
        self.fingerprint: bytes | None = None
        self.bases: dict[tuple, sp.csr_matrix] = {}
        self.lock = threading.Lock()

    def get(self, generators: list[SiteSymmetry], keys: list[tuple]) -> dict[tuple, sp.csr_matrix]:
        fingerprint = _layout_fingerprint(generators)
        with self.lock:
            if fingerprint != self.fingerprint:
                self.fingerprint, self.bases = fingerprint, {}
            missing = [key for key in keys if key not in self.bases]
            if missing:
                self.bases.update(group_sector_bases(generators, missing))
            return {key: self.bases[key] for key in keys}

    def clear(self) -> None:
        with self.lock:
            self.fingerprint, self.bases = None, {}


SECTOR_BASES = _SectorBasisCache()


@dataclass
class SymmetrySector:
    """One decoupled block of H: ``matrix`` = Qᵀ H Q (``basis`` Q, None for the whole space) and
    its time reversal ``theta`` (Θx = theta @ conj(x); None if Θ does not act inside the block).
    ``partner``: Θ maps this block onto another one that is not solved: every state here stands
    for a Kramers doublet, its partner is Θ(basis @ x) = J conj(basis @ x) in the full space."""

    key: int | tuple
    basis: sp.csr_matrix | None
    matrix: sp.csr_matrix
    theta: sp.csr_matrix | None
    partner: bool = False

    @property
    def weight(self) -> float:
        """Fraction of the full dimension in this block."""
        return self.matrix.shape[0] / (self.basis.shape[0] if self.basis is not None else self.matrix.shape[0])

    def to_full(self, vectors: np.ndarray) -> np.ndarray:
        """Block vectors → full-space vectors."""
        return vectors if self.basis is None else self.basis @ vectors


def symmetry_sectors(H: sp.csr_matrix, parity=None, kramers: bool = True, *, rotation: SiteSymmetry | None = None,
                     seed: int = 0, rtol: float = 1e-10) -> list[SymmetrySector]:
    """The blocks of H under the given symmetries, each checked on a random vector first.

    ``parity``: None or (perm, sign) (module doc); ``kramers``: use time reversal; ``rotation``:
    a site symmetry such as C4z (with parity: the group C4h). Raises ParameterError naming the
    symmetry if H does not commute with Θ (pass kramers=False), the parity or the rotation.
    With a rotation and Θ, only one sector of each Θ-pair is returned (``partner`` = True).
    """
    H = sp.csr_matrix(H)
    n = H.shape[0]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
    hx = H @ x
    scale = np.linalg.norm(hx)
    J = None
    if kramers:
        J = kramers_matrix(n)
        err = np.linalg.norm(H @ (J @ x.conj()) - J @ hx.conj()) / scale
        if err > rtol:
            raise ParameterError(f"H does not commute with time reversal (rel. err {err:.1e}); use kramers=False")
    if rotation is not None:
        return _group_sectors(H, parity, rotation, J, x, hx, scale, rtol)
    if parity is None:
        H.sort_indices()
        return [SymmetrySector(0, None, H, J)]
    perm, sgn = np.asarray(parity[0]), np.asarray(parity[1], dtype=float)
    err = np.linalg.norm(H @ (sgn * x[perm]) - sgn * hx[perm]) / scale
    if err > rtol:
        raise ParameterError(f"H does not commute with the given parity (rel. err {err:.1e})")
    sectors = []
    for key, Q in parity_sector_bases(perm, sgn).items():
        A = (Q.T @ H @ Q).tocsr()
        A.sort_indices()
        Js = None
        if J is not None:
            Js = (Q.T @ J @ Q).tocsr()
            Js.eliminate_zeros()
        sectors.append(SymmetrySector(key, Q, A, Js))
    return sectors


def _group_sectors(H, parity, rotation: SiteSymmetry, J, x, hx, scale, rtol) -> list[SymmetrySector]:
    """Sectors of the group generated by ``rotation`` (and the parity, if given); see symmetry_sectors."""
    generators = [rotation]
    if parity is not None:
        generators.append(SiteSymmetry.from_parity(parity[0], parity[1], rotation.offsets))
    for g in generators:
        ux = g.matrix @ x
        err = np.linalg.norm(H @ ux - g.matrix @ hx) / scale
        if err > rtol:
            raise ParameterError(f"H does not commute with the given {g.name} (rel. err {err:.1e})")
        if J is not None and np.linalg.norm(g.matrix @ (J @ x.conj()) - J @ ux.conj()) > 1e-10 * np.linalg.norm(x):
            raise ParameterError(f"the {g.name} operator does not commute with time reversal")
        power = ux
        for _ in range(g.order - 1):
            power = g.matrix @ power
        if np.linalg.norm(power - g.phase * x) > 1e-10 * np.linalg.norm(x):
            raise ParameterError(f"the {g.name} operator does not satisfy U^{g.order} = {g.phase}")
    lams = [g.eigenvalues for g in generators]
    keys = list(itertools.product(*(range(g.order) for g in generators)))
    solve, partner = [], {}
    for key in keys:        # Θ maps eigenvalue λ to λ*: keep one sector of every Θ-pair
        mirror = tuple(int(np.argmin(np.abs(lams[i] - np.conj(lams[i][k])))) for i, k in enumerate(key))
        if J is not None and mirror in solve:
            continue
        solve.append(key)
        partner[key] = J is not None and mirror != key
    sectors = []
    rep = representative_orbitals(generators)
    H_rep_rows = H[rep]
    for key, V in SECTOR_BASES.get(generators, solve).items():
        A = project_onto_sector(H_rep_rows, V, rep)
        A.sort_indices()
        Js = None
        if J is not None and not partner[key]:
            Js = (V.conj().T @ J @ V.conj()).tocsr()
            Js.eliminate_zeros()
        sectors.append(SymmetrySector(key, V, A, Js, partner[key]))
    return sectors


def split_by_block(picks: np.ndarray, sizes) -> list[np.ndarray]:
    """Indices ``picks`` into a concatenation of blocks of ``sizes`` → per-block local indices."""
    offsets = np.cumsum([0, *sizes])
    return [picks[(picks >= offsets[i]) & (picks < offsets[i + 1])] - offsets[i] for i in range(len(sizes))]


def full_space_states(H: sp.csr_matrix, parts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(energies, vectors, residuals) in the full space, sorted by energy, from ``parts`` =
    [(sector, block vectors, block energies), ...]: vectors lifted by the sector basis, the Kramers
    partners J conj(ψ) of ``partner`` sectors added, normalised; energies as Rayleigh quotients and
    residuals ‖Hv − Ev‖ with H itself."""
    J = kramers_matrix(H.shape[0]) if any(sector.partner for sector, _, _ in parts) else None
    Zs, Es = [], []
    for sector, Zb, Eb in parts:
        Zk = sector.to_full(Zb)
        Zs.append(Zk)
        Es.append(Eb)
        if sector.partner:                      # time-reversed partners from the unsolved block
            Zs.append(J @ Zk.conj())
            Es.append(Eb)
    order = np.argsort(np.concatenate(Es), kind="stable")
    Z = np.hstack(Zs)[:, order]
    Z /= np.linalg.norm(Z, axis=0)
    HZ = H @ Z
    E = np.real(np.einsum("ij,ij->j", Z.conj(), HZ))
    return E, Z, np.linalg.norm(HZ - Z * E, axis=0)
