"""Finite-difference discretisation of a k·p model on a simple-cubic grid (kwant.continuum style).

The Hamiltonian H(k) = H0 + Σ_a V_a k_a + Σ_ab W_ab k_a k_b is read from the Taylor coefficients of
the symbolic :class:`kp.hamiltonian.KPModel` (``model.coefficients``, evaluated at a
:class:`KaneParameters` set) and discretised on a grid of spacing h (nm) with k = −i∇ and
second-order central differences:

    k_a f      → −i [f(r + h â) − f(r − h â)] / 2h
    k_a² f     → −[f(r + h â) − 2 f(r) + f(r − h â)] / h²
    k_a k_b f  → −[f(r+â+b̂) − f(r+â−b̂) − f(r−â+b̂) + f(r−â−b̂)] / 4h²   (a ≠ b, symmetrised)

i.e. hoppings H[r, r + h â] = −i V_a/2h − W_aa/h² (and on-site H0 + Σ_a 2W_aa/h², diagonal
hoppings ∓(W_ab + W_ba)/4h² where W_ab ≠ 0). Each hopping's reverse is its Hermitian conjugate,
so H is Hermitian because V_a and W_ab are. The Bloch form of the grid (the "bulk spectrum of the
discretisation") is

    H_h(k) = H0 + Σ_a [V_a sin(k_a h)/h + 2 W_aa (1 − cos k_a h)/h²] + Σ_{a<b} (W_ab + W_ba) sin k_a h sin k_b h / h².

*Spurious solutions.* Central differences of the linear P·k terms give sin(k h)/h, which vanishes
again at the zone boundary k_a = π/h: the doubled modes there are pure band states shifted by the
diagonal terms 4 W_aa/h². They stay out of the gap exactly when the diagonal (free-electron plus
remote) curvature of every band points away from the gap — conduction (p) block W > 0, valence
(s) block W < 0 — and the continuum bands do not enter the gap either. For the CsPbI3 sets of
:func:`kp.materials.material_parameters` (γ_c = +2.50, γ_v = −2.88: diagonal curvatures +3.50 and
−1.88 in ħ²/2m0) both hold, so the plain central scheme is consistent and needs no Wilson term; a
parameter set that violates it (e.g. γ_v = 0, whose free-electron term bends the s band up into the
gap) is refused by :func:`check_no_gap_intrusion`, which scans H_h(k) over the whole Brillouin
zone of the grid before any nanocrystal is built.

The grid model is expressed as a pybinding ``Lattice`` (one site of 8 orbitals, complex double
precision) so that finite systems go through :func:`confinement.system.build_finite_system`.
Energies eV, lengths nm, k in 1/nm.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pybinding as pb
import sympy as sp

from confinement.errors import ParameterError, PhysicsCheckError
from confinement.symmetry import C4Z, spinful_rotation_block

from . import symbols as S
from .hamiltonian import perovskite_model
from .parameters import KaneParameters

#: Name of the single grid sublattice.
SITE = "kp"
#: Inversion parity of the basis S↑ S↓ X↑ X↓ Y↑ Y↓ Z↑ Z↓ (s-like even, p-like odd; R6+ / R6−, R8−).
ORBITAL_PARITY = np.array([1, 1, -1, -1, -1, -1, -1, -1], dtype=float)
#: On-site block of the rotation by +π/2 about z in that basis (S invariant, (X, Y, Z) rotated as a vector).
ORBITAL_C4Z = spinful_rotation_block(np.block([[np.ones((1, 1)), np.zeros((1, 3))], [np.zeros((3, 1)), C4Z]]),
                                     np.pi / 2)


class SpuriousSolutionError(PhysicsCheckError):
    """The discretised bulk spectrum enters the band gap: a confined calculation would host
    spurious in-gap states."""


@dataclass(frozen=True)
class TaylorCoefficients:
    """Numerical Taylor coefficients of H(k) and the magnetic operators of the model.

    ``h0`` (8, 8) eV; ``v`` (3, 8, 8) eV·nm; ``w`` (3, 3, 8, 8) eV·nm² (W_ab = ½∂²H/∂k_a∂k_b);
    ``zeeman`` (3, 8, 8) in μB·B units (explicit Zeeman terms incl. remote Δg); ``jband`` (3, 8, 8)
    J = L + S in units of ħ; ``spin`` (3, 8, 8) S in units of ħ (``zeeman`` − g0·``spin`` is the
    remote-band Zeeman part).
    """

    h0: np.ndarray
    v: np.ndarray
    w: np.ndarray
    zeeman: np.ndarray
    jband: np.ndarray
    spin: np.ndarray


@lru_cache(maxsize=64)
def taylor_coefficients(params: KaneParameters) -> TaylorCoefficients:
    """Evaluate the perovskite model's Taylor coefficients and magnetic operators at ``params``."""
    model = perovskite_model(free_electron=params.free_electron)
    values = {**S.CONSTANT_VALUES, **params.symbol_values()}
    subs = {p: values[p.name] for p in model.parameters}

    def num(m: sp.Matrix) -> np.ndarray:
        return np.array(m.subs(subs).evalf(), dtype=complex)

    c = model.coefficients
    return TaylorCoefficients(
        h0=num(c[()]),
        v=np.array([num(c[(a,)]) for a in range(3)]),
        w=np.array([[num(c[(a, b)]) for b in range(3)] for a in range(3)]),
        zeeman=np.array([num(z) for z in model.zeeman]),
        jband=np.array([num(j) for j in model.angular_momentum]),
        spin=np.array([num(x) for x in model.spin]),
    )


