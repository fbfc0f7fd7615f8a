"""Benchmark: band-edge doublets and both g-factors of CsPbI3 tight-binding cubes versus size.

For each N (Pb per edge) a fresh subprocess builds the cube (CsPbI3-N21-exp, passivated), finds
both band-edge doublets and their first-order g-factors with the chosen solver, and reports wall
time and peak memory (VmHWM of the child, see PEAK_MB). Ratios against a baseline (default:
pybinding's arpack call) are printed for the sizes where the baseline was run in the same session.

    python benchmarks/nc_solver.py --sizes 6 13 --baseline 6          # 4 and 8 nm, baseline at 4 nm
    python benchmarks/nc_solver.py --sizes 19 25 --baseline --records results/nc_series   # 12, 16 nm

The solvers use the usable cores for their symmetry blocks (C4z × inversion, Kramers partners
by time reversal: four blocks of n/8); LANDEG_THREADS=1 in the environment measures them on one
core. The default solver is ``auto`` (what `landeg nc` uses); the table names the strategy it chose.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

#: Prelude of every benchmark child process: ``peak_mb()``, the peak RSS (MB) of the child's own
#: address space (VmHWM, Linux). ru_maxrss is not used where VmHWM exists: it keeps the peak of
#: the process that started the child through fork and exec (measured: every child of a 644 MB
#: parent reported 644 MB).
PEAK_MB = r"""
def peak_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

CHILD = PEAK_MB + r"""
import json, sys, time
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import make_shape, nanocrystal_gfactors
from tightbinding.parameters import load_tb_parameters
n, solver, records = int(sys.argv[1]), sys.argv[2], sys.argv[3]
crystal = Crystal(load_tb_parameters("CsPbI3-N21-exp"))
start = time.perf_counter()
r = nanocrystal_gfactors(crystal, make_shape(crystal, "cube", n_pb=n), solver=solver, finite_field_T=None)
wall = time.perf_counter() - start
if records:
    from pathlib import Path
    from confinement.io import write_json
    write_json(Path(records) / f"point_N{n}.json", r)
print(json.dumps({"N": n, "solver": r["solver"], "edge_nm": r["edge_nm"], "n": r["n_orbitals"], "wall_s": wall,
                  "solve_s": r["solver_seconds"], "threads": r["solver_info"].get("threads", 1),
                  "calls": r["solver_info"].get("calls", 1), "k": r["solver_info"].get("k"),
                  "peak_MB": peak_mb(),
                  "g_e": r["g_e"], "g_h": r["g_h"], "E_gap": r["E_gap"], "residual": r["residual_max"]}))
"""


def run(n: int, solver: str, timeout: float, records: str = "") -> dict:
    try:
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), solver, records], capture_output=True, text=True,
                             timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"N": n, "solver": solver, "wall_s": float("inf"), "note": f"> {timeout:.0f} s (stopped)"}
    except subprocess.CalledProcessError as exc:
        return {"N": n, "solver": solver, "wall_s": float("nan"), "note": exc.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_run(n: int, solver: str, timeout: float, repeat: int, records: str = "") -> dict:
    """``repeat`` runs of one size; the record of the median wall time, with the range as a note."""
    runs = sorted((run(n, solver, timeout, records) for _ in range(repeat)), key=lambda r: r["wall_s"])
    middle = dict(runs[(len(runs) - 1) // 2])
    if repeat > 1:
        middle["note"] = (middle.get("note", "")
                          + f" median of {repeat}: {runs[0]['wall_s']:.2f}–{runs[-1]['wall_s']:.2f} s"
                          ).strip()
    return middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[6, 13, 19, 25])
    parser.add_argument("--baseline", type=int, nargs="*", default=[6])
    parser.add_argument("--solver", default="auto")
    parser.add_argument("--baseline-solver", default="arpack",
                        help="baseline strategy: 'arpack' (pybinding's solver.arpack call, eigsh(H, k, sigma), "
                             "the default) or any other strategy name")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--records", metavar="DIR", default="",
                        help="also save each full record as DIR/point_N<n>.json (a size-series directory "
                             "that `landeg nc --n-pb ... --out DIR` then reuses)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per size (fresh processes); the table shows the run with the median wall time "
                             "and the range, and ratios of medians")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    rows = [median_run(n, args.solver, args.timeout, args.repeat, args.records) for n in args.sizes]
    base = {n: median_run(n, args.baseline_solver, args.timeout, args.repeat) for n in args.baseline}
    print(f"{'N':>3} {'edge nm':>7} {'n':>9} {'solver':>12} {'thr':>3} {'wall s':>8} {'peak MB':>8} {'g_e':>7} "
          f"{'g_h':>7} {'vs baseline':>16}")
    for r in rows + [dict(b, baseline=True) for b in base.values()]:
        ratio = ""
        if not r.get("baseline") and r["N"] in base and base[r["N"]].get("wall_s"):
            ratio = f"{base[r['N']]['wall_s'] / r['wall_s']:.1f}x faster"
        print(f"{r['N']:>3} {r.get('edge_nm', float('nan')):7.2f} {r.get('n', 0):>9} {r['solver']:>12} "
              f"{r.get('threads', 1):>3} "
              f"{r['wall_s']:8.2f} {r.get('peak_MB', float('nan')):8.0f} {r.get('g_e', float('nan')):7.3f} "
              f"{r.get('g_h', float('nan')):7.3f} {ratio:>16} {r.get('note', '')}"
              + (f" (eigsh calls: {r['calls']}, last k = {r['k']})" if r.get("k") else ""))


if __name__ == "__main__":
    main()
