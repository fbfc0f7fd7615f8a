"""Benchmark of the band-edge solvers (issue 17), printed in one run.

1. Ours (``auto``: shift-invert slicing at these sizes) against the pybinding ``arpack`` baseline
   at N = 6, 7, 8 (fresh processes, wall time of the whole record, peak RSS; via nc_solver.py).
2. Per size, with and without the X–X second-neighbour shell: SolverInfo.matvecs of the filtered
   solver (mat-vecs in units of one full-size H @ v), the time of one H @ v on the full H and the
   solve time in units of it ("time-equivalent mat-vecs"), peak RSS of the process.
3. Warm against cold starts on a 10-point X–X family (ppσ scaled, ppπ = −ppσ/4, the shell of
   CsPbI3-N21-exp-XX) at one size, as a sweep would run it: every point cold, and the chain in
   which each point starts from the previous one's subspace (the first point cold).
4. Peers on the same C4h blocks where installed: PRIMME (``primme.eigsh``, the eigenvalues nearest
   sigma, its default GD+k/JDQMR without preconditioner); SLEPc is reported as not measured when
   slepc4py is absent (no binary wheel for this platform).

    python benchmarks/solver_figures.py                       # the default set (≈ 10 min on 2 cores)
    python benchmarks/solver_figures.py --sizes 8 10 13 --family-size 8 --skip-baseline
    git archive f7743fc | tar -x -C /tmp/before && python benchmarks/solver_figures.py --before /tmp/before

The machine is shared: compare ratios within one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import numpy as np
from confinement.doublets import solver_hints
from confinement.eigensolver import solve_band_edges
from tightbinding.bulk import bulk_tb
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import build_nanocrystal, make_shape
from tightbinding.parameters import load_tb_parameters

params, n_pb, solver = sys.argv[1], int(sys.argv[2]), sys.argv[3]
crystal = Crystal(load_tb_parameters(params))
bulk = bulk_tb(crystal)
system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=n_pb))
H = system.hamiltonian
x = np.random.default_rng(0).standard_normal((H.shape[0], 1)) + 0j
y = H @ x
reps = max(3, int(2e7 // H.nnz))
t = time.perf_counter()
for _ in range(reps):
    y = H @ x
t_mv = (time.perf_counter() - t) / reps
t = time.perf_counter()
st = solve_band_edges(H, bulk.E_vbm + bulk.Eg / 2, 3, 3, solver=solver, tol=1e-8, **solver_hints(system, bulk.Eg / 2))
solve = time.perf_counter() - t
print(json.dumps({"n": H.shape[0], "nnz": int(H.nnz), "t_matvec": t_mv, "solve_s": solve,
                  "matvecs": st.info.get("matvecs"), "iterations": st.info.get("iterations"),
                  "E_vb": float(st.below[0]), "E_cb": float(st.above[0]),
                  "peak_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(params: str, n_pb: int, solver: str, timeout: float, tree: str | None = None) -> dict:
    """One solve in a fresh process (peak RSS of that process only); ``tree``: run the checkout
    there instead (e.g. an earlier commit unpacked by ``git archive``)."""
    return _run(CHILD, [params, str(n_pb), solver], timeout, tree)


def _run(code: str, args: list[str], timeout: float, tree: str | None = None) -> dict:
    """``code`` in a fresh interpreter with ``args`` (in directory ``tree``, whose packages then come
    first); its last output line as JSON (or a note)."""
    try:
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, cwd=tree or ROOT,
                             text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"note": f"> {timeout:.0f} s (stopped)"}
    except subprocess.CalledProcessError as exc:
        return {"note": exc.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def matvec_table(sizes: list[int], sets: list[str], timeout: float, before: str | None) -> None:
    """Section 2: mat-vecs and time-equivalents of the filtered solver, with and without X–X; with
    ``before`` (a checkout directory) each row is also run there, right after."""
    print("\n## filtered solver: mat-vecs per solve (the 3 + 3 band-edge states of landeg nc, tol 1e-8 eV)")
    print(f"{'set':>22} {'N':>3} {'code':>6} {'n':>9} {'nnz':>10} {'H@v ms':>7} {'solve s':>8} {'iters':>5} "
          f"{'matvecs':>8} {'time-equiv':>10} {'peak MB':>8}")
    for params in sets:
        for n_pb in sizes:
            for code, tree in [("now", None)] + ([("before", before)] if before else []):
                r = child(params, n_pb, "filtered", timeout, tree)
                if "note" in r:
                    print(f"{params:>22} {n_pb:>3} {code:>6} {r['note']}")
                    continue
                print(f"{params:>22} {n_pb:>3} {code:>6} {r['n']:>9} {r['nnz']:>10} {1e3 * r['t_matvec']:7.2f} "
                      f"{r['solve_s']:8.2f} {r['iterations']:>5} {r['matvecs']:8.0f} "
                      f"{r['solve_s'] / r['t_matvec']:10.0f} {r['peak_MB']:8.0f}", flush=True)


def family(n_pb: int, points: int, solver: str) -> None:
    """Section 3: warm against cold starts along a 10-point X–X family at one size."""
    import numpy as np

    from confinement.doublets import solver_hints
    from confinement.solvers import solve_band_edges
    from tightbinding.bulk import bulk_tb
    from tightbinding.crystal import Crystal
    from tightbinding.nanocrystal import build_nanocrystal, make_shape
    from tightbinding.parameters import load_tb_parameters

    base = load_tb_parameters("CsPbI3-N21-exp-XX")
    strengths = np.linspace(0.20, 0.29, points)
    print(f"\n## warm vs cold: {points}-point X–X family (ppσ {strengths[0]:.2f}..{strengths[-1]:.2f} eV, "
          f"ppπ = −ppσ/4) on CsPbI3-N21-exp-XX, N = {n_pb}, solver {solver}")
    print(f"{'ppσ':>6} {'cold s':>7} {'cold mv':>8} {'warm s':>7} {'warm mv':>8} {'|ΔE| max eV':>12}")
    totals = np.zeros(4)
    guess = None
    for s in strengths:
        crystal = Crystal(base.with_values({"hopping.X-X.p_p_sigma": float(s), "hopping.X-X.p_p_pi": float(-s / 4)}))
        bulk = bulk_tb(crystal)
        system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=n_pb))
        hints = solver_hints(system, bulk.Eg / 2)
        sigma = bulk.E_vbm + bulk.Eg / 2
        t = time.perf_counter()
        cold = solve_band_edges(system.hamiltonian, sigma, 3, 3, solver=solver, tol=1e-8, **hints)
        t_cold = time.perf_counter() - t
        if guess is None:        # the first point of a sweep has nothing to start from: cold
            warm, t_warm = cold, t_cold
        else:
            t = time.perf_counter()
            warm = solve_band_edges(system.hamiltonian, sigma, 3, 3, solver=solver, tol=1e-8, guess=guess, **hints)
            t_warm = time.perf_counter() - t
        guess = warm.warm_start
        diff = max(np.abs(warm.below - cold.below).max(), np.abs(warm.above - cold.above).max())
        row = [t_cold, cold.info.get("matvecs", 0), t_warm, warm.info.get("matvecs", 0)]
        totals += row
        print(f"{s:6.3f} {row[0]:7.2f} {row[1]:8.0f} {row[2]:7.2f} {row[3]:8.0f} {diff:12.1e}", flush=True)
    print(f" total {totals[0]:7.2f} {totals[1]:8.0f} {totals[2]:7.2f} {totals[3]:8.0f}   "
          f"warm/cold: time {totals[2] / totals[0]:.2f}, mat-vecs {totals[3] / totals[1]:.2f}")


PRIMME_CHILD = r"""
import json, resource, sys, time
import numpy as np, primme
from confinement.symmetry import symmetry_sectors
from tightbinding.bulk import bulk_tb
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import build_nanocrystal, make_shape
from tightbinding.parameters import load_tb_parameters
params, n_pb = sys.argv[1], int(sys.argv[2])
crystal = Crystal(load_tb_parameters(params))
bulk = bulk_tb(crystal)
system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=n_pb))
sigma = bulk.E_vbm + bulk.Eg / 2
t = time.perf_counter()
blocks = symmetry_sectors(system.hamiltonian, system.inversion(), True, rotation=system.rotation_c4z())
matvecs, levels = 0.0, []
for blk in blocks:
    e, v, st = primme.eigsh(blk.matrix, k=6, which=sigma, tol=1e-10, return_stats=True, maxMatvecs=10**6)
    matvecs += st["numMatvecs"] * blk.matrix.shape[0] / system.n_orbitals
    levels.extend(e)
