"""The run config: models, sweep axes, solver, comparison data, output (TOML → validated schema).

One config describes a whole study (``examples/*.toml``)::

    [run]                      # execution: workers, optional Dask scheduler, solver settings
    [[models]]                 # one table per model curve family
    id = "etb"                 #   a short unique name (used in labels, tables and figures)
    kind = "tb"                #   "kp" or "tb" (fields of each kind: KPModel / TBModel below)
    [models.sweep]             #   axes: the size axis and/or parameters, lists or {start, stop, step}
    n_pb = [4, 5, 6]
    [compare]                  # measured data overlaid on the results (bundled table + user tables)
    [output]                   # dir, figure formats

Structure and types are checked by pydantic (unknown keys refused with their dotted path); names
(materials, parameter sets, parameter paths, refit files) are checked by :func:`comparisons.sweeps.sweep.plan`
before any work starts. Units: sizes nm, energies eV, fields T.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from confinement.errors import LandegError
from confinement.shapes import get_shape, shape_names
from confinement.solvers import solver_names
from confinement.solvers.filtered import DEFAULT_POLYNOMIAL, FILTER_POLYNOMIALS

from ..experiment.measured import DEFAULT_POPULATION
from .config import OutputSection, Range, Strict

AxisValues = list[int | float | str] | Range

#: Size axes: the k·p edge (cube edge or sphere diameter, nm), TB cubes (Pb per edge), TB spheres (nm).
SIZE_AXES = ("edge_nm", "n_pb", "diameter_nm")


class SweepModel(Strict):
    """Fields shared by every model: its id, sweep axes and how the axes combine."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.+-]+$",
                    description="unique name of the model (letters, digits, _ . + -); labels its curves")
    sweep: dict[str, AxisValues] = Field(default={}, description="sweep axes: name → list of values or "
                                         "{start, stop, step} (inclusive); names per model kind below")
    combine: Literal["product", "zip"] = Field(default="product", description="Cartesian product of the axes, "
                                               "or zip (axes of equal length, taken together)")
    finite_field_T: float = Field(default=0.0, ge=0.0, description="finite-field check at this field (T); 0: off")
    overrides: dict[str, float] = Field(default={}, description="fixed parameter changes: name or dotted path → "
                                        "value (eV, or the parameter's unit)")

    @field_validator("sweep")
    @classmethod
    def _non_empty_axes(cls, sweep: dict[str, AxisValues]) -> dict[str, AxisValues]:
        for name, values in sweep.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"axis {name!r} has no values")
        return sweep

    @model_validator(mode="after")
    def _zip_lengths(self) -> SweepModel:
        if self.combine == "zip":
            lengths = {k: len(v) if isinstance(v, list) else len(v.values()) for k, v in self.sweep.items()}
            if len(set(lengths.values())) > 1:
                raise ValueError(f"combine = 'zip' needs axes of equal length, got {lengths}")
        return self


class KPModel(SweepModel):
    """An eight-band k·p NC (``kp.nanocrystal``): infinite barriers, sphere or cube.

    Sweepable: ``edge_nm`` (cube edge / sphere diameter, nm), ``material``, ``epsilon`` and any
    field of :class:`kp.parameters.KaneParameters` (Eg, Delta, P, delta_g_e, delta_g_h, g0,
    gamma_v, gamma_c), which ``overrides`` may also fix.
    """

    kind: Literal["kp"] = Field(description="'kp': eight-band k·p with infinite barriers")
    material: str = Field(default="CsPbI3", description="material row (gap, masses) of `landeg params`")
    constants: str = Field(default="universal", description="k·p constant set (Δ, P, Δg) of `landeg params`")
    shape: str = Field(default="sphere", description="a k·p shape of one size edge_nm: "
                       + ", ".join(n for n in shape_names("kp") if get_shape(n).kp_sizes == 1)
                       + " (sphere: spectral radial basis; cube: finite differences)")
    edge_nm: float | None = Field(default=None, gt=0, description="cube edge or sphere diameter (nm), "
                                  "unless swept")
    epsilon: float | None = Field(default=None, ge=1.0, description="dielectric constant of the e–h Coulomb "
                                  "shift of E_transition; unset: no shift")
    n_radial: int = Field(default=30, ge=2, description="sphere: radial functions per channel")
    grid_nm: float | None = Field(default=None, gt=0, description="cube: grid spacing (nm); default edge/16")
    richardson: bool = Field(default=True, description="cube: extrapolate from grids h and 2h")

    @field_validator("shape")
    @classmethod
    def _registered_shape(cls, shape: str) -> str:
        return registered_shape(shape, "kp")


