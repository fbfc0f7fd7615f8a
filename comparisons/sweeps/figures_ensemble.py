"""Figures of ``landeg ensemble``: mean g and Δg versus energy, and the TRFE picture at a sample.

- :func:`ensemble_figure`: 2 × 2 panels — mean Larmor g of electrons and holes (one line per aspect
  spread σ_a, the cube curve dashed, measured g of the samples) and Δg as the T2*(B) analysis reads
  it (solid) with the standard deviation (dotted) and the measured spreads; energies below the
  training cuboids are shaded (the shape terms are extrapolated there; a second shape-model form
  is drawn thin and dashed as the extrapolation bound).
- :func:`trfe_figure`: at the first sample's energy and the largest σ_a — the distribution of
  |gᵀn|, the simulated eqn (2) trace with both carriers next to the trace a Lorentzian of the
  measured Δg would give, and 1/T2*(B) with its eqn (3) fit and the measured slope.
"""

from __future__ import annotations

import numpy as np

from ..experiment.trfe import GAMMA_B
from ..theory_vs_data import style
from .ensemble import CARRIERS, ShapeModel, ensemble_trace, sample_ensemble, simulated_dephasing
from .ensemble_config import EnsembleConfig


def _by(rows: list[dict], **match) -> list[dict]:
    return sorted((r for r in rows if all(r[k] == v for k, v in match.items())), key=lambda r: r["energy_eV"])


def ensemble_figure(rows: list[dict], samples: list[dict], model: ShapeModel, config: EnsembleConfig):
    """Mean g and Δg versus laser energy (module doc)."""
    fig, axes = style.figure(3.6, 2.7, nrows=2, ncols=2, sharex=True)
    forms = list(dict.fromkeys(r["form"] for r in rows))
    sigmas = list(dict.fromkeys(r["aspect_sigma"] for r in rows))
    edge = model.Eg + model.x_range[0]
    with style.rc():
        for col, (c, key) in enumerate(CARRIERS.items()):
            top, bottom = axes[0, col], axes[1, col]
            for ax in (top, bottom):
                ax.axvspan(min(r["energy_eV"] for r in rows), edge, color="#dddddd", alpha=0.5, lw=0)
            for k, sigma in enumerate(sigmas):
                color = style.MODEL_COLORS[k % len(style.MODEL_COLORS)]
                for form in forms:
                    sel = _by(rows, form=form, aspect_sigma=sigma, carrier=c)
                    e = np.array([r["energy_eV"] for r in sel])
                    central = form == forms[0]
                    kw = {"color": color, "lw": 1.4 if central else 0.8, "ls": "-" if central else "--"}
                    label = f"σ_a = {sigma:g}" if central else None
                    top.plot(e, [r["g_mean"] for r in sel], label=label, **kw)
                    bottom.plot(e, [r["delta_g_T2"] for r in sel], label=label, **kw)
                    if central:
                        bottom.plot(e, [r["g_std"] for r in sel], color=color, lw=0.8, ls=":")
            cube = _by(rows, form=forms[0], aspect_sigma=sigmas[0], carrier=c)
            top.plot([r["energy_eV"] for r in cube], [abs(r["g_cube"]) for r in cube], color="#777777", ls="--",
                     lw=1, label="cubes |g|")
            for s in samples:
                if key in s:
                    top.plot(s["energy_eV"], abs(s[key]), "o", color=style.COLORS["data"], ms=4)
                    top.annotate(s["sample"], (s["energy_eV"], abs(s[key])), xytext=(3, 3), textcoords="offset points",
                                 fontsize=7)
                if f"delta_{key}" in s:
                    bottom.plot(s["energy_eV"], s[f"delta_{key}"], "s", color=style.COLORS["data"], ms=4)
                    bottom.annotate(f"{s['sample']} measured", (s["energy_eV"], s[f"delta_{key}"]), xytext=(3, 3),
                                    textcoords="offset points", fontsize=7)
            top.set_ylabel(f"mean Larmor {style.LABELS[key]}")
            bottom.set_ylabel(rf"$\Delta${style.LABELS[key]} (solid: T2*(B) slope; dotted: std)")
            bottom.set_xlabel("laser energy (eV)")
            bottom.set_yscale("log")
            bottom.set_ylim(1e-4, 1.0)
            top.set_title(f"{'electrons' if c == 'e' else 'holes'}, {config.model.params}", fontsize=9)
        axes[0, 0].legend(fontsize=7)
        fig.suptitle("Shape and orientation spread of randomly oriented NCs (grey: shape terms extrapolated)",
                     fontsize=9)
    return fig


