"""Slater–Koster engine: SK54 table entries, rotation covariance, the reversed-pair sign rule."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from tightbinding.orbitals import ELL, angular_momentum, shell_rotation
from tightbinding.slater_koster import sk_block

SHELLS = ("s", "p", "d", "sstar")
S3 = np.sqrt(3.0)


def _random_lookup(rng):
    """Random integrals; an equal-ℓ pair is one integral whichever atom comes first (hermiticity)."""
    table: dict = {}

    def lookup(s1, sp1, s2, sp2, bond):
        a, b = (s1, sp1), (s2, sp2)
        if ELL[s1] == ELL[s2]:
            a, b = sorted((a, b))
        key = (a, b, bond)
        if key not in table:
            table[key] = rng.normal()
        return table[key]
    return lookup, table


def _block(rng_lookup, d):
    return sk_block("A", SHELLS, "B", SHELLS, d, rng_lookup)


def test_explicit_SK54_entries(rng):
    # Compare with SK54 Table I formulas written out independently (α on A at 0, β on B at d).
    lookup, _ = _random_lookup(rng)
    for _ in range(5):
        d = rng.normal(size=3)
        l, m, n = d / np.linalg.norm(d)
        h = _block(lookup, d)
        V = lambda a, b, t: lookup(a, "A", b, "B", t)  # noqa: E731
        # index map: s 0, px py pz 1-3, dxy dyz dzx dx2-y2 d3z2-r2 4-8, s* 9
        sp, pps, ppp = V("s", "p", "sigma"), V("p", "p", "sigma"), V("p", "p", "pi")
        sds, pds, pdp = V("s", "d", "sigma"), V("p", "d", "sigma"), V("p", "d", "pi")
        dds, ddp, ddd = V("d", "d", "sigma"), V("d", "d", "pi"), V("d", "d", "delta")
        expected = {
            (0, 1): l * sp,
            (1, 1): l**2 * pps + (1 - l**2) * ppp,
            (1, 2): l * m * (pps - ppp),
            (0, 4): S3 * l * m * sds,
            (0, 8): (n**2 - (l**2 + m**2) / 2) * sds,
            (1, 4): S3 * l**2 * m * pds + m * (1 - 2 * l**2) * pdp,
            (1, 5): S3 * l * m * n * pds - 2 * l * m * n * pdp,
            (1, 7): S3 / 2 * l * (l**2 - m**2) * pds + l * (1 - l**2 + m**2) * pdp,
            (3, 8): n * (n**2 - (l**2 + m**2) / 2) * pds + S3 * n * (l**2 + m**2) * pdp,
            (4, 4): 3 * l**2 * m**2 * dds + (l**2 + m**2 - 4 * l**2 * m**2) * ddp + (n**2 + l**2 * m**2) * ddd,
            (4, 7): 1.5 * l * m * (l**2 - m**2) * dds + 2 * l * m * (m**2 - l**2) * ddp
            + 0.5 * l * m * (l**2 - m**2) * ddd,
            (7, 7): 0.75 * (l**2 - m**2) ** 2 * dds + (l**2 + m**2 - (l**2 - m**2) ** 2) * ddp
            + (n**2 + (l**2 - m**2) ** 2 / 4) * ddd,
            (8, 8): (n**2 - (l**2 + m**2) / 2) ** 2 * dds + 3 * n**2 * (l**2 + m**2) * ddp
            + 0.75 * (l**2 + m**2) ** 2 * ddd,
            (9, 1): l * V("sstar", "p", "sigma"),
        }
        for (i, j), value in expected.items():
            assert h[i, j] == pytest.approx(value, abs=1e-12), (i, j)


def test_rotation_covariance(rng):
    # H(R d) = D(R) H(d) D(R)ᵀ for random proper rotations: the block transforms as its orbitals.
    lookup, _ = _random_lookup(rng)
    dims = {"s": 1, "p": 3, "d": 5, "sstar": 1}
    for seed in range(5):
        rot = Rotation.random(random_state=seed).as_matrix()
        d = rng.normal(size=3)
        big = np.zeros((10, 10))
        start = 0
        for s in SHELLS:
            big[start:start + dims[s], start:start + dims[s]] = shell_rotation(s, rot)
            start += dims[s]
        np.testing.assert_allclose(_block(lookup, rot @ d), big @ _block(lookup, d) @ big.T, atol=1e-12)


def test_reversed_pair_sign_rule(rng):
    # ⟨β on B at 0|H|α on A at d⟩ = E_αβ(−d)ᵀ = (−1)^(ℓα+ℓβ) E_αβ(d)ᵀ.
    lookup, _ = _random_lookup(rng)
    d = rng.normal(size=3)
    forward = sk_block("A", SHELLS, "B", SHELLS, d, lookup)
    reverse = sk_block("B", SHELLS, "A", SHELLS, d, lookup)
    np.testing.assert_allclose(reverse, sk_block("A", SHELLS, "B", SHELLS, -d, lookup).T, atol=1e-13)
    parity = np.array([1, -1, -1, -1, 1, 1, 1, 1, 1, 1])
    np.testing.assert_allclose(reverse, (parity[:, None] * parity[None, :]) * forward.T, atol=1e-13)


@pytest.mark.parametrize("shell, ell", [("p", 1), ("d", 2)])
def test_orbital_angular_momentum_algebra(shell, ell):
    L = angular_momentum(shell)
    np.testing.assert_allclose(L[0] @ L[1] - L[1] @ L[0], 1j * L[2], atol=1e-13)
    np.testing.assert_allclose(sum(x @ x for x in L), ell * (ell + 1) * np.eye(2 * ell + 1), atol=1e-13)
