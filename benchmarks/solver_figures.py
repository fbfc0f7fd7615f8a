"""Benchmark of the band-edge solvers (issue 17), printed in one run.

1. Ours (``auto``: shift-invert slicing at these sizes) against the pybinding ``arpack`` baseline
   at N = 6, 7, 8 (fresh processes, wall time of the whole record, peak RSS; via nc_solver.py).
2. Per size, with and without the X–X second-neighbour shell: SolverInfo.matvecs of the filtered
   solver (mat-vecs in units of one full-size H @ v), the time of one H @ v on the full H, its
   ratio to the bandwidth floor (the bytes it must move at the one-core triad bandwidth measured
   in the same run), the solve time in units of one H @ v ("time-equivalent mat-vecs"), peak RSS.
3. Warm against cold starts on a 10-point X–X family (ppσ scaled, ppπ = −ppσ/4, the shell of
   CsPbI3-N21-exp-XX) at one size, as a sweep runs it (the NC record with its 1 T solve): every
   point cold, and the chain sharing one WarmStarts store (the first point cold).
   3b. Across sizes: starts mapped from the N − 1 cube (R-point phase, stretched envelope) against cold.
   3c. The 1 T solve of a cube, cold and started from its own zero-field subspace.
4. Peers on the same C4h blocks where installed: PRIMME (``primme.eigsh``, the eigenvalues nearest
   sigma, its default GD+k/JDQMR without preconditioner); SLEPc (Krylov–Schur, shift-invert at
   sigma with a MUMPS LU, 6 eigenvalues per block) through an interpreter that imports slepc4py
   (``--slepc-python``; PyPI has no wheel, Debian has ``python3-slepc4py-complex``, whose NumPy
   differs from ours: the blocks go to it in an .npz file). Every peer on one thread. Both peers on
   a Debian machine: ``apt-get install liblapack-dev libblas-dev python3-slepc4py-complex``, then
   ``pip install primme`` in the project's environment (its sdist compiles against those).

    python benchmarks/solver_figures.py                       # the default set (≈ 7 min on 2 cores)
    python benchmarks/solver_figures.py --sizes 8 10 13 --family-size 8 --skip-baseline
    git archive f7743fc | tar -x -C /tmp/before && python benchmarks/solver_figures.py --before /tmp/before

The machine is shared: compare ratios within one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from nc_solver import PEAK_MB  # noqa: E402  (the children's peak-RSS prelude)

CHILD = PEAK_MB + r"""
import json, sys, time
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
st = solve_band_edges(H, bulk.E_vbm + bulk.Eg / 2, 2, 2, solver=solver, tol=1e-8, **solver_hints(system, bulk.Eg / 2))
solve = time.perf_counter() - t
print(json.dumps({"n": H.shape[0], "nnz": int(H.nnz), "t_matvec": t_mv, "solve_s": solve,
                  "bytes_matvec": H.data.nbytes + H.indices.nbytes + H.indptr.nbytes + 2 * x.nbytes,
                  "matvecs": st.info.get("matvecs"), "iterations": st.info.get("iterations"),
                  "E_vb": float(st.below[0]), "E_cb": float(st.above[0]),
                  "peak_MB": peak_mb()}))
