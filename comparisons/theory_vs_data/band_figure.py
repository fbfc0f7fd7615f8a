"""The band-structure figure and files of ``landeg bands``: bands.csv, band_character.npz, bands.png/pdf.

Draws a :class:`tightbinding.bands.BandStructure` (energies in eV along the path, distance in
1/nm; valence bands blue, conduction bands red, or coloured by one orbital group's weight) and
writes its table, the orbital character (if computed) and the figure, each file atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from confinement.errors import ParameterError
from confinement.io import atomic_write_bytes, save_figure, write_table
from tightbinding.bands import BandStructure

from . import style


def plot_band_structure(bands: BandStructure, title: str, window: tuple[float, float] = (-4.0, 6.0),
                        group: str | None = None):
    """Figure of the bands (eV) along the path; with ``group`` the colour is that group's weight."""
    fig, ax = style.figure(4.4, 3.4)
    with style.rc():
        if group is not None:
            if bands.character is None or group not in bands.groups:
                raise ParameterError(f"no orbital character {group!r}; available: {', '.join(bands.groups)}")
            w = bands.character[:, :, bands.groups.index(group)]
            for n in range(bands.energies.shape[1]):
                ax.plot(bands.distance, bands.energies[:, n], color="0.75", lw=0.6, zorder=1)
            x = np.repeat(bands.distance[:, None], bands.energies.shape[1], axis=1)
            sc = ax.scatter(x.ravel(), bands.energies.ravel(), c=w.ravel(), s=3, cmap="viridis", vmin=0, vmax=1,
                            zorder=2)
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
