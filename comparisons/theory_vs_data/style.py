"""One plotting style for every figure of the toolkit (matplotlib, non-interactive backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

#: The Okabe–Ito palette (distinguishable with the common colour-vision deficiencies).
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7"}
#: Colours per carrier / quantity, used by every figure.
COLORS = {"g_e": OKABE_ITO["vermillion"], "g_h": OKABE_ITO["blue"], "g_X": OKABE_ITO["bluish_green"],
          "data": "#222222"}
#: Colours that tell model curves apart where colour does not stand for the carrier (residuals);
#: the bulk reference is grey.
MODEL_COLORS = tuple(OKABE_ITO[k] for k in ("black", "orange", "sky_blue", "reddish_purple", "bluish_green",
                                              "blue", "vermillion"))
BULK_COLOR = "#777777"
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