"""


def child(params: str, n_pb: int, solver: str, timeout: float, tree: str | None = None,
          threads: int | None = None) -> dict:
    """One solve in a fresh process (peak RSS of that process only); ``tree``: run the checkout
    there instead (e.g. an earlier commit unpacked by ``git archive``); ``threads``: the solver's
    threads (LANDEG_THREADS; default: the cores)."""
    return _run(CHILD, [params, str(n_pb), solver], timeout, tree, threads)


def _run(code: str, args: list[str], timeout: float, tree: str | None = None, threads: int | None = None) -> dict:
    """``code`` in a fresh interpreter with ``args`` (in directory ``tree``, whose packages then come
    first; ``threads``: LANDEG_THREADS); its last output line as JSON (or a note)."""
    env = dict(os.environ, **({"LANDEG_THREADS": str(threads)} if threads else {}))
    try:
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, cwd=tree or ROOT,
                             text=True, timeout=timeout, check=True, env=env)
    except subprocess.TimeoutExpired:
        return {"note": f"> {timeout:.0f} s (stopped)"}
    except subprocess.CalledProcessError as exc:
        return {"note": exc.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


#: One-core memory bandwidth (bytes/s), printed as JSON: the best of 5 NumPy triads c = a + b on
#: float64 arrays of 256 MiB each (8× the 32 MiB L3 here), counted as 3 arrays moved (as STREAM:
#: the write-allocate read of c not counted). Run in its own process: the arrays would otherwise
#: raise the peak RSS every later child inherits from this one.
STREAM_CHILD = r"""
import json, time
import numpy as np
a = np.ones(256 * 2**17)
b, c = np.ones_like(a), np.empty_like(a)
best = np.inf
for _ in range(5):
    t = time.perf_counter()
    np.add(a, b, out=c)
    best = min(best, time.perf_counter() - t)