class SecondNeighbourSection(Strict):
    """``[models.second_neighbour]``: X–X hopping ppσ = s, ppπ = ratio·s at a/√2, each strength s
    refitted to the base set's bulk targets (``tightbinding.families``); sweep ``xx_strength``."""

    xx_strength: float | None = Field(default=None, description="strength s (eV) unless swept as xx_strength")
    ratio: float = Field(default=-0.25, description="ppπ/ppσ (default: Harrison's −1/4)")


class TBModel(SweepModel):
    """A tight-binding NC (``tightbinding.nanocrystal``) cut from a parameter set.

    Sweepable: ``n_pb`` (cubes: N; cuboids and faceted boxes: "Nx,Ny,Nz" strings) or ``diameter_nm``
    (spheres), ``params`` (set names or paths),
    ``passivation_shift``, ``epsilon``, ``xx_strength`` (with ``second_neighbour``) and any dotted
    parameter path of the set ('hopping.X-X.p_p_sigma'),
    which ``overrides`` may also fix. ``refit``: a refit config run first (cached); its set
    replaces ``params``.
    """

    kind: Literal["tb"] = Field(description="'tb': empirical tight binding")
    params: str = Field(default="CsPbI3-N21-exp", description="parameter set: a name of `landeg params` or a "
                        "TOML path")
    shells: list[str] | None = Field(default=None, description="neighbour shells to include, e.g. "
                                     "['Pb-X']; default: all of the set")
    refit: str | None = Field(default=None, description="refit config run first (cached); its set replaces "
                              "params")
    shape: str = Field(default="cube", description="a registered shape (confinement.shapes) — "
                       + "; ".join(get_shape(n).summary for n in shape_names("tb")))
    n_pb: int | list[int] | None = Field(default=None, description="cube: Pb per edge (edge = n_pb·a); cuboid: "
                                         "[Nx, Ny, Nz]; faceted: N or [Nx, Ny, Nz]; unless swept")
    corner_cut: int = Field(default=0, ge=0, description="faceted: Pb layers removed at every corner ({111} facets)")
    edge_cut: int = Field(default=0, ge=0, description="faceted: Pb layers removed along every edge ({110} facets)")
    diameter_nm: float | None = Field(default=None, gt=0, description="sphere: diameter (nm), unless swept")
    passivation: bool = Field(default=True, description="passivate dangling bonds")
    passivation_shift: float | Literal["inf"] = Field(default="inf", description="shift of dangling orbitals "
                                                      "(eV); 'inf' decouples them exactly")
    epsilon: float | None = Field(default=None, ge=1.0, description="dielectric constant of the e–h Coulomb "
                                  "shift of E_transition; unset: no shift")
    second_neighbour: SecondNeighbourSection | None = Field(
        default=None, description="X–X second-neighbour family refitted to the bulk targets (sweep xx_strength)")

    @property
    def size_axis(self) -> str:
        """The axis that sizes this shape: ``n_pb`` (cube, cuboid, faceted) or ``diameter_nm`` (sphere)."""
        return get_shape(self.shape).size_axis()

    @field_validator("shape")
    @classmethod
    def _registered_shape(cls, shape: str) -> str:
        return registered_shape(shape, "tb")

    @model_validator(mode="after")
    def _shape_fields(self) -> TBModel:
        if (self.corner_cut or self.edge_cut) and not get_shape(self.shape).has_facets:
            faceted = ", ".join(repr(n) for n in shape_names("tb") if get_shape(n).has_facets)
            raise ValueError(f"corner_cut and edge_cut belong to shape = {faceted}, not to a {self.shape}")
        if self.n_pb is not None:
            box_edges(self.n_pb, self.shape)
        return self

    @field_validator("passivation_shift")
    @classmethod
    def _positive_shift(cls, value: float | str) -> float | str:
        if value != "inf" and value <= 0:  # type: ignore[operator]
            raise ValueError(f"passivation shift must be positive (eV) or 'inf', got {value}")
        return value


def registered_shape(shape: str, model: str) -> str:
    """``shape`` if the registry (:mod:`confinement.shapes`) has it for ``model`` and the schema can size
    it, else ValueError naming the shapes there are."""
    names = [n for n in shape_names(model) if model == "tb" or get_shape(n).kp_sizes == 1]
    if shape in shape_names(model) and shape not in names:
        raise ValueError(f"a k·p {shape} has {get_shape(shape).kp_sizes} edges; a run config's k·p models have one "
                         f"size edge_nm: {', '.join(names)}")
    if shape not in names:
        raise ValueError(f"unknown {model} shape {shape!r}; shapes: {', '.join(names)}")
    return shape


def registered_solver(solver: str) -> str:
    """``solver`` if the solver registry (:func:`confinement.solvers.solver_names`) has it, else
    ValueError naming the strategies there are."""
    if solver not in solver_names():
        raise ValueError(f"unknown solver {solver!r}; solvers: {', '.join(solver_names())}")
    return solver


