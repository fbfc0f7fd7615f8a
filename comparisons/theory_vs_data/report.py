"""The Markdown report of a comparison (``metrics.md``), written from a metrics dict alone.

One summary table (a row per curve and carrier), then the per-point residuals of each curve.
Definitions of every number: :mod:`comparisons.theory_vs_data.metrics` and ``docs/comparison.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..experiment.points import sample_label
from .results import CARRIERS


def _f(x: float | None, fmt: str = "+.3f") -> str:
    return "–" if x is None else format(x, fmt)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def who(p: dict[str, Any]) -> str:
    """'#4', '(#1)' (inferred sample), a code or the kind, with † for a series end-point."""
    name = sample_label(p["sample"], p.get("sample_assignment", ""),
                        p["code"] or ("series end-point" if p["series_endpoint"] else p["kind"]))
    return f"{name}{' †' if p['series_endpoint'] else ''}"


def _where(p: dict[str, Any]) -> str:
    return f"at {who(p)}, {p['energy_eV']:.3f} eV"


def _bulk_cell(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return "–"
    return f"{summary['mean']:+.3f} ({summary['min']:+.3f} to {summary['max']:+.3f})"


def _populations(curves: dict[str, dict[str, Any]]) -> list[str]:
    return sorted({p for entry in curves.values() for c in CARRIERS for p in entry[c].get("populations", [])})


def metrics_markdown(curves: dict[str, dict[str, Any]], title: str = "Theory versus measurement",
                     populations: Sequence[str] | None = None) -> str:
    """A Markdown report: the population compared, one summary table, then the per-point residuals.

    ``populations``: the measured populations the metrics used (default: read from the metrics).
    """
    used = list(populations) if populations is not None else _populations(curves)
    banded = any("systematics" in entry for entry in curves.values())
    lines = [f"# {title}", "",
             f"Measured population: **{', '.join(used) or 'none'}** — only its rows enter these metrics "
             "(other populations of the tables, e.g. solution-grown NCs or bulk, do not).", "",
             "Residual = theory − measured, theory interpolated linearly at the measured energy; points outside a "
             "curve's energy range are excluded (never extrapolated), and so is a row that repeats another row of the "
             "same measurement. † = series end-point row (one end of a 'from A to B' statement, used at its stated "
             "energy); (#n) = sample inferred, not stated by the paper. χ² only over points with an uncertainty. "
             "theory − bulk = g(theory) − g of the bulk k·p curve at Eg = E, at the used points: mean (min to max)."
             + (" band ± = largest half-width of the systematic band at the used points." if banded else ""), "",
             "| curve | carrier | used | excluded | RMS | max \\|res\\| | χ² (n) | χ²/n | high-energy end "
             "| theory − bulk |" + (" band ± |" if banded else ""),
             "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if banded else "")]
    for key, entry in curves.items():
        for c in CARRIERS:
            m = entry[c]
            worst = "–" if m["max_abs"] is None else f"{m['max_abs']['abs_residual']:.3f} {_where(m['max_abs'])}"
            end = m["high_energy_end"]
            end_text = "–" if end is None else f"{end['residual']:+.3f} {_where(end)}"
            chi = "–" if m["chi2"] is None else f"{m['chi2']:.3g} ({m['n_chi2']})"
            row = (f"| {_cell(key)} | {c} | {m['n_used']} | {m['n_excluded']} | {_f(m['rms'], '.3f')} | {worst} | "
                   f"{chi} | {_f(m['reduced_chi2'], '.3g')} | {end_text} | {_bulk_cell(m.get('theory_minus_bulk'))} |")
            if banded:
                row += f" {_f((m.get('systematics') or {}).get('max_half_width'), '.3f')} |"
            lines.append(row)
    for key, entry in curves.items():
        lo, hi = entry["curve"]["energy_range_eV"]
        band = entry.get("systematics")
        lines += ["", f"## {key}", "", f"{entry['curve']['n_points']} theory points, {lo:.3f}–{hi:.3f} eV."]
        if band is not None:
            span = band["common_range_eV"]
            common = "none (the curves do not overlap)." if span is None else f"{span[0]:.3f}–{span[1]:.3f} eV."
            lines.append(f"Systematic band over {', '.join(band['variants'])}; common range {common}")
        lines += ["", "| carrier | sample | kind | E (eV) | measured | theory | residual | theory − bulk |"
                  + (" band (low to high) |" if band is not None else ""),
                  "|---|---|---|---|---|---|---|---|" + ("---|" if band is not None else "")]
        for c in CARRIERS:
            for p in entry[c]["points"]:
                meas = f"{p['measured']:+.3f}" + ("" if p["uncertainty"] is None else f" ± {p['uncertainty']:.3f}")
                theory = f"{p['theory']:+.3f}" if p["used"] else (
                    "duplicate" if p.get("excluded", "").startswith("duplicate") else "excluded")
                name = who({**p, "series_endpoint": False}) if (p["sample"] or p["code"]) else "–"
                row = (f"| {c} | {name} | {p['kind']}{' †' if p['series_endpoint'] else ''} "
                       f"| {p['energy_eV']:.3f} | {meas} | {theory} | {_f(p.get('residual'))} "
                       f"| {_f(p.get('theory_minus_bulk'))} |")
                if band is not None:
                    low, high = p.get("systematic_low"), p.get("systematic_high")
                    row += " – |" if low is None else f" {low:+.3f} to {high:+.3f} |"
                lines.append(row)
    return "\n".join(lines) + "\n"


__all__ = ["metrics_markdown", "who"]