print(json.dumps({"bandwidth": 3 * a.nbytes / best}))
"""


def matvec_table(sizes: list[int], sets: list[str], timeout: float, before: str | None) -> None:
    """Section 2: mat-vecs and time-equivalents of the filtered solver, with and without X–X; with
    ``before`` (a checkout directory) each row is also run there, right after. ``floor``: the
    time one H @ v would take at the triad bandwidth of one core (STREAM_CHILD) if it
    moved only the CSR arrays, x once and y once (SciPy's kernel is single-threaded); ``×floor``:
    the measured H @ v over it."""
    bandwidth = _run(STREAM_CHILD, [], timeout)["bandwidth"]
    print("\n## filtered solver: mat-vecs per solve (the band-edge doublet per side, as landeg nc, tol 1e-8 eV)")
    print(f"one-core triad bandwidth {bandwidth / 1e9:.1f} GB/s (256 MiB arrays, best of 5)")
    print(f"{'set':>22} {'N':>3} {'code':>6} {'n':>9} {'nnz':>10} {'H@v ms':>7} {'floor ms':>8} {'×floor':>6} "
          f"{'solve s':>8} {'iters':>5} {'matvecs':>8} {'time-equiv':>10} {'peak MB':>8}")
    for params in sets:
        for n_pb in sizes:
            for code, tree in [("now", None)] + ([("before", before)] if before else []):
                r = child(params, n_pb, "filtered", timeout, tree)
                if "note" in r:
                    print(f"{params:>22} {n_pb:>3} {code:>6} {r['note']}")
                    continue
                floor = r["bytes_matvec"] / bandwidth if "bytes_matvec" in r else float("nan")
                print(f"{params:>22} {n_pb:>3} {code:>6} {r['n']:>9} {r['nnz']:>10} {1e3 * r['t_matvec']:7.2f} "
                      f"{1e3 * floor:8.2f} {r['t_matvec'] / floor:6.2f} {r['solve_s']:8.2f} {r['iterations']:>5} "
                      f"{r['matvecs']:8.0f} {r['solve_s'] / r['t_matvec']:10.0f} {r['peak_MB']:8.0f}", flush=True)


def family(n_pb: int, points: int, solver: str) -> None:
    """Section 3: warm against cold starts along a 10-point X–X family at one size, as a sweep runs
    it: the whole NC record (zero field and the 1 T finite-field solve) three ways: all cold (the
    field solve too: the code before the warm starts; the sector-basis cache cleared), cold with the field solve
    started from the zero-field subspace (today's cold point; the sector bases of the layout reused,
    confinement.symmetry.SECTOR_BASES), and with one
    :class:`~confinement.warm_start.WarmStarts` store along the chain (the first point cold)."""
    import numpy as np

    from confinement.doublets import finite_field_splittings
    from confinement.symmetry import SECTOR_BASES
    from confinement.warm_start import WarmStarts
    from tightbinding.bulk import bulk_tb
    from tightbinding.crystal import Crystal
    from tightbinding.nanocrystal import build_nanocrystal, make_shape, nanocrystal_gfactors
    from tightbinding.parameters import load_tb_parameters

    base = load_tb_parameters("CsPbI3-N21-exp-XX")
    strengths = np.linspace(0.20, 0.29, points)
    print(f"\n## warm vs cold: {points}-point X–X family (ppσ {strengths[0]:.2f}..{strengths[-1]:.2f} eV, "
          f"ppπ = −ppσ/4) on CsPbI3-N21-exp-XX, N = {n_pb}, solver {solver}, NC record with the 1 T solve")
    print(f"{'ppσ':>6} {'all-cold s':>10} {'mv':>7} {'cold s':>7} {'mv':>7} {'warm s':>7} {'mv':>7} {'|Δg| max':>9}")
    totals = np.zeros(6)
    store = WarmStarts()

    def matvecs(rec) -> float:      # zero-field solve plus the finite-field one
        field = rec.details.get("field_solver_info", {}).values()
        return rec.details["solver_info"]["matvecs"] + sum(f["matvecs"] for f in field)

    for s in strengths:
        crystal = Crystal(base.with_values({"hopping.X-X.p_p_sigma": float(s), "hopping.X-X.p_p_pi": float(-s / 4)}))
        shape = make_shape(crystal, "cube", n_pb=n_pb)
        SECTOR_BASES.clear()         # all cold: nothing reused, the sector bases built anew too
        t = time.perf_counter()      # the record without its field solve, then a cold field solve
        bare = nanocrystal_gfactors(crystal, shape, solver=solver, finite_field_T=None)
        bulk = bulk_tb(crystal)
        info: dict = {}
        finite_field_splittings(build_nanocrystal(crystal, shape), bulk.E_vbm + bulk.Eg / 2, solver=solver,
                                tol=1e-8, half_gap=bulk.Eg / 2, info=info)
        row = [time.perf_counter() - t, bare.details["solver_info"]["matvecs"] + info["matvecs"]]
        records = []
        for warm in (None, store):
            t = time.perf_counter()
            rec = nanocrystal_gfactors(crystal, shape, solver=solver, warm_starts=warm)
            row += [time.perf_counter() - t, matvecs(rec)]
            records.append(rec)
        cold, warm = records
        keys = ("g_e", "g_h", "g_e_finite_field", "g_h_finite_field")
        diff = max(abs(getattr(warm, k) - getattr(cold, k)) for k in keys)
        totals += row
        print(f"{s:6.3f} {row[0]:10.2f} {row[1]:7.0f} {row[2]:7.2f} {row[3]:7.0f} {row[4]:7.2f} {row[5]:7.0f} "
              f"{diff:9.1e}", flush=True)
    print(f" total {totals[0]:10.2f} {totals[1]:7.0f} {totals[2]:7.2f} {totals[3]:7.0f} {totals[4]:7.2f} "
          f"{totals[5]:7.0f}\n  against all cold: cold time {totals[2] / totals[0]:.2f}, mat-vecs "
          f"{totals[3] / totals[1]:.2f}; warm time {totals[4] / totals[0]:.2f}, mat-vecs {totals[5] / totals[1]:.2f} "
          f"(store: {store.hits} hits, {store.misses} misses)")


def field_seed(params: str, sizes: list[int]) -> None:
    """Section 3c: the 1 T solve along z of one cube, cold and started from the zero-field subspace
    (its Θ images fill the blocks time reversal no longer pairs): mat-vecs and time."""
    from confinement.doublets import finite_field_splittings, solver_hints
    from confinement.solvers import solve_band_edges
    from tightbinding.bulk import bulk_tb
    from tightbinding.crystal import Crystal
    from tightbinding.nanocrystal import build_nanocrystal, make_shape
    from tightbinding.parameters import load_tb_parameters

    crystal = Crystal(load_tb_parameters(params))
    bulk = bulk_tb(crystal)
    sigma = bulk.E_vbm + bulk.Eg / 2
    print(f"\n## field solve (1 T along z): cold vs from the zero-field subspace, {params}, filtered")
    print(f"{'N':>3} {'B=0 mv':>7} {'cold mv':>8} {'cold s':>7} {'seeded mv':>10} {'seeded s':>9} "
          f"{'mv ratio':>9} {'|Δg|':>8}")
    for n in sizes:
        system = build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=n))
        zero = solve_band_edges(system.hamiltonian, sigma, 2, 2, solver="filtered", tol=1e-8,
                                **solver_hints(system, bulk.Eg / 2))
        runs = []
        for start in (None, zero.subspace):
            info: dict = {}
            t = time.perf_counter()
            g = finite_field_splittings(system, sigma, solver="filtered", tol=1e-8, half_gap=bulk.Eg / 2,
                                        zero_field=start, info=info)
            runs.append((info["matvecs"], time.perf_counter() - t, g))
        (mc, tc, gc), (ms, ts, gs) = runs
        dg = max(abs(gc[k] - gs[k]) for k in gc)
        print(f"{n:3d} {zero.info['matvecs']:7.0f} {mc:8.0f} {tc:7.2f} {ms:10.0f} {ts:9.2f} {ms / mc:9.2f} {dg:8.1e}",
              flush=True)


def _mapped_subspace(old, new, states, hints_old, hints_new):
    """The Ritz subspace of ``states`` (a solve of ``old``) with its time-reversed images, carried
    onto ``new`` (:func:`confinement.warm_start.map_to_size`): as full-space vectors, and as a
    Subspace of ``new``'s blocks (per block the mapped directions above 0.3 of the largest; the
    blocks of odd and even N are labelled differently, so a solved block's states land in blocks
    the other size pairs away)."""
    import numpy as np

    from confinement.solvers.filtered import Subspace
    from confinement.symmetry import kramers_matrix, symmetry_sectors
    from confinement.warm_start import map_to_size

    def blocks(system, h):
        return {str(b.key): b for b in symmetry_sectors(system.hamiltonian, h["parity"], h["kramers"],
                                                        rotation=h["rotation"])}

    lifted = np.hstack([blk.to_full(np.asarray(states.subspace.blocks[k], complex))
                        for k, blk in blocks(old, hints_old).items() if k in states.subspace.blocks])
    lifted = np.hstack([lifted, kramers_matrix(lifted.shape[0]) @ lifted.conj()])
    mapped = map_to_size(old, new, lifted)
    seed = {}
    for key, blk in blocks(new, hints_new).items():
        U, sv, _ = np.linalg.svd(blk.basis.conj().T @ mapped, full_matrices=False)
        seed[key] = U[:, sv > 0.3 * sv[0]]
    sub = states.subspace
    return mapped, Subspace(new.n_orbitals, seed, sub.bounds, None, sub.support)


def across_sizes(params: str, sizes: list[int]) -> None:
    """Section 3b: starts mapped from the N-cube onto the next size
    (:func:`confinement.warm_start.map_to_size`) against a cold start, the filtered solver: the edge
    states and the Ritz subspace with its Theta images as guesses (they join the random start
    block), and that subspace as a Subspace seed (first filter skipped; demoted to a guess if it
    does not show both edges). Overlap: singular values of <new edge states | mapped edge states>."""
    import numpy as np
    from cube_series import cube_series

    from confinement.doublets import solver_hints
    from confinement.solvers import solve_band_edges
    from confinement.warm_start import map_to_size

    bulk, sigma, cubes = cube_series(params, ",".join(map(str, sizes)))
    print(f"\n## across sizes: starts mapped from N − 1 (R phase off, envelope stretched) vs cold, {params}, filtered")
    print(f"{'N':>3} {'cold mv':>8} {'edges':>12} {'subspace':>12} {'as seed':>12}  edge overlap")
    previous = None
    for n, system in cubes:
        hints = solver_hints(system, bulk.Eg / 2)
        kw = dict(solver="filtered", tol=1e-8, **hints)
        cold = solve_band_edges(system.hamiltonian, sigma, 2, 2, **kw)
        if previous is not None:
            edges = map_to_size(previous[0], system, previous[1].vectors)
            vectors, seed = _mapped_subspace(previous[0], system, previous[1], previous[2], hints)
            cells = []
            for guess in (edges, vectors, seed):
                mv = solve_band_edges(system.hamiltonian, sigma, 2, 2, guess=guess, **kw).info["matvecs"]
                cells.append(f"{mv:6.0f} ({mv / cold.info['matvecs']:.2f})")
            overlap = np.linalg.svd(cold.vectors.conj().T @ np.linalg.qr(edges)[0], compute_uv=False)
            print(f"{n:3d} {cold.info['matvecs']:8.0f} {' '.join(f'{c:>12}' for c in cells)}  "
                  f"{' '.join(f'{x:.3f}' for x in overlap)}", flush=True)
        previous = (system, cold, hints)


#: Start of the peers' child processes: the cube of argv[1] (set), argv[2] (N), its mid-gap sigma
#: and its four C4h blocks (``t``: the clock started before the blocks).
BLOCKS_CHILD = PEAK_MB + r"""
import json, sys, time
import numpy as np
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
"""

PRIMME_CHILD = BLOCKS_CHILD + r"""
import primme
matvecs, levels = 0.0, []
for blk in blocks:
    e, v, st = primme.eigsh(blk.matrix, k=6, which=sigma, tol=1e-10, return_stats=True, maxMatvecs=10**6)
    matvecs += st["numMatvecs"] * blk.matrix.shape[0] / system.n_orbitals
    levels.extend(e)
