"""``landeg run``: execute a planned sweep with a per-point cache, in parallel, and write its outputs.

Layout of the output directory::

    points/<key>.json      one result per point, written atomically when it finishes (the cache)
    refits/                refitted parameter sets (cached by the hash of refit config + base set)
    results.csv            the tidy table: one row per point (coordinates, energies, g, diagnostics)
    metadata.json          toolkit version, config, parameter-set hashes, point keys, failures
    compare/               figures and metrics against the measured data (``landeg compare``)

Re-running skips every point whose key has a result, so an interrupted run loses at most the
points in flight: Ctrl-C stops the workers and raises :class:`SweepInterrupted` (a
``KeyboardInterrupt``) saying how many points are done. The measured data of ``[compare]`` is
loaded and checked before any point runs. Executors: in this process (``workers = 1``), a local
process pool (``workers > 1``), or a Dask distributed cluster (``scheduler``). A point that fails
is reported (with its error) and not cached; the run then ends with :class:`SweepError` after
writing the rest.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confinement.errors import ConfigError, LandegError
from confinement.io import write_json, write_table
from confinement.metadata import run_metadata

from .progress import ProgressBar, clock
from .run_dir import METADATA_FILE, RESULTS_FILE, locked
from .sweep import Point, evaluate_point, plan, result_row
from .sweep_config import CompareSection, RunConfig


class SweepError(LandegError, RuntimeError):
    """Some points failed; the message lists them with their errors (the others are saved)."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: ``done`` of ``total`` points have a cached result; a re-run resumes."""

    def __init__(self, done: int, total: int):
        self.done, self.total = done, total
        super().__init__(f"interrupted after {done} of {total} points; rerun the same command to resume")


@dataclass
class RunSummary:
    """What a run did: counts, written files, failures (point description → error text) and the
    records of every finished point, in plan order."""

    out_dir: Path
    n_points: int
    n_cached: int
    n_computed: int
    files: list[Path] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    metrics: dict | None = None
    records: list[dict] = field(default_factory=list)


class PointCache:
    """Results stored as ``points/<key>.json`` (atomic writes)."""

    def __init__(self, out_dir: Path):
        self.dir = out_dir / "points"

    def path(self, point: Point) -> Path:
        """File of a point's record: points/<key>.json."""
        return self.dir / f"{point.key}.json"

    def has(self, point: Point) -> bool:
        """True if the point has a finished record."""
        return self.path(point).is_file()

    def read(self, point: Point) -> dict[str, Any]:
        """The stored record of a point."""
        return json.loads(self.path(point).read_text(encoding="utf-8"))

    def write(self, point: Point, record: dict[str, Any]) -> Path:
        """Store a point's record atomically; returns the path."""
        return write_json(self.path(point), record)


class Progress:
    """Progress of a run on stderr (:class:`comparisons.sweeps.progress.ProgressBar`): a live bar with
    done/total and ETA on a terminal, else one line per finished point —
    ``[done/total] <point>: E = … eV, g_e = …, g_h = … (… s)  ETA h:mm:ss`` (or ``FAILED: <error>``)."""

    def __init__(self, total: int, stream=None):
        self.bar = ProgressBar(total, "landeg run", stream)

    @property
    def done(self) -> int:
        """Points reported so far."""
        return self.bar.done

    def __call__(self, point: Point, record: dict | None, error: str | None = None) -> None:
        what = (f"FAILED: {error}" if error else
                f"E = {record['E_transition']:.3f} eV, g_e = {record['g_e']:+.3f}, g_h = {record['g_h']:+.3f} "
                f"({record.get('seconds', float('nan')):.1f} s)")
        done = self.bar.done + 1
        self.bar.step(f"[{done}/{self.bar.total}] {point.describe()}: {what}  ETA {clock(self.bar.eta(done))}")

    def close(self) -> None:
        """Stop the live bar (if any)."""
        self.bar.close()


def _run_one(point: Point) -> tuple[dict | None, str | None]:
    try:
        return evaluate_point(point), None
    except LandegError as exc:
        return None, f"{type(exc).__name__}: {exc}"


def execute(points: list[Point], *, workers: int = 1, scheduler: str | None = None
            ) -> Iterator[tuple[Point, dict | None, str | None]]:
    """Yield (point, record, error) as points finish, on the chosen executor."""
    if scheduler:
        yield from _execute_dask(points, scheduler)
    elif workers <= 1 or len(points) <= 1:
        for p in points:
            yield (p, *_run_one(p))
    else:
        # fresh ('spawn') workers with one BLAS and one solver thread each: N threaded pools on N cores
        # oversubscribe them (measured 10-100x slower dense solves)
        with _one_thread_per_worker(), ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupt,
                                                          mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_run_one, p): p for p in points}
            try:
                for fut in as_completed(futures):
                    yield (futures[fut], *fut.result())
            except (KeyboardInterrupt, GeneratorExit):
                _stop(pool)
                raise


