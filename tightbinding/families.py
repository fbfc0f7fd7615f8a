"""Families of refitted parameter sets: halide (X–X) second-neighbour hopping of growing strength.

A strength ``s`` (eV) sets the X–X two-centre integrals at a/√2 along ⟨110⟩ to ``ratios × s``
(default ppσ = s, ppπ = −s/4, Harrison's ppπ/ppσ; every other integral of the shell is zero).
Each member is refitted with :func:`tightbinding.refit.run_refit` so that the bulk targets of the
base set (Eg(R), Eg(M), Δ, m_e, m_h) stay fixed within tolerance. A member whose refit misses
(:class:`~tightbinding.refit.RefitError`) is recorded with its error and carries no set.
Refits are continued: each starts from the fitted values of the neighbouring smaller |s| on the
same side of zero, which follows the fit through strengths where the base values would put the
search through a band crossing. All sets are labelled as this project's refits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .bulk import BulkTB, bulk_tb
from .crystal import Crystal
from .parameters import TBParameters, load_tb_parameters, required_integrals
from .refit import RefitError, RefitResult, RefitSection, run_refit

SHELL = "X-X"
#: Harrison's universal ratio V_ppπ/V_ppσ = −0.63/2.22 ≈ −1/4 (Harrison, Electronic Structure, 1980).
HARRISON_PP_RATIO = -0.25
#: Parameters varied in every refit, with bounds (eV): the delivered X–X refit's seven
#: (examples/refit_CsPbI3_XX.toml) with bounds widened to let strong second neighbours be absorbed.
DEFAULT_FREE: dict[str, tuple[float, float]] = {
    "onsite.Pb.s": (-10.0, -2.0),
    "onsite.Pb.p": (2.0, 9.0),
    "onsite.X.p": (-6.0, 0.0),
    "spin_orbit.Pb.p": (0.3, 0.9),
    "hopping.Pb-X.sPb_pX_sigma": (0.3, 3.5),
    "hopping.Pb-X.pPb_pX_sigma": (-4.0, -0.8),
    "hopping.Pb-X.pPb_pX_pi": (-1.5, 1.5),
}
#: Bulk targets (value: the base set's own): gaps and Δ within 5 meV, masses within 2 %.
DEFAULT_TARGETS: dict[str, dict[str, float]] = {
    "Eg": {"tolerance": 0.005}, "Eg_M": {"tolerance": 0.005}, "Delta": {"tolerance": 0.005},
    "m_e": {"tolerance_rel": 0.02}, "m_h": {"tolerance_rel": 0.02},
}


@dataclass(frozen=True)
class FamilyMember:
    """One strength of the family: its refit (or the reason it failed) and its bulk results."""

    strength: float                     # eV, X–X ppσ for the default ratios
    hopping: dict[str, float]           # X–X integrals held fixed in the refit (eV)
    name: str
    result: RefitResult | None = None
    bulk: BulkTB | None = None
    error: str | None = None
    attempt: RefitResult | None = None  # a failed fit's end point (residuals, values), never used as a set
    at_bound: tuple[str, ...] = ()      # free parameters that ended on a bound

    @property
    def ok(self) -> bool:
        """True if the refit of this strength succeeded."""
        return self.result is not None

    @property
    def params(self) -> TBParameters:
        """The refitted parameter set (raises RefitError if the refit failed)."""
        if self.result is None:
            raise RefitError(f"{self.name}: no parameter set, the refit failed: {self.error}")
        return self.result.params

    def row(self) -> dict[str, object]:
        """Flat table row: strength, status, bulk observables and g, residuals/tol, fitted values."""
        row: dict[str, object] = {"strength_eV": self.strength, "name": self.name,
                                  "refit": "ok" if self.ok else "failed",
                                  **{f"XX_{k}": v for k, v in self.hopping.items()}}
        b = self.bulk
        for key in ("Eg", "Eg_M", "Delta", "m_e", "m_h", "g_e", "g_h", "g_X"):
            row[key] = getattr(b, key) if b is not None else np.nan
        fit = self.result or self.attempt
        if fit is not None:
            row.update({f"res_{k}": t["residual"] for k, t in fit.targets.items()})
            row.update({p: c["fitted"] for p, c in fit.changes.items()})
        row["at_bound"] = " ".join(self.at_bound)
        row["error"] = "" if self.error is None else self.error.splitlines()[0]
        return row


def shell_orbitals(ratios: Mapping[str, float]) -> tuple[str, ...]:
    """Orbital shells on X that the X–X integrals named in ``ratios`` couple ('p_p_pi' → ('p',))."""
    shells = {o for key in ratios for o in key.rsplit("_", 1)[0].split("_")}
    return tuple(o for o in ("s", "p", "d", "sstar") if o in shells)


def second_neighbour_hopping(strength: float, ratios: Mapping[str, float]) -> dict[str, float]:
    """X–X integrals (eV) for strength ``s``: ratios × s, all other integrals of the shell zero."""
    keys = required_integrals(SHELL, (shell_orbitals(ratios),) * 2)
    unknown = sorted(set(ratios) - set(keys))
    if unknown:
        raise RefitError(f"unknown X-X integral(s) {', '.join(unknown)}; known: {', '.join(keys)}")
    return {k: float(strength * ratios.get(k, 0.0)) + 0.0 for k in keys}


def member_name(base: str, strength: float) -> str:
    """Name of a family member, e.g. 'CsPbI3-N21-exp-XX+0.30'."""
    return f"{base}-XX{strength:+.2f}"


def second_neighbour_section(base: str, strength: float, *, ratios: Mapping[str, float],
                             free: Mapping[str, tuple[float, float]] = DEFAULT_FREE,
                             targets: Mapping[str, Mapping[str, float]] = DEFAULT_TARGETS,
                             regularization: float = 1e-3) -> RefitSection:
    """The refit config of one member: X–X shell enabled and fixed at ``strength``, base targets."""
    hopping = second_neighbour_hopping(strength, ratios)
    text = ", ".join(f"{k} = {v:+.4f} eV" for k, v in hopping.items() if v)
    # Strength 0 is the base set itself: no X–X shell (a shell of zero integrals would only leave
    # bonds out of the built NC, which its surface-atom bookkeeping then counts as missing).
    shell = {SHELL: list(shell_orbitals(ratios))} if text else {}
    return RefitSection(
        base=base, name=member_name(base, strength), enable_shells=shell,
        fixed={f"hopping.{SHELL}.{k}": v for k, v in hopping.items()} if text else {}, free=dict(free),
        targets={k: dict(v) for k, v in targets.items()}, regularization=regularization,
        description=(f"{base} plus X-X second-neighbour hopping (strength {strength:+.3f} eV: {text or 'all zero'}), "
                     f"refitted to the base set's bulk targets {', '.join(targets)}"))


def second_neighbour_family(base: str, strengths: Iterable[float], *, ratio: float = HARRISON_PP_RATIO,
                            extra: Mapping[str, float] | None = None,
                            free: Mapping[str, tuple[float, float]] = DEFAULT_FREE,
                            targets: Mapping[str, Mapping[str, float]] = DEFAULT_TARGETS,
                            regularization: float = 1e-3, continuation: bool = True,
                            progress: Callable[[str], None] | None = None) -> list[FamilyMember]:
    """Refit ``base`` with X–X ppσ = s, ppπ = ratio·s (plus ``extra`` integral → ratio to s) for
    each strength s (eV); members in the order of ``strengths``, failed refits recorded, not raised."""
    ratios = {"p_p_sigma": 1.0, "p_p_pi": ratio, **(extra or {})}
    base_params = load_tb_parameters(base)
    values = [float(s) for s in strengths]
    done: dict[float, FamilyMember] = {}
    for side in (1, -1):   # continue outwards from zero on each side
        previous: dict[str, float] | None = None
        for s in sorted((v for v in values if (v >= 0) == (side > 0)), key=abs):
            if s in done:
                continue
            section = second_neighbour_section(base, s, ratios=ratios, free=free, targets=targets,
                                               regularization=regularization)
            start = _clipped(previous, section.free) if continuation else None
            member = _refit_member(section, s, base_params, start)
            if member.ok:
                previous = {p: c["fitted"] for p, c in member.result.changes.items()}  # type: ignore[union-attr]
            done[s] = member
            if progress:
                progress(_summary(member))
    return [done[s] for s in values]


def _clipped(values: Mapping[str, float] | None, bounds: Mapping[str, tuple[float, float]]) -> dict[str, float] | None:
    if values is None:
        return None
    return {p: float(np.clip(v, *bounds[p])) for p, v in values.items() if p in bounds}


def _refit_member(section: RefitSection, strength: float, base: TBParameters,
                  start: Mapping[str, float] | None) -> FamilyMember:
    hopping = {k.rsplit(".", 1)[1]: v for k, v in section.fixed.items()} or {"p_p_sigma": 0.0, "p_p_pi": 0.0}
    try:
        result = run_refit(section, initial=start, base=base)
    except RefitError as exc:
        return FamilyMember(strength, hopping, section.name, error=str(exc), attempt=exc.result,
                            at_bound=exc.result.at_bound if exc.result else ())
    return FamilyMember(strength, hopping, section.name, result=result, bulk=bulk_tb(Crystal(result.params)),
                        at_bound=result.at_bound)


def _summary(m: FamilyMember) -> str:
    if not m.ok:
        return f"s = {m.strength:+.3f} eV: refit FAILED ({m.error.splitlines()[0] if m.error else ''})"
    worst = max(abs(t["residual"]) for t in m.result.targets.values())  # type: ignore[union-attr]
    return (f"s = {m.strength:+.3f} eV: g_e = {m.bulk.g_e:+.3f}, g_h = {m.bulk.g_h:+.3f}, "  # type: ignore[union-attr]
            f"max |residual|/tol = {worst:.2f}, {m.result.evaluations} evaluations")  # type: ignore[union-attr]