def trfe_figure(model: ShapeModel, samples: list[dict], config: EnsembleConfig):
    """Distribution, simulated TRFE trace and 1/T2*(B) at the first sample (module doc)."""
    dist_cfg, deph, sel = config.distribution, config.dephasing, config.selection
    energy = samples[0]["energy_eV"] if samples else float(np.median(np.atleast_1d(sel.energies_eV if isinstance(
        sel.energies_eV, list) else sel.energies_eV.values())))
    label = samples[0]["sample"] if samples else f"{energy:.3f} eV"
    sigma = max(dist_cfg.aspect_sigma)
    dists = sample_ensemble(model, energy, sigma, window_meV=sel.window_meV, size_sigma=dist_cfg.size_sigma,
                            median_energy_eV=dist_cfg.median_energy_eV, n_shapes=dist_cfg.n_shapes,
                            n_directions=dist_cfg.n_directions, seed=dist_cfg.seed)
    fig, axes = style.figure(3.3, 2.7, ncols=3)
    t = np.arange(0.0, min(deph.t_max_ps, 1000.0) + 0.5 * deph.dt_ps, deph.dt_ps)
    with style.rc():
        total = np.zeros_like(t)
        for c, key in CARRIERS.items():
            values, weights = dists[c].flat()
            color = style.COLORS[key]
            axes[0].hist(values, bins=120, weights=weights, color=color, alpha=0.7, label=style.LABELS[key])
            total += ensemble_trace(values, weights, deph.trace_field_T, t, deph.t2_zero_field_ps)
            result = simulated_dephasing(values, weights, deph.fields_T, t2_zero_field_ps=deph.t2_zero_field_ps,
                                         t_max_ps=deph.t_max_ps, dt_ps=deph.dt_ps, carrier=c)
            b = np.linspace(0, max(deph.fields_T), 50)
            axes[2].plot(result.fields_T, 1e3 / result.t2_ps, "o", color=color, ms=3)
            if result.fit is not None:
                axes[2].plot(b, 1e3 / result.fit.t2_0_ps + result.fit.delta_g * GAMMA_B * b, color=color,
                             label=rf"{style.LABELS[key]}: $\Delta g$ = {result.fit.delta_g:.3f}")
            measured = samples[0].get(f"delta_{key}") if samples else None
            if measured is not None:
                axes[2].plot(b, 1e3 / deph.t2_zero_field_ps + measured * GAMMA_B * b, color=color, ls="--",
                             label=rf"measured $\Delta${style.LABELS[key]} = {measured:g}")
        axes[1].plot(t, total, color="k", lw=1, label=f"ensemble, σ_a = {sigma:g}")
        measured_trace = np.zeros_like(t)
        for c, key in CARRIERS.items():
            g = abs(samples[0].get(key, dists[c].mean)) if samples else dists[c].mean
            spread = samples[0].get(f"delta_{key}") if samples else None
            rate = 1.0 / deph.t2_zero_field_ps + (spread or 0.0) * GAMMA_B * 1e-3 * deph.trace_field_T
            measured_trace += np.cos(g * GAMMA_B * deph.trace_field_T * t * 1e-3) * np.exp(-rate * t)
        if samples:
            axes[1].plot(t, measured_trace + 2.5, color="#777777", lw=1, label="measured g, Δg (eqns 2, 3), offset")
        axes[0].set_xlabel(r"Larmor $|g^T n|$")
        axes[0].set_ylabel("weight")
        axes[0].set_title(f"{label}, {energy:.3f} eV, σ_a = {sigma:g}", fontsize=9)
        axes[0].legend(fontsize=7)
        axes[1].set_xlabel("delay (ps)")
        axes[1].set_ylabel(f"TRFE signal at {deph.trace_field_T:g} T (eqn 2)")
        axes[1].legend(fontsize=7, loc="upper right")
        axes[2].set_xlabel("B (T)")
        axes[2].set_ylabel(r"$1/T_2^*$ (1/ns)")
        axes[2].legend(fontsize=6)
    return fig
