"""Band structures along high-symmetry paths, with optional orbital character, as data and figure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def plot_band_structure(bands: BandStructure, title: str, window: tuple[float, float] = (-4.0, 6.0),
                        group: str | None = None):
    """Figure of the bands (eV) along the path; with ``group`` the colour is that group's weight."""
    from comparisons import style

    fig, ax = style.figure(4.4, 3.4)
    with style.rc():
        if group is not None:
            if bands.character is None or group not in bands.groups:
                raise ValueError(f"no orbital character {group!r}; available: {', '.join(bands.groups)}")
            w = bands.character[:, :, bands.groups.index(group)]
            for n in range(bands.energies.shape[1]):
                ax.plot(bands.distance, bands.energies[:, n], color="0.75", lw=0.6, zorder=1)
            x = np.repeat(bands.distance[:, None], bands.energies.shape[1], axis=1)
            sc = ax.scatter(x.ravel(), bands.energies.ravel(), c=w.ravel(), s=3, cmap="viridis", vmin=0, vmax=1, zorder=2)
            fig.colorbar(sc, ax=ax, label=f"{group} weight")
        else:
            nv = bands.valence_bands
            ax.plot(bands.distance, bands.energies[:, :nv], color="#2471a3", lw=0.9)
            ax.plot(bands.distance, bands.energies[:, nv:], color="#c0392b", lw=0.9)
        for x, _ in bands.ticks:
            ax.axvline(x, color="0.4", lw=0.5)
        ax.set_xticks([t[0] for t in bands.ticks], [t[1] for t in bands.ticks])
        ax.set_xlim(bands.distance[0], bands.distance[-1])
        ax.set_ylim(*window)
        ax.set_ylabel("energy (eV)")
        ax.set_title(title, fontsize=9)
        ax.grid(False)
    return fig


def write_band_structure(bands: BandStructure, out_dir: str | Path, title: str, formats=("png", "pdf"),
                         group: str | None = None) -> list[Path]:
    """Write ``bands.csv`` (distance, k, one column per band), character (if any) and the figure."""
    import io

    from comparisons import style
    from comparisons.io import atomic_write_bytes, save_figure, write_table

    out = Path(out_dir)
    columns = {"distance_1/nm": bands.distance, "kx_1/nm": bands.k[:, 0], "ky_1/nm": bands.k[:, 1],
               "kz_1/nm": bands.k[:, 2]}
    columns.update({f"E{n + 1}_eV": bands.energies[:, n] for n in range(bands.energies.shape[1])})
    paths = [write_table(out / "bands.csv", columns, [
        f"{title}; path ticks: " + ", ".join(f"{lab}@{x:.4f}" for x, lab in bands.ticks),
        f"valence bands: {bands.valence_bands} (E1..E{bands.valence_bands}); energies in eV"])]
    if bands.character is not None:
        buf = io.BytesIO()
        np.savez_compressed(buf, distance=bands.distance, energies=bands.energies,
                            character=bands.character, groups=np.array(bands.groups))
        paths.append(atomic_write_bytes(out / "band_character.npz", buf.getvalue()))
    fig = plot_band_structure(bands, title, group=group)
    paths += save_figure(fig, out / "bands", formats)
    style.close(fig)
    return paths
