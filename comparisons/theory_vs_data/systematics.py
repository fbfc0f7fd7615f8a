"""Systematic bands: a central theory curve and variant curves that are its systematics.

A run config's ``[compare.systematics]`` (or ``landeg compare --systematics central=v1,v2``) names,
for a central model id, the model ids whose curves are systematic variants of it (a finite
passivation shift, a Coulomb shift of the energy axis, another parameter set, …). The band is the
pointwise minimum and maximum over the central curve and every variant curve, each interpolated
linearly in energy, inside their **common** energy range only (never extrapolated).

A curve is named by its run-config model id (``TheoryCurve.model_id``), or by its key
``model | parameter set | shape`` or its parameter set when the input carries no model id. The
central id must name exactly one curve; a variant id may name several (all enter the band).
Units: energies eV, g dimensionless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from confinement.errors import ParameterError

from .results import TheoryCurve

#: Spacing (eV) of the uniform part of the band's drawing grid (the curves' own energies are added).
GRID_STEP_EV = 0.002


@dataclass(frozen=True)
class SystematicBand:
    """The central curve and its variant curves."""

    central: TheoryCurve
    variants: tuple[TheoryCurve, ...]

    @property
    def members(self) -> tuple[TheoryCurve, ...]:
        """Central curve first, then the variants."""
        return (self.central, *self.variants)

    @property
    def energy_range(self) -> tuple[float, float] | None:
        """(E_min, E_max) common to every member (eV), or ``None`` when they do not overlap."""
        lo = max(c.energy_range[0] for c in self.members)
        hi = min(c.energy_range[1] for c in self.members)
        return (lo, hi) if lo <= hi else None

    def envelope(self, carrier: str, energy_eV: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(low, high, inside) at ``energy_eV``: min and max over the members, NaN outside the common range."""
        e = np.asarray(energy_eV, dtype=float)
        values = np.array([c.interpolate(carrier, e)[0] for c in self.members]).reshape(len(self.members), -1)
        inside = np.isfinite(values).all(axis=0)            # NaN (outside a member's range) propagates
        return values.min(axis=0).reshape(e.shape), values.max(axis=0).reshape(e.shape), inside.reshape(e.shape)

    def grid(self) -> np.ndarray:
        """Energies (eV) to draw the band on: every member's energies inside the common range plus a
        uniform grid of :data:`GRID_STEP_EV`; empty when the members do not overlap."""
        span = self.energy_range
        if span is None:
            return np.zeros(0)
        lo, hi = span
        knots = np.concatenate([c.energy_eV for c in self.members] + [np.arange(lo, hi, GRID_STEP_EV), [lo, hi]])
        return np.unique(knots[(knots >= lo) & (knots <= hi)])

    def describe(self) -> dict:
        """JSON-ready description: the curve keys and the common range."""
        span = self.energy_range
        return {"central": self.central.key, "variants": [c.key for c in self.variants],
                "common_range_eV": None if span is None else [span[0], span[1]]}


def curve_names(curve: TheoryCurve) -> set[str]:
    """The names a systematics entry may use for ``curve``: model id, key and parameter set."""
    return {n for n in (curve.model_id, curve.key, curve.parameter_set) if n}


def _matching(curves: Sequence[TheoryCurve], name: str, role: str) -> list[TheoryCurve]:
    by_id = [c for c in curves if c.model_id == name]
    found = by_id or [c for c in curves if name in curve_names(c)]
    if not found:
        known = sorted({c.model_id or c.key for c in curves})
        raise ParameterError(f"systematics: unknown {role} model id {name!r}; curves: {', '.join(known) or 'none'}")
    return found


def resolve_systematics(curves: Sequence[TheoryCurve], spec: Mapping[str, Sequence[str]]) -> list[SystematicBand]:
    """Bands for ``spec`` (central id → variant ids) over ``curves``; unknown or ambiguous ids are refused."""
    bands = []
    for central_id, variant_ids in spec.items():
        if not variant_ids:
            raise ParameterError(f"systematics: central model {central_id!r} has no variants")
        if central_id in variant_ids:
            raise ParameterError(f"systematics: {central_id!r} is listed as a variant of itself")
        central = _matching(curves, central_id, "central")
        if len(central) > 1:
            raise ParameterError(f"systematics: central model {central_id!r} has {len(central)} curves "
                                 f"({'; '.join(c.key for c in central)}); a band needs one central curve")
        variants = [c for v in variant_ids for c in _matching(curves, v, "variant")]
        unique = {c.key: c for c in variants if c.key != central[0].key}     # a curve named twice enters once
        bands.append(SystematicBand(central[0], tuple(unique.values())))
    return bands


def parse_systematics(items: Sequence[str]) -> dict[str, list[str]]:
    """``["central=v1,v2", …]`` (``landeg compare --systematics``) → {central: [v1, v2]}."""
    out: dict[str, list[str]] = {}
    for item in items:
        central, sep, rest = item.partition("=")
        variants = [v.strip() for v in rest.split(",") if v.strip()]
        if not sep or not central.strip() or not variants:
            raise ParameterError(f"--systematics expects CENTRAL=VARIANT[,VARIANT...], got {item!r}")
        if central.strip() in out:
            raise ParameterError(f"--systematics: central model {central.strip()!r} given twice")
        out[central.strip()] = variants
    return out


__all__ = ["GRID_STEP_EV", "SystematicBand", "curve_names", "parse_systematics", "resolve_systematics"]
