"""Tight-binding parameter sets: loading, validation, canonical integral names, updates, writing.

A set is a TOML file in ``tightbinding/data`` (schema in the file headers and ``docs/tb.md``);
``load_tb_parameters`` accepts a registered name (``landeg params`` lists them) or a path.
Energies in eV, the lattice constant in nm (files may quote Å).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import combinations_with_replacement
from pathlib import Path

from confinement.errors import ParameterError, ParameterFileError, UnknownNameError
from confinement.parameter_files import ParameterFile, Quantity, load_parameter_file

from .orbitals import ELL, SHELL_ORDER
from .slater_koster import bond_types

DATA_DIR = Path(__file__).resolve().parent / "data"
SPECIES = ("Pb", "X")
#: Neighbour shells of the cubic perovskite: (species 1, species 2, distance in units of a).
SHELL_GEOMETRY = {"Pb-X": ("Pb", "X", 0.5), "X-X": ("X", "X", math.sqrt(0.5)), "Pb-Pb": ("Pb", "Pb", 1.0)}
SPIN_ORBIT_SHELLS = ("p", "d")
_META_KEYS = ("name", "kind", "material", "description", "valence_bands", "orbitals", "shells")


def integral_key(shell_name: str, s1: str, sp1: str, s2: str, sp2: str, bond: str) -> str:
    """Canonical name of the two-centre integral ⟨s1 on sp1|H|s2 on sp2⟩ of type ``bond``.

    Lower ℓ first; for equal ℓ, species in alphabetical order (hetero shells) or shells in the
    order s, p, d, s* (homo shells). Homo-species shells omit the species: 'p_p_sigma'.
    """
    a, b = (s1, sp1), (s2, sp2)
    homo = SHELL_GEOMETRY[shell_name][0] == SHELL_GEOMETRY[shell_name][1]
    if ELL[s1] > ELL[s2] or (ELL[s1] == ELL[s2] and (
            (homo and SHELL_ORDER.index(s1) > SHELL_ORDER.index(s2)) or (not homo and sp1 > sp2))):
        a, b = b, a
    if homo:
        return f"{a[0]}_{b[0]}_{bond}"
    return f"{a[0]}{a[1]}_{b[0]}{b[1]}_{bond}"


def required_integrals(shell_name: str, coupled: tuple[tuple[str, ...], tuple[str, ...]]) -> list[str]:
    """All integral names a shell needs that couples orbital shells ``coupled`` = (on species 1, on species 2)."""
    sp1, sp2, _ = SHELL_GEOMETRY[shell_name]
    keys: set[str] = set()
    if sp1 == sp2:
        pairs = combinations_with_replacement(coupled[0], 2)
    else:
        pairs = ((o1, o2) for o1 in coupled[0] for o2 in coupled[1])
    for o1, o2 in pairs:
        for bond in bond_types(o1, o2):
            keys.add(integral_key(shell_name, o1, sp1, o2, sp2, bond))
    return sorted(keys)


@dataclass(frozen=True)
class TBParameters:
    """A validated tight-binding parameter set (eV, nm).

    ``orbitals``: species → orbital shells on that atom; ``shells``: neighbour shell → the orbital
    shells it couples on its first and second species (see ``SHELL_GEOMETRY``); ``onsite``: species →
    shell → energy; ``spin_orbit``: species → shell → λ of λ L·σ (λ = Δ_atom/3); ``hopping``: neighbour
    shell → integral name → value.
    """

    name: str
    material: str
    description: str
    a: float
    valence_bands: int
    orbitals: Mapping[str, tuple[str, ...]]
    shells: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]
    onsite: Mapping[str, Mapping[str, float]]
    spin_orbit: Mapping[str, Mapping[str, float]]
    hopping: Mapping[str, Mapping[str, float]]
    references: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, Quantity] = field(default_factory=dict, compare=False, repr=False)
    meta_extra: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
    sha256: str = ""

    def __post_init__(self) -> None:
        validate(self)

    def integral(self, shell_name: str, s1: str, sp1: str, s2: str, sp2: str, bond: str) -> float:
        """Value (eV) of a two-centre integral of an enabled shell."""
        return self.hopping[shell_name][integral_key(shell_name, s1, sp1, s2, sp2, bond)]

    def provenance(self, path: str) -> str:
        """Where the value at dotted ``path`` comes from (its source, or that it was set here)."""
        q = self.sources.get(path)
        if q is None or q.value != self.values()[path]:
            return "set or fitted in this project (differs from any bundled source)"
        return q.provenance()

    def values(self) -> dict[str, float]:
        """Every numerical parameter keyed by its dotted path ('onsite.Pb.p', 'hopping.Pb-X.pPb_pX_sigma')."""
        out = {"structure.a": self.a}
        for group, table in (("onsite", self.onsite), ("spin_orbit", self.spin_orbit), ("hopping", self.hopping)):
            for outer, inner in table.items():
                out.update({f"{group}.{outer}.{k}": v for k, v in inner.items()})
        return out

    def with_values(self, updates: Mapping[str, float], *, name: str | None = None,
                    shells: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = None) -> TBParameters:
        """A copy with parameters replaced by dotted path; ``shells`` may enable new neighbour shells.

        Unknown paths are refused, so a typo never leaves a parameter silently unchanged.
        """
        new_shells = dict(self.shells) if shells is None else {**self.shells, **shells}
        tables = {"onsite": _mutable(self.onsite), "spin_orbit": _mutable(self.spin_orbit),
                  "hopping": _mutable(self.hopping)}
        for shell_name in new_shells:
            tables["hopping"].setdefault(shell_name, {})
        a = self.a
        for path, value in updates.items():
            parts = path.split(".")
            if path == "structure.a":
                a = float(value)
                continue
            if len(parts) != 3 or parts[0] not in tables:
                raise UnknownNameError("parameter path", path, sorted(self.values()))
            group, outer, key = parts
            allowed = _allowed_keys(group, outer, self.orbitals, new_shells)
            if key not in allowed:
                raise UnknownNameError(f"parameter in {group}.{outer}", key, sorted(allowed))
            tables[group].setdefault(outer, {})[key] = float(value)
        return replace(self, name=name or self.name, a=a, shells=new_shells, onsite=tables["onsite"],
                       spin_orbit=tables["spin_orbit"], hopping=tables["hopping"])


def _mutable(table: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    return {k: dict(v) for k, v in table.items()}


def _allowed_keys(group: str, outer: str, orbitals: Mapping[str, tuple[str, ...]],
                  shells: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> set[str]:
    if group == "onsite":
        return set(orbitals.get(outer, ()))
    if group == "spin_orbit":
        return set(orbitals.get(outer, ())) & set(SPIN_ORBIT_SHELLS)
    if outer not in shells:
        return set()
    return set(required_integrals(outer, shells[outer]))


def validate(p: TBParameters) -> None:
    """Check completeness and physical sanity; raise naming the set and the offending entry."""
    where = f"TB parameter set {p.name!r}"
    if not (p.a > 0 and math.isfinite(p.a)):
        raise ParameterError(f"{where}: lattice constant a must be positive, got {p.a}")
    for sp in SPECIES:
        if sp not in p.orbitals or not p.orbitals[sp]:
            raise ParameterError(f"{where}: no orbitals declared for species {sp}")
        for shell in p.orbitals[sp]:
            if shell not in ELL:
                raise UnknownNameError("orbital shell", shell, list(ELL))
            if shell not in p.onsite.get(sp, {}):
                raise ParameterError(f"{where}: missing on-site energy onsite.{sp}.{shell}")
        for shell in p.spin_orbit.get(sp, {}):
            if shell not in SPIN_ORBIT_SHELLS or shell not in p.orbitals[sp]:
                raise ParameterError(f"{where}: spin_orbit.{sp}.{shell} is not a p or d shell of {sp}")
    n_states = 2 * sum(len(_components(p.orbitals[sp])) * (1 if sp == "Pb" else 3) for sp in SPECIES)
    if not 0 < p.valence_bands < n_states:
        raise ParameterError(f"{where}: valence_bands = {p.valence_bands} outside 1..{n_states - 1}")
    for shell_name, coupled in p.shells.items():
        if shell_name not in SHELL_GEOMETRY:
            raise UnknownNameError("neighbour shell", shell_name, list(SHELL_GEOMETRY))
        species = SHELL_GEOMETRY[shell_name][:2]
        if len(coupled) != 2:
            raise ParameterError(f"{where}: shell {shell_name} must list coupled orbitals for {species}")
        for sp, shells_on_sp in zip(species, coupled):
            for shell in shells_on_sp:
                if shell not in p.orbitals[sp]:
                    raise ParameterError(f"{where}: shell {shell_name} couples {shell!r}, absent on {sp}")
        need = set(required_integrals(shell_name, coupled))
        have = set(p.hopping.get(shell_name, {}))
        if need - have:
            raise ParameterError(f"{where}: shell {shell_name} lacks integral(s) {', '.join(sorted(need - have))}")
        if have - need:
            raise ParameterError(f"{where}: shell {shell_name} has unknown integral(s) "
                                 f"{', '.join(sorted(have - need))}")
    for path, value in p.values().items():
        if not math.isfinite(value):
            raise ParameterError(f"{where}: {path} is not finite ({value})")


def _components(shells: tuple[str, ...]) -> list[str]:
    return [c for s in shells for c in range(2 * ELL[s] + 1)]


def registered_sets() -> dict[str, Path]:
    """Registered set names → files (every TOML in ``tightbinding/data``)."""
    return {p.stem: p for p in sorted(DATA_DIR.glob("*.toml"))}


def load_tb_parameters(name_or_path: str | Path) -> TBParameters:
    """Load a registered set by name (e.g. 'CsPbI3-N21-exp') or a parameter file by path."""
    sets = registered_sets()
    key = str(name_or_path)
    if key in sets:
        path = sets[key]
    elif key.endswith(".toml") or Path(key).exists():
        path = Path(key)
    else:
        raise UnknownNameError("tight-binding parameter set", key, list(sets))
    pf = load_parameter_file(path)
    meta = tomllib.loads(path.read_text(encoding="utf-8"))["meta"]
    if pf.kind != "tb":
        raise ParameterFileError(f"{path}: [meta] kind must be 'tb', got {pf.kind!r}")
    for key_ in ("material", "valence_bands", "orbitals", "shells"):
        if key_ not in meta:
            raise ParameterFileError(f"{path}: [meta] lacks {key_!r}")
    return _from_file(pf, meta)


def _coupled(path: Path, shell_name: str, spec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """[meta.shells] entry → (orbitals on species 1, on species 2): a list means the same on both."""
    if shell_name not in SHELL_GEOMETRY:
        raise UnknownNameError("neighbour shell", shell_name, list(SHELL_GEOMETRY))
    sp1, sp2, _ = SHELL_GEOMETRY[shell_name]
    if isinstance(spec, list):
        return tuple(spec), tuple(spec)
    if isinstance(spec, dict) and set(spec) == {sp1, sp2}:
        return tuple(spec[sp1]), tuple(spec[sp2])
    raise ParameterFileError(f"{path}: [meta.shells] {shell_name!r} must be a list or a table with keys {sp1}, {sp2}")


def _from_file(pf: ParameterFile, meta: dict) -> TBParameters:
    path_ = pf.path
    known = {"structure", "onsite", "spin_orbit", "hopping"}
    for dotted in pf.quantities:
        if dotted.split(".")[0] not in known:
            raise ParameterFileError(f"{pf.path}: unknown group [{dotted.rsplit('.', 1)[0]}]")

    def nested(group: str) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for dotted, q in pf.quantities.items():
            parts = dotted.split(".")
            if parts[0] == group:
                if len(parts) != 3:
                    raise ParameterFileError(f"{pf.path}: [{dotted}] is not of the form {group}.<name>.<key>")
                out.setdefault(parts[1], {})[parts[2]] = q.value
        return out

    a = pf.require("structure", ("a",))["a"]
    if a.unit != "nm":
        raise ParameterFileError(f"{pf.path}: structure.a must be a length (nm or Angstrom)")
    return TBParameters(
        name=pf.name, material=str(meta["material"]), description=pf.description, a=a.value,
        valence_bands=int(meta["valence_bands"]),
        orbitals={k: tuple(v) for k, v in meta["orbitals"].items()},
        shells={k: _coupled(path_, k, v) for k, v in meta["shells"].items()},
        onsite=nested("onsite"), spin_orbit=nested("spin_orbit"), hopping=nested("hopping"),
        references=dict(pf.references),
        sources=dict(pf.quantities), sha256=pf.sha256,
        meta_extra={k: v for k, v in meta.items() if k not in _META_KEYS},
    )


# --- writing ---------------------------------------------------------------------------------

#: Reference key used for values set or fitted by this project.
PROJECT_SOURCE = "landeg"


def _toml(value: object) -> str:
    """A TOML inline value for str, bool, int, float, list or dict."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _toml(key)


