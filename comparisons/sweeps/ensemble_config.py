"""The ``landeg ensemble`` config: g-factor spreads of shape-distributed, randomly oriented NCs.

One file describes the study (``examples/ensemble_CsPbI3.toml``)::

    [model]          # the tight-binding NCs: parameter set, surface, solver
    [training]       # the NCs computed (cached per point): cubes (reference curve) and cuboids
    [shape_model]    # how the cuboid g-tensors are interpolated in energy and aspect
    [distribution]   # log-normal edges: aspect spread(s), size spread, sampling
    [selection]      # laser energies and spectral width
    [dephasing]      # the simulated T2*(B) analysis: fields, zero-field decay, delays
    [[samples]]      # measured samples to compare with (their spreads come from the data table)
    [output]         # dir, figure formats

It does not fit the sweep schema of ``landeg run`` (a sweep maps one point to one row; an
ensemble combines many NCs into one distribution per energy), but its training NCs are ordinary
sweep points: the same content-hash cache, so identical NCs computed by another run are reused.
Units: energies eV (window meV), fields T, times ps.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from confinement.solvers import solver_names

from .config import OutputSection, Range, Strict
from .sweep_config import box_edges, registered_solver

#: Forms of the shape terms in energy (:class:`comparisons.sweeps.ensemble.ShapeModel`): ``vanishing``
#: (polynomial in x = E − Eg without constant term: the shape effect dies out in the bulk limit),
#: ``constant`` (with a constant term: an upper bound of the extrapolation below the training range).
SHAPE_FORMS = ("vanishing", "constant")


class EnsembleModel(Strict):
    """``[model]``: the tight-binding NCs (as a ``kind = "tb"`` model of ``landeg run``)."""

    params: str = Field(default="CsPbI3-refit-N23", description="parameter set: a name of `landeg params` or a "
                        "TOML path")
    shells: list[str] | None = Field(default=None, description="neighbour shells; default: all of the set")
    passivation: bool = Field(default=True, description="passivate dangling bonds")
    passivation_shift: float | Literal["inf"] = Field(default="inf", description="shift of dangling orbitals "
                                                      "(eV); 'inf' decouples them exactly")
    solver: str = Field(default="auto", description=f"NC eigen-solver: {', '.join(solver_names())}")
    tol: float = Field(default=1e-8, gt=0, le=1e-4, description="residual tolerance ‖Hv − Ev‖ (eV)")
    workers: int = Field(default=1, ge=1, description="local worker processes for the training NCs")

    @field_validator("solver")
    @classmethod
    def _registered_solver(cls, solver: str) -> str:
        return registered_solver(solver)


class FacetSpec(Strict):
    """One faceted cube or box of the training set: its g-shift at fixed energy is reported."""

    n_pb: int | list[int] = Field(description="N or [Nx, Ny, Nz] Pb per edge")
    corner_cut: int = Field(default=0, ge=0, description="Pb layers removed at every corner ({111})")
    edge_cut: int = Field(default=0, ge=0, description="Pb layers removed along every edge ({110})")

    @model_validator(mode="after")
    def _valid(self) -> FacetSpec:
        box_edges(self.n_pb, "faceted")
        if not (self.corner_cut or self.edge_cut):
            raise ValueError("a faceted NC needs corner_cut or edge_cut > 0")
        return self


class TrainingSection(Strict):
    """``[training]``: the NCs computed for the shape model (each a cached sweep point)."""

    cubes: list[int] = Field(min_length=3, description="Pb per edge of the cubes of the reference curve "
                             "g_cube(E), E_cube(K) (with the bulk limit)")
    cuboids: list[list[int]] = Field(min_length=4, description="[Nx, Ny, Nz] of the cuboids the shape terms "
                                     "are fitted to")
    faceted: list[FacetSpec] = Field(default=[], description="faceted cubes/boxes: isotropic, their shift of g "
                                     "at fixed energy is reported (not part of the shape model)")
    reuse_points: list[str] = Field(default=[], description="points/ directories of other runs: a record with "
                                    "the same content hash is copied instead of recomputed")

    @field_validator("cubes")
    @classmethod
    def _cubes(cls, cubes: list[int]) -> list[int]:
        for n in cubes:
            box_edges(n, "cube")
        if len(set(cubes)) != len(cubes):
            raise ValueError(f"cube sizes repeated: {cubes}")
        return cubes

    @field_validator("cuboids")
    @classmethod
    def _cuboids(cls, cuboids: list[list[int]]) -> list[list[int]]:
        for edges in cuboids:
            box_edges(edges, "cuboid")
            if len(set(edges)) == 1:
                raise ValueError(f"{edges} is a cube: list it under cubes")
        return cuboids


class ShapeModelSection(Strict):
    """``[shape_model]``: interpolation of the cuboid results in energy and aspect."""

    edge_offset: float = Field(default=1.0, ge=0.0, le=3.0, description="effective edge (N + offset)·a of a box of "
                               "N Pb (the X shell): defines the confinement K = Σ (π/L_i)² and the aspect q_i")
    degree: int = Field(default=3, ge=1, le=4, description="polynomial degree in x = E − Eg of the anisotropic term")
    forms: list[Literal["vanishing", "constant"]] = Field(
        default=list(SHAPE_FORMS), min_length=1, description="shape-term forms, the first is the central one: "
        "vanishing (no constant term, → 0 in the bulk) and/or constant (with one: extrapolation bound)")


class DistributionSection(Strict):
    """``[distribution]``: log-normal edges L_i = L·exp(σ_a ξ_i), ξ_i ~ N(0, 1) independent, the common
    size L log-normal (σ_s) about the median of ``median_energy_eV``; sampled, not gridded."""

    aspect_sigma: list[float] = Field(min_length=1, description="σ_a of ln(edge) about the common size, one "
                                      "ensemble each (0: cubes only)")
    size_sigma: float | None = Field(default=None, gt=0, description="σ_s of ln(common size); unset: broad "
                                     "(the PL width ≫ the selected range: no weight)")
    median_energy_eV: float | None = Field(default=None, gt=0, description="cube energy of the median size; "
                                           "unset: each selected energy (the laser at the PL peak)")
    n_shapes: int = Field(default=4000, ge=10, description="random shapes per ensemble")
    n_directions: int = Field(default=256, ge=8, description="field directions (Fibonacci half sphere) per shape")
    seed: int = Field(default=20251121, description="random seed (the same shapes at every energy)")

    @field_validator("aspect_sigma")
    @classmethod
    def _non_negative(cls, values: list[float]) -> list[float]:
        if any(v < 0 for v in values):
            raise ValueError(f"aspect_sigma must be >= 0, got {values}")
        return values


class SelectionSection(Strict):
    """``[selection]``: the laser. Each energy is one ensemble; the line is Gaussian of FWHM ``window_meV``."""

    energies_eV: list[float] | Range = Field(description="laser energies (eV)")
    window_meV: float = Field(default=1.0, ge=0.0, description="spectral FWHM of the laser (meV)")
    test_windows_meV: list[float] = Field(default=[], description="wider selections (FWHM, meV) evaluated at the "
                                          "samples only: how broad an energy selection the measured Δg would need")

    @field_validator("test_windows_meV")
    @classmethod
    def _positive_windows(cls, values: list[float]) -> list[float]:
        if any(v <= 0 for v in values):
            raise ValueError(f"test_windows_meV must be positive, got {values}")
        return values


class DephasingSection(Strict):
    """``[dephasing]``: the T2*(B) analysis of eqns (2)–(3) on simulated ensemble traces."""

    fields_T: list[float] = Field(min_length=2, description="Voigt fields of the simulated traces (T)")
    t2_zero_field_ps: float = Field(default=230.0, gt=0, description="field-independent decay of every NC (ps): "
                                    "the zero-field decay of the measured traces")
    t_max_ps: float = Field(default=2000.0, gt=0, description="longest delay of the traces (ps)")
    dt_ps: float = Field(default=2.0, gt=0, description="delay step (ps)")
    trace_field_T: float = Field(default=0.43, gt=0, description="field of the TRFE figure (T)")

    @field_validator("fields_T")
    @classmethod
    def _positive(cls, values: list[float]) -> list[float]:
        if any(v <= 0 for v in values) or len(set(values)) < 2:
            raise ValueError(f"fields_T needs two or more different positive fields, got {values}")
        return values


class SampleSpec(Strict):
    """``[[samples]]``: a measured sample; its delta_g_e/delta_g_h (and g) rows come from the data table."""

    sample: str = Field(description="sample label of the data table, e.g. '#4'")
    energy_eV: float | None = Field(default=None, gt=0, description="energy to compare at; unset: the energy of "
                                    "the sample's delta_g rows")
    energy_note: str = Field(default="", description="where the energy comes from when the data has none")


class EnsembleConfig(Strict):
    """Schema of a ``landeg ensemble`` config."""

    model: EnsembleModel = Field(default=EnsembleModel(), description="tight-binding model of the NCs")
    training: TrainingSection = Field(description="NCs computed for the shape model")
    shape_model: ShapeModelSection = Field(default=ShapeModelSection(), description="interpolation in energy "
                                           "and aspect")
    distribution: DistributionSection = Field(description="size and aspect distribution")
    selection: SelectionSection = Field(description="laser energies and width")
    dephasing: DephasingSection = Field(description="simulated T2*(B) analysis")
    samples: list[SampleSpec] = Field(default=[], description="measured samples to compare with")
    data: list[str] = Field(default=[], description="extra measurement tables (docs/data.md) besides the bundled one")
    output: OutputSection = Field(description="where results go")
