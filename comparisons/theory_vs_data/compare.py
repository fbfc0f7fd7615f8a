"""The comparison job: theory results + measured tables → metrics (JSON, Markdown) and figures.

Writes into ``out_dir``:
- ``theory_curves.csv`` — every theory point used, as a tidy results table (re-loadable input);
- ``bulk_kp.csv`` — the bulk k·p reference curve (same format);
- ``metrics.json`` / ``metrics.md`` — metrics keyed by curve then carrier (:mod:`comparisons.theory_vs_data.metrics`);
- ``g_vs_energy``, ``gX_vs_energy``, ``residuals`` as PNG and PDF (:mod:`comparisons.theory_vs_data.figures`).

Only the measured population asked for (default ``glass-6K``, the paper's samples) enters the
metrics; other populations are drawn when named in ``show_populations``. Systematic bands
(``systematics``: central model id → variant ids) are drawn and reported for their central curve.
:func:`redraw` regenerates the figures from the saved files without recomputing anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from confinement.errors import ParameterError, ParameterFileError
from confinement.io import atomic_write_text, write_json
from confinement.metadata import run_metadata

from ..experiment.measured import BUNDLED, DEFAULT_POPULATION, MeasurementTable, load_measurements
from .bulk_curve import bulk_curve
from .figures import write_figures
from .metrics import SCHEMA_VERSION, curve_metrics, metrics_markdown
from .results import TheoryCurve, load_results, write_results_csv
from .systematics import resolve_systematics

FORMATS = ("png", "pdf", "svg")
CURVES_FILE, BULK_FILE, METRICS_JSON, METRICS_MD = "theory_curves.csv", "bulk_kp.csv", "metrics.json", "metrics.md"


def measurement_table(data_paths: Sequence[str | Path] = (), bundled: bool = True) -> MeasurementTable:
    """The bundled table (unless ``bundled`` is False) followed by the user tables ``data_paths``."""
    paths = [BUNDLED] * bundled + [Path(p) for p in data_paths]
    if not paths:
        raise ParameterError("no measured data: keep the bundled table or give --data FILE")
    return load_measurements(paths)


def measured_inputs(data_paths: Sequence[str | Path] = (), bundled: bool = True,
                    populations: Sequence[str] = (DEFAULT_POPULATION,),
                    show_populations: Sequence[str] = ()) -> MeasurementTable:
    """Load and check the measured inputs of a comparison before any work: every table exists and
    parses, and every population asked for (compared or shown) has rows. Returns the table."""
    table = measurement_table(data_paths, bundled)
    if not populations:
        raise ParameterError("no measured population to compare: name at least one (default glass-6K)")
    present = table.populations
    for name in [*populations, *show_populations]:
        if name not in present:
            raise ParameterError(f"measured population {name!r} has no rows in the data; populations there: "
                                 f"{', '.join(present)}")
    both = sorted(set(populations) & set(show_populations))
    if both:
        raise ParameterError(f"population {both[0]!r} is both compared and only shown; name it once")
    return table


def run_comparison(result_paths: Sequence[str | Path], data_paths: Sequence[str | Path] = (),
                   out_dir: str | Path = "results/compare", *, bundled: bool = True,
                   bulk_constants: str = "universal", formats: Sequence[str] = ("png", "pdf"),
                   populations: Sequence[str] = (DEFAULT_POPULATION,), show_populations: Sequence[str] = (),
                   systematics: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Compare theory results with the measured tables; write every output; return the metrics.

    ``result_paths``: results JSON/CSV files or size-series directories (:mod:`comparisons.theory_vs_data.results`);
    ``data_paths``: extra measurement CSVs; ``bulk_constants``: k·p constant set of the bulk curve;
    ``populations``: measured populations compared; ``show_populations``: drawn, not compared;
    ``systematics``: central model id → variant model ids (:mod:`comparisons.theory_vs_data.systematics`).
    The metrics are keyed by curve (``model | parameter set | shape``; the bulk curve is
    ``kp-bulk | <constants> | bulk``) then carrier (g_e, g_h, g_X), each entry with a ``curve`` description.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ParameterError(f"figure formats must be among {', '.join(FORMATS)}; got {', '.join(formats) or 'none'}")
    out = Path(out_dir)
    table = measured_inputs(data_paths, bundled, populations, show_populations)
    curves = load_results(result_paths)
    spec = {k: list(v) for k, v in (systematics or {}).items()}
    bands = resolve_systematics(curves, spec)
    bulk = bulk_curve(bulk_constants)
    metrics = curve_metrics([*curves, bulk], table, populations=populations, bulk=bulk, bands=bands)
    inputs = {"results": [str(p) for p in result_paths],
              "data": [str(BUNDLED)] * bundled + [str(Path(p).resolve()) for p in data_paths],
              "bulk_constants": bulk_constants, "populations": list(populations),
              "show_populations": list(show_populations), "systematics": spec}
    if curves:
        write_results_csv(out / CURVES_FILE, curves, [f"theory points read from: {', '.join(inputs['results'])}"])
    write_results_csv(out / BULK_FILE, [bulk], [f"bulk k·p closed forms at Eg = E, constants {bulk_constants!r}"])
    write_json(out / METRICS_JSON, {"schema": SCHEMA_VERSION, "metadata": run_metadata(inputs=inputs),
                                    "populations": list(populations), "curves": metrics})
    atomic_write_text(out / METRICS_MD, metrics_markdown(metrics, populations=populations))
    write_figures(out, curves, bulk, table, metrics, formats, populations=populations, show=show_populations,
                  bands=bands)
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
    bands = resolve_systematics(curves, inputs.get("systematics", {}))
    return write_figures(out, curves, bulk, table, saved["curves"], formats,
                         populations=inputs.get("populations", [DEFAULT_POPULATION]),
                         show=inputs.get("show_populations", []), bands=bands)


__all__ = ["BULK_FILE", "CURVES_FILE", "METRICS_JSON", "METRICS_MD", "measured_inputs", "measurement_table",
           "redraw", "run_comparison"]