def to_toml(p: TBParameters, *, header: str = "", notes: Mapping[str, str] | None = None) -> str:
    """The set as a parameter file in the bundled format; values that differ from their recorded
    source are attributed to this project (source 'landeg') with ``notes[path]`` explaining them."""
    notes = dict(notes or {})
    refs = {**p.references,
            PROJECT_SOURCE: "This project (landeg): values set or refitted here; see [meta] and docs/tb.md"}
    lines = [header.rstrip("\n")] if header else []
    meta = {"name": p.name, "kind": "tb", "material": p.material, "description": p.description,
            "valence_bands": p.valence_bands}
    lines += ["[meta]"] + [f"{_key(k)} = {_toml(v)}" for k, v in meta.items()] + [""]
    lines += ["[meta.orbitals]"] + [f"{_key(k)} = {_toml(list(v))}" for k, v in p.orbitals.items()] + [""]
    lines += ["[meta.shells]"]
    for name, (c1, c2) in p.shells.items():
        sp1, sp2, _ = SHELL_GEOMETRY[name]
        spec = list(c1) if c1 == c2 else {sp1: list(c1), sp2: list(c2)}
        lines.append(f"{_key(name)} = {_toml(spec)}")
    lines.append("")
    for key, value in p.meta_extra.items():
        if isinstance(value, Mapping):
            lines += [f"[meta.{_key(key)}]"] + [f"{_key(k)} = {_toml(v)}" for k, v in value.items()] + [""]
    lines += ["[references]"] + [f"{_key(k)} = {_toml(v)}" for k, v in refs.items()] + [""]
    groups: dict[str, list[str]] = {}
    for path, value in p.values().items():
        group, name = path.rsplit(".", 1)
        quantity = _quantity_toml(path, value, p.sources.get(path), notes.get(path))
        groups.setdefault(group, []).append(f"{_key(name)} = {quantity}")
    for group, entries in groups.items():
        head, *rest = group.split(".")
        lines += [f"[{head}{''.join('.' + _key(r) for r in rest)}]"] + entries + [""]
    return "\n".join(lines)


def _quantity_toml(path: str, value: float, source: Quantity | None, note: str | None) -> str:
    if source is not None and source.value == value:
        entry = {"value": source.quoted_value, "unit": source.quoted_unit, "source": source.source}
        for attr in ("location", "second_hand", "note"):
            if getattr(source, attr):
                entry[attr] = getattr(source, attr)
        return _toml(entry)
    unit = "nm" if path == "structure.a" else "eV"
    entry = {"value": value, "unit": unit, "source": PROJECT_SOURCE}
    if source is not None:
        entry["note"] = ((note + "; " if note else "")
                         + f"base value {source.quoted_value} {source.quoted_unit} ({source.provenance()})")
    elif note:
        entry["note"] = note
    return _toml(entry)
