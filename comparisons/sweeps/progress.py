"""Progress of long work on stderr: a live bar on a terminal (rich), plain lines everywhere else.

:class:`ProgressBar` counts units of work (points of ``landeg run``, starts of ``landeg refit``):
on a terminal it draws a bar with done/total, elapsed time and ETA and prints each finished unit's
line above it; when stderr is not a terminal (a log file, CI, a pipe) it prints only the plain
line of each finished unit, in a fixed format, so logs stay readable and greppable.
:class:`SolveProgress` follows the eigen-solves of one command
(:func:`confinement.eigensolver.observe_solves`): a ticking spinner while a large solve runs on a
terminal (unless a bar is already live there) and one line per finished large solve. Nothing is
drawn on stdout, which keeps ``--json`` output clean.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

from confinement.eigensolver import observe_solves

#: The live displays now drawn (one terminal shows one at a time).
_LIVE: list[Any] = []

#: Solves of dimension n (basis states) at least this are reported by :class:`SolveProgress` (a TB cube of
#: n = 44 800 takes about 1.4 s to solve on one core, docs/performance.md; smaller ones stay quiet).
LARGE_SOLVE = 40_000


def is_terminal(stream: TextIO) -> bool:
    """True when ``stream`` is an interactive terminal (then a live display is drawn)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _console(stream: TextIO):
    from rich.console import Console

    return Console(file=stream, highlight=False, soft_wrap=True)


def clock(seconds: float) -> str:
    """'h:mm:ss' of a duration in seconds (ETA of the plain lines)."""
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h:d}:{m:02d}:{s:02d}"


class ProgressBar:
    """``total`` units of work labelled ``label``; :meth:`step` after each, :meth:`close` at the end.

    ``stream`` None: sys.stderr as it is when the bar starts (not as it was when this module was
    imported, so captured streams in tests are honoured).
    """

    def __init__(self, total: int, label: str, stream: TextIO | None = None):
        self.total, self.done, self.label = total, 0, label
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self._live = None
        if is_terminal(self.stream) and total > 0:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._live = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                  console=_console(self.stream), redirect_stdout=False, redirect_stderr=True)
            self._task = self._live.add_task(label, total=total)
            self._live.start()
            _LIVE.append(self._live)

    def eta(self, done: int) -> float:
        """Seconds left once ``done`` units are finished, at the mean pace so far."""
        return (time.perf_counter() - self.start) / done * (self.total - done)

    def step(self, line: str) -> None:
        """One unit done: ``line`` describes it (printed above the bar, or alone off a terminal)."""
        self.done += 1
        if self._live is None:
            print(line, file=self.stream, flush=True)
        else:
            self._live.console.print(line, markup=False)
            self._live.advance(self._task)

    def close(self) -> None:
        """Stop the live display (the finished bar stays on the screen); idempotent."""
        if self._live is not None:
            self._live.stop()
            _LIVE.remove(self._live)
            self._live = None


class SolveProgress:
    """Observer of eigen-solves (``observe_solves(SolveProgress("landeg nc"))``) reporting large ones."""

    def __init__(self, label: str, stream: TextIO | None = None, min_size: int = LARGE_SOLVE):
        self.label, self._stream, self.min_size = label, stream, min_size
        self.count, self._live = 0, None

    @property
    def stream(self) -> TextIO:
        """The stream given, else sys.stderr as it is now (above a live bar: the bar's proxy)."""
        return self._stream or sys.stderr

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        if info["n"] < self.min_size:
            return
        what = f"{self.label}: solve {self.count + (event == 'start')} ({info['solver']}, n = {info['n']:,})"
        if event == "start":
            self.count += 1
            if is_terminal(self.stream) and not _LIVE:
                from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

                self._live = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                      console=_console(self.stream), transient=True, redirect_stdout=False,
                                      redirect_stderr=False)
                self._live.add_task(what, total=None)
                self._live.start()
            return
        self.close()
        print(f"{what}: {info['seconds']:.1f} s", file=self.stream, flush=True)

    def close(self) -> None:
        """Remove a running spinner (a solve that raised); idempotent."""
        if self._live is not None:
            self._live.stop()
            self._live = None


@contextlib.contextmanager
def showing_solves(label: str, stream: TextIO | None = None) -> Iterator[SolveProgress]:
    """Report the large eigen-solves made inside the block (:class:`SolveProgress`)."""
    reporter = SolveProgress(label, stream)
    try:
        with observe_solves(reporter):
            yield reporter
    finally:
        reporter.close()
