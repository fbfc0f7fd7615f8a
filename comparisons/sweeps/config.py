"""Config sections of the comparison layer: ranges and output directories of sweeps and jobs.

Built on the shared strict base :mod:`confinement.config_base` (every section forbids unknown
keys; a bad file is refused before any work starts with a :class:`~confinement.errors.ConfigError`
naming the file and the dotted path of each offending key), whose :class:`Strict`,
:func:`load_config` and :func:`describe_errors` are re-exported here for the existing imports.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from confinement.config_base import Strict, describe_errors, load_config, read_toml, validate_config

__all__ = ["FigureFormat", "OutputSection", "Range", "Strict", "describe_errors", "load_config", "read_toml",
           "validate_config"]

FigureFormat = Literal["png", "pdf", "svg"]


class Range(Strict):
    """An inclusive arithmetic range ``start, start+step, …, ≤ stop`` (units of the key it fills)."""

    start: float = Field(description="first value")
    stop: float = Field(description="last value (included when on the grid)")
    step: float = Field(gt=0, description="increment (> 0)")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
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
