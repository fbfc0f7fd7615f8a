"""Metadata written next to every result: toolkit version, inputs and their hashes."""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata as _md
from pathlib import Path
from typing import Any

from confinement.parameter_files import ParameterFile


def toolkit_version() -> str:
    """Installed version of the toolkit; from a source tree, pyproject.toml's version + ' (source tree)'."""
    try:
        return _md.version("landeg")
    except _md.PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text())["project"]["version"] + " (source tree)"
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def run_metadata(*, config: dict[str, Any] | None = None, config_path: str | Path | None = None,
                 parameter_files: Iterable[ParameterFile] = (), **extra: Any) -> dict[str, Any]:
    """A JSON-ready record of what produced a result."""
    return {
        "toolkit": "landeg",
        "version": toolkit_version(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "config_path": str(config_path) if config_path else None,
        "config": config,
        "parameter_files": [{"name": f.name, "path": str(f.path), "sha256": f.sha256} for f in parameter_files],
        **extra,
    }