levels = np.sort(levels)
print(json.dumps({"solve_s": time.perf_counter() - t, "matvecs": matvecs,
                  "E_vb": float(levels[levels < sigma].max()), "E_cb": float(levels[levels > sigma].min()),
                  "peak_MB": peak_mb()}))
"""


EXPORT_CHILD = BLOCKS_CHILD + r"""
out = sys.argv[3]
arrays = {"sigma": sigma, "n": system.n_orbitals, "count": len(blocks), "blocks_s": time.perf_counter() - t}
for i, blk in enumerate(blocks):
    A = blk.matrix.tocsr()
    arrays.update({f"data{i}": A.data, f"indices{i}": A.indices, f"indptr{i}": A.indptr})
np.savez(out, **arrays)
print("{}")
"""

SLEPC_CHILD = PEAK_MB + r"""
import json, sys, time
import numpy as np
from petsc4py import PETSc
from slepc4py import SLEPc
z = np.load(sys.argv[1])
sigma = float(z["sigma"])
t = time.perf_counter()
levels, iterations = [], 0
for i in range(int(z["count"])):
    indptr, indices = z[f"indptr{i}"].astype(PETSc.IntType), z[f"indices{i}"].astype(PETSc.IntType)
    A = PETSc.Mat().createAIJ(size=(len(indptr) - 1,) * 2, csr=(indptr, indices, z[f"data{i}"]))
    A.assemble()
    eps = SLEPc.EPS().create()
    eps.setOperators(A)
    eps.setProblemType(SLEPc.EPS.ProblemType.HEP)
    eps.setType(SLEPc.EPS.Type.KRYLOVSCHUR)
    eps.setDimensions(nev=6)
    eps.setTarget(sigma)
    eps.setWhichEigenpairs(SLEPc.EPS.Which.TARGET_MAGNITUDE)
    eps.setTolerances(1e-10, 1000)
    st = eps.getST()
    st.setType(SLEPc.ST.Type.SINVERT)
    ksp = st.getKSP()
    ksp.setType("preonly")
    ksp.getPC().setType("lu")
    ksp.getPC().setFactorSolverType("mumps")
    eps.solve()
    iterations += eps.getIterationNumber()
    levels.extend(eps.getEigenvalue(j).real for j in range(eps.getConverged()))
