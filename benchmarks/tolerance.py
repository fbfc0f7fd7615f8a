"""What the residual tolerance buys (issue 17): mat-vecs, time, band edges and first-order g of the
zero-field NC record at several ``tol`` (eV), against the tightest tolerance as reference, in one
process. The filtered solver; its certificate (every state ‖Hv − Ev‖ ≤ tol, the window count
proven) holds at every tol.

    python benchmarks/tolerance.py CsPbI3-N21-exp 10,13,16 --tols 1e-10,1e-8,1e-7,1e-6,1e-5,1e-4

Per size and tol: mat-vecs and time (ratios to tol = 1e-8, the default of ``[run] tol``), the
largest |ΔE| of the two edges (eV) and |Δg_e|, |Δg_h| against the tightest tol. Eigenvector error
is at most r/δ (Davis–Kahan; r the residual, δ the distance to the nearest other level), so the
g error should scale with tol, and the energy error with tol² / δ.
"""
from __future__ import annotations

import argparse
import time

from cube_series import cube_series

from confinement.doublets import band_edge_gfactors

DEFAULT_TOL = 1e-8


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params", help="parameter set, e.g. CsPbI3-N21-exp")
    ap.add_argument("sizes", help="comma-separated cube edges in Pb sites, e.g. 10,13,16")
    ap.add_argument("--tols", default="1e-10,1e-8,1e-7,1e-6,1e-5,1e-4", help="residual tolerances (eV)")
    ap.add_argument("--polynomial", default="bands", choices=("bands", "fold"))
    args = ap.parse_args()
    tols = sorted({float(t) for t in args.tols.split(",")} | {DEFAULT_TOL})
    bulk, sigma, cubes = cube_series(args.params, args.sizes)
    print(f"{'set':>18} {'N':>3} {'tol eV':>7} {'mat-vecs':>9} {'s':>7} {'mv/1e-8':>8} {'t/1e-8':>7} "
          f"{'|dE| eV':>8} {'|dg_e|':>8} {'|dg_h|':>8} {'g_e':>9} {'g_h':>9}")
    for n, system in cubes:
        rows = {}
        for tol in tols:
            t0 = time.perf_counter()
            r = band_edge_gfactors(system, sigma, solver="filtered", tol=tol, finite_field_T=None,
                                   half_gap=bulk.Eg / 2, filter_polynomial=args.polynomial)
            rows[tol] = (r, r["solver_info"]["matvecs"], time.perf_counter() - t0)
        ref = rows[tols[0]][0]
        base = rows[DEFAULT_TOL]
        for tol in tols:
            r, mv, dt = rows[tol]
            dE = max(abs(r["E_cb"] - ref["E_cb"]), abs(r["E_vb"] - ref["E_vb"]))
            print(f"{args.params:>18} {n:3d} {tol:7.0e} {mv:9.0f} {dt:7.2f} {mv / base[1]:8.2f} {dt / base[2]:7.2f} "
                  f"{dE:8.1e} {abs(r['g_e'] - ref['g_e']):8.1e} {abs(r['g_h'] - ref['g_h']):8.1e} "
                  f"{r['g_e']:9.5f} {r['g_h']:9.5f}", flush=True)


if __name__ == "__main__":
    main()