def _ignore_interrupt() -> None:
    """Worker initializer: Ctrl-C reaches the main process only, which stops the workers itself
    (a worker would otherwise print its own KeyboardInterrupt traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool now: cancel the queued points and terminate the workers (their points are lost,
    the finished ones are cached)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=10)
    pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _one_thread_per_worker():
    """Set the BLAS/OpenMP and solver thread variables to 1 (unless set) while worker processes start."""
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "LANDEG_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    os.environ.update({n: "1" for n in names if saved[n] is None})
    try:
        yield
    finally:
        for n, v in saved.items():
            if v is None:
                os.environ.pop(n, None)


def _execute_dask(points: list[Point], scheduler: Any):
    """Run on a Dask distributed cluster; ``scheduler`` is an address or a ``distributed.Client``."""
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise LandegError("--scheduler needs Dask: pip install 'landeg[dask]' (package 'distributed')") from exc
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        futures = client.map(_run_one, points, pure=False)
        index = {f.key: p for f, p in zip(futures, points)}
        for fut in dask_completed(futures):
            yield (index[fut.key], *fut.result())
    finally:
        if not isinstance(scheduler, Client):
            client.close()


def check_compare(section: CompareSection) -> None:
    """Load and check the measured inputs of ``[compare]`` (files exist and parse, populations have
    rows) when the comparison is enabled; raises ConfigError naming the section."""
    if not section.enabled:
        return
    from ..theory_vs_data.compare import measured_inputs

    try:
        measured_inputs(section.data, section.bundled, section.populations, section.show_populations)
    except LandegError as exc:
        raise ConfigError(f"compare: {exc}") from None


def run_sweep(config: RunConfig, out_dir: str | Path, *, config_path: str | Path | None = None,
              scheduler: Any = None, workers: int | None = None,
              progress: Callable[[Point, dict | None, str | None], None] | None = None) -> RunSummary:
    """Plan, run the missing points, write table, metadata and comparison; see the module docs.

    The output directory is locked for the run (:func:`comparisons.sweeps.run_dir.locked`): a second run
    into it raises :class:`~comparisons.sweeps.run_dir.RunDirectoryBusy` before any work.
    Raises :class:`SweepInterrupted` on Ctrl-C (finished points stay cached)."""
    out = Path(out_dir)
    check_compare(config.compare)
    with locked(out):
        skipped: list[str] = []
        points = plan(config, refit_dir=out / "refits", skipped=skipped)
        for note in skipped:
            print(f"landeg run: skipped {note}", file=sys.stderr)
        cache = PointCache(out)
        try:
            return _run_points(config, out, points, cache, skipped, config_path=config_path, scheduler=scheduler,
                               workers=workers, progress=progress)
        except KeyboardInterrupt:
            raise SweepInterrupted(sum(cache.has(p) for p in points), len(points)) from None


def _run_points(config: RunConfig, out: Path, points: list[Point], cache: PointCache, skipped: list[str], *,
                config_path: str | Path | None, scheduler: Any, workers: int | None,
                progress: Callable[[Point, dict | None, str | None], None] | None) -> RunSummary:
    """The part of :func:`run_sweep` after planning: compute, then write table, metadata, comparison."""
    pending = [p for p in points if not cache.has(p)]
    summary = RunSummary(out, len(points), len(points) - len(pending), 0)
    report = progress or Progress(len(pending))
    finished = execute(pending, workers=workers or config.run.workers, scheduler=scheduler or config.run.scheduler)
    with contextlib.closing(finished), contextlib.ExitStack() as stack:   # an interrupt stops the workers at once
        if isinstance(report, Progress):
            stack.callback(report.close)
        for point, record, error in finished:
            if error is None:
                cache.write(point, record)
                summary.n_computed += 1
            else:
                summary.failures[point.describe()] = error
            report(point, record, error)
    done = [p for p in points if cache.has(p)]
    summary.records = [cache.read(p) for p in done]
    rows = [result_row(p, r) for p, r in zip(done, summary.records)]
    if rows:
        coords = sorted({k for p in done for k in p.coords})
        table = {k: [p.coords.get(k, "") for p in done] for k in coords}
        table.update({k: [r[k] for r in rows] for k in rows[0]})
        summary.files.append(write_table(out / RESULTS_FILE, table, [
            "landeg run: one row per point; energies eV, sizes nm, g in the J-convention (g_X = g_e + g_h)",
            f"config: {config_path or '(in memory)'}"]))
    summary.files.append(write_json(out / METADATA_FILE, run_metadata(
        config=config.model_dump(mode="json"), config_path=config_path,
        points=[{"key": p.key, "model_id": p.model_id, "coords": p.coords,
                 "params_sha256": p.inputs.get("params_sha256")} for p in points],
        failures=summary.failures, skipped=skipped)))
    if rows and config.compare.enabled:
        from ..theory_vs_data.compare import run_comparison

        summary.metrics = run_comparison([out / RESULTS_FILE], config.compare.data, out / "compare",
                                         bundled=config.compare.bundled, formats=config.output.formats,
                                         populations=config.compare.populations,
                                         show_populations=config.compare.show_populations,
                                         systematics=config.compare.systematics)
        summary.files.append(out / "compare")
    if summary.failures:
        lines = "\n".join(f"  {k}: {v}" for k, v in summary.failures.items())
        raise SweepError(f"{len(summary.failures)} of {len(points)} points failed (the others are saved in "
                         f"{out}; re-run to retry only the failed ones):\n{lines}")
    return summary