def box_edges(value: int | str | list, shape: str) -> int | list[int]:
    """The ``n_pb`` of a TB shape as validated data: an integer ≥ 1 (cube; faceted cube) or three
    (cuboid; faceted box) given as a list or a "Nx,Ny,Nz" string; ValueError naming the problem."""
    try:
        return get_shape(shape).pb_counts(value)
    except LandegError as exc:
        raise ValueError(str(exc)) from None


ModelSpec = Annotated[KPModel | TBModel, Field(discriminator="kind")]


class RunSection(Strict):
    """``[run]``: execution. ``workers`` local processes (1: in this process); ``scheduler``: a Dask
    distributed address ('tcp://host:8786') that runs the points instead; solver strategy and
    residual tolerance (eV) of the NC eigen-solver; warm starts across the points of a worker."""

    workers: int = Field(default=1, ge=1, description="local worker processes (1: in this process)")
    scheduler: str | None = Field(default=None, description="Dask distributed scheduler address; unset: local")
    solver: str = Field(default="auto", description=f"NC eigen-solver: {', '.join(solver_names())}")
    tol: float = Field(default=1e-8, gt=0, le=1e-4, description="residual tolerance ‖Hv − Ev‖ (eV)")
    warm_start: bool = Field(default=True, description="start each filtered solve from the last subspace of a "
                             "cube of the same size in the same worker (same certificate, fewer mat-vecs)")
    filter_polynomial: Literal[FILTER_POLYNOMIALS] = Field(
        default=DEFAULT_POLYNOMIAL, description="polynomial of the filtered solver: 'bands' (orthogonal "
        "polynomials of the bulk bands) or 'fold' (Chebyshev on the folded spectrum; faster in two-worker "
        "sweeps of cubes of N >= 22, docs/performance.md); same answer within tol")

    @field_validator("solver")
    @classmethod
    def _registered_solver(cls, solver: str) -> str:
        return registered_solver(solver)


class CompareSection(Strict):
    """``[compare]``: overlay measured data (the bundled table and/or user tables in the same format;
    files and populations are checked by ``landeg validate`` and before a run computes anything).
    Only the rows of ``populations`` enter the metrics; ``show_populations`` are drawn, not compared.
    ``[compare.systematics]``, e.g. ``"etb" = ["etb-shift", "etb-coulomb"]``: the curves of the
    variant model ids are systematics of the central model's curve, drawn as a shaded band around it
    (pointwise min/max over the curves, only inside their common energy range) and reported as
    ``systematic_low``/``systematic_high`` at the measured points; variants are not drawn as lines.
    Model ids are checked by name; the central model may sweep only its size."""

    enabled: bool = Field(default=True, description="write the comparison (figures, metrics) after the run")
    bundled: bool = Field(default=True, description="use the bundled measured table of the reference paper")
    data: list[str] = Field(default=[], description="user measurement tables (CSV, docs/data.md); checked to "
                            "exist and parse before any point runs")
    populations: list[str] = Field(default=[DEFAULT_POPULATION], min_length=1, description="measured populations "
                                   "compared (metrics and figures): glass-6K = the paper's NCs in glass at 6 K")
    show_populations: list[str] = Field(default=[], description="other populations drawn with their own marker, "
                                        "not in the metrics (e.g. solution-200K, bulk)")
    systematics: dict[str, list[str]] = Field(default={}, description="central model id → variant model ids "
                                              "whose curves form its systematic band")

    @field_validator("systematics")
    @classmethod
    def _variants_given(cls, systematics: dict[str, list[str]]) -> dict[str, list[str]]:
        for central, variants in systematics.items():
            if not variants:
                raise ValueError(f"central model {central!r} has no variants")
            if central in variants:
                raise ValueError(f"{central!r} is listed as a variant of itself")
        return systematics


class RunConfig(Strict):
    """Schema of a ``landeg run`` config."""

    run: RunSection = Field(default=RunSection(), description="execution settings")
    models: list[ModelSpec] = Field(min_length=1, description="the models ([[models]] tables)")
    compare: CompareSection = Field(default=CompareSection(), description="measured data to overlay")
    output: OutputSection = Field(description="where results go")

    @model_validator(mode="after")
    def _unique_ids(self) -> RunConfig:
        ids = [m.id for m in self.models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"model ids must be unique; repeated: {duplicates}")
        return self

    @model_validator(mode="after")
    def _systematics_name_models(self) -> RunConfig:
        models = {m.id: m for m in self.models}
        for central, variants in self.compare.systematics.items():
            for name in (central, *variants):
                if name not in models:
                    raise ValueError(f"compare.systematics: unknown model id {name!r}; models: {', '.join(models)}")
            split = [a for a in models[central].sweep if a not in SIZE_AXES]
            if split:
                raise ValueError(f"compare.systematics: central model {central!r} sweeps {split[0]!r} besides its "
                                 "size, which splits it into several curves; a band needs one central curve")
        return self
