"""Atomic output of the comparison layer: the shared writers plus figures.

The byte, text, JSON and table writers live in :mod:`confinement.io` (every layer writes files)
and are re-exported here; :func:`save_figure` writes a matplotlib figure, each format atomically.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from confinement.io import atomic_write_bytes, atomic_write_text, read_table, to_json, write_json, write_table

__all__ = ["atomic_write_bytes", "atomic_write_text", "read_table", "save_figure", "to_json", "write_json",
           "write_table"]


def save_figure(fig: Any, stem: str | Path, formats: Iterable[str]) -> list[Path]:
    """Save a matplotlib figure as ``stem.<fmt>`` for each format, each file atomically."""
    paths = []
    for fmt in formats:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt)
        paths.append(atomic_write_bytes(Path(f"{stem}.{fmt}"), buf.getvalue()))
    return paths
