"""The comparison job: theory results + measured tables → metrics (JSON, Markdown) and figures.

Writes into ``out_dir``:
- ``theory_curves.csv`` — every theory point used, as a tidy results table (re-loadable input);
- ``bulk_kp.csv`` — the bulk k·p reference curve (same format);
- ``metrics.json`` / ``metrics.md`` — metrics keyed by curve then carrier (:mod:`comparisons.metrics`);
- ``g_vs_energy``, ``gX_vs_energy``, ``residuals`` as PNG and PDF (:mod:`comparisons.figures`).

:func:`redraw` regenerates the figures from those saved files without recomputing anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from confinement.errors import ParameterError, ParameterFileError

from .bulk_curve import bulk_curve
from .figures import write_figures
from .io import atomic_write_text, write_json
from .measured import BUNDLED, MeasurementTable, load_measurements
from .metadata import run_metadata
from .metrics import SCHEMA_VERSION, curve_metrics, metrics_markdown
from .results import TheoryCurve, load_results, write_results_csv

FORMATS = ("png", "pdf", "svg")
CURVES_FILE, BULK_FILE, METRICS_JSON, METRICS_MD = "theory_curves.csv", "bulk_kp.csv", "metrics.json", "metrics.md"


def measurement_table(data_paths: Sequence[str | Path] = (), bundled: bool = True) -> MeasurementTable:
    """The bundled table (unless ``bundled`` is False) followed by the user tables ``data_paths``."""
    paths = [BUNDLED] * bundled + [Path(p) for p in data_paths]
    if not paths:
        raise ParameterError("no measured data: keep the bundled table or give --data FILE")
    return load_measurements(paths)


def run_comparison(result_paths: Sequence[str | Path], data_paths: Sequence[str | Path] = (),
                   out_dir: str | Path = "results/compare", *, bundled: bool = True,
                   bulk_constants: str = "universal", formats: Sequence[str] = ("png", "pdf")) -> dict[str, Any]:
    """Compare theory results with the measured tables; write every output; return the metrics.

    ``result_paths``: results JSON/CSV files or size-series directories (:mod:`comparisons.results`);
    ``data_paths``: extra measurement CSVs; ``bulk_constants``: k·p constant set of the bulk curve.
    The metrics are keyed by curve (``model | parameter set | shape``; the bulk curve is
    ``kp-bulk | <constants> | bulk``) then carrier (g_e, g_h, g_X), each entry with a ``curve`` description.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ParameterError(f"figure formats must be among {', '.join(FORMATS)}; got {', '.join(formats) or 'none'}")
    out = Path(out_dir)
    curves = load_results(result_paths)
    table = measurement_table(data_paths, bundled)
    bulk = bulk_curve(bulk_constants)
    metrics = curve_metrics([*curves, bulk], table)
    inputs = {"results": [str(p) for p in result_paths],
              "data": [str(BUNDLED)] * bundled + [str(Path(p).resolve()) for p in data_paths], "bulk_constants": bulk_constants}
    if curves:
        write_results_csv(out / CURVES_FILE, curves, [f"theory points read from: {', '.join(inputs['results'])}"])
    write_results_csv(out / BULK_FILE, [bulk], [f"bulk k·p closed forms at Eg = E, constants {bulk_constants!r}"])
    write_json(out / METRICS_JSON, {"schema": SCHEMA_VERSION, "metadata": run_metadata(inputs=inputs),
                                    "curves": metrics})
    atomic_write_text(out / METRICS_MD, metrics_markdown(metrics))
    write_figures(out, curves, bulk, table, metrics, formats)
    return metrics


def redraw(out_dir: str | Path, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Regenerate the figures of a finished comparison from its saved files (no recomputation)."""
    out = Path(out_dir)
    path = out / METRICS_JSON
    if not path.is_file():
        raise ParameterFileError(f"{path}: not found (run the comparison first)")
    saved = json.loads(path.read_text(encoding="utf-8"))
    inputs = saved["metadata"]["inputs"]
    curves: list[TheoryCurve] = load_results([out / CURVES_FILE]) if (out / CURVES_FILE).is_file() else []
    bulk = load_results([out / BULK_FILE])[0]
    table = load_measurements([Path(p) for p in inputs["data"]])
    return write_figures(out, curves, bulk, table, saved["curves"], formats)


__all__ = ["BULK_FILE", "CURVES_FILE", "METRICS_JSON", "METRICS_MD", "measurement_table", "redraw",
           "run_comparison"]
