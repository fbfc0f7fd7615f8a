"""Issue 8, first part: the X–X second-neighbour family of CsPbI3 and its small cubes.

Refits CsPbI3-N21-exp with X–X ppσ = s, ppπ = −s/4 for each strength s, writes the family table,
the refitted sets and the bulk-g figure, then computes cubes of N Pb per edge for every refitted
set and writes them as a results table for ``landeg compare``. Resumable (cubes are cached).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python examples/second_neighbour_small_nc.py --out /tmp/sn
    PYTHONPATH=. python -m comparisons.cli compare /tmp/sn/nc_cubes.csv --out /tmp/sn_compare --json

(about 1 min of refits and 4 min of cubes on one core for the defaults).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from comparisons.experiment.measured import load_measurements
from comparisons.sweeps.family_study import at_energies, bulk_g_figure, family_nc_records, nc_g_figure, write_nc_results
from comparisons.theory_vs_data import style
from comparisons.theory_vs_data.results import load_results
from confinement.io import save_figure, write_table
from tightbinding.families import second_neighbour_family
from tightbinding.family_report import write_family_sets, write_family_table

MEASURED_ENERGIES = (1.911, 2.25)   # eV: sample #4 (g_e, g_h); g_h series end-point (docs/data.md)
FIGURE_STRENGTHS = (-0.2, 0.0, 0.2, 0.4, 0.6, 1.0, 1.5)
STRENGTHS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, -0.1, -0.2, -0.3, -0.4)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/second_neighbour", help="output directory")
    ap.add_argument("--base", default="CsPbI3-N21-exp")
    ap.add_argument("--strengths", type=lambda t: [float(x) for x in t.split(",")], default=list(STRENGTHS),
                    help="comma-separated X-X ppσ values (eV)")
    ap.add_argument("--n-pb", type=lambda t: [int(x) for x in t.split(",")], default=[4, 5, 6, 7, 8, 9],
                    help="comma-separated cube sizes (Pb per edge)")
    args = ap.parse_args(argv)
    out = Path(args.out)

    members = second_neighbour_family(args.base, args.strengths, progress=print)
    print(write_family_table(out / "family.csv", members))
    write_family_sets(members, out / "sets")
    fig = bulk_g_figure(members)
    save_figure(fig, out / "bulk_g_vs_strength", ("png", "pdf"))
    style.close(fig)

    records = family_nc_records(members, args.n_pb, out / "nc", progress=print)
    table = write_nc_results(out / "nc_cubes.csv", records)
    print(table)
    # g at the energies where g_e and g_h are measured (#4 at 1.911 eV; the g_h end-point at 2.25 eV)
    cols = at_energies(load_results([table]), MEASURED_ENERGIES)
    bulk = {m.name: m.bulk for m in members if m.ok}
    cols["strength_eV"] = [next(m.strength for m in members if m.name == n) for n in cols["label"]]
    for key in ("g_e", "g_h"):
        cols[f"{key}_minus_bulk"] = [g - getattr(bulk[n], key) for g, n in zip(cols[key], cols["label"])]
    print(write_table(out / "nc_at_measured_energies.csv", cols, [
        "TB cubes of the X-X family interpolated linearly in E (never extrapolated); *_minus_bulk: "
        "minus the set's bulk g (the confinement-induced change); energies eV"]))
    fig = nc_g_figure(records, load_measurements(), strengths=FIGURE_STRENGTHS)
    save_figure(fig, out / "nc_g_vs_energy", ("png", "pdf"))
    style.close(fig)


if __name__ == "__main__":
    main()
