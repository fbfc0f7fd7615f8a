"""Sympy symbols shared by the k·p models, and the kinetic-momentum commutator.

Conventions: k = −i∇ (1/nm); the magnetic field enters by minimal coupling for an electron
(charge −e), k → K = k + (e/ħ) A(r). The components of K do not commute:
[K_α, K_β] = −i (e/ħ) ε_αβγ B_γ. :func:`kinetic_commutator` derives this from A rather than
stating it, for any gauge supplied.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from confinement.units import E_OVER_HBAR, HBAR2_OVER_M0

#: Wave-vector components k = −i∇ (commuting symbols; products are read symmetrised).
k = sp.symbols("k_x k_y k_z", real=True)
#: Position components.
r = sp.symbols("x y z", real=True)
#: Vector-potential components A(r).
A = sp.symbols("A_x A_y A_z", real=True)
#: Magnetic-field components (T).
B = sp.symbols("B_x B_y B_z", real=True)
#: e/ħ in 1/(T·nm²).
e_over_hbar = sp.Symbol("e/hbar", positive=True)
#: ħ²/m0 in eV·nm².
hbar2_over_m0 = sp.Symbol("hbar^2/m_0", positive=True)

AXES = ("x", "y", "z")

#: Numerical values (internal units) of the constant symbols, used unless overridden.
CONSTANT_VALUES = {hbar2_over_m0.name: HBAR2_OVER_M0, e_over_hbar.name: E_OVER_HBAR}


def symmetric_gauge() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """A = ½ B × r, the symmetric gauge centred at the origin."""
    bx, by, bz = B
    x, y, z = r
    return (sp.Rational(1, 2) * (by * z - bz * y),
            sp.Rational(1, 2) * (bz * x - bx * z),
            sp.Rational(1, 2) * (bx * y - by * x))


def kinetic_commutator(alpha: int, beta: int, gauge: tuple[sp.Expr, ...] | None = None) -> sp.Expr:
    """[K_α, K_β] for K = −i∇ + (e/ħ)A(r), derived by acting on a test function.

    ``gauge`` is A(r) as three expressions in :data:`r` and :data:`B` (default: symmetric gauge).
    Returns an expression in :data:`B` and :data:`e_over_hbar`.
    """
    return _kinetic_commutator(alpha, beta, tuple(gauge) if gauge is not None else symmetric_gauge())


@cache
def _kinetic_commutator(alpha: int, beta: int, gauge: tuple[sp.Expr, ...]) -> sp.Expr:
    f = sp.Function("f")(*r)

    def kinetic(axis: int, g: sp.Expr) -> sp.Expr:
        return -sp.I * sp.diff(g, r[axis]) + e_over_hbar * gauge[axis] * g

    commutator = kinetic(alpha, kinetic(beta, f)) - kinetic(beta, kinetic(alpha, f))
    result = sp.simplify(sp.expand(commutator) / f)
    if result.has(f) or any(result.has(s) for s in r):
        raise ValueError("the supplied gauge does not describe a uniform magnetic field")
    return result
