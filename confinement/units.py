"""Physical constants and the unit system shared by every module.

Units at the API (binding, see ``docs/conventions.md``): energies in eV, lengths in nm,
magnetic fields in T, masses in units of the free-electron mass m0, wave vectors in 1/nm.

``MU_B`` and ``G0`` are the values fixed by the project brief (CODATA 2018). ``HBAR2_OVER_M0``
and ``E_OVER_HBAR`` are derived from :mod:`scipy.constants` (ħ and e are exact since 2019;
m0 differs between CODATA releases by < 1e-9 relative), so no number is typed twice.
"""

from __future__ import annotations

from scipy import constants as _c

#: Bohr magneton μB in eV/T (CODATA 2018).
MU_B: float = 5.7883818060e-5

#: Free-electron spin g-factor g0 (magnitude, CODATA 2018). The closed-form k·p formulas
#: of K22 use g0 = 2 exactly; every code path says which value it uses.
G0: float = 2.00231930436

#: ħ²/m0 in eV·nm² (= 7.61996 eV·Å²).
HBAR2_OVER_M0: float = _c.hbar**2 / _c.m_e / _c.e * 1e18

#: e/ħ in 1/(T·nm²) (= 1.519267e-5 1/(T·Å²)): the Peierls phase of a path is (e/ħ)·∫A·dl.
E_OVER_HBAR: float = _c.e / _c.hbar * 1e-18

#: One ångström in the internal length unit (nm).
ANGSTROM: float = 0.1

#: e²/(4π ε0) in eV·nm (= 1.439965 eV·nm), the Coulomb energy scale.
COULOMB_EV_NM: float = _c.e / (4 * _c.pi * _c.epsilon_0) * 1e9
