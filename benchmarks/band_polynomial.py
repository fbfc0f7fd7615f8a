"""The filter polynomial, fold against bands, on cubes of one parameter set (issue 17): mat-vecs,
iterations and time of the zero-field band-edge solve, both run back to back in one process, and
the largest difference of the four edge energies.

    python benchmarks/band_polynomial.py CsPbI3-N21-exp 10,16,25

Prints one line per size and polynomial; times are ratios within the run (the machine is noisy),
mat-vecs are deterministic. "KPM s": the band estimate's share of the time (bands only).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from cube_series import cube_series

from confinement.doublets import solver_hints
from confinement.solvers import solve_band_edges


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("params", help="parameter set, e.g. CsPbI3-N21-exp")
    ap.add_argument("sizes", help="comma-separated cube edges in Pb sites, e.g. 10,16,25")
    ap.add_argument("--tol", type=float, default=1e-8, help="residual tolerance (eV)")
    args = ap.parse_args()
    bulk, sigma, cubes = cube_series(args.params, args.sizes)
    print(f"{'set':>20} {'N':>3} {'poly':>6} {'s':>8} {'mat-vecs':>9} {'it':>3} "
          f"{'mv ratio':>9} {'t ratio':>8} {'|dE| eV':>8} {'KPM s':>6}")
    for n, system in cubes:
        hints = solver_hints(system, bulk.Eg / 2)
        base = None
        for poly in ("fold", "bands"):
            t = time.perf_counter()
            st = solve_band_edges(system.hamiltonian, sigma, 2, 2, solver="filtered", tol=args.tol,
                                  polynomial=poly, **hints)
            dt = time.perf_counter() - t
            e = np.concatenate([st.below, st.above])
            mv = st.info["matvecs"]
            if base is None:
                base = (mv, dt, e)
            print(f"{args.params:>20} {n:3d} {poly:>6} {dt:8.2f} {mv:9.0f} {st.info['iterations']:3d} "
                  f"{mv / base[0]:9.2f} {dt / base[1]:8.2f} {np.abs(e - base[2]).max():8.1e} "
                  f"{st.info['times'].get('support', 0.0):6.2f}", flush=True)


if __name__ == "__main__":
    main()
