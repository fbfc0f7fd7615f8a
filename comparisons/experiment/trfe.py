"""Helpers for time-resolved Faraday ellipticity/rotation (TRFE) data.

Formulas of S. R. Meliakov et al., Nanoscale 17, 6522 (2025):

- eqn (1) Larmor frequency  ω_L = |g| μB B / ħ;
- eqn (2) spin signal       A(t) = Σ_i S0_i cos(ω_i t + φ_i) exp(−t/T2*_i)  (φ_i = 0 in the paper);
- eqn (3) dephasing         1/T2*(B) = 1/T2*(0) + Δg μB B / ħ.

Units at the API: fields in T, times in ps, Larmor frequencies in rad/ns. μB is
``confinement.units.MU_B`` (eV/T), ħ comes from :mod:`scipy.constants`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import constants as _c
from scipy.optimize import OptimizeWarning, curve_fit
from scipy.signal import find_peaks

from confinement.errors import ParameterError
from confinement.units import MU_B

#: ħ in eV·s.
HBAR_EV_S: float = _c.hbar / _c.e
#: μB/ħ in rad/(ns·T) (≈ 87.94): ω_L = |g| · GAMMA_B · B.
GAMMA_B: float = MU_B / HBAR_EV_S * 1e-9


class FitError(ParameterError):
    """A fit did not converge or its covariance is undefined; the message says what to change."""


def _array(name: str, x: ArrayLike) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} must be finite numbers")
    return a


def _out(a: np.ndarray) -> float | np.ndarray:
    return float(a) if a.ndim == 0 else a


def _broadcast(**arrays: np.ndarray) -> None:
    try:
        np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise ParameterError(f"array shapes do not match: {shapes}") from None


def g_from_larmor(omega_rad_per_ns: ArrayLike, field_T: ArrayLike) -> float | np.ndarray:
    """|g| = ħ ω_L / (μB B) from a Larmor frequency (rad/ns) at field B (T, > 0). Vectorised."""
    w, b = _array("omega_rad_per_ns", omega_rad_per_ns), _array("field_T", field_T)
    _broadcast(omega_rad_per_ns=w, field_T=b)
    if np.any(b <= 0):
        raise ParameterError("field_T must be positive (g is undefined at B = 0)")
    if np.any(w < 0):
        raise ParameterError("omega_rad_per_ns must be non-negative (a Larmor frequency is |g| μB B/ħ)")
    return _out(w / (GAMMA_B * b))


def larmor_frequency(g: ArrayLike, field_T: ArrayLike) -> float | np.ndarray:
    """ω_L = |g| μB B / ħ in rad/ns for field B (T, ≥ 0). Vectorised."""
    ga, b = _array("g", g), _array("field_T", field_T)
    _broadcast(g=ga, field_T=b)
    if np.any(b < 0):
        raise ParameterError("field_T must be non-negative (give the field magnitude)")
    return _out(np.abs(ga) * GAMMA_B * b)


@dataclass(frozen=True)
class DephasingFit:
    """Result of :func:`delta_g_from_t2`: Δg (dimensionless), T2*(0) in ps, 1σ standard errors."""

    delta_g: float
    delta_g_err: float
    t2_0_ps: float
    t2_0_err_ps: float


def delta_g_from_t2(fields_T: ArrayLike, t2_ps: ArrayLike, t2_err_ps: ArrayLike | None = None) -> DephasingFit:
    """Fit eqn (3), 1/T2*(B) = 1/T2*(0) + Δg μB B/ħ, by linear least squares in 1/T2*.

    With ``t2_err_ps`` the fit is weighted (σ of 1/T2* = σ_T2/T2*²) and the errors are absolute;
    without, the errors are scaled by the residual variance (NaN for exactly two points).
    """
    b, t2 = _array("fields_T", fields_T), _array("t2_ps", t2_ps)
    if b.ndim != 1 or b.shape != t2.shape:
        raise ParameterError(f"fields_T {b.shape} and t2_ps {t2.shape} must be 1-D of equal length")
    if np.any(b < 0) or np.any(t2 <= 0):
        raise ParameterError("fields_T must be >= 0 and t2_ps > 0")
    if np.unique(b).size < 2:
        raise ParameterError("need T2* at two or more different fields")
    y = 1.0 / t2  # 1/ps
    if t2_err_ps is None:
        sigma = np.ones_like(y)
    else:
        s = _array("t2_err_ps", t2_err_ps)
        if s.shape != t2.shape or np.any(s <= 0):
            raise ParameterError("t2_err_ps must be positive and match t2_ps in length")
        sigma = s / t2**2
    design = np.column_stack([np.ones_like(b), b]) / sigma[:, None]
    coef, *_ = np.linalg.lstsq(design, y / sigma, rcond=None)
    cov = np.linalg.inv(design.T @ design)
    if t2_err_ps is None:
        dof = b.size - 2
        resid = y - coef[0] - coef[1] * b
        cov = cov * (resid @ resid / dof if dof > 0 else np.nan)
    rate0, slope = coef  # 1/ps, 1/(ps·T)
    if rate0 <= 0:
        raise ParameterError(f"fitted 1/T2*(0) = {rate0:.3g} 1/ps is not positive: the data do not "
                             "follow eqn (3) (drop low-field points or give t2_err_ps)")
    err0, err_slope = np.sqrt(np.diag(cov))
    per_dg = GAMMA_B * 1e-3  # μB/ħ in rad/(ps·T)
    return DephasingFit(delta_g=float(slope / per_dg), delta_g_err=float(err_slope / per_dg),
                        t2_0_ps=float(1 / rate0), t2_0_err_ps=float(err0 / rate0**2))


def trfe_signal(t_ps: ArrayLike, amplitude: ArrayLike, omega_rad_per_ns: ArrayLike, t2_ps: ArrayLike,
                phase_rad: ArrayLike = 0.0) -> np.ndarray:
    """Eqn (2): Σ_i S0_i cos(ω_i t + φ_i) exp(−t/T2*_i) at delays ``t_ps`` (component arrays broadcast)."""
    t = np.asarray(t_ps, dtype=float)[..., None]
    s, w, tau, phi = np.broadcast_arrays(*(np.atleast_1d(np.asarray(x, dtype=float))
                                           for x in (amplitude, omega_rad_per_ns, t2_ps, phase_rad)))
    return np.sum(s * np.cos(w * t * 1e-3 + phi) * np.exp(-t / tau), axis=-1)


def larmor_guesses(t_ps: ArrayLike, signal: ArrayLike, n: int = 2) -> np.ndarray:
    """Angular frequencies (rad/ns) of the ``n`` most prominent peaks of the trace's spectrum.

    The trace is resampled onto a uniform grid if needed, mean-subtracted and zero-padded.
    Returned in descending frequency. Raises :class:`FitError` if fewer peaks are found.
    """
    t, y = _array("t_ps", t_ps), _array("signal", signal)
    grid = np.linspace(t[0], t[-1], t.size)
    y = np.interp(grid, t, y) if not np.allclose(np.diff(t), grid[1] - grid[0]) else y
    size = 1 << int(np.ceil(np.log2(16 * t.size)))
    spectrum = np.abs(np.fft.rfft(y - y.mean(), size))
    omega = 2 * np.pi * np.fft.rfftfreq(size, (grid[1] - grid[0]) * 1e-3)
    peaks, props = find_peaks(spectrum, prominence=0.05 * spectrum.max())
    if peaks.size < n:
        raise FitError(f"found {peaks.size} oscillating component(s) in the spectrum, need {n}: "
                       "pass g_guess (or fit fewer carriers)")
    best = peaks[np.argsort(props["prominences"])[::-1][:n]]
    return np.sort(omega[best])[::-1]


@dataclass(frozen=True)
class PrecessionComponent:
    """One precessing carrier of a TRFE fit; every ``*_err`` is the 1σ error from the covariance.

    amplitude S0 (signal units), omega in rad/ns, t2 in ps, phase in rad (0 if not fitted), |g|.
    """

    amplitude: float
    amplitude_err: float
    omega_rad_per_ns: float
    omega_err: float
    t2_ps: float
    t2_err_ps: float
    phase_rad: float
    phase_err: float
    g: float
    g_err: float


@dataclass(frozen=True, eq=False)
class TrfeFit:
    """Result of :func:`fit_trfe`. ``e``/``h`` are ``None`` for a carrier not fitted.

    ``covariance`` is over the parameters named in ``param_names`` (``"e.S0"``, ``"e.omega_rad_per_ns"``,
    ``"e.t2_ps"``[, ``"e.phase_rad"``], then the other carrier); ``residual_rms`` in signal units.
    """

    field_T: float
    e: PrecessionComponent | None
    h: PrecessionComponent | None
    residual_rms: float
    param_names: tuple[str, ...]
    covariance: np.ndarray


def _initial_guess(t: np.ndarray, y: np.ndarray, omega: np.ndarray, t2: np.ndarray | None,
                   phase: bool) -> np.ndarray:
    """Amplitudes (and phases) by linear least squares on a grid of T2* guesses; returns p0."""
    span = t[-1] - t[0]
    grid = np.geomspace(span / 30, span * 2, 9)
    candidates = [t2] if t2 is not None else np.stack(np.meshgrid(*[grid] * omega.size), -1).reshape(-1, omega.size)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for taus in candidates:
        env = np.exp(-t[:, None] / taus)
        arg = omega * t[:, None] * 1e-3
        basis = np.hstack([np.cos(arg) * env] + ([-np.sin(arg) * env] if phase else []))
        coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
        rss = float(np.sum((basis @ coef - y) ** 2))
        if best is None or rss < best[0]:
            best = (rss, np.asarray(taus, dtype=float), coef)
    assert best is not None
    _, taus, coef = best
    k = omega.size
    if phase:
        amp, phi = np.hypot(coef[:k], coef[k:]), np.arctan2(coef[k:], coef[:k])
        return np.column_stack([amp, omega, taus, phi]).ravel()
    return np.column_stack([coef, omega, taus]).ravel()


def fit_trfe(t_ps: ArrayLike, signal: ArrayLike, field_T: float, *, carriers: Sequence[str] = ("e", "h"),
             g_guess: Sequence[float] | None = None, t2_guess_ps: Sequence[float] | None = None,
             sigma: ArrayLike | None = None, phase: bool = False, faster: str = "e") -> TrfeFit:
    """Fit eqn (2) to a TRFE trace with :func:`scipy.optimize.curve_fit`.

    t_ps: delays (ps, ≥ 0, increasing); field_T: Voigt field (T, > 0); carriers: ``("e", "h")``,
    ``("e",)`` or ``("h",)``. Initial frequencies come from ``g_guess`` (same order as
    ``carriers``) or from the trace's spectrum; T2* guesses from ``t2_guess_ps`` or a grid
    search. With two carriers the faster component is assigned to ``faster`` (the paper's
    assignment: electrons precess faster, after its ref. 14). ``sigma`` (signal units) makes the
    errors absolute; otherwise they are scaled by the residuals. g = ħω/(μB B), B taken exact.
    """
    t, y = _array("t_ps", t_ps), _array("signal", signal)
    carriers = tuple(carriers)
    if carriers not in (("e", "h"), ("h", "e"), ("e",), ("h",)):
        raise ParameterError(f"carriers must be ('e', 'h'), ('e',) or ('h',), not {carriers}")
    if faster not in ("e", "h"):
        raise ParameterError(f"faster must be 'e' or 'h', not {faster!r}")
    if not np.isfinite(field_T) or field_T <= 0:
        raise ParameterError(f"field_T must be positive, got {field_T}")
    n_par = len(carriers) * (4 if phase else 3)
    if t.ndim != 1 or t.shape != y.shape:
        raise ParameterError(f"t_ps {t.shape} and signal {y.shape} must be 1-D of equal length")
    if t.size <= n_par + 1:
        raise ParameterError(f"need more than {n_par + 1} points to fit {n_par} parameters, got {t.size}")
    if np.any(np.diff(t) <= 0) or t[0] < 0:
        raise ParameterError("t_ps must increase strictly and start at a delay >= 0 (crop negative delays)")
    s = None if sigma is None else np.broadcast_to(_array("sigma", sigma), y.shape)
    if s is not None and np.any(s <= 0):
        raise ParameterError("sigma must be positive")
    for name, guess in (("g_guess", g_guess), ("t2_guess_ps", t2_guess_ps)):
        if guess is not None and (len(guess) != len(carriers) or np.any(np.asarray(guess, float) <= 0)):
            raise ParameterError(f"{name} needs {len(carriers)} positive value(s), one per carrier")
    if g_guess is not None:
        omega0 = np.asarray(larmor_frequency(np.asarray(g_guess, float), field_T), dtype=float).reshape(-1)
    else:
        omega0 = larmor_guesses(t, y, len(carriers))  # fast → slow; labels are set after the fit
    t2_0 = None if t2_guess_ps is None else np.asarray(t2_guess_ps, dtype=float)
    p0 = _initial_guess(t, y, omega0, t2_0, phase)

    k = 4 if phase else 3
    lower = np.tile([-np.inf, 0.0, 1e-3, -np.inf][:k], len(carriers))
    upper = np.full(p0.size, np.inf)

    def model(tt: np.ndarray, *p: float) -> np.ndarray:
        q = np.reshape(p, (-1, k))
        return trfe_signal(tt, q[:, 0], q[:, 1], q[:, 2], q[:, 3] if phase else 0.0)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", OptimizeWarning)
            popt, pcov = curve_fit(model, t, y, p0=np.clip(p0, lower + 1e-9, None), sigma=s,
                                   absolute_sigma=s is not None, bounds=(lower, upper), method="trf",
                                   x_scale="jac", max_nfev=200 * p0.size)
    except (RuntimeError, OptimizeWarning) as exc:
        raise FitError(f"TRFE fit did not converge ({exc}); give g_guess/t2_guess_ps or crop the trace") from None
    err = np.sqrt(np.diag(pcov))
    if not np.all(np.isfinite(err)):
        raise FitError("TRFE fit covariance is undefined (parameters not constrained by the trace); "
                       "fit fewer carriers or give better guesses")

    q, dq = popt.reshape(-1, k), err.reshape(-1, k)
    labels = carriers
    if len(carriers) == 2:  # assign by the fitted frequencies, not by the order of the guesses
        other = "h" if faster == "e" else "e"
        labels = (faster, other) if q[0, 1] >= q[1, 1] else (other, faster)
    comps = {}
    for c, row, drow in zip(labels, q, dq):
        amp, phi = row[0], (row[3] if phase else 0.0)
        if phase and amp < 0:  # S cos(x + φ) = −S cos(x + φ + π)
            amp, phi = -amp, phi + np.pi
        comps[c] = PrecessionComponent(
            amplitude=float(amp), amplitude_err=float(drow[0]), omega_rad_per_ns=float(row[1]),
            omega_err=float(drow[1]), t2_ps=float(row[2]), t2_err_ps=float(drow[2]),
            phase_rad=float((phi + np.pi) % (2 * np.pi) - np.pi), phase_err=float(drow[3]) if phase else 0.0,
            g=float(g_from_larmor(row[1], field_T)), g_err=float(g_from_larmor(drow[1], field_T)))
    names = tuple(f"{c}.{p}" for c in labels for p in ("S0", "omega_rad_per_ns", "t2_ps", "phase_rad")[:k])
    rms = float(np.sqrt(np.mean((model(t, *popt) - y) ** 2)))
    return TrfeFit(field_T=float(field_T), e=comps.get("e"), h=comps.get("h"), residual_rms=rms,
                   param_names=names, covariance=pcov)


__all__ = ["GAMMA_B", "HBAR_EV_S", "DephasingFit", "FitError", "PrecessionComponent", "TrfeFit",
           "delta_g_from_t2", "fit_trfe", "g_from_larmor", "larmor_frequency", "larmor_guesses",
           "trfe_signal"]
