"""Tables and figures of the bound: summary.md, the g-versus-energy and sensitivity figures."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from confinement.io import atomic_write_bytes, atomic_write_text

from .config import BoundConfig

_SHORT = {"hopping.X-X.s_s_sigma": "X–X ssσ", "hopping.X-X.s_p_sigma": "X–X spσ",
          "hopping.X-X.p_p_sigma": "X–X ppσ", "hopping.X-X.p_p_pi": "X–X ppπ",
          "hopping.Pb-Pb.s_s_sigma": "Pb–Pb ssσ", "hopping.Pb-Pb.s_p_sigma": "Pb–Pb spσ",
          "hopping.Pb-Pb.p_p_sigma": "Pb–Pb ppσ", "hopping.Pb-Pb.p_p_pi": "Pb–Pb ppπ", "spin_orbit.X.p": "λ(I 5p)"}


def short(path: str) -> str:
    """Short label of a search parameter."""
    return _SHORT.get(path, path)


def write_report(config: BoundConfig, out: Path, summary: dict[str, Any]) -> list[Path]:
    """summary.md and the figures (formats of ``[output]``)."""
    files = [atomic_write_text(out / "summary.md", markdown(summary))]
    if summary.get("sensitivities"):
        files += _save(sensitivity_figure(summary), out / "sensitivities", config.output.formats)
    if summary.get("figure_series"):
        files += _save(g_figure(config, summary), out / "bound_g_vs_energy", config.output.formats)
    return files


def _save(fig, stem: Path, formats) -> list[Path]:
    from ..theory_vs_data import style

    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        paths.append(atomic_write_bytes(Path(f"{stem}.{fmt}"), buf.getvalue()))
    style.close(fig)
    return paths


def _f(x: Any, fmt: str = "+.3f") -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def markdown(summary: dict[str, Any]) -> str:
    """The bound, its parameters and the sensitivities as Markdown tables."""
    nc = summary["config"]["nc"]
    lo, hi = nc["e_low"], nc["e_high"]
    base = summary["base"]
    lines = [f"# Second-neighbour bound on {summary['base_set']}", "",
             f"{summary['n_evaluations']} evaluations ({summary['n_admissible']} admissible), "
             f"halide window {summary['halide_window']} eV, search time {summary.get('seconds', 0) / 60:.1f} min"
             + (f"; **{summary['stopped']}** (not converged)" if summary.get("stopped") else "") + ".", "",
             f"Base: g_h({lo}) = {_f(base['nc'].get('g_h_low'))}, g_h({hi}) = {_f(base['nc'].get('g_h_high'))}, "
             f"rise {_f(base['rise'])}; g_e({lo}) = {_f(base['nc'].get('g_e_low'))}.", "",
             "| objective | base | max (admissible) | gain | best per start | g_e(E_low) | g_e(E_high) | g_X(E_low) "
             "| g_X(E_high) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, o in summary["objectives"].items():
        lines.append(f"| {name} | {_f(o['base'])} | **{_f(o['max'])}** | {_f(o['gain'])} | "
                     + ", ".join(_f(x) for x in o["best_per_start"]) + " | "
                     + " | ".join(_f(o["nc"].get(k)) for k in ("g_e_low", "g_e_high", "g_X_low", "g_X_high")) + " |")
    lines += ["", "Parameters at the optimum (eV) and V/V_Harrison:", "",
              "| parameter | Harrison (eV) | " + " | ".join(summary["objectives"]) + " |",
              "|---|---|" + "---|" * len(summary["objectives"])]
    for p in summary["search_paths"]:
        h = summary["harrison_eV"].get(p)
        cells = []
        for o in summary["objectives"].values():
            r = o["harrison_ratio"].get(p)
            cells.append(f"{o['values'][p]:+.4f}" + (f" ({r:+.2f})" if r is not None else ""))
        lines.append(f"| {short(p)} | {_f(h, '+.3f')} | " + " | ".join(cells) + " |")
    sens = summary.get("sensitivities")
    if sens:
        lines += ["", f"Sensitivities at the base point (one-sided differences through refits, step "
                  f"{sens['step_scaled']} scaled units):", "",
                  "| parameter | step (eV) | dg_h(E_low)/dp | dg_h(E_high)/dp | d rise/dp | dg_e(E_low)/dp | "
                  "refit | admissible |", "|---|---|---|---|---|---|---|---|"]
        for p, r in sens["parameters"].items():
            lines.append(f"| {short(p)} | {r['step_eV']:+.4f} | {_f(r.get('dg_h_low_dp'))} | "
                         f"{_f(r.get('dg_h_high_dp'))} | {_f(r.get('drise_dp'))} | {_f(r.get('dg_e_low_dp'))} | "
                         f"{'ok' if r['refit_ok'] else 'failed'} | {'yes' if r['admissible'] else 'no'} |")
    lines += ["", "The same evaluations read with other halide windows (not re-optimised; cubes exist only for "
              "points admissible in the configured window and for the sensitivity points):", "",
              "| window (eV) | rise max | g_h(E_high) max | points |", "|---|---|---|---|"]
    for w, r in summary["by_halide_window"].items():
        lines.append(f"| {w} | {_f(r.get('rise'))} | {_f(r.get('g_h_high'))} | {r['n_points_with_cubes']} |")
    ens = summary.get("ensemble") or {}
    if ens and "skipped" not in ens:
        lines += ["", "Cuboids, spheres and faceted cubes versus the cube at the same transition energy "
                  "(principal values minus g_cube(E)):", "",
                  "| set | NC | E (eV) | g_e spread | g_h spread | mean g_e − cube | mean g_h − cube |",
                  "|---|---|---|---|---|---|---|"]
        for label, rows in ens.items():
            for r in rows:
                name = _nc_name(r)
                if "error" in r:
                    lines.append(f"| {label} | {name} | {r['E']:.3f} | ({r['error'][:60]}) | | | |")
                    continue
                lines.append(f"| {label} | {name} | {r['E']:.3f} | "
                             f"{r['g_e_shape_spread']:.4f} | {r['g_h_shape_spread']:.4f} | "
                             f"{r['g_e_mean_minus_cube']:+.4f} | {r['g_h_mean_minus_cube']:+.4f} |")
    spheres = summary.get("sphere_series") or {}
    if spheres:
        nc = summary["config"]["nc"]
        lines += ["", f"Spheres instead of cubes (g interpolated between the spheres that bracket "
                  f"{nc['e_low']} and {nc['e_high']} eV; cube values in brackets):", "",
                  "| set | rise | g_h(E_low) | g_h(E_high) | g_e(E_low) | g_e(E_high) |", "|---|---|---|---|---|---|"]
        for label, r in spheres.items():
            cube = r["cube"]
            cells = [f"{_f(r[k])} ({_f(cube.get(k))})" for k in ("rise", "g_h_low", "g_h_high", "g_e_low", "g_e_high")]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Starts:", ""]
    lines += [f"- {s['objective']} start {s['start']}: {s['calls']} calls, best {_f(s['best'])}; {s['message']}"
              for s in summary["starts"]]
    return "\n".join(lines) + "\n"


def _nc_name(row: dict[str, Any]) -> str:
    """'cuboid 5×5×7', 'sphere 4.5 nm' or 'faceted 7³ (corner 0, edge 1)' (a summary written before
    spheres: its cuboid edges)."""
    if row.get("shape", "cuboid") == "sphere":
        return f"sphere {row['size']:g} nm"
    if row.get("shape") == "faceted":
        return f"faceted {row['size'][0]}³ (corner {row['corner_cut']}, edge {row['edge_cut']})"
    return "cuboid " + "×".join(map(str, row.get("size", row.get("n_pb"))))


def sensitivity_figure(summary: dict[str, Any]):
    """Bar figure: dg_h/dp at both energies per parameter (per eV)."""
    from ..theory_vs_data import style

    sens = summary["sensitivities"]["parameters"]
    paths = list(sens)
    nc = summary["config"]["nc"]
    fig, ax = style.figure(5.2, 3.2)
    with style.rc():
        x = np.arange(len(paths))
        for j, (key, label, color) in enumerate((("dg_h_low_dp", f"$dg_h/dp$ at {nc['e_low']} eV", "#56B4E9"),
                                                 ("dg_h_high_dp", f"$dg_h/dp$ at {nc['e_high']} eV", "#0072B2"),
                                                 ("drise_dp", "d(rise)/dp", "#E69F00"))):
            vals = [sens[p].get(key, np.nan) for p in paths]
            ax.bar(x + (j - 1) * 0.27, vals, width=0.27, label=label, color=color)
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xticks(x, [short(p) for p in paths], rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("per eV of the parameter")
        ax.set_title(f"Sensitivities at the base point ({summary['base_set']})", fontsize=9)
        ax.legend(fontsize=7)
    return fig


def g_figure(config: BoundConfig, summary: dict[str, Any]):
    """g_h (and g_e) versus transition energy: base, best admissible sets, measured values."""
    from ..theory_vs_data import style

    fig, ax = style.figure(5.0, 3.6)
    with style.rc():
        styles = {"base": ("-", "o", "base " + summary["base_set"]), "best_rise": ("--", "s", "best admissible (rise)"),
                  "best_g_h_high": (":", "^", "best admissible (g_h at E_high)")}
        for label, series in summary["figure_series"].items():
            ls, marker, text = styles.get(label, ("-.", "d", label))
            for key in ("g_h", "g_e"):
                ax.plot(series["E"], series[key], ls=ls, marker=marker, ms=3, color=style.COLORS[key],
                        label=f"{style.LABELS[key]} {text}", alpha=0.9 if key == "g_h" else 0.5)
        try:
            from ..experiment.measured import load_measurements

            table = load_measurements().select(population="glass-6K")
            for key in ("g_h", "g_e"):
                e, v, _ = table.points(key)
                ax.plot(e, v, "*", ms=9, color=style.COLORS[key], mec="k", mew=0.5,
                        label=f"measured {style.LABELS[key]} (glass, 6 K)")
        except Exception:   # noqa: BLE001 - the figure without data is still useful
            pass
        for e in (config.nc.e_low, config.nc.e_high):
            ax.axvline(e, color="#999999", lw=0.6, ls=":")
        ax.set_xlabel("transition energy (eV)")
        ax.set_ylabel("g-factor (J-convention)")
        ax.set_title("Second-neighbour bound: ETB cubes", fontsize=9)
        ax.legend(fontsize=6, ncol=2)
    return fig
