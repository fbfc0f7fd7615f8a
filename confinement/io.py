"""Atomic output shared by every layer: each file appears complete or not at all.

Bytes, text, JSON and CSV tables are written to a same-directory temporary and renamed into place
(:func:`atomic_write_bytes`), so an interrupted run never leaves a half-written result or parameter
file; :func:`read_table` reads the tables back; :func:`save_figure` writes a matplotlib figure in
each format asked for, each file atomically.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (same-directory temporary + os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)     # mkstemp makes 0600; results should read like any file
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def save_figure(fig: Any, stem: str | Path, formats: Iterable[str]) -> list[Path]:
    """Save a matplotlib figure (anything with ``savefig``) as ``stem.<fmt>`` for each format, atomically."""
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        paths.append(atomic_write_bytes(Path(f"{stem}.{fmt}"), buf.getvalue()))
    return paths


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, Mapping):                     # a typed record with a mapping view (NCResult)
        return dict(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_json(obj: Any) -> str:
    """JSON text of ``obj`` (NumPy arrays and scalars converted), indented, newline-terminated."""
    return json.dumps(obj, indent=2, default=_plain, ensure_ascii=False) + "\n"


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as JSON atomically."""
    return atomic_write_text(path, to_json(obj))


def write_table(path: str | Path, columns: Mapping[str, Iterable[Any]], comments: Iterable[str] = ()) -> Path:
    """Write equal-length ``columns`` as CSV atomically; ``comments`` become leading '# ' lines."""
    cols = {k: list(v) for k, v in columns.items()}
    lengths = {len(v) for v in cols.values()}
    if len(lengths) > 1:
        raise ValueError(f"table columns differ in length: { {k: len(v) for k, v in cols.items()} }")
    buf = io.StringIO()
    for line in comments:
        buf.write(f"# {line}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in zip(*cols.values()):
        writer.writerow([repr(float(x)) if isinstance(x, (float, np.floating)) else x for x in row])
    return atomic_write_text(path, buf.getvalue())


def read_table(path: str | Path) -> dict[str, list[str]]:
    """Read a CSV written by :func:`write_table` (comment lines skipped) into string columns."""
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    rows = list(csv.reader(lines))
    header, body = rows[0], rows[1:]
    return {name: [r[i] for r in body] for i, name in enumerate(header)}
