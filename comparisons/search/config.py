"""Schema of a bound config (``examples/second_neighbour_bound.toml``): ``[search]``, ``[nc]``,
``[ensemble]``, ``[output]``. Energies eV; parameter bounds eV; ``scale``: the unit (eV) in which
the optimiser moves each parameter (default: |Harrison value| for integrals, 0.1 eV for λ_X)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from confinement.config_base import Strict

Objective = Literal["rise", "g_h_high"]


class SearchSection(Strict):
    """What is searched and how."""

    base: str = Field(default="CsPbI3-refit-N23", description="nearest-neighbour base set (name or path)")
    parameters: dict[str, tuple[float, float]] = Field(
        description="search parameter path → [lower, upper] (eV); see tightbinding.second_neighbour.search_paths()")
    scale: dict[str, float] = Field(default={}, description="optimiser unit per parameter (eV)")
    halide_window: float = Field(default=0.5, gt=0, description="halide-band window (eV) about the base set's edges")
    objectives: list[Objective] = Field(default=["rise", "g_h_high"])
    starts: int = Field(default=3, ge=1, description="optimiser starts per objective")
    max_evaluations: int = Field(default=30, ge=2, description="objective evaluations per start")
    rhobeg: float = Field(default=0.5, gt=0, description="COBYLA's initial step (scaled units)")
    rhoend: float = Field(default=0.02, gt=0, description="COBYLA's final step (scaled units)")
    sensitivity_step: float = Field(default=0.25, gt=0, description="finite-difference step (scaled units)")
    seed: int = 0
    max_minutes: float | None = Field(default=None, gt=0, description="stop new evaluations after this wall time")

    @model_validator(mode="after")
    def _check(self) -> SearchSection:
        from tightbinding.second_neighbour import search_paths

        known = search_paths()
        for path, (lo, hi) in self.parameters.items():
            if path not in known:
                raise ValueError(f"parameters.{path}: not a search parameter; known: {', '.join(known)}")
            if not lo < hi:
                raise ValueError(f"parameters.{path}: lower bound {lo} is not below upper bound {hi}")
        stray = sorted(set(self.scale) - set(self.parameters))
        if stray:
            raise ValueError(f"scale.{stray[0]}: not a search parameter of this config")
        return self


class NCSection(Strict):
    """The cubes: target energies and the sizes the adaptive series may use."""

    e_low: float = Field(default=1.911, description="lower transition energy (eV), sample #4")
    e_high: float = Field(default=2.25, description="upper transition energy (eV), the g_h series end")
    n_min: int = Field(default=4, ge=2)
    n_max: int = Field(default=13, ge=3)
    guess_low: int = Field(default=9, description="first cube tried for e_low (Pb per edge)")
    guess_high: int = Field(default=5, description="first cube tried for e_high")
    solver: str = "auto"
    figure_n_pb: list[int] = Field(default=[], description="full cube series drawn for base and optimum")
    max_surface_weight: float | None = Field(
        default=None, gt=0, le=1,
        description="largest weight of the band-edge states on the outer layer of atoms (the sites with a "
                    "missing Pb-X bond); None: not a constraint")

    @model_validator(mode="after")
    def _check(self) -> NCSection:
        if not self.e_low < self.e_high:
            raise ValueError("e_low must be below e_high")
        if not self.n_min <= min(self.guess_low, self.guess_high) <= max(self.guess_low, self.guess_high) < self.n_max:
            raise ValueError("guess_low and guess_high must lie in [n_min, n_max)")
        return self


class EnsembleSection(Strict):
    """Cuboids, spheres and faceted cubes compared with the cube at the same transition energy (base
    and optima)."""

    cuboids: list[tuple[int, int, int]] = Field(default=[], description="Pb per edge (Nx, Ny, Nz) of each cuboid")
    spheres: list[float] = Field(default=[], description="diameters (nm) of spheres cut from the lattice")
    faceted: list[tuple[int, int, int]] = Field(default=[], description="faceted cubes (N Pb per edge, corner_cut, "
                                                "edge_cut): {111} and {110} facets (docs/nc.md)")

    @field_validator("spheres")
    @classmethod
    def _positive_diameters(cls, diameters: list[float]) -> list[float]:
        bad = [d for d in diameters if not d > 0]
        if bad:
            raise ValueError(f"sphere diameters must be positive (nm), got {bad}")
        return diameters


class BoundOutput(Strict):
    """Where the search writes (relative to the working directory)."""

    dir: str
    formats: list[Literal["png", "pdf", "svg"]] = ["png"]


class BoundConfig(Strict):
    """A second-neighbour bound: ``landeg bound CONFIG``."""

    search: SearchSection
    nc: NCSection = NCSection()
    ensemble: EnsembleSection = EnsembleSection()
    output: BoundOutput