levels = np.sort(levels)
print(json.dumps({"solve_s": time.perf_counter() - t, "matvecs": matvecs,
                  "E_vb": float(levels[levels < sigma].max()), "E_cb": float(levels[levels > sigma].min()),
                  "peak_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def peers(sizes: list[int], timeout: float) -> None:
    """Section 4: PRIMME (``primme.eigsh``, the 6 eigenvalues nearest sigma in each of the four C4h
    blocks, no preconditioner, no window certificate) against ours; SLEPc if slepc4py imports."""
    print("\n## peers on the C4h blocks (CsPbI3-N21-exp, solve only, fresh processes)")
    try:
        import slepc4py  # noqa: F401
        print("SLEPc: slepc4py is installed but not wired into this benchmark")
    except ImportError:
        print("SLEPc: not measured (petsc4py/slepc4py: no binary wheel for this platform on PyPI; a source "
              "build of PETSc + SLEPc on 2 shared cores was not attempted)")
    try:
        import primme  # noqa: F401
    except ImportError:
        print("PRIMME: not measured (pip install primme; the sdist needs liblapack-dev and libblas-dev)")
        return
    print(f"{'N':>3} {'solver':>12} {'solve s':>8} {'matvecs':>8} {'peak MB':>8} {'E_vb':>13} {'E_cb':>13}")
    for n_pb in sizes:
        rows = [("primme", _run(PRIMME_CHILD, ["CsPbI3-N21-exp", str(n_pb)], timeout))]
        rows += [(solver, child("CsPbI3-N21-exp", n_pb, solver, timeout)) for solver in ("shift-invert", "filtered")]
        for solver, r in rows:
            if "note" in r:
                print(f"{n_pb:>3} {solver:>12} {r['note']}")
            else:
                print(f"{n_pb:>3} {solver:>12} {r['solve_s']:8.2f} {r.get('matvecs') or 0:8.0f} {r['peak_MB']:8.0f} "
                      f"{r['E_vb']:13.9f} {r['E_cb']:13.9f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-sizes", type=int, nargs="*", default=[6, 7, 8])
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*", default=[6, 8, 10, 13])
    parser.add_argument("--sets", nargs="*", default=["CsPbI3-N21-exp", "CsPbI3-N21-exp-XX"])
    parser.add_argument("--family-size", type=int, default=8)
    parser.add_argument("--family-points", type=int, default=10)
    parser.add_argument("--family-solver", default="filtered")
    parser.add_argument("--peer-sizes", type=int, nargs="*", default=[6, 8])
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--before", metavar="DIR", help="an earlier checkout (git archive COMMIT | tar -x -C DIR) "
                        "whose filtered solver runs next to this one in section 2")
    args = parser.parse_args()
    if not args.skip_baseline and args.baseline_sizes:
        print("## ours (auto) against the pybinding arpack baseline (benchmarks/nc_solver.py, fresh processes)")
        subprocess.run([sys.executable, str(Path(__file__).with_name("nc_solver.py")), "--sizes",
                        *map(str, args.baseline_sizes), "--baseline", *map(str, args.baseline_sizes)], check=False)
    if args.sizes:
        matvec_table(args.sizes, args.sets, args.timeout, args.before)
    if args.family_points:
        family(args.family_size, args.family_points, args.family_solver)
    if args.peer_sizes:
        peers(args.peer_sizes, args.timeout)


if __name__ == "__main__":
    main()
