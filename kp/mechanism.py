"""Where the confinement correction δg = g_NC − g_bulk(E_transition) of the k·p sphere comes from.

The first-order g of a sphere doublet is g = ⟨ψ|M|ψ⟩ read in the J-convention
(:func:`confinement.gfactor.g_tensor`), with M = ∂H/∂(μB B) the sum of five operators
(:class:`kp.sphere.SectorOperators`), the **columns** of the split:

- ``interband``: (r × V⁰)/(ħ²/m0), the Kane P·k coupling between the s and p blocks;
- ``spin``: g0 S;
- ``zeeman_remote``: the remote-band Zeeman terms Δg_e (p block), Δg_h (s block);
- ``envelope_free``, ``envelope_remote``: the envelope orbital moment (1 + γ) L_env of each band
  (the free-electron 1 and the remote-band mass term γ).

ψ has three F = 1/2 channels: the *home* band (electron: J = 1/2 with an s envelope; hole: S,
l = 0), the *partner* band that the Kane coupling admixes (electron: S, l = 1; hole: J = 1/2,
l = 1) and the spin–orbit partner J = 3/2 (electron: d envelope, l = 2; hole: l = 1). The
partner component is split exactly with the eigen-equation of its own rows,

    ψ_P = (E − H_PP)⁻¹ (H_P,home ψ_home + H_P,3/2 ψ_3/2) = ψ_P^home + ψ_P^3/2,

into the part driven by the home component and the part driven by the J = 3/2 component.
⟨ψ|M|ψ⟩ is bilinear in the four pieces (ψ_home, ψ_P^home, ψ_P^3/2, ψ_3/2); each pair of pieces
is assigned to one **row**: ``home`` (home, home); ``partner`` (pairs of ψ_home, ψ_P^home);
``j32_via_partner`` (pairs with ψ_P^3/2 and without ψ_3/2); ``j32`` (pairs with ψ_3/2).

The bulk formula at the NC transition energy E, g_bulk(E) = B_home + Σ_band B_band, is split by
a Roth sum over the bulk 8×8 H(0) at Eg = E (:func:`confinement.roth.roth_doublet`): B_home =
the home doublet's spin and remote Zeeman (−g0/3 and Δg_e for the electron, g0 and Δg_h for the
hole); B_band = the interband term of the virtual states of the partner band (electron:
(4/3)(p²/m0)/E; hole: −(4/3)(p²/m0)/E), assigned to the ``partner`` row, and of the J = 3/2 band
(electron: 0; hole: +(4/3)(p²/m0)/(E + Δ)), assigned to the ``j32`` row. With the weight w_row of
each row (the same pairs with M → 1; Σ w_row = 1) the *cells*

    cell[row, column] = G[row, column] − w_row B_home[column] − B_row[column]

add up exactly to δg: first-order g is linear in M, the J-convention rotation is fixed by the
whole doublet, and the split of ψ_P is an identity. For the electron this is the Löwdin
picture of the brief: eliminating the S band exactly at E_e gives a p-band operator M_eff whose
J = 1/2 block is the ``home`` + ``partner`` rows and whose J = 1/2–J = 3/2 cross and J = 3/2
blocks are the two J = 3/2 rows (the normalisation ⟨1 − ∂H/∂E⟩ is the S weight, carried by
w_row). For the hole H_P,3/2 = 0 (no p–p coupling in the model), so ``j32_via_partner`` is zero
and the J = 3/2 band is a second virtual band like the partner. A row thus measures what its pieces
contribute beyond carrying the home band's spin value, relative to its bulk Roth term. The named
**parts** partition the cells:

- ``j32`` — direct J = 3/2 admixture: the ``j32`` row (interband, spin, envelope_free columns):
  matrix elements of the J = 3/2 component itself, for the hole relative to the bulk J = 3/2
  Roth term;
- ``j32_via_partner`` — the same columns of the ``j32_via_partner`` row: the part of the partner
  component that the J = 3/2 component drives, and its interference with the rest. Both J = 3/2
  parts vanish for Δ → ∞ (the J = 3/2 amplitude falls as 1/Δ);
- ``denominator`` — the ``partner`` row's interband cell: the Kane-coupling orbital term of the
  two-band (home + home-driven partner) state minus the bulk term at E. This is the
  energy-denominator (kinetic-energy) effect: the virtual partner states carry the envelope
  momentum of the confined carrier, so the effective denominator E* differs from E
  (:meth:`GDecomposition.effective_denominator`);
- ``partner_moment`` — the ``partner`` row's spin and free-electron envelope moment beyond the
  home value (the partner component's own spin and L_env);
- ``remote`` — the explicit remote-band operators (γ L_env, Δg) on all non-home rows beyond the
  home value. The remote terms' indirect effect (through energies and wave functions, e.g. the
  γ_c kinetic energy in the denominators) sits in the other parts;
- ``remainder`` — the ``home`` row, G_home − w_home B_home: zero for an l = 0 home channel (both
  carriers; tested).

Energies eV, lengths nm; g dimensionless, J-convention, g0 of the parameter set.
Entry point: :func:`sphere_decomposition`; :func:`mechanism_table` formats it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from confinement.errors import PhysicsCheckError
from confinement.gfactor import g_tensor, project
from confinement.roth import roth_doublet

from .bulk import bulk_kp
from .finite_difference import taylor_coefficients
from .parameters import KaneParameters
from .sphere import CARRIERS, DEFAULT_N_RADIAL, M0_PARTS, project_doublets, sphere_doublets

#: Operator classes of M (columns): the interband term and the parts of m0 (kp.sphere.M0_PARTS).
COLUMNS = ("interband",) + M0_PARTS
#: Rows: groups of pairs of the pieces (ψ_home, ψ_P^home, ψ_P^3/2, ψ_3/2).
ROWS = ("home", "partner", "j32_via_partner", "j32")
#: Sphere channel (index in kp.sphere.SECTORS: S, J=1/2, J=3/2) and bulk band of home and partner.
ROLES = {"electron": {"home": "J12", "partner": "S"}, "hole": {"home": "S", "partner": "J12"}}
_CHANNEL = {"S": 0, "J12": 1, "J32": 2}
#: Bulk bands: eigenvalue indices of the sorted bulk H(0) (s doublet at 0, J=1/2 at Eg, J=3/2 at Eg+Δ).
_BULK_BANDS = {"S": (0, 1), "J12": (2, 3), "J32": (4, 5, 6, 7)}
#: Named parts: (rows, columns).
_MOMENTS = ("interband", "spin", "envelope_free")
_REMOTE = ("zeeman_remote", "envelope_remote")
PARTS = {
    "j32": (("j32",), _MOMENTS),
    "j32_via_partner": (("j32_via_partner",), _MOMENTS),
    "denominator": (("partner",), ("interband",)),
    "partner_moment": (("partner",), ("spin", "envelope_free")),
    "remote": (("partner", "j32_via_partner", "j32"), _REMOTE),
    "remainder": (("home",), COLUMNS),
}
_PIECES = ("home", "partner_home", "partner_j32", "j32")


def _row_of(a: int, b: int) -> int:
    """Row of the pair of pieces (a, b) (indices into _PIECES)."""
    pair = {_PIECES[a], _PIECES[b]}
    if "j32" in pair:
        return ROWS.index("j32")
    if "partner_j32" in pair:
        return ROWS.index("j32_via_partner")
    return ROWS.index("home" if pair == {"home"} else "partner")


@dataclass(frozen=True)
class GDecomposition:
    """Exact split of δg = g − g_bulk(E_transition) of one carrier, per diameter.

    ``diameter`` (n,) nm; ``E_transition`` (n,) eV (E_e − E_h, no Coulomb shift); ``g`` (n,) NC
    g; ``g_bulk`` (n,) bulk k·p g at Eg = E_transition; ``weights`` (n, 3) channel weights
    |ψ_c|² (S, J=1/2, J=3/2 as in kp.sphere.SECTORS); ``row_weights`` (n, 4) the w_row of
    :data:`ROWS`; ``nc`` and ``bulk`` (n, 4, 5): the NC cells G[row, column] and their bulk
    references w_row B_home + B_row (:data:`ROWS` × :data:`COLUMNS`); ``denominators`` (n, 4):
    the bulk energy denominator |E_home − E_band| (eV) of the band whose Roth term a row holds
    (NaN for rows without one); ``anisotropy``: largest |g_ij − g δ_ij| of any single cell.
    """

    carrier: str
    diameter: np.ndarray
    E_transition: np.ndarray
    g: np.ndarray
    g_bulk: np.ndarray
    weights: np.ndarray
    row_weights: np.ndarray
    nc: np.ndarray
    bulk: np.ndarray
    denominators: np.ndarray
    anisotropy: float

    @property
    def cells(self) -> np.ndarray:
        """cell[row, column] = G − w_row B_home − B_row, (n, 4, 5); sums to δg."""
        return self.nc - self.bulk

    @property
    def delta_g(self) -> np.ndarray:
        """δg = g − g_bulk(E_transition), (n,)."""
        return self.g - self.g_bulk

    def part(self, name: str) -> np.ndarray:
        """The named part (n,) of δg (:data:`PARTS`)."""
        rows, cols = PARTS[name]
        c = self.cells[:, [ROWS.index(r) for r in rows]][:, :, [COLUMNS.index(k) for k in cols]]
        return c.sum(axis=(1, 2))

    @property
    def parts(self) -> dict[str, np.ndarray]:
        """All named parts; they add up to :attr:`delta_g` exactly."""
        return {name: self.part(name) for name in PARTS}

    @property
    def g_without_j32(self) -> np.ndarray:
        """g of the ``home`` + ``partner`` rows alone, normalised by their weight, (n,).

        For the electron: the J = 1/2 block of the Löwdin operator, i.e. the g of the state with its
        J = 3/2 component (and the S amplitude it drives) removed. It should match the g of the
        same NC in a model with Δ → ∞ (tested) if the J = 3/2 rows hold all of the J = 3/2 effect.
        """
        two = [ROWS.index("home"), ROWS.index("partner")]
        return self.nc[:, two].sum(axis=(1, 2)) / self.row_weights[:, two].sum(axis=1)

    def effective_denominator(self, row: str = "partner") -> np.ndarray:
        """E* (eV, (n,)): the denominator at which the bulk Roth term of ``row`` (∝ 1/denominator) would
        equal the row's NC interband cell G (``partner``: compare with E; hole ``j32``: with E + Δ).
        Meaningful only where the bulk term is non-zero (not the electron's ``j32`` row)."""
        i, j = ROWS.index(row), COLUMNS.index("interband")
        return self.denominators[:, i] * self.bulk[:, i, j] / self.nc[:, i, j]   # B_home has no interband column

    def as_dict(self) -> dict[str, object]:
        """JSON-ready view: per-diameter lists of g, g_bulk, δg, the parts, weights and cells."""
        return {"carrier": self.carrier, "diameter": self.diameter.tolist(),
                "E_transition": self.E_transition.tolist(), "g": self.g.tolist(),
                "g_bulk": self.g_bulk.tolist(), "delta_g": self.delta_g.tolist(),
                "parts": {k: v.tolist() for k, v in self.parts.items()},
                "effective_denominator": self.effective_denominator().tolist(),
                "weights": self.weights.tolist(), "row_weights": self.row_weights.tolist(),
                "rows": list(ROWS), "columns": list(COLUMNS), "cells": self.cells.tolist()}


def bulk_reference(params: KaneParameters, carrier: str, eg: float) -> dict[str, np.ndarray]:
    """Bulk g at band gap ``eg`` (eV) split as in the module docstring.

    Returns ``home`` (5,): B_home per column (spin and remote Zeeman of the home doublet);
    ``rows`` (4, 5): B_row, the interband Roth term of the partner band (``partner`` row) and of
    the J = 3/2 band (``j32`` row); ``denominators`` (4,): |E_home − E_band| (eV) of those rows.
    """
    tc = taylor_coefficients(params.with_gap(float(eg)))
    energies, states = np.linalg.eigh(tc.h0)
    expected = np.array([0, 0, eg, eg, *([eg + params.Delta] * 4)])
    if np.max(np.abs(energies - expected)) > 1e-9:
        raise PhysicsCheckError(f"bulk H(0) levels {energies} are not (0, Eg, Eg + Δ) of the perovskite ordering")
    home = _BULK_BANDS[ROLES[carrier]["home"]]
    u = states[:, list(home)]
    jz = project(tc.jband, u)
    spin = tc.spin * params.g0
    out_home = np.zeros(len(COLUMNS))
    out_home[COLUMNS.index("spin")] = g_tensor(project(spin, u), jz).g
    out_home[COLUMNS.index("zeeman_remote")] = g_tensor(project(tc.zeeman - spin, u), jz).g
    rows = np.zeros((len(ROWS), len(COLUMNS)))
    denominators = np.full(len(ROWS), np.nan)
    zero = np.zeros_like(tc.zeeman)
    for row, band in (("partner", ROLES[carrier]["partner"]), ("j32", "J32")):
        sub = list(home) + list(_BULK_BANDS[band])
        r = ROWS.index(row)
        rows[r, 0] = roth_doublet(energies[sub], states[:, sub], (0, 1), tc.v, zero, tc.jband).g.g
        denominators[r] = abs(energies[_BULK_BANDS[band][0]] - energies[home[0]])
    return {"home": out_home, "rows": rows, "denominators": denominators}


def _pieces(st) -> np.ndarray:
    """(4, n, 3N) pieces ψ_home, ψ_P^home, ψ_P^3/2, ψ_3/2 of the doublets of one sector (they sum to ψ)."""
    op, vecs = st.operators, st.vectors
    roles = ROLES[op.name]
    n = op.n
    idx = {c: np.arange(i * n, (i + 1) * n) for c, i in _CHANNEL.items()}
    ip, i32 = idx[roles["partner"]], idx["J32"]
    h = op.hamiltonian(st.radii)                                            # (n_R, 3N, 3N)
    lhs = st.energies[:, None, None] * np.eye(n) - h[:, ip][:, :, ip]       # E − H_PP
    rhs = np.einsum("kij,kj->ki", h[:, ip][:, :, i32], vecs[:, i32])         # H_P,3/2 ψ_3/2
    out = np.zeros((4,) + vecs.shape, complex)
    out[0][:, idx[roles["home"]]] = vecs[:, idx[roles["home"]]]
    out[2][:, ip] = np.linalg.solve(lhs, rhs[..., None])[..., 0]
    out[1][:, ip] = vecs[:, ip] - out[2][:, ip]
    out[3][:, i32] = vecs[:, i32]
    return out


def _cells(st) -> tuple[np.ndarray, np.ndarray, float]:
    """G[n, row, column], w_row[n, row] of one sector's doublets and the largest anisotropy of a cell."""
    op, radii = st.operators, st.radii
    pieces = _pieces(st)
    jb = project_doublets(st.vectors, op.jband)
    mats = {"interband": op.m1, **op.m0_parts}
    scale = {"interband": radii}
    n = len(radii)
    g_cells = np.zeros((n, len(ROWS), len(COLUMNS)))
    weights = np.zeros((n, len(ROWS)))
    pieces_by_row: dict[int, list] = {}
    for a in range(4):
        for b in range(a, 4):
            r = _row_of(a, b)
            pieces_by_row.setdefault(r, []).append((a, b))
            overlap = np.real(np.einsum("ki,ki->k", pieces[a].conj(), pieces[b]))
            weights[:, r] += overlap if a == b else 2 * overlap
    aniso = 0.0
    for r, pairs in pieces_by_row.items():
        for c, name in enumerate(COLUMNS):
            piece = sum(project_doublets(pieces[a], mats[name], pieces[b])
                        + (project_doublets(pieces[b], mats[name], pieces[a]) if a != b else 0)
                        for a, b in pairs)
            piece = piece * scale.get(name, np.ones(n))[:, None, None, None]
            for k in range(n):
                t = g_tensor(piece[k], jb[k])
                g_cells[k, r, c] = t.g
                aniso = max(aniso, t.anisotropy)
    return g_cells, weights, aniso


def sphere_decomposition(params: KaneParameters, diameters_nm, *,
                         n_radial: int = DEFAULT_N_RADIAL) -> dict[str, GDecomposition]:
    """Exact decomposition of δg_e and δg_h of k·p spheres of the given diameters (nm).

    Returns {'electron': GDecomposition, 'hole': GDecomposition}. E_transition = E_e − E_h (no
    Coulomb shift), the energy at which the bulk reference is taken, as in
    :func:`kp.sphere.sphere_gfactors`. Raises :class:`PhysicsCheckError` if the bulk split does
    not reproduce :func:`kp.bulk.bulk_kp` at E (1e-9).
    """
    states = sphere_doublets(params, diameters_nm, n_radial=n_radial)
    radii = states["electron"].radii
    e_trans = states["electron"].energies - states["hole"].energies
    bulk = bulk_kp(params, eg=e_trans)
    out = {}
    for key, _, sector in CARRIERS:
        st = states[sector]
        nc, row_weights, aniso = _cells(st)
        ref = np.zeros_like(nc)
        denominators = np.zeros_like(row_weights)
        for k, e in enumerate(e_trans):
            b = bulk_reference(params, sector, e)
            ref[k] = row_weights[k][:, None] * b["home"][None, :] + b["rows"]
            denominators[k] = b["denominators"]
        g_bulk = np.atleast_1d(getattr(bulk, f"g_{key}"))
        if np.max(np.abs(ref.sum(axis=(1, 2)) - g_bulk)) > 1e-9:
            raise PhysicsCheckError(f"{sector}: the bulk Roth split does not add up to the closed form g_bulk(E)")
        out[sector] = GDecomposition(carrier=sector, diameter=2 * radii, E_transition=e_trans,
                                     g=nc.sum(axis=(1, 2)), g_bulk=g_bulk,
                                     weights=st.operators.channel_weights(st.vectors), row_weights=row_weights,
                                     nc=nc, bulk=ref, denominators=denominators, anisotropy=aniso)
    return out


def mechanism_table(decomposition: dict[str, GDecomposition]) -> str:
    """Markdown table of the parts of δg_e and δg_h per diameter (the table of docs/kp.md)."""
    head = ("| carrier | L (nm) | E (eV) | g | g_bulk(E) | δg | J=3/2 direct | J=3/2 via partner | "
            "J=3/2 total | denominator | partner moment | remote | remainder | E* (eV) | w_J=3/2 |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for carrier, d in decomposition.items():
        p, e_star = d.parts, d.effective_denominator()
        for k in range(len(d.diameter)):
            lines.append(
                f"| {carrier} | {d.diameter[k]:g} | {d.E_transition[k]:.3f} | {d.g[k]:.3f} | {d.g_bulk[k]:.3f} | "
                f"{d.delta_g[k]:+.3f} | {p['j32'][k]:+.3f} | {p['j32_via_partner'][k]:+.3f} | "
                f"{p['j32'][k] + p['j32_via_partner'][k]:+.3f} | {p['denominator'][k]:+.3f} | "
                f"{p['partner_moment'][k]:+.3f} | {p['remote'][k]:+.3f} | "
                f"{p['remainder'][k]:+.0e} | {e_star[k]:.3f} | {d.weights[k, _CHANNEL['J32']]:.4f} |")
    return "\n".join(lines)
