"""The output directory of ``landeg run``: its files, its lock, and its comparison settings.

A run directory holds ``results.csv`` (one row per point), ``metadata.json`` (with the run
config), ``points/`` and ``compare/`` (layout: :mod:`comparisons.sweeps.runner`). While a run writes
into it, ``.landeg.lock`` holds the PID of that process under an exclusive ``flock`` (released
by the kernel even if the process is killed): :func:`locked` refuses a second run into the same
directory with :class:`RunDirectoryBusy` (one line, exit status 2 on the command line) and takes
over the lock file of a run that died, saying so. :func:`compare_settings` reads the
``[compare]`` settings (data, populations, systematics) and figure formats of the run config in
``metadata.json``, which ``landeg compare DIR`` uses as its defaults.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from confinement.errors import LandegError, ParameterError, ParameterFileError

from ..theory_vs_data.results import RESULTS_FILE
from .sweep_config import CompareSection

METADATA_FILE, LOCK_FILE = "metadata.json", ".landeg.lock"


class RunDirectoryBusy(LandegError, RuntimeError):
    """Another live process is running into this output directory (the message names its PID)."""


def is_run_dir(path: str | Path) -> bool:
    """True if ``path`` is a directory holding a run's ``results.csv``."""
    return (Path(path) / RESULTS_FILE).is_file()


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:           # exists, owned by another user
        return True
    return True


@contextlib.contextmanager
def locked(out_dir: str | Path, command: str = "landeg run") -> Iterator[Path]:
    """Hold ``out_dir/.landeg.lock`` (with this PID) while the block runs; removed at exit.

    Raises :class:`RunDirectoryBusy` if another process holds it. A lock file left by a process
    that is gone is taken over with a message on stderr naming that PID.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            pid = _pid_in(path)
            raise RunDirectoryBusy(f"{out} is in use by another run (PID {pid if pid else 'unknown'}, lock file "
                                   f"{path}); wait for it to finish or choose another output directory") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:         # the holder removed it between our open and our lock
            same = False
        if same:
            break
        os.close(fd)                      # locked a file already unlinked by the previous holder: retry
    try:
        previous = _pid_in(path)
        if previous is not None and previous != os.getpid():
            state = "no longer running" if not _alive(previous) else "holding no lock"
            print(f"{command}: taking over the stale lock {path} of PID {previous} ({state})", file=sys.stderr)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


def compare_settings(run_dir: str | Path) -> dict[str, Any]:
    """The comparison settings of the run config saved in ``run_dir/metadata.json``: ``data``,
    ``bundled``, ``populations``, ``show_populations``, ``systematics`` and ``formats``; empty
    when the directory has no metadata or no run config (e.g. an older run)."""
    path = Path(run_dir) / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8")).get("config") or {}
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        raise ParameterFileError(f"{path}: not a run's metadata ({exc})") from None
    if "compare" not in config:
        return {}
    try:
        section = CompareSection.model_validate(config["compare"])
    except ValueError as exc:
        raise ParameterFileError(f"{path}: config.compare is not a valid [compare] section ({exc})") from None
    settings = section.model_dump(exclude={"enabled"})
    formats = (config.get("output") or {}).get("formats")
    return {**settings, **({"formats": list(formats)} if formats else {})}


def run_compare_defaults(result_paths: Sequence[str | Path]) -> dict[str, Any]:
    """The :func:`compare_settings` shared by the run directories among ``result_paths`` (empty if
    there are none); ParameterError naming the setting when two run directories disagree."""
    merged: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for path in map(Path, result_paths):
        if not (path.is_dir() and is_run_dir(path)):
            continue
        for key, value in compare_settings(path).items():
            if key in merged and merged[key] != value:
                raise ParameterError(f"the runs {origin[key]} and {path} differ in their compare setting {key!r} "
                                     f"({merged[key]!r} and {value!r}); give it on the command line")
            merged.setdefault(key, value)
            origin.setdefault(key, path)
    return merged
