"""Band structures along high-symmetry paths, with optional orbital character, as data.

:func:`band_structure` gives a :class:`BandStructure` (energies in eV along a path in 1/nm, with
orbital-group weights on request); its table and figure are written by the comparison layer
(:mod:`comparisons.theory_vs_data.band_figure`, ``landeg bands``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .crystal import Crystal
from .orbitals import COMPONENTS

#: Default path of the simple-cubic Brillouin zone: Γ–X–M–Γ–R–X|M–R.
DEFAULT_PATH = "G-X-M-G-R-X|M-R"


@dataclass(frozen=True)
class BandStructure:
    """Bands along a path: ``distance`` (K,) in 1/nm, ``k`` (K, 3) in 1/nm, ``energies`` (K, N) in eV,
    ``ticks`` [(distance, label)], optional ``character`` (K, N, G) weights of ``groups``."""

    distance: np.ndarray
    k: np.ndarray
    energies: np.ndarray
    ticks: list[tuple[float, str]]
    valence_bands: int
    character: np.ndarray | None = None
    groups: tuple[str, ...] = ()


def k_path(crystal: Crystal, path: str = DEFAULT_PATH, density: float = 40.0):
    """Points along ``path`` ('-' joins two points, '|' jumps), ``density`` points per π/a of length.

    Returns (k (K, 3) in 1/nm, cumulative distance (K,) in 1/nm, ticks [(distance, label)]).
    """
    ks, distances, ticks, dist = [], [], [], 0.0
    for piece in path.split("|"):
        labels = piece.split("-")
        if len(labels) < 2:
            raise ValueError(f"path segment {piece!r} needs at least two points")
        if ticks and ticks[-1][0] == dist:          # a jump: one tick 'X|M'
            ticks[-1] = (dist, f"{ticks[-1][1]}|{_pretty(labels[0])}")
        else:
            ticks.append((dist, _pretty(labels[0])))
        points = [crystal.high_symmetry_point(lab) for lab in labels]
        for start, stop, label in zip(points, points[1:], labels[1:]):
            length = float(np.linalg.norm(stop - start))
            t = np.linspace(0.0, 1.0, max(int(density * length * crystal.a / np.pi), 2))
            ks.append(start + np.multiply.outer(t, stop - start))
            distances.append(dist + t * length)
            dist += length
            ticks.append((dist, _pretty(label)))
    return np.concatenate(ks), np.concatenate(distances), ticks


def _pretty(label: str) -> str:
    return "Γ" if label in ("G", "Γ") else label


def character_groups(crystal: Crystal) -> tuple[tuple[str, ...], np.ndarray]:
    """Group names ('Pb s', 'X p', …) and the (N, G) 0/1 matrix assigning basis states to groups."""
    names: list[str] = []
    rows: list[tuple[int, str]] = []
    for site in crystal.sites:
        start = site.offset
        for shell in site.shells:
            label = f"{site.species} {shell.replace('sstar', 's*')}"
            if label not in names:
                names.append(label)
            for _ in range(2 * len(COMPONENTS[shell])):
                rows.append((start, label))
                start += 1
    assign = np.zeros((crystal.dimension, len(names)))
    for index, label in rows:
        assign[index, names.index(label)] = 1.0
    return tuple(names), assign


def band_structure(crystal: Crystal, path: str = DEFAULT_PATH, density: float = 40.0,
                   character: bool = False) -> BandStructure:
    """Bands (and, optionally, orbital-group weights) along ``path``."""
    k, distance, ticks = k_path(crystal, path, density)
    if not character:
        return BandStructure(distance, k, crystal.bands(k), ticks, crystal.params.valence_bands)
    groups, assign = character_groups(crystal)
    energies, weights = [], []
    for i in range(0, len(k), 256):
        e, v = np.linalg.eigh(crystal.hamiltonian(k[i:i + 256]))
        energies.append(e)
        weights.append(np.einsum("kin,ig->kng", np.abs(v) ** 2, assign))
    return BandStructure(distance, k, np.concatenate(energies), ticks, crystal.params.valence_bands,
                         np.concatenate(weights), groups)
