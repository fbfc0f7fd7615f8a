"""The bulk job: g_e, g_h, g_X and masses versus band gap, as a table, metadata and a figure."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator

from confinement.errors import ConfigError, LandegError, UnknownNameError
from confinement.io import save_figure, write_json, write_table
from confinement.metadata import run_metadata
from kp.bulk import bulk_kp
from kp.materials import known_materials, material_parameters, reference_row
from kp.parameters import constant_set_file, constants_at_gap

from ..sweeps.config import OutputSection, Range, Strict
from ..theory_vs_data import style


class BulkSection(Strict):
    """``[bulk]``: model, constant set, gap grid (eV) and materials to mark."""

    model: Literal["kp"] = "kp"
    params: str = "universal"
    eg: Range
    materials: list[str] = []

    @field_validator("eg")
    @classmethod
    def _positive_gap(cls, value: Range) -> Range:
        if value.start <= 0:
            raise ValueError(f"band gaps must be positive (eV); start = {value.start}")
        return value


class BulkConfig(Strict):
    """Schema of a bulk-sweep config file (see ``examples/bulk_universal.toml``)."""

    bulk: BulkSection
    output: OutputSection


def check_bulk_config(config: BulkConfig) -> None:
    """Check the names of a bulk config before any work: its materials and its k·p constant set
    (ConfigError naming the key)."""
    known = known_materials()
    for i, name in enumerate(config.bulk.materials):
        if name not in known:
            raise ConfigError(f"bulk.materials[{i}]: {UnknownNameError('material', name, known)}")
    try:
        constant_set_file(config.bulk.params)
    except LandegError as exc:
        raise ConfigError(f"bulk.params: {exc}") from None


def run_bulk_sweep(config: BulkConfig, out_dir: str | Path, *, config_path: str | Path | None = None) -> list[Path]:
    """Compute the bulk curves of ``config`` and write table, materials table, metadata, figure."""
    check_bulk_config(config)
    out = Path(out_dir)
    eg = config.bulk.eg.values()
    params = constants_at_gap(float(eg[0]), config.bulk.params)
    curve = bulk_kp(params, eg)
    comments = [f"bulk k·p ({params.label}): Eg, Delta, Ep in eV; m_e, m_h in m0; g in the J-convention, "
                f"g0 = {params.g0}",
                "masses are those of the bare eight-band model with the free-electron term (no remote-band mass terms)"]
    paths = [write_table(out / "bulk_vs_gap.csv", {
        "Eg_eV": eg, "g_e": curve.g_e, "g_h": curve.g_h, "g_X": curve.g_X, "m_e": curve.m_e, "m_h": curve.m_h,
    }, comments)]
    rows = _material_rows(config.bulk.materials, config.bulk.params)
    if rows:
        paths.append(write_table(out / "materials.csv", rows,
                                 ["k·p values at each material's Table S2 gap, next to the N23 ETB values"]))
    paths.append(write_json(out / "metadata.json", run_metadata(
        config=config.model_dump(), config_path=config_path,
        parameter_files=[constant_set_file(config.bulk.params)], parameters=params.as_dict())))
    paths += save_figure(_figure(curve, rows, params.label), out / "bulk_g_vs_gap", config.output.formats)
    return paths


def _material_rows(materials: list[str], constants: str) -> dict[str, list]:
    rows: dict[str, list] = {k: [] for k in ("material", "Eg_eV", "g_e", "g_h", "g_X", "g_e_ETB_N23", "g_h_ETB_N23")}
    for name in materials:
        res = bulk_kp(material_parameters(name, constants=constants, remote_masses=False))
        ref = reference_row(name)
        for key, value in zip(rows, (name, res.Eg, res.g_e, res.g_h, res.g_X, ref["g_e"], ref["g_h"])):
            rows[key].append(value)
    return rows if materials else {}


def _figure(curve, rows: dict[str, list], label: str):
    fig, ax = style.figure(4.2, 3.2)
    with style.rc():
        for key in ("g_e", "g_h", "g_X"):
            ax.plot(curve.Eg, getattr(curve, key), color=style.COLORS[key], label=f"{style.LABELS[key]} (k·p, {label})")
        if rows:
            for key in ("g_e", "g_h"):
                ax.plot(rows["Eg_eV"], rows[f"{key}_ETB_N23"], "o", mfc="none", color=style.COLORS[key],
                        label=f"{style.LABELS[key]} ETB, N23 Table S2")
            for name, x in zip(rows["material"], rows["Eg_eV"]):
                ax.annotate(name, (x, ax.get_ylim()[0]), xytext=(0, 3), textcoords="offset points",
                            ha="center", fontsize=7)
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_xlabel("band gap $E_g$ (eV)")
        ax.set_ylabel("g-factor")
        ax.set_title("Bulk lead-halide perovskites: eight-band k·p", fontsize=9)
        ax.legend(loc="upper right", ncol=1)
    return fig
