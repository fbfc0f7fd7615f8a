"""Parameters of the perovskite eight-band k·p model and the bundled parameter files.

A :class:`KaneParameters` holds numbers in internal units (eV, nm, m0). Sets are read from
TOML files with provenance (:mod:`confinement.parameter_files`): ``kp/data/universal.toml``
(the K22 constants) and ``kp/data/materials.toml`` (N23 Table S2 rows).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from confinement.errors import ParameterError, UnknownNameError
from confinement.parameter_files import ParameterFile, Quantity, load_parameter_file
from confinement.units import HBAR2_OVER_M0

DATA_DIR = Path(__file__).resolve().parent / "data"
#: Registered k·p constant sets: name → file.
CONSTANT_SETS = {"universal": DATA_DIR / "universal.toml"}
MATERIALS_FILE = DATA_DIR / "materials.toml"
_CONSTANT_KEYS = ("Delta", "hbar_p_over_m0", "delta_g_e", "delta_g_h", "g0")


@dataclass(frozen=True)
class KaneParameters:
    """Perovskite eight-band parameters (see :func:`kp.hamiltonian.perovskite_model`).

    Eg, Delta in eV; P = ħp/m0 in eV·nm; gamma_v, gamma_c remote-band inverse-mass terms in
    units of 1/m0 (added as γ ħ²k²/2m0 on the valence and conduction blocks); delta_g_e,
    delta_g_h remote-band g corrections; g0 the spin g-factor of the Zeeman term.
    ``free_electron`` adds ħ²k²/2m0 to every band.
    """

    Eg: float
    Delta: float
    P: float
    delta_g_e: float = 0.0
    delta_g_h: float = 0.0
    g0: float = 2.0
    gamma_v: float = 0.0
    gamma_c: float = 0.0
    free_electron: bool = True
    label: str = "custom"
    provenance: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        for name in ("Eg", "Delta", "P", "delta_g_e", "delta_g_h", "g0", "gamma_v", "gamma_c"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParameterError(f"k·p parameter {name} must be a finite number, got {value!r}")
        if self.Eg <= 0:
            raise ParameterError(f"band gap Eg must be positive (eV), got {self.Eg}")
        if self.Delta <= 0:
            raise ParameterError(f"spin–orbit splitting Delta must be positive (eV), got {self.Delta}")
        if self.P < 0:
            raise ParameterError(f"Kane parameter P = ħp/m0 must be non-negative (eV·nm), got {self.P}")

    @property
    def Ep(self) -> float:
        """Kane energy Ep = 2p²/m0 = 2P²/(ħ²/m0) in eV."""
        return 2 * self.P**2 / HBAR2_OVER_M0

    def with_gap(self, Eg: float) -> KaneParameters:
        """The same set at another band gap (eV): evaluates the universal curve elsewhere."""
        return replace(self, Eg=Eg)

    def symbol_values(self) -> dict[str, float]:
        """Values keyed by the symbol names of :func:`kp.hamiltonian.perovskite_model`."""
        return {"E_g": self.Eg, "Delta": self.Delta, "P": self.P, "g_0": self.g0,
                "gamma_v": self.gamma_v, "gamma_c": self.gamma_c,
                "Delta_g_e": self.delta_g_e, "Delta_g_h": self.delta_g_h}

    def as_dict(self) -> dict[str, object]:
        """Plain-data view (for JSON output and result metadata)."""
        out = asdict(self)
        out["provenance"] = list(self.provenance)
        out["Ep"] = self.Ep
        return out


def constant_set_file(name_or_path: str | Path) -> ParameterFile:
    """Load a registered constant set by name (e.g. 'universal') or a TOML file by path."""
    key = str(name_or_path)
    if key in CONSTANT_SETS:
        return load_parameter_file(CONSTANT_SETS[key])
    if key.endswith(".toml") or Path(key).exists():
        return load_parameter_file(key)
    raise UnknownNameError("k·p parameter set", key, list(CONSTANT_SETS))


def _provenance(quantities: dict[str, Quantity]) -> tuple[str, ...]:
    return tuple(f"{name} = {q.quoted_value} {q.quoted_unit}: {q.provenance()}" for name, q in quantities.items())


def constants_at_gap(Eg: float, constants: str | Path = "universal") -> KaneParameters:
    """A constant set (Δ, P, Δg_e, Δg_h, g0) evaluated at band gap ``Eg`` (eV), no remote masses."""
    source = constant_set_file(constants)
    q = source.require("parameters", _CONSTANT_KEYS)
    return KaneParameters(
        Eg=Eg, Delta=q["Delta"].value, P=q["hbar_p_over_m0"].value, delta_g_e=q["delta_g_e"].value,
        delta_g_h=q["delta_g_h"].value, g0=q["g0"].value, label=source.name, provenance=_provenance(q),
    )
