"""Second-order (Löwdin/Roth) elimination: g-tensor and masses of a Kramers doublet, symbolically.

For a doublet A of H(0) the other eigenstates m are eliminated to second order in the kinetic
momentum K = k + (e/ħ)A:

    H_eff = E_A + Σ_αβ [W^αβ_AA + C^αβ] K_α K_β + μB Σ_γ B_γ Z^γ_AA,
    C^αβ = Σ_m V^α_Am V^β_mA / (E_A − E_m),   V^α = ∂H/∂k_α,  W^αβ = ½ ∂²H/∂k_α∂k_β.

The product K_α K_β is split into ½{K_α, K_β} (the dispersion, hence the masses) and
½[K_α, K_β], which the derived commutator [K_α, K_β] = −i(e/ħ) ε_αβγ B_γ turns into the orbital
Zeeman term (the Roth formula). The g-tensor is read off in the J-convention: ⇑ along each axis
is the doublet state with positive projected total angular momentum.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from confinement.errors import PhysicsCheckError

from . import symbols as S
from .hamiltonian import PAULI, KPModel


@dataclass(frozen=True)
class DoubletTheory:
    """Second-order theory of one Kramers doublet.

    ``zeeman[γ]``: 2×2 Zeeman matrix (units of μB·B_γ) in the basis (⇑, ⇓) quantised along z.
    ``g_tensor``: 3×3 g-tensor g_γδ (field component γ, pseudospin δ) in the J-convention.
    ``g``: the isotropic g-factor (the tensor is checked to be g·1).
    ``inverse_mass``: 3×3 tensor m0/m of the electron dispersion E = E_A + (ħ²/2m0) k·(m0/m)·k.
    """

    energy: sp.Expr
    basis: sp.Matrix
    zeeman: tuple[sp.Matrix, sp.Matrix, sp.Matrix]
    g_tensor: sp.Matrix
    g: sp.Expr
    inverse_mass: sp.Matrix
    inverse_mass_isotropic: sp.Expr


def _hermitian_gram_schmidt(vectors: list[sp.Matrix]) -> list[sp.Matrix]:
    out: list[sp.Matrix] = []
    for v in vectors:
        w = v - sum(((u.H * v)[0] * u for u in out), sp.zeros(*v.shape))
        norm = sp.sqrt(sp.simplify((w.H * w)[0]))
        out.append(sp.simplify(w / norm))
    return out


def _eigenspaces(h0: sp.Matrix) -> list[tuple[sp.Expr, sp.Matrix]]:
    """Eigenvalues of H(0) with orthonormal bases of their eigenspaces (columns)."""
    spaces = []
    for value, _, vectors in h0.eigenvects(simplify=True):
        spaces.append((sp.simplify(value), sp.Matrix.hstack(*_hermitian_gram_schmidt(vectors))))
    return spaces


def _is_zero(expr: sp.Expr) -> bool:
    return sp.simplify(expr) == 0


def _j_convention_basis(u: sp.Matrix, model: KPModel) -> tuple[sp.Matrix, list[int]]:
    """Rotate the doublet basis to (⇑, ⇓) along z and fix the phase so that ⟨⇑|J_x|⇓⟩ > 0.

    Returns the rotated basis and the signs s_δ with projected J_δ = c_δ s_δ τ_δ, c_δ > 0.
    """
    jz = sp.simplify(u.H * model.angular_momentum[2] * u)
    vals = jz.eigenvects(simplify=True)
    pairs = sorted(((v, vecs[0]) for v, _, vecs in vals), key=lambda t: -t[0])
    if len(vals) != 2 or pairs[0][0] <= 0:
        raise PhysicsCheckError("projected J_z does not split the doublet: the J-convention is undefined")
    rot = sp.Matrix.hstack(*_hermitian_gram_schmidt([pairs[0][1], pairs[1][1]]))
    u = sp.Matrix(sp.simplify(u * rot))
    t = sp.simplify((u[:, 0].H * model.angular_momentum[0] * u[:, 1])[0])
    if not _is_zero(t):
        u[:, 1] = sp.simplify(u[:, 1] * sp.conjugate(t) / sp.Abs(t))
    signs = []
    for d in range(3):
        jd = sp.simplify(u.H * model.angular_momentum[d] * u)
        comps = [sp.simplify((jd * PAULI[e]).trace() / 2) for e in range(3)]
        if any(not _is_zero(comps[e]) for e in range(3) if e != d) or _is_zero(comps[d]):
            raise PhysicsCheckError(f"projected J_{S.AXES[d]} is not proportional to the pseudospin τ_{S.AXES[d]}")
        if comps[d].free_symbols:
            raise NotImplementedError("doublet eigenvectors depend on parameters: sign of J undetermined")
        signs.append(1 if comps[d] > 0 else -1)
    return u, signs


def second_order_doublet(model: KPModel, energy: sp.Expr) -> DoubletTheory:
    """g-tensor and inverse-mass tensor of the Kramers doublet of ``model`` at energy ``energy``.

    ``energy`` must equal (symbolically) one eigenvalue of H(k=0), e.g. ``Eg`` for the perovskite
    conduction-band edge. The result is exact to second order in K and first order in B.
    """
    return _second_order_doublet(model, sp.sympify(energy))


@lru_cache(maxsize=32)
def _second_order_doublet(model: KPModel, energy: sp.Expr) -> DoubletTheory:
    coeff = model.coefficients
    spaces = _eigenspaces(coeff[()])
    chosen = [i for i, (value, _) in enumerate(spaces) if _is_zero(value - energy)]
    if len(chosen) != 1:
        raise PhysicsCheckError(f"{model.name}: no unique eigenspace of H(0) at energy {energy}")
    e_a, u_a = spaces[chosen[0]]
    if u_a.shape[1] != 2:
        raise PhysicsCheckError(f"{model.name}: the level at {energy} is {u_a.shape[1]}-fold, not a doublet")
    u_a, signs = _j_convention_basis(u_a, model)

    n = model.dimension
    resolvent = sp.zeros(n, n)
    for i, (value, u_m) in enumerate(spaces):
        if i != chosen[0]:
            resolvent += u_m * u_m.H / (e_a - value)

    def project(m: sp.Matrix) -> sp.Matrix:
        return sp.simplify(u_a.H * m * u_a)

    for a in range(3):
        if project(coeff[(a,)]) != sp.zeros(2, 2):
            raise NotImplementedError(f"{model.name}: k-linear terms inside the doublet are not supported")
    c = {(a, b): u_a.H * coeff[(a,)] * resolvent * coeff[(b,)] * u_a for a in range(3) for b in range(3)}

    # Orbital Zeeman from the antisymmetric part: Σ_αβ C^αβ [K_α, K_β]/2, divided by μB.
    mu_b = S.e_over_hbar * S.hbar2_over_m0 / 2
    orbital_b = sum((c[(a, b)] * S.kinetic_commutator(a, b) / 2 for a in range(3) for b in range(3)),
                    sp.zeros(2, 2))
    zeeman = tuple(
        sp.simplify(sp.expand(orbital_b).diff(S.B[g]) / mu_b + project(model.zeeman[g])) for g in range(3)
    )
    g_tensor = sp.Matrix(3, 3, lambda g, d: sp.simplify(signs[d] * (zeeman[g] * PAULI[d]).trace()))
    g_iso = g_tensor[2, 2]
    if any(not _is_zero(g_tensor[i, j] - (g_iso if i == j else 0)) for i in range(3) for j in range(3)):
        raise PhysicsCheckError(f"{model.name}: g-tensor of the doublet at {energy} is not isotropic: {g_tensor}")

    inv_mass = sp.zeros(3, 3)
    for a in range(3):
        for b in range(3):
            t = project(coeff[(a, b)]) + sp.simplify((c[(a, b)] + c[(b, a)]) / 2)
            if not (_is_zero(t[0, 1]) and _is_zero(t[1, 0]) and _is_zero(t[0, 0] - t[1, 1])):
                raise PhysicsCheckError(f"{model.name}: dispersion of the doublet is spin-split at order k²")
            inv_mass[a, b] = sp.simplify(t[0, 0] / (S.hbar2_over_m0 / 2))
    m_iso = inv_mass[0, 0]
    if any(not _is_zero(inv_mass[i, j] - (m_iso if i == j else 0)) for i in range(3) for j in range(3)):
        raise PhysicsCheckError(f"{model.name}: mass tensor of the doublet at {energy} is not isotropic")
    return DoubletTheory(energy=e_a, basis=u_a, zeeman=zeeman, g_tensor=g_tensor, g=g_iso,
                         inverse_mass=inv_mass, inverse_mass_isotropic=m_iso)