levels = np.sort(levels)
print(json.dumps({"solve_s": time.perf_counter() - t + float(z["blocks_s"]), "iterations": iterations,
                  "E_vb": float(levels[levels < sigma].max()), "E_cb": float(levels[levels > sigma].min()),
                  "peak_MB": peak_mb()}))
"""

#: Where Debian's complex-scalar PETSc/SLEPc put their Python packages (python3-slepc4py-complex).
DEBIAN_SLEPC_PATH = ("/usr/lib/petscdir/petsc3.18/x86_64-linux-gnu-complex/lib/python3/dist-packages:"
                     "/usr/lib/slepcdir/slepc3.18/x86_64-linux-gnu-complex/lib/python3/dist-packages")


def _slepc_env(python: str) -> dict | None:
    """The environment in which ``python`` imports a complex-scalar slepc4py, or None."""
    for extra in ("", DEBIAN_SLEPC_PATH):
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        if extra:
            env["PYTHONPATH"] = extra
        probe = subprocess.run([python, "-c", "from petsc4py import PETSc; import slepc4py, numpy; "
                                "assert numpy.dtype(PETSc.ScalarType).kind == 'c'"], env=env, capture_output=True)
        if probe.returncode == 0:
            return env
    return None


def slepc_child(params: str, n_pb: int, python: str, env: dict, timeout: float) -> dict:
    """SLEPc on the C4h blocks of one cube: the blocks are built here (their time counted) and
    solved by ``python`` (another NumPy: they travel in an .npz file)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        blocks = str(Path(tmp) / "blocks.npz")
        note = _run(EXPORT_CHILD, [params, str(n_pb), blocks], timeout)
        if "note" in note:
            return note
        try:
            out = subprocess.run([python, "-c", SLEPC_CHILD, blocks], capture_output=True, text=True, env=env,
                                 timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            return {"note": f"> {timeout:.0f} s (stopped)"}
        except subprocess.CalledProcessError as exc:
            return {"note": f"failed: {exc.stderr.strip().splitlines()[-1:]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def peers(sizes: list[int], timeout: float, slepc_python: str) -> None:
    """Section 4: PRIMME (``primme.eigsh``, the 6 eigenvalues nearest sigma in each of the four C4h
    blocks, no preconditioner, no window certificate) and SLEPc (Krylov–Schur, MUMPS shift-invert,
    no window certificate) against ours, every solver on one thread."""
    print("\n## peers on the C4h blocks (CsPbI3-N21-exp, solve only incl. the blocks, fresh processes, 1 thread)")
    slepc_env = _slepc_env(slepc_python)
    if slepc_env is None:
        print(f"SLEPc: not measured ({slepc_python} imports no complex-scalar slepc4py; PyPI has no wheel "
              "for this platform, Debian: apt-get install python3-slepc4py-complex)")
    try:
        import primme  # noqa: F401
        has_primme = True
    except ImportError:
        print("PRIMME: not measured (pip install primme; the sdist needs liblapack-dev and libblas-dev)")
        has_primme = False
    print(f"{'N':>3} {'solver':>12} {'solve s':>8} {'matvecs':>8} {'peak MB':>8} {'E_vb':>13} {'E_cb':>13}")
    for n_pb in sizes:
        rows = [("primme", _run(PRIMME_CHILD, ["CsPbI3-N21-exp", str(n_pb)], timeout, threads=1))] if has_primme else []
        if slepc_env is not None:
            rows.append(("slepc", slepc_child("CsPbI3-N21-exp", n_pb, slepc_python, slepc_env, timeout)))
        rows += [(solver, child("CsPbI3-N21-exp", n_pb, solver, timeout, threads=1))
                 for solver in ("shift-invert", "filtered")]
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
    parser.add_argument("--map-sizes", type=int, nargs="*", default=[8, 9, 10], help="section 3b (empty: skip)")
    parser.add_argument("--map-set", default="CsPbI3-refit-N23")
    parser.add_argument("--field-sizes", type=int, nargs="*", default=[8, 10, 13], help="section 3c (empty: skip)")
    parser.add_argument("--peer-sizes", type=int, nargs="*", default=[6, 8, 10, 13])
    parser.add_argument("--slepc-python", default="/usr/bin/python3",
                        help="an interpreter with a complex-scalar slepc4py (section 4)")
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
    if len(args.map_sizes) > 1:
        across_sizes(args.map_set, args.map_sizes)
    if args.field_sizes:
        field_seed(args.map_set, args.field_sizes)
    if args.peer_sizes:
        peers(args.peer_sizes, args.timeout, args.slepc_python)


if __name__ == "__main__":
    main()
