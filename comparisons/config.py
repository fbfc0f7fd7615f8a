"""Validated configuration files (TOML → pydantic models).

Every section forbids unknown keys; a bad file is refused before any work starts with a
:class:`~confinement.errors.ConfigError` that names the file and the dotted path of each
offending key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from confinement.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
FigureFormat = Literal["png", "pdf", "svg"]


class Strict(BaseModel):
    """Base of every config section: unknown keys and type coercion from strings are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Range(Strict):
    """An inclusive arithmetic range ``start, start+step, …, ≤ stop`` (units of the key it fills)."""

    start: float = Field(description="first value")
    stop: float = Field(description="last value (included when on the grid)")
    step: float = Field(gt=0, description="increment (> 0)")

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) is below start ({self.start})")
        return self

    def values(self) -> np.ndarray:
        """The grid start, start + step, … ≤ stop (inclusive, tolerant to rounding)."""
        n = int(np.floor((self.stop - self.start) / self.step + 1e-9)) + 1
        return self.start + self.step * np.arange(n)


class OutputSection(Strict):
    """Where results go. ``dir`` is relative to the working directory."""

    dir: str = Field(description="output directory, relative to the working directory")
    formats: list[FigureFormat] = Field(default=["png", "pdf"], description="figure formats: png, pdf, svg")


def load_config(path: str | Path, schema: type[M]) -> M:
    """Read the TOML file ``path`` and validate it against ``schema``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid configuration\n{describe_errors(exc)}") from None


def describe_errors(exc: ValidationError) -> str:
    """One line per problem: ``  key.path: message``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(".[", "[")
        msg = "unknown key (not allowed here)" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  {loc or '(top level)'}: {msg}")
    return "\n".join(lines)
