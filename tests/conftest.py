"""Shared fixtures."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """Deterministic random numbers (tests must be reproducible)."""
    return np.random.default_rng(20251121)
