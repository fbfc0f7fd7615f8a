"""g-tensors of Kramers doublets in the J-convention, from 2×2 Zeeman and angular-momentum matrices.

Convention (binding, ``docs/conventions.md``): for B along an axis n the g-factor is
g = [E(⇑) − E(⇓)]/(μB B), where ⇑ is the doublet state with positive projected total angular
momentum ⟨P J·n P⟩ > 0. With H_Z = μB Σ_γ B_γ M_γ on the doublet and the projected
J̃_δ = P J_δ P, both expanded on the Pauli matrices τ of any orthonormal doublet basis,

    M_γ = ½ Σ_δ m_γδ τ_δ,   J̃_δ = ½ Σ_ε j_δε τ_ε,   j = p·u (polar decomposition, p ≥ 0),

the pseudospin σ̃ = u·τ is aligned with J̃, and g = m·uᵀ. For a cubic doublet j ∝ u and the
definition reduces to the per-axis one above. Works on stacks (..., 3, 2, 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import polar

from .errors import PhysicsCheckError

#: Pauli matrices τ_x, τ_y, τ_z, shape (3, 2, 2).
PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)


@dataclass(frozen=True)
class GTensor:
    """A doublet's g-tensor (field index γ, pseudospin index δ), J-convention.

    ``tensor`` (3, 3); ``g`` = trace/3; ``anisotropy`` = max |g_γδ − g δ_γδ|;
    ``handedness`` = sign of det(u) (+1 for a pseudospin that is a proper SU(2) spin);
    ``j_polar`` = p of the projected angular momentum j = p·u (positive semi-definite, units of ħ;
    None if not known), which fixes the J-convention sign of g along any direction.

    Along a unit field direction n the doublet splits by μB B |gᵀn| (the Larmor frequency
    |gᵀn| μB B/ħ); the upper state's pseudospin points along gᵀn, and ⇑ (positive ⟨J·n⟩ = ½ nᵀp ĥ)
    is the upper state when nᵀ p gᵀ n > 0, so the signed g along n is |gᵀn|·sign(nᵀ p gᵀ n).
    """

    tensor: np.ndarray
    handedness: int
    j_polar: np.ndarray | None = None

    def larmor(self, directions: np.ndarray) -> np.ndarray:
        """|gᵀn| (dimensionless) for unit field directions ``directions`` (..., 3): the effective g of
        the Larmor precession, ω = |gᵀn| μB B/ħ. Vectorised."""
        return np.linalg.norm(np.asarray(directions, float) @ self.tensor, axis=-1)

    def along(self, directions: np.ndarray) -> np.ndarray:
        """Signed J-convention g = [E(⇑) − E(⇓)]/(μB B) along unit directions (..., 3) (class doc)."""
        n = np.asarray(directions, float)
        h = n @ self.tensor                                     # (gᵀn) for every direction
        p = np.eye(3) if self.j_polar is None else self.j_polar
        sign = np.sign(np.einsum("...i,ij,...j->...", n, p, h))
        return np.linalg.norm(h, axis=-1) * np.where(sign == 0, 1.0, sign)

    def principal(self) -> tuple[np.ndarray, np.ndarray]:
        """Principal values (3,) and axes (3, 3; row k = field direction of value k) of the tensor.

        From the singular value decomposition g = U S Vᵀ: a field along U_k splits the doublet by
        s_k μB B; the value carries the J-convention sign of g along U_k. Each axis is assigned to
        the crystal axis it is closest to (row k nearest x̂_k, its component there made positive), so
        a diagonal tensor (off-diagonal part of g gᵀ below 1e-12 of its norm) lists g_xx, g_yy, g_zz
        along the crystal axes even when values are degenerate; otherwise degenerate values get any
        orthonormal set of their subspace.
        """
        from scipy.optimize import linear_sum_assignment

        gram = self.tensor @ self.tensor.T
        if np.max(np.abs(gram - np.diag(np.diag(gram)))) <= 1e-12 * max(np.max(np.abs(gram)), 1e-300):
            return self.along(np.eye(3)), np.eye(3)               # diagonal: the crystal axes (also if degenerate)
        U, _, _ = np.linalg.svd(self.tensor)
        _, order = linear_sum_assignment(-np.abs(U))            # crystal axis k ← principal axis order[k]
        axes = U[:, order].T
        axes *= np.where(axes[np.arange(3), np.arange(3)] < 0, -1.0, 1.0)[:, None]
        return self.along(axes), axes

    def summary(self) -> dict:
        """JSON-ready principal form: ``principal_values`` (3,), ``principal_axes`` (3 rows),
        ``spread`` = max − min of the values (0 for an isotropic doublet), and the axial split:
        ``unique_axis`` (the axis whose value stands out from the other two), ``axial_splitting``
        = g_unique − mean(others), ``transverse_splitting`` = |difference of the other two|
        (0 for a tensor axially symmetric about ``unique_axis``)."""
        values, axes = self.principal()
        others = np.array([np.delete(values, k) for k in range(3)])
        k = int(np.argmax(np.abs(values - others.mean(axis=1)) - np.abs(others[:, 0] - others[:, 1])))
        return {"principal_values": values.tolist(), "principal_axes": axes.tolist(),
                "spread": float(values.max() - values.min()), "unique_axis": axes[k].tolist(),
                "axial_splitting": float(values[k] - others[k].mean()),
                "transverse_splitting": float(abs(others[k, 0] - others[k, 1]))}

    @property
    def g(self) -> float:
        """Isotropic g = trace/3 of the J-convention tensor (dimensionless)."""
        return float(np.trace(self.tensor) / 3)

    @property
    def anisotropy(self) -> float:
        """max |g_ij − g δ_ij| (dimensionless); 0 for a cubic NC."""
        return float(np.max(np.abs(self.tensor - self.g * np.eye(3))))

    @property
    def principal_values(self) -> np.ndarray:
        """Singular values of the tensor with the sign of its diagonal (for uniaxial checks)."""
        return np.linalg.svd(self.tensor, compute_uv=False) * np.sign(self.g or 1.0)


def pauli_components(ops: np.ndarray, *, atol: float = 1e-9) -> np.ndarray:
    """Real components c_δ = Tr(O τ_δ) of traceless Hermitian 2×2 operators O (..., 2, 2) → (..., 3).

    A trace or anti-Hermitian part larger than ``atol`` (relative to the norm) raises: a Kramers
    doublet's time-odd operators (Zeeman, J) are traceless and Hermitian.
    """
    ops = np.asarray(ops)
    scale = max(float(np.max(np.abs(ops))), 1.0)
    herm_err = np.max(np.abs(ops - np.conj(np.swapaxes(ops, -1, -2))))
    trace_err = np.max(np.abs(np.trace(ops, axis1=-2, axis2=-1)))
    if herm_err > atol * scale or trace_err > atol * scale:
        raise PhysicsCheckError(
            f"doublet operator is not traceless Hermitian (trace {trace_err:.2e}, anti-Hermitian "
            f"part {herm_err:.2e}): the two states are not a Kramers pair"
        )
    return np.real(np.einsum("...ij,dji->...d", ops, PAULI))


def g_tensor(zeeman: np.ndarray, angular_momentum: np.ndarray, *, atol: float = 1e-9) -> GTensor:
    """J-convention g-tensor from M_γ (3, 2, 2) [H_Z = μB Σ B_γ M_γ] and J̃_δ (3, 2, 2) [units of ħ]."""
    m = pauli_components(zeeman, atol=atol)
    j = pauli_components(angular_momentum, atol=atol)
    if np.linalg.matrix_rank(j, tol=1e-6 * max(np.max(np.abs(j)), 1e-300)) < 3:
        raise PhysicsCheckError(
            "projected angular momentum of the doublet is singular: the J-convention cannot fix ⇑/⇓ "
            "along every axis (not a Γ6/Γ7-like Kramers doublet)"
        )
    u, p = polar(j, side="left")
    return GTensor(tensor=m @ u.T, handedness=int(np.sign(np.linalg.det(u))), j_polar=p)


def project(op: np.ndarray, states: np.ndarray) -> np.ndarray:
    """⟨a|O|b⟩ for the columns of ``states`` (n, 2): (..., n, n) → (..., 2, 2)."""
    return states.conj().T @ op @ states