def grid_hoppings(tc: TaylorCoefficients, h: float) -> tuple[np.ndarray, dict[tuple[int, int, int], np.ndarray]]:
    """On-site block and hoppings {R: H[r, r + h R]} of the central-difference scheme (one per ±R pair)."""
    if not h > 0:
        raise ParameterError(f"grid spacing must be positive (nm), got {h}")
    eye = np.eye(3, dtype=int)
    onsite = tc.h0 + sum(2 * tc.w[a, a] for a in range(3)) / h**2
    hops: dict[tuple[int, int, int], np.ndarray] = {}
    for a in range(3):
        hops[tuple(eye[a])] = -0.5j * tc.v[a] / h - tc.w[a, a] / h**2
    for a in range(3):
        for b in range(a + 1, 3):
            c = tc.w[a, b] + tc.w[b, a]
            if np.max(np.abs(c)) > 0:
                hops[tuple(eye[a] + eye[b])] = -c / (4 * h**2)
                hops[tuple(eye[a] - eye[b])] = c / (4 * h**2)
    return onsite, hops


def bloch_hamiltonian(tc: TaylorCoefficients, h: float, k: np.ndarray) -> np.ndarray:
    """H_h(k) of the grid, (..., 8, 8) eV for wave vectors k (..., 3) in 1/nm (from the hoppings)."""
    onsite, hops = grid_hoppings(tc, h)
    k = np.asarray(k, dtype=float)
    out = np.broadcast_to(onsite, k.shape[:-1] + onsite.shape).astype(complex)
    for R, t in hops.items():
        phase = np.exp(1j * h * (k @ np.asarray(R, float)))[..., None, None]
        out = out + t * phase + t.conj().T * phase.conj()
    return out


def bulk_spectrum_bounds(params: KaneParameters, h: float, n_k: int = 25) -> dict[str, float]:
    """Scan H_h(k) over the Brillouin zone of the grid (k_a ∈ [0, π/h], cubic symmetry covers the rest).

    Returns the highest energy of the two valence-like bands, the lowest of the six conduction-like
    bands, the number of (k, band) samples inside (0, Eg), and the full spectral range (eV).
    """
    tc = taylor_coefficients(params)
    q = np.linspace(0.0, np.pi / h, n_k)
    k = np.stack(np.meshgrid(q, q, q, indexing="ij"), axis=-1).reshape(-1, 3)
    w = np.linalg.eigvalsh(bloch_hamiltonian(tc, h, k))
    tol = 1e-9
    return {"valence_max": float(w[:, :2].max()), "conduction_min": float(w[:, 2:].min()),
            "n_in_gap": int(np.sum((w > tol) & (w < params.Eg - tol))),
            "E_min": float(w.min()), "E_max": float(w.max()), "h": h, "n_k": n_k}


def check_no_gap_intrusion(params: KaneParameters, h: float, n_k: int = 25) -> dict[str, float]:
    """Raise :class:`SpuriousSolutionError` if any band of the grid's bulk spectrum enters (0, Eg)."""
    scan = bulk_spectrum_bounds(params, h, n_k)
    if scan["n_in_gap"] or scan["valence_max"] > 1e-9 or scan["conduction_min"] < params.Eg - 1e-9:
        raise SpuriousSolutionError(
            f"the finite-difference bulk spectrum at h = {h:.4g} nm enters the gap (0, {params.Eg:.4g}) eV: "
            f"valence max {scan['valence_max']:.4g} eV, conduction min {scan['conduction_min']:.4g} eV "
            f"({scan['n_in_gap']} samples inside). Spurious in-gap states would appear; change the remote "
            f"mass terms (γ_v < −1, γ_c > −1 keep the diagonal curvatures away from the gap) or the grid")
    return scan


def grid_lattice(params: KaneParameters, h: float) -> pb.Lattice:
    """The discretised model as a pybinding lattice: simple cubic, spacing ``h`` nm, 8 orbitals per site."""
    onsite, hops = grid_hoppings(taylor_coefficients(params), h)
    lat = pb.Lattice(a1=[h, 0, 0], a2=[0, h, 0], a3=[0, 0, h])
    lat.add_sublattices((SITE, [0.0, 0.0, 0.0], onsite))
    lat.add_hoppings(*[(list(R), SITE, SITE, t) for R, t in hops.items()])
    return lat
