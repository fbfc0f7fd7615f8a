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
(materials, parameter sets, parameter paths, refit files) are checked by :func:`comparisons.sweep.plan`
before any work starts. Units: sizes nm, energies eV, fields T.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from .config import OutputSection, Range, Strict

AxisValues = Union[list[Union[int, float, str]], Range]

#: Size axes: the k·p edge (cube edge or sphere diameter, nm), TB cubes (Pb per edge), TB spheres (nm).
SIZE_AXES = ("edge_nm", "n_pb", "diameter_nm")


class SweepModel(Strict):
    """Fields shared by every model: its id, sweep axes and how the axes combine."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.+-]+$")
    sweep: dict[str, AxisValues] = {}
    combine: Literal["product", "zip"] = "product"
    finite_field_T: float = Field(default=0.0, ge=0.0, description="finite-field check at this field (T); 0: off")
    overrides: dict[str, float] = {}

    @field_validator("sweep")
    @classmethod
    def _non_empty_axes(cls, sweep: dict[str, AxisValues]) -> dict[str, AxisValues]:
        for name, values in sweep.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"axis {name!r} has no values")
        return sweep

    @model_validator(mode="after")
    def _zip_lengths(self) -> "SweepModel":
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

    kind: Literal["kp"]
    material: str = "CsPbI3"
    constants: str = "universal"
    shape: Literal["sphere", "cube"] = "sphere"
    edge_nm: float | None = Field(default=None, gt=0)
    epsilon: float | None = Field(default=None, ge=1.0, description="dielectric constant of the Coulomb shift")
    n_radial: int = Field(default=30, ge=2)
    grid_nm: float | None = Field(default=None, gt=0)
    richardson: bool = True


class TBModel(SweepModel):
    """A tight-binding NC (``tightbinding.nanocrystal``) cut from a parameter set.

    Sweepable: ``n_pb`` (cubes) or ``diameter_nm`` (spheres), ``params`` (set names or paths),
    ``passivation_shift``, ``epsilon`` and any dotted parameter path of the set ('hopping.X-X.p_p_sigma'),
    which ``overrides`` may also fix. ``refit``: a refit config run first (cached); its set
    replaces ``params``.
    """

    kind: Literal["tb"]
    params: str = "CsPbI3-N21-exp"
    shells: list[str] | None = None
    refit: str | None = None
    shape: Literal["cube", "sphere"] = "cube"
    n_pb: int | None = Field(default=None, ge=1)
    diameter_nm: float | None = Field(default=None, gt=0)
    passivation: bool = True
    passivation_shift: float | Literal["inf"] = "inf"
    epsilon: float | None = Field(default=None, ge=1.0, description="dielectric constant of the Coulomb shift")

    @field_validator("passivation_shift")
    @classmethod
    def _positive_shift(cls, value: float | str) -> float | str:
        if value != "inf" and value <= 0:  # type: ignore[operator]
            raise ValueError(f"passivation shift must be positive (eV) or 'inf', got {value}")
        return value


ModelSpec = Annotated[Union[KPModel, TBModel], Field(discriminator="kind")]


class RunSection(Strict):
    """``[run]``: execution. ``workers`` local processes (1: in this process); ``scheduler``: a Dask
    distributed address ('tcp://host:8786') that runs the points instead; solver strategy and
    residual tolerance (eV) of the NC eigen-solver."""

    workers: int = Field(default=1, ge=1)
    scheduler: str | None = None
    solver: str = "auto"
    tol: float = Field(default=1e-8, gt=0, le=1e-4)


class CompareSection(Strict):
    """``[compare]``: overlay measured data (the bundled table and/or user tables in the same format)."""

    enabled: bool = True
    bundled: bool = True
    data: list[str] = []


class RunConfig(Strict):
    """Schema of a ``landeg run`` config."""

    run: RunSection = RunSection()
    models: list[ModelSpec] = Field(min_length=1)
    compare: CompareSection = CompareSection()
    output: OutputSection

    @model_validator(mode="after")
    def _unique_ids(self) -> "RunConfig":
        ids = [m.id for m in self.models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"model ids must be unique; repeated: {duplicates}")
        return self
