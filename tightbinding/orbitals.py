"""Real atomic orbitals: labels, angular momenta, rotation matrices and spin operators.

Orbital shells and their real components (the order used everywhere):

    s: s     p: px py pz     d: dxy dyz dzx dx2-y2 d3z2-r2     sstar: s*

A spinful basis is orbital ⊗ spin (index = 2·orbital + spin, spin ↑ first). Angular momenta
are in units of ħ.
"""

from __future__ import annotations

from functools import cache

import numpy as np

#: Angular momentum ℓ of each orbital shell.
ELL = {"s": 0, "p": 1, "d": 2, "sstar": 0}
#: Component labels of each shell.
COMPONENTS = {
    "s": ("s",),
    "p": ("px", "py", "pz"),
    "d": ("dxy", "dyz", "dzx", "dx2-y2", "d3z2-r2"),
    "sstar": ("s*",),
}
#: Canonical order of shells on an atom.
SHELL_ORDER = ("s", "p", "d", "sstar")

#: Azimuthal character of each component in a frame whose z axis is the bond:
#: (|m|, 'c' for cos mφ / 's' for sin mφ). Two-centre integrals couple only equal labels.
AZIMUTHAL = {
    "s": (0, "c"), "s*": (0, "c"), "pz": (0, "c"), "d3z2-r2": (0, "c"),
    "px": (1, "c"), "dzx": (1, "c"), "py": (1, "s"), "dyz": (1, "s"),
    "dx2-y2": (2, "c"), "dxy": (2, "s"),
}
BOND_TYPES = ("sigma", "pi", "delta")

PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)

# Quadratic forms d(r) = rᵀ Q r of the real d orbitals, all normalised to Tr(Q²) = 1/2.
_S3 = np.sqrt(3.0)
_D_FORMS = np.array([
    [[0, 0.5, 0], [0.5, 0, 0], [0, 0, 0]],            # xy
    [[0, 0, 0], [0, 0, 0.5], [0, 0.5, 0]],            # yz
    [[0, 0, 0.5], [0, 0, 0], [0.5, 0, 0]],            # zx
    [[0.5, 0, 0], [0, -0.5, 0], [0, 0, 0]],           # x²−y²
    np.diag([-1.0, -1.0, 2.0]) / (2 * _S3),           # 3z²−r²
])


def shell_rotation(shell: str, rotation: np.ndarray) -> np.ndarray:
    """D(R) with O_R|μ⟩ = Σ_ν D_νμ |ν⟩ for the real components of ``shell`` (orthogonal matrix)."""
    ell = ELL[shell]
    if ell == 0:
        return np.ones((1, 1))
    if ell == 1:
        return np.asarray(rotation, dtype=float)
    rotated = np.einsum("ab,mbc,dc->mad", rotation, _D_FORMS, rotation)   # R Q_μ Rᵀ
    return 2.0 * np.einsum("nab,mba->nm", _D_FORMS, rotated)


def _so3_generator(axis: int) -> np.ndarray:
    """G with R_axis(θ) = exp(θ G): the infinitesimal rotation about ``axis``."""
    gen = np.zeros((3, 3))
    b, c = (axis + 1) % 3, (axis + 2) % 3
    gen[c, b], gen[b, c] = 1.0, -1.0
    return gen


@cache
def angular_momentum(shell: str) -> np.ndarray:
    """L_γ = i dD(R_γ(θ))/dθ|₀ (3, n, n) on the real components of ``shell`` (units of ħ)."""
    ell = ELL[shell]
    n = 2 * ell + 1
    mats = np.zeros((3, n, n), dtype=complex)
    for axis in range(3):
        g = _so3_generator(axis)
        if ell == 1:
            mats[axis] = 1j * g
        elif ell == 2:
            dq = np.einsum("ab,mbc->mac", g, _D_FORMS) - np.einsum("mab,bc->mac", _D_FORMS, g)
            mats[axis] = 2j * np.einsum("nab,mba->nm", _D_FORMS, dq)
    return mats


def spin_matrices() -> np.ndarray:
    """S_γ = σ_γ/2 (3, 2, 2), units of ħ."""
    return PAULI / 2
