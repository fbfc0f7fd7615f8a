"""Eight-band k·p nanocrystal: a sphere of radius R with infinite barriers, F = 1/2 doublets.

The model of :func:`kp.hamiltonian.perovskite_model` (evaluated at a :class:`KaneParameters` set)
is confined in a sphere of radius R = L/2 (nm): all eight envelope components vanish at r = R.
The ground Kramers doublets with total angular momentum F = 1/2 of the electron (lowest
conduction state) and of the hole (highest valence state, whose g is the valence-band *electron*
g in the J-convention) are solved in a spectral basis, and their g-factors are read off with
:func:`confinement.gfactor.g_tensor`.

Method
------
*Channels.* F = l + J_band with J_band = L + S (the Bloch angular momentum, ``model.angular_momentum``)
and l the envelope orbital momentum. An F = 1/2 state is a sum of six channels (band block, J, l):
odd ("electron") sector (S, l=1), (p J=1/2, l=0), (p J=3/2, l=2); even ("hole") sector (S, l=0),
(p J=1/2, l=1), (p J=3/2, l=1). The two sectors are not coupled by H or by B (parity). The
spin–angular vectors are built numerically in the space band(8) ⊗ Y_lm (l ≤ 2): each channel is
the F² = 3/4, F_z = +1/2 eigenvector inside {block, J} ⊗ {l}; its F_z = −1/2 partner is F₋ applied
to it, so both doublet members have identical coefficients. l ≤ 2 holds every F = 1/2 state
exactly, so this truncation is no approximation.

*Radial basis.* Each channel is expanded in u_{l,n}(x) ∝ j_l(z_{l,n} x), x = r/R, z_{l,n} the n-th
zero of j_l (orthonormal with weight x²), n = 1..N.

*Operators.* H(k) = H0 + Σ_a V_a k_a + Σ_ab W_ab k_a k_b (Taylor coefficients of the model;
W must be isotropic, W_ab = D δ_ab, as it is for the perovskite model). With k = −i∇:
- k² acts as z_{l,n}²/R² (diagonal);
- ∂_μ (f Y_lm) = U_μ (f' − l f/r) Y_{l+1} + D_μ (f' + (l+1) f/r) Y_{l−1} with
  U_μ = √((l+1)/(2l+3)) ⟨l m 1 μ|l+1 m+μ⟩ and D_μ = −√(l/(2l−1)) ⟨l m 1 μ|l−1 m+μ⟩ (checked
  against finite differences; the same coefficients give r̂_μ Y_lm = U_μ Y_{l+1} + D_μ Y_{l−1}).
Hence H(R) = H0 + H1/R + H2/R² with R-independent matrices, precomputed once per (parameters, N).

*Magnetic field.* k → k + (e/ħ)A, A = ½ B × r about the sphere centre, plus ``model.zeeman``.
To first order, with e/(2ħ) = μB/(ħ²/m0),
    δH = (e/ħ) Σ_a ½{V_a(k), A_a} + μB B·Z
       = μB B·[ (r × V⁰)/(ħ²/m0) + (2D/(ħ²/m0)) L_env + Z ],
because V_a(k) = V⁰_a + 2 D k_a, V⁰ commutes with r, and k·A = A·k (∇·A = 0) so that
D(k·A + A·k) = D B·(r × k) = D B·L_env. The r-term scales as R, the rest is R-independent.
The g-tensor uses the projected band angular momentum J = L + S (the brief's J-convention);
the projected total F = J + L_env is computed too and must give the same ⇑/⇓ (checked).

Energies are measured from the bulk valence-band top; E_transition = E_e − E_h, optionally with
the Coulomb shift −1.786 e²/(4π ε0 ε R). Energies eV, lengths nm.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from scipy.optimize import brentq
from scipy.special import spherical_jn
from sympy.physics.wigner import clebsch_gordan

from confinement.coulomb import COULOMB_SPHERE, coulomb_shift  # noqa: F401  (COULOMB_SPHERE re-exported)
from confinement.errors import PhysicsCheckError
from confinement.gfactor import g_tensor
from confinement.units import HBAR2_OVER_M0, MU_B

from .bulk import bulk_kp
from .finite_difference import SpuriousSolutionError, taylor_coefficients
from .parameters import KaneParameters

#: Default number of radial functions per channel (N = 15 → 60 changes g by < 1e-3 at L = 4–40 nm).
DEFAULT_N_RADIAL = 30

LMAX = 2
_LM = [(l, m) for l in range(LMAX + 1) for m in range(-l, l + 1)]
_LM_INDEX = {lm: i for i, lm in enumerate(_LM)}
N_LM = len(_LM)

#: Channels (band block, 2J, l) of the two parity sectors.
SECTORS = {
    "electron": (("S", 1, 1), ("p", 1, 0), ("p", 3, 2)),
    "hole": (("S", 1, 0), ("p", 1, 1), ("p", 3, 1)),
}
_BLOCK_STATES = {"S": (0, 1), "p": (2, 3, 4, 5, 6, 7)}
_LEVI = np.zeros((3, 3, 3))
for _a, _b, _c in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
    _LEVI[_a, _b, _c], _LEVI[_a, _c, _b] = 1.0, -1.0
#: Cartesian component a = Σ_μ C[a, μ] × spherical component μ (μ ordered −1, 0, +1).
_SPH_TO_CART = np.array([[1, 0, -1], [1j, 0, 1j], [0, np.sqrt(2), 0]]) / np.sqrt(2)


# --- angular algebra ---------------------------------------------------------------------------

def _envelope_angular_momentum() -> np.ndarray:
    """L_env (3, 9, 9) on the Y_lm basis (l ≤ 2, Condon–Shortley phases), units of ħ."""
    lz = np.diag([m for _, m in _LM]).astype(complex)
    lp = np.zeros((N_LM, N_LM), complex)
    for (l, m), i in _LM_INDEX.items():
        if m < l:
            lp[_LM_INDEX[(l, m + 1)], i] = np.sqrt(l * (l + 1) - m * (m + 1))
    lm_ = lp.conj().T
    return np.array([(lp + lm_) / 2, (lp - lm_) / 2j, lz])


@cache
def _gradient_coefficients() -> tuple[np.ndarray, np.ndarray]:
    """Cartesian angular matrices U_a, D_a (3, 9, 9): the l → l+1 and l → l−1 parts of ∂_a and r̂_a."""
    up = np.zeros((3, N_LM, N_LM), complex)   # spherical μ = −1, 0, +1
    dn = np.zeros((3, N_LM, N_LM), complex)
    for (l, m), i in _LM_INDEX.items():
        for k, mu in enumerate((-1, 0, 1)):
            if (l + 1, m + mu) in _LM_INDEX:
                c = float(clebsch_gordan(l, 1, l + 1, m, mu, m + mu))
                up[k, _LM_INDEX[(l + 1, m + mu)], i] = np.sqrt((l + 1) / (2 * l + 3)) * c
            if l > 0 and (l - 1, m + mu) in _LM_INDEX:
                c = float(clebsch_gordan(l, 1, l - 1, m, mu, m + mu))
                dn[k, _LM_INDEX[(l - 1, m + mu)], i] = -np.sqrt(l / (2 * l - 1)) * c
    return np.einsum("am,mij->aij", _SPH_TO_CART, up), np.einsum("am,mij->aij", _SPH_TO_CART, dn)


def _channel_vectors(jband: np.ndarray, lenv: np.ndarray, channels) -> tuple[np.ndarray, np.ndarray]:
    """Spin–angular vectors (n_ch, 72) for F_z = +1/2 and −1/2 of the given channels."""
    eye8, eye9 = np.eye(8), np.eye(N_LM)
    F = np.array([np.kron(jband[g], eye9) + np.kron(eye8, lenv[g]) for g in range(3)])
    F2 = sum(F[g] @ F[g] for g in range(3))
    Fminus = F[0] - 1j * F[1]
    j2 = sum(jband[g] @ jband[g] for g in range(3))
    plus, minus = [], []
    for block, twoJ, l in channels:
        idx = list(_BLOCK_STATES[block])
        w, v = np.linalg.eigh(j2[np.ix_(idx, idx)])
        J = twoJ / 2
        sel = np.abs(w - J * (J + 1)) < 1e-8
        band = np.zeros((8, int(sel.sum())), complex)
        band[idx, :] = v[:, sel]
        env = eye9[:, [i for (ll, _), i in _LM_INDEX.items() if ll == l]]
        Q = np.kron(band, env)
        op = Q.conj().T @ (F[2] + 10 * F2) @ Q
        w2, v2 = np.linalg.eigh(op)
        hit = np.abs(w2 - (0.5 + 7.5)) < 1e-8
        if hit.sum() != 1:
            raise PhysicsCheckError(f"channel {block} J={J} l={l}: {hit.sum()} F=1/2, F_z=+1/2 states")
        a = Q @ v2[:, hit][:, 0]
        k = np.argmax(np.abs(a))
        a = a * np.exp(-1j * np.angle(a[k]))
        b = Fminus @ a
        if abs(np.linalg.norm(b) - 1) > 1e-10:
            raise PhysicsCheckError("F₋ does not map the F_z = +1/2 channel onto a unit vector")
        plus.append(a)
        minus.append(b)
    return np.array(plus), np.array(minus)


# --- radial basis ------------------------------------------------------------------------------

@cache
def bessel_zeros(l: int, n: int) -> np.ndarray:
    """First n positive zeros of the spherical Bessel function j_l (interlacing with j_{l−1})."""
    if l == 0:
        return np.pi * np.arange(1, n + 1)
    prev = bessel_zeros(l - 1, n + 1)
    f = lambda x: spherical_jn(l, x)  # noqa: E731
    return np.array([brentq(f, prev[i], prev[i + 1], xtol=1e-14) for i in range(n)])


@dataclass(frozen=True)
class _Radial:
    """Radial matrices on x ∈ [0, 1] for the basis u_{l,n}(x) = j_l(z x)/norm, n = 1..N."""

    n: int
    zeros: dict            # l → (N,)
    overlap: dict          # (l, l') → ∫ x² u u'
    up: dict               # (l'+1, l') → ∫ x² u_l (u'_{l'}' − l' u_{l'}/x)
    down: dict             # (l'−1, l') → ∫ x² u_l (u'_{l'}' + (l'+1) u_{l'}/x)
    position: dict         # (l, l') → ∫ x³ u u'


@cache
def _radial(n: int) -> _Radial:
    nq = 8 * n + 120
    xg, wg = np.polynomial.legendre.leggauss(nq)
    x, w = (xg + 1) / 2, wg / 2
    u, du, zeros = {}, {}, {}
    for l in range(LMAX + 1):
        z = bessel_zeros(l, n)
        norm = np.sqrt(spherical_jn(l + 1, z) ** 2 / 2)
        zeros[l] = z
        u[l] = spherical_jn(l, np.outer(z, x)) / norm[:, None]
        du[l] = z[:, None] * spherical_jn(l, np.outer(z, x), derivative=True) / norm[:, None]
    overlap, up, down, position = {}, {}, {}, {}
    for l in range(LMAX + 1):
        for lp in range(LMAX + 1):
            overlap[(l, lp)] = (u[l] * w * x**2) @ u[lp].T
            position[(l, lp)] = (u[l] * w * x**3) @ u[lp].T
        if l + 1 <= LMAX:
            up[(l + 1, l)] = (u[l + 1] * w * x**2) @ (du[l] - l * u[l] / x).T
        if l >= 1:
            down[(l - 1, l)] = (u[l - 1] * w * x**2) @ (du[l] + (l + 1) * u[l] / x).T
    return _Radial(n=n, zeros=zeros, overlap=overlap, up=up, down=down, position=position)


# --- the confined Hamiltonian ------------------------------------------------------------------

#: Parts of the R-independent magnetic operator m0 = Σ m0_parts (units μB·B): the explicit spin
#: Zeeman g0·S, the remote-band Zeeman terms (Δg_e, Δg_h), and the envelope orbital moment
#: (2D/(ħ²/m0))·L_env split into its free-electron (the 1 in 1 + γ) and remote-mass (γ) parts.
M0_PARTS = ("spin", "zeeman_remote", "envelope_free", "envelope_remote")


@dataclass(frozen=True)
class SectorOperators:
    """R-independent matrices of one parity sector (3 channels × N radial functions).

    H(R) = h0 + h1/R + h2/R² (eV, R in nm). Magnetic operators in units of μB·B:
    M_γ^{σσ'}(R) = R·m1[σ,σ',γ] + m0[σ,σ',γ] with σ = 0 (F_z = +1/2), 1 (F_z = −1/2);
    m1 is the interband term (r × V⁰)/(ħ²/m0), m0 = Σ ``m0_parts`` (:data:`M0_PARTS`).
    ``velocity0``/``velocity1`` [σ,σ',a]: V_a(R) = ∂H/∂k_a = velocity0 + velocity1/R (eV·nm),
    used for the gauge-origin term −(r0 × V)/(ħ²/m0) of A = ½ B × (r − r0); V is odd under
    inversion, so inside one parity sector both vanish (tests/test_kp_mechanism.py checks it).
    ``jband``/``ftot`` [σ,σ',γ]: projected band J = L + S and total F = J + L_env (ħ).
    """

    name: str
    channels: tuple
    n: int
    h0: np.ndarray
    h1: np.ndarray
    h2: np.ndarray
    m1: np.ndarray
    m0: np.ndarray
    m0_parts: dict
    velocity0: np.ndarray
    velocity1: np.ndarray
    jband: np.ndarray
    ftot: np.ndarray

    def hamiltonian(self, radius: np.ndarray | float) -> np.ndarray:
        """H(R) = H0 + H1/R + H2/R² of the sector for radii R (nm), eV."""
        r = np.asarray(radius, dtype=float)[..., None, None]
        return self.h0 + self.h1 / r + self.h2 / r**2

    def origin_term(self, radius: float, gauge_origin) -> np.ndarray:
        """−(r0 × V(R))/(ħ²/m0) [σ,σ',γ] (units μB·B): the change of M when A = ½ B × (r − r0), r0 in nm."""
        r0 = np.asarray(gauge_origin, dtype=float)
        vel = self.velocity0 + self.velocity1 / float(radius)
        return -np.einsum("gca,c,staij->stgij", _LEVI, r0, vel) / HBAR2_OVER_M0

    def magnetic(self, radius: float, gauge_origin=None) -> np.ndarray:
        """M(R) [σ,σ',γ] (units μB·B) for A = ½ B × (r − r0); r0 = ``gauge_origin`` (nm, default the centre)."""
        m = float(radius) * self.m1 + self.m0
        return m if gauge_origin is None else m + self.origin_term(radius, gauge_origin)

    def channel_weights(self, vecs: np.ndarray) -> np.ndarray:
        """Weights (…, 3) of the channels in eigenvectors (…, 3N)."""
        p = np.abs(vecs) ** 2
        return p.reshape(*p.shape[:-1], len(self.channels), self.n).sum(-1)

    def channel_mask(self, index: int) -> np.ndarray:
        """(3N,) indicator of the radial functions of channel ``index``."""
        mask = np.zeros(len(self.channels) * self.n)
        mask[index * self.n:(index + 1) * self.n] = 1.0
        return mask


@dataclass(frozen=True)
class _BandOperators:
    """Numerical 8×8 band operators of a parameter set used by the sphere (k² coefficient D = W_aa)."""

    h0: np.ndarray
    v: np.ndarray
    d: np.ndarray
    d_free: np.ndarray
    zeeman: np.ndarray
    spin: np.ndarray
    jband: np.ndarray
    g0: float


def _numeric_coefficients(params: KaneParameters) -> _BandOperators:
    tc = taylor_coefficients(params)
    w = tc.w
    d = w[0, 0]
    for a in range(3):
        for b in range(3):
            if np.max(np.abs(w[a, b] - (d if a == b else 0))) > 1e-12:
                raise NotImplementedError("sphere solver: the k² terms must be isotropic (W_ab = D δ_ab)")
    if np.max(np.abs(d - np.diag(np.diag(d)))) > 1e-12:
        raise NotImplementedError("sphere solver: D (coefficient of k²) must be diagonal in the band basis")
    d_free = (HBAR2_OVER_M0 / 2 if params.free_electron else 0.0) * np.eye(8)
    return _BandOperators(h0=tc.h0, v=tc.v, d=d, d_free=d_free, zeeman=tc.zeeman, spin=tc.spin,
                          jband=tc.jband, g0=params.g0)


def _sector(name, channels, bands: _BandOperators, n: int) -> SectorOperators:
    v, d = bands.v, bands.d
    lenv = _envelope_angular_momentum()
    U, Dn = _gradient_coefficients()
    rhat = U + Dn
    rad = _radial(n)
    a_pm = _channel_vectors(bands.jband, lenv, channels)
    eye9, eyeN = np.eye(N_LM), np.eye(n)
    ls = [c[2] for c in channels]
    nch = len(channels)

    def elem(op72, s1=0, s2=0):
        return np.einsum("ci,ij,dj->cd", a_pm[s1].conj(), op72, a_pm[s2])

    def assemble(blocks):  # blocks[i][j] → (N, N) or None
        out = np.zeros((nch * n, nch * n), complex)
        for i in range(nch):
            for j in range(nch):
                if blocks[i][j] is not None:
                    out[i * n:(i + 1) * n, j * n:(j + 1) * n] = blocks[i][j]
        return out

    def same_l(coef):  # coefficient (nch, nch) × identity radial where l equal
        return assemble([[coef[i, j] * eyeN if ls[i] == ls[j] else None for j in range(nch)] for i in range(nch)])

    def gradient(band_ops, s1=0, s2=0):  # R · Σ_a X_a k_a, k = −i∇ (band matrices X_a, (3, 8, 8))
        cu = sum(elem(np.kron(band_ops[a], U[a]), s1, s2) for a in range(3))
        cd = sum(elem(np.kron(band_ops[a], Dn[a]), s1, s2) for a in range(3))
        blocks = [[None] * nch for _ in range(nch)]
        for i in range(nch):
            for j in range(nch):
                if ls[i] == ls[j] + 1:
                    blocks[i][j] = -1j * cu[i, j] * rad.up[(ls[i], ls[j])]
                elif ls[i] == ls[j] - 1:
                    blocks[i][j] = -1j * cd[i, j] * rad.down[(ls[i], ls[j])]
        return assemble(blocks)

    h0 = same_l(elem(np.kron(bands.h0, eye9)))
    dk = elem(np.kron(d, eye9))
    h2 = assemble([[dk[i, j] * np.diag(rad.zeros[ls[i]] ** 2) if ls[i] == ls[j] else None
                    for j in range(nch)] for i in range(nch)])
    h1 = gradient(v)

    spin = bands.g0 * bands.spin
    band_parts = {"spin": spin, "zeeman_remote": bands.zeeman - spin}
    envelope_parts = {"envelope_free": 2 * bands.d_free / HBAR2_OVER_M0,
                      "envelope_remote": 2 * (d - bands.d_free) / HBAR2_OVER_M0}
    shape = (2, 2, 3, nch * n, nch * n)
    m1 = np.zeros(shape, complex)
    m0_parts = {key: np.zeros(shape, complex) for key in M0_PARTS}
    velocity0, velocity1 = np.zeros(shape, complex), np.zeros(shape, complex)
    axis = np.eye(3)
    for s1 in range(2):
        for s2 in range(2):
            for g in range(3):
                # (r × V⁰)_γ / (ħ²/m0) = ε_γca r_c V_a / (ħ²/m0)
                op = sum(_LEVI[g, c, a] * np.kron(v[a], rhat[c]) for c in range(3) for a in range(3)
                         if _LEVI[g, c, a]) / HBAR2_OVER_M0
                coef = elem(op, s1, s2)
                m1[s1, s2, g] = assemble([[coef[i, j] * rad.position[(ls[i], ls[j])]
                                           if abs(ls[i] - ls[j]) == 1 else None
                                           for j in range(nch)] for i in range(nch)])
                for key, b in band_parts.items():
                    m0_parts[key][s1, s2, g] = same_l(elem(np.kron(b[g], eye9), s1, s2))
                for key, b in envelope_parts.items():
                    m0_parts[key][s1, s2, g] = same_l(elem(np.kron(b, lenv[g]), s1, s2))
                # V_a = V⁰_a + 2D k_a
                velocity0[s1, s2, g] = same_l(elem(np.kron(v[g], eye9), s1, s2))
                velocity1[s1, s2, g] = gradient(2 * d * axis[g][:, None, None], s1, s2)
    m0 = sum(m0_parts.values())
    # projected band J and total F (channel-resolved; F is channel-diagonal, J is not)
    jfull = np.array([[[same_l(elem(np.kron(bands.jband[g], eye9), s1, s2)) for g in range(3)]
                       for s2 in range(2)] for s1 in range(2)])
    ffull = np.array([[[same_l(elem(np.kron(bands.jband[g], eye9) + np.kron(np.eye(8), lenv[g]), s1, s2))
                        for g in range(3)] for s2 in range(2)] for s1 in range(2)])
    for name_, m in (("H0", h0), ("H1", h1), ("H2", h2)):
        if np.max(np.abs(m - m.conj().T)) > 1e-9 * max(1.0, np.max(np.abs(m))):
            raise PhysicsCheckError(f"sphere sector {name}: {name_} is not Hermitian")
    return SectorOperators(name=name, channels=channels, n=n, h0=h0, h1=h1, h2=h2, m1=m1, m0=m0,
                           m0_parts=m0_parts, velocity0=velocity0, velocity1=velocity1,
                           jband=jfull, ftot=ffull)


@lru_cache(maxsize=32)
def sphere_operators(params: KaneParameters, n_radial: int = DEFAULT_N_RADIAL) -> dict[str, SectorOperators]:
    """Precomputed sector matrices {'electron', 'hole'} for ``params`` and N radial functions per channel.

    Raises :class:`~kp.finite_difference.SpuriousSolutionError` if a bulk band of ``params`` enters
    the gap at large k (:func:`bulk_gap_intrusion`; e.g. the bare model without remote masses):
    the hard-wall sphere would then host spurious in-gap states.
    """
    scan = bulk_gap_intrusion(params)
    if scan["n_in_gap"]:
        raise SpuriousSolutionError(
            f"the bulk k·p bands of {params.label!r} enter the gap (valence maximum {scan['valence_max']:.3g} eV "
            f"within k ≤ {scan['k_max']:g}/nm): confined states would be spurious; use remote-band mass terms "
            "(gamma_v, gamma_c) that keep the bands out of the gap")
    bands = _numeric_coefficients(params)
    return {name: _sector(name, ch, bands, n_radial) for name, ch in SECTORS.items()}


# --- solving -----------------------------------------------------------------------------------

def _radii(diameters_nm) -> np.ndarray:
    d = np.atleast_1d(np.asarray(diameters_nm, dtype=float))
    if np.any(~np.isfinite(d)) or np.any(d <= 0):
        raise ValueError("nanocrystal diameters must be finite and positive (nm)")
    return d / 2


def _solve(op: SectorOperators, radii: np.ndarray, Eg: float, band: str, vectors: bool, chunk: int = 256):
    """Selected level (lowest above Eg/2 for 'c', highest below for 'v') per radius."""
    energies, vecs, all_vals = [], [], []
    for s in range(0, len(radii), chunk):
        h = op.hamiltonian(radii[s:s + chunk])
        if vectors:
            w, v = np.linalg.eigh(h)
        else:
            w, v = np.linalg.eigvalsh(h), None
        mid = Eg / 2
        if band == "c":
            idx = np.argmax(w > mid, axis=-1)
        else:
            idx = np.sum(w < mid, axis=-1) - 1
        energies.append(np.take_along_axis(w, idx[:, None], -1)[:, 0])
        all_vals.append(w)
        if vectors:
            vecs.append(np.take_along_axis(v, idx[:, None, None], -1)[..., 0])
    return (np.concatenate(energies), np.concatenate(vecs) if vectors else None,
            np.concatenate(all_vals))


def _coulomb(radii: np.ndarray, epsilon: float | None) -> np.ndarray:
    return np.asarray(coulomb_shift("sphere", 2 * radii, epsilon), dtype=float) * np.ones_like(radii)


def sphere_levels(params: KaneParameters, diameters_nm, *, n_radial: int = DEFAULT_N_RADIAL,
                  epsilon: float | None = None) -> dict[str, np.ndarray]:
    """Fast energy-only path: E_e, E_h (eV from the bulk VBM), E_transition, per diameter (nm).

    ``epsilon``: if given, E_transition includes the Coulomb shift −1.786 e²/(4π ε0 ε R).
    ``n_in_gap``: number of F = 1/2 levels (both sectors) strictly inside the bulk gap (0, Eg).
    """
    radii = _radii(diameters_nm)
    ops = sphere_operators(params, n_radial)
    e_e, _, we = _solve(ops["electron"], radii, params.Eg, "c", False)
    e_h, _, wh = _solve(ops["hole"], radii, params.Eg, "v", False)
    tol = 1e-9
    in_gap = (np.sum((we > tol) & (we < params.Eg - tol), -1) + np.sum((wh > tol) & (wh < params.Eg - tol), -1))
    return {"diameter": 2 * radii, "E_e": e_e, "E_h": e_h,
            "E_transition": e_e - e_h + _coulomb(radii, epsilon), "n_in_gap": in_gap}


def project_doublets(vecs: np.ndarray, mat: np.ndarray, right: np.ndarray | None = None) -> np.ndarray:
    """⟨σ|O|σ'⟩ (n, 3, 2, 2) of sector operators ``mat`` [σ,σ',γ] (2, 2, 3, M, M) in doublets ``vecs`` (n, M).

    Both members of a doublet share the radial-channel coefficients c, so ⟨σ|O|σ'⟩ = c† O^{σσ'} c;
    ``right`` (n, M) replaces c on the right (for channel-resolved pieces).
    """
    right = vecs if right is None else right
    return np.einsum("ni,stgij,nj->ngst", vecs.conj(), mat, right, optimize=True)


def _doublet_matrices(op: SectorOperators, vecs: np.ndarray, radii: np.ndarray, gauge_origin=None):
    """Zeeman (n, 3, 2, 2) [units μB], band J and total F (n, 3, 2, 2) [ħ] of the doublets."""
    r = radii[:, None, None, None]
    zee = project_doublets(vecs, op.m1) * r + project_doublets(vecs, op.m0)
    if gauge_origin is not None:
        vel = project_doublets(vecs, op.velocity0) + project_doublets(vecs, op.velocity1) / r   # V_a (n, 3, 2, 2)
        zee = zee - np.einsum("gca,c,nast->ngst", _LEVI, np.asarray(gauge_origin, float), vel) / HBAR2_OVER_M0
    return zee, project_doublets(vecs, op.jband), project_doublets(vecs, op.ftot)


@dataclass(frozen=True)
class SectorStates:
    """Ground doublets of one sector per radius: ``energies`` (n,) eV, channel coefficients ``vectors`` (n, 3N)."""

    operators: SectorOperators
    radii: np.ndarray
    energies: np.ndarray
    vectors: np.ndarray


#: (key, band selector, sector) of the electron and hole ground doublets.
CARRIERS = (("e", "c", "electron"), ("h", "v", "hole"))


def sphere_doublets(params: KaneParameters, diameters_nm, *,
                    n_radial: int = DEFAULT_N_RADIAL) -> dict[str, SectorStates]:
    """The electron (lowest conduction) and hole (highest valence) F = 1/2 doublets, keyed by sector name."""
    radii = _radii(diameters_nm)
    ops = sphere_operators(params, n_radial)
    out = {}
    for _, band, sector in CARRIERS:
        energy, vecs, _ = _solve(ops[sector], radii, params.Eg, band, True)
        out[sector] = SectorStates(ops[sector], radii, energy, vecs)
    return out


def sphere_gfactors(params: KaneParameters, diameters_nm, *, n_radial: int = DEFAULT_N_RADIAL,
                    epsilon: float | None = None, check_isotropy: bool = True,
                    gauge_origin=None) -> dict[str, np.ndarray]:
    """Energies and J-convention g-factors of the F = 1/2 ground doublets per diameter (nm).

    Returns arrays: diameter, E_e, E_h (eV from the bulk VBM), E_transition (E_e − E_h, plus the
    Coulomb shift if ``epsilon``), g_e, g_h, g_X = g_e + g_h, g_e_bulk_at_E, g_h_bulk_at_E (bulk
    k·p at Eg = E_transition), channel weights w_e, w_h (n, 3) in the order of ``SECTORS`` and
    the largest g-tensor anisotropy. g0 is the parameter set's g0. ``gauge_origin`` r0 (nm,
    3-vector; default the sphere centre) of the vector potential A = ½ B × (r − r0).
    """
    states = sphere_doublets(params, diameters_nm, n_radial=n_radial)
    radii = states["electron"].radii
    out: dict[str, np.ndarray] = {"diameter": 2 * radii}
    for key, _, sector in CARRIERS:
        st = states[sector]
        zee, jb, ft = _doublet_matrices(st.operators, st.vectors, radii, gauge_origin)
        g = np.empty(len(radii))
        aniso = 0.0
        for i in range(len(radii)):
            t = g_tensor(zee[i], jb[i])
            # the projected total F = J + L_env must fix the same ⇑/⇓ as the band J
            tf = g_tensor(zee[i], ft[i])
            if abs(t.g - tf.g) > 1e-8 * max(1.0, abs(t.g)):
                raise PhysicsCheckError(f"{sector} doublet at R = {radii[i]} nm: band-J and total-F "
                                        "conventions disagree on the sign of g")
            g[i] = t.g
            aniso = max(aniso, t.anisotropy)
        if check_isotropy and aniso > 1e-6:
            raise PhysicsCheckError(f"{sector} g-tensor of a spherical NC is anisotropic ({aniso:.2e})")
        out[f"E_{key}"] = st.energies
        out[f"g_{key}"] = g
        out[f"w_{key}"] = st.operators.channel_weights(st.vectors)
        out[f"anisotropy_{key}"] = np.full(len(radii), aniso)
    out["E_transition"] = out["E_e"] - out["E_h"] + _coulomb(radii, epsilon)
    out["g_X"] = out["g_e"] + out["g_h"]
    bulk = bulk_kp(params, eg=out["E_transition"])
    out["g_e_bulk_at_E"] = np.atleast_1d(bulk.g_e)
    out["g_h_bulk_at_E"] = np.atleast_1d(bulk.g_h)
    return out


def sphere_finite_field(params: KaneParameters, diameter_nm: float, field_T, *, carrier: str = "electron",
                        n_radial: int = DEFAULT_N_RADIAL, gauge_origin=None) -> float:
    """E(⇑) − E(⇓) in eV of the ground doublet at a finite field ``field_T`` (3-vector, T).

    Diagonalises H(R) + μB B·M (linear in B, in the F = 1/2 space of both F_z) and labels the two
    lowest-lying (electron) / highest (hole) doublet states by the sign of ⟨J·n⟩ (J-convention).
    ``gauge_origin``: r0 (nm) of A = ½ B × (r − r0), default the centre.
    """
    sector = {"electron": "electron", "hole": "hole"}[carrier]
    op = sphere_operators(params, n_radial)[sector]
    R = float(_radii(diameter_nm)[0])
    B = np.asarray(field_T, dtype=float)
    nB = B / np.linalg.norm(B)
    h = op.hamiltonian(R)
    M = op.magnetic(R, gauge_origin)  # (2, 2, 3, M, M)
    size = h.shape[0]
    full = np.zeros((2 * size, 2 * size), complex)
    Jn = np.zeros_like(full)
    for s1 in range(2):
        for s2 in range(2):
            blk = MU_B * np.einsum("g,gij->ij", B, M[s1, s2])
            if s1 == s2:
                blk = blk + h
            full[s1 * size:(s1 + 1) * size, s2 * size:(s2 + 1) * size] = blk
            Jn[s1 * size:(s1 + 1) * size, s2 * size:(s2 + 1) * size] = np.einsum("g,gij->ij", nB, op.jband[s1, s2])
    w, v = np.linalg.eigh(full)
    mid = params.Eg / 2
    if carrier == "electron":
        i0 = int(np.argmax(w > mid))
        pair = [i0, i0 + 1]
    else:
        i0 = int(np.sum(w < mid)) - 1
        pair = [i0 - 1, i0]
    vs = v[:, pair]
    jproj = vs.conj().T @ Jn @ vs
    # rotate the (nearly) degenerate pair into eigenstates of the full H (they already are) and label
    jd = np.real(np.diag(jproj))
    up, down = (pair[0], pair[1]) if jd[0] > jd[1] else (pair[1], pair[0])
    return float(w[up] - w[down])


# --- spurious-solution checks ------------------------------------------------------------------

def bulk_gap_intrusion(params: KaneParameters, k_max: float = 100.0, n_k: int = 2001) -> dict[str, float]:
    """Scan the bulk 8×8 H(k) along [100], [110], [111] up to ``k_max`` (1/nm).

    Returns the highest valence-like energy (the 2 lowest bands) and the lowest conduction-like
    energy (the 6 upper bands) found, and the number of (k, band) samples inside (0, Eg).
    A band entering the gap at large k would host spurious confined states.
    """
    bands = _numeric_coefficients(params)
    h0, v, d = bands.h0, bands.v, bands.d
    ks = np.linspace(0, k_max, n_k)
    vmax, cmin, n_in = -np.inf, np.inf, 0
    for direction in ((1, 0, 0), (1, 1, 0), (1, 1, 1)):
        n = np.asarray(direction, float) / np.linalg.norm(direction)
        vn = np.einsum("a,aij->ij", n, v)
        h = h0 + ks[:, None, None] * vn + (ks**2)[:, None, None] * d
        w = np.linalg.eigvalsh(h)
        vmax = max(vmax, float(w[:, :2].max()))
        cmin = min(cmin, float(w[:, 2:].min()))
        n_in += int(np.sum((w > 1e-9) & (w < params.Eg - 1e-9)))
    return {"valence_max": vmax, "conduction_min": cmin, "n_in_gap": n_in, "k_max": k_max}
