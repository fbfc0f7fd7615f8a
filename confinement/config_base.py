"""The base of every validated configuration file (TOML → pydantic models), shared by all layers.

:class:`Strict` is the base of every config section: unknown keys are refused. :func:`load_config`
reads a TOML file and validates it against a schema; a bad file is refused before any work starts
with a :class:`~confinement.errors.ConfigError` that names the file and the dotted path of each
offending key (:func:`describe_errors`). The model layers (e.g. :mod:`tightbinding.refit`) and the
comparison layer (:mod:`comparisons.sweeps.config`, which re-exports these names) build their schemas on it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base of every config section: unknown keys and type coercion from strings are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def read_toml(path: str | Path) -> dict:
    """The parsed TOML file ``path``; ConfigError if it is missing or not valid TOML."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def validate_config(raw: dict, schema: type[M], path: str | Path) -> M:
    """Validate the parsed config ``raw`` (read from ``path``) against ``schema``."""
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid configuration\n{describe_errors(exc)}") from None


def load_config(path: str | Path, schema: type[M]) -> M:
    """Read the TOML file ``path`` and validate it against ``schema``."""
    return validate_config(read_toml(path), schema, path)


def describe_errors(exc: ValidationError) -> str:
    """One line per problem: ``  key.path: message``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(".[", "[")
        msg = "unknown key (not allowed here)" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  {loc or '(top level)'}: {msg}")
    return "\n".join(lines)
