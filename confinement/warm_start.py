"""Warm starts across a sweep: the last band-edge subspace of every system layout, kept for the
next solve of a neighbouring system with the same sites (another parameter set at the same size).

    store = WarmStarts()
    record = band_edge_gfactors(system, sigma, warm_starts=store)   # looks up, solves, remembers

A system's *layout* is its dimension, its site positions (nm, rounded to 1e-6 nm), sublattices and
orbital offsets, plus the kind of solve (zero field, or the field and its direction): two systems of
one layout have the same symmetry blocks, so the filtered solver starts from the previous Ritz
basis (:class:`confinement.solvers.filtered.Subspace`, its unconverged vectors dropped) and skips
its wide first filter and its Lanczos estimate of the spectrum bounds (it takes the previous ones). The
certificate is unchanged (‖Hv − Ev‖ ≤ tol for every returned pair, the window count proven), so a
warm start changes the number of mat-vecs, never the answer beyond the tolerance.

Across *sizes* nothing is mapped: a guess interpolated from the N-cube onto the (N+1)-cube by
scaled site positions was measured at 0.89–1.03× the cold mat-vecs (first filter kept) and
1.13–1.14× (first filter skipped) on CsPbI3-refit-N23, N = 8 → 9 → 10 (docs/performance.md), so the
store answers only for the same layout. Entries are evicted oldest first beyond ``max_bytes``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace

import numpy as np

from .system import FiniteSystem

__all__ = ["WarmStarts", "layout_key"]


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
