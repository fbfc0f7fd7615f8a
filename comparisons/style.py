"""One plotting style for every figure of the toolkit (matplotlib, non-interactive backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

#: Colours per carrier / quantity, used by every figure.
COLORS = {"g_e": "#c0392b", "g_h": "#2471a3", "g_X": "#7d3c98", "data": "#222222"}
LABELS = {"g_e": r"$g_e$", "g_h": r"$g_h$", "g_X": r"$g_X = g_e + g_h$"}

_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "font.size": 9,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.6,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "pdf.fonttype": 42,
    "svg.fonttype": "none",
}


def figure(width_in: float = 3.6, height_in: float = 2.8, nrows: int = 1, ncols: int = 1, **kw):
    """A new figure in the toolkit style; returns (fig, axes)."""
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width_in * ncols, height_in * nrows),
                                 layout="constrained", **kw)
    fig.set_dpi(_RC["figure.dpi"])
    return fig, axes


def close(fig) -> None:
    """Release a figure's memory."""
    plt.close(fig)


def rc():
    """Context manager applying the toolkit style while drawing."""
    return plt.rc_context(_RC)
