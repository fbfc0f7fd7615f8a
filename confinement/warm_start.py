"""Warm starts across a sweep: the last band-edge subspace of every system layout, kept for the
next solve of a neighbouring system with the same sites (another parameter set at the same size).

    store = WarmStarts()
    record = band_edge_gfactors(system, sigma, warm_starts=store)   # looks up, solves, remembers

A system's *layout* is its dimension, its site positions (nm, rounded to 1e-6 nm), sublattices and
orbital offsets, plus the kind of solve (zero field, or the field and its direction): two systems of
one layout have the same symmetry blocks, so the filtered solver starts from the previous Ritz
basis (:class:`confinement.solvers.filtered.Subspace`, its unconverged vectors dropped) and skips
its wide first filter and its Lanczos estimate of the spectrum bounds (it takes the previous ones). The
certificate is unchanged (‖Hv − Ev‖ ≤ tol for every returned pair, the window count proven; every
seeded block is filtered once from a random vector, docs/nc.md), so a warm start changes the
number of mat-vecs, never the answer beyond the tolerance.

Across *sizes* the store answers nothing: its key is the layout. :func:`map_to_size` carries
vectors from one cube onto another size of the same shape (the R-point Bloch phase taken off, the
envelope stretched, the phase put back). The mapped band-edge states overlap the new ones by
0.99-1.00 (CsPbI3-refit-N23, N = 8 -> 9 -> 10 and 13 -> 16). Mapped with its time-reversed images,
a Ritz subspace starts the next size at 0.65-0.83 of the cold mat-vecs (docs/performance.md,
tenth session); the store does not do it yet (it would keep a full-space subspace per shape).
Entries are evicted oldest first beyond ``max_bytes``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace

import numpy as np

from .system import FiniteSystem

__all__ = ["WarmStarts", "layout_key", "map_to_size", "r_point_phase"]


def layout_key(system: FiniteSystem, solve: str = "B=0") -> str:
    """Hash of what fixes the symmetry blocks of ``system``'s Hamiltonian: dimension, site positions
    (nm, to 1e-6 nm), sublattices, orbital offsets, and ``solve`` (e.g. 'B=0', 'B=1T z')."""
    digest = hashlib.sha256()
    digest.update(f"{system.n_orbitals}|{solve}|".encode())
    digest.update(np.round(np.asarray(system.positions, float), 6).tobytes())
    digest.update(np.asarray(system.sublattice, np.int64).tobytes())
    digest.update(np.asarray(system.offsets, np.int64).tobytes())
    return digest.hexdigest()


def _nbytes(subspace) -> int:
    """Bytes held by a stored subspace (its block bases and those of the solve before)."""
    previous = getattr(subspace, "previous", None) or {}
    return int(sum(np.asarray(v).nbytes for v in (*subspace.blocks.values(), *previous.values())))


class WarmStarts:
    """Last warm start (``BandEdgeStates.warm_start``) per system layout, at most ``max_bytes`` in
    all (default 512 MB; oldest evicted first; the newest entry is kept even if larger).
    ``hits``/``misses`` count look-ups."""

    def __init__(self, max_bytes: int = 512 * 2**20):
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._starts: OrderedDict[str, object] = OrderedDict()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._starts)

    def get(self, system: FiniteSystem, solve: str = "B=0"):
        """The warm start of the last solve of this layout, or None."""
        start = self._starts.get(layout_key(system, solve))
        if start is None:
            self.misses += 1
        else:
            self.hits += 1
        return start

    def put(self, system: FiniteSystem, states, solve: str = "B=0") -> None:
        """Remember ``states.warm_start`` (a :class:`~confinement.solvers.band_edges.BandEdgeStates`)
        for this layout; only a strategy's own subspace is kept (full vectors are not a useful start)."""
        start = getattr(states, "subspace", None)
        if start is None:
            return
        key = layout_key(system, solve)
        before = self._starts.pop(key, None)
        if before is not None and hasattr(start, "previous"):   # the last two solves span the sweep's direction
            start = replace(start, previous=before.blocks)
        self._starts[key] = start
        while len(self._starts) > 1 and sum(map(_nbytes, self._starts.values())) > self.max_bytes:
            self._starts.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry (and the counts)."""
        self._starts.clear()
        self.hits = self.misses = 0


def r_point_phase(system: FiniteSystem) -> np.ndarray:
    """(-1)^(i+j+k) per site, (i, j, k) its cell counted per sublattice from the sublattice's lowest
    corner in units of the lattice constant (the smallest spacing of that sublattice): the Bloch
    phase at R = (pi/a)(1, 1, 1), where both band edges of cubic CsPbX3 lie. Assumes a simple
    cubic Bravais lattice, as every ETB system of this package has."""
    phase = np.empty(system.n_sites)
    for lattice in np.unique(system.sublattice):
        sites = np.flatnonzero(system.sublattice == lattice)
        p = np.asarray(system.positions[sites], float)
        steps = np.abs(p - p[0])[1:]
        steps = steps[steps > 1e-6]
        if not steps.size:                      # one site of this sublattice
            phase[sites] = 1.0
            continue
        phase[sites] = (-1.0) ** np.rint((p - p.min(0)) / steps.min()).astype(int).sum(1)
    return phase


def map_to_size(old: FiniteSystem, new: FiniteSystem, vectors: np.ndarray) -> np.ndarray:
    """Vectors (n_old, k) of ``old`` carried onto ``new``, another size of the same shape, as
    (n_new, k) unit columns: the R-point phase taken off (:func:`r_point_phase`), each new site given
    the amplitudes of the old site of its sublattice nearest to its position scaled by the ratio of
    the extents (the envelope stretched), the phase put back. Without the phase the band-edge
    states map onto vectors orthogonal to the new ones (overlap 0.000, N = 9 -> 10, measured). A
    guess for ``solve_band_edges(..., guess=...)``; the symmetry blocks of odd and even N differ,
    so carry both Kramers partners (the Theta images of a Kramers-reduced subspace too)."""
    from scipy.spatial import cKDTree

    if set(np.unique(old.sublattice)) != set(np.unique(new.sublattice)):
        raise ValueError("map_to_size needs two systems with the same sublattices")
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != old.n_orbitals:
        raise ValueError(f"vectors must be (n_old, k) with n_old = {old.n_orbitals}, got {vectors.shape}")
    scale = np.ptp(old.positions, axis=0) / np.ptp(new.positions, axis=0)
    rel_old = old.positions - old.positions.mean(0)
    rel_new = new.positions - new.positions.mean(0)
    source = np.empty(new.n_sites, int)
    for lattice in np.unique(new.sublattice):
        io, inew = np.flatnonzero(old.sublattice == lattice), np.flatnonzero(new.sublattice == lattice)
        source[inew] = io[cKDTree(rel_old[io]).query(rel_new[inew] * scale)[1]]
    per_site = np.diff(new.offsets)
    if np.any(np.diff(old.offsets)[source] != per_site):
        raise ValueError("map_to_size needs the same orbitals per site on each sublattice")
    local = np.arange(new.n_orbitals) - np.repeat(new.offsets[:-1], per_site)
    phase = np.repeat(r_point_phase(new) * r_point_phase(old)[source], per_site)
    mapped = vectors[np.repeat(old.offsets[:-1][source], per_site) + local] * phase[:, None]
    return mapped / np.linalg.norm(mapped, axis=0)
