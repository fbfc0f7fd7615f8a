"""The ``landeg`` command line.

Sub-commands:
  bulk    bulk band-edge g-factors and masses (k·p or tight binding; one point or a gap sweep)
  params  list the bundled parameter sets with their sources
  bands   tight-binding band structure along Γ–X–M–Γ–R–X|M–R (table and figure)
  nc      band edges and g-factors of one nanocrystal
  refit   least-squares refit of a tight-binding set to bulk targets (config file)
  compare theory results versus the measured g-factors: metrics (JSON, Markdown) and figures
  run     a config-driven sweep (models × sizes × parameters), cached per point, with comparison
  ensemble g-factor spreads of shape-distributed, randomly oriented NCs versus the measured Δg
  validate check a config (run, refit, bulk sweep or ensemble) without running it
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from confinement.errors import LandegError, ParameterError
from confinement.io import to_json
from confinement.shapes import get_shape, shape_names
from confinement.solvers import solver_names
from confinement.solvers.filtered import DEFAULT_POLYNOMIAL, FILTER_POLYNOMIALS

_UNITS = {"Eg": "eV", "Eg_M": "eV", "Delta": "eV", "Ep": "eV", "m_e": "m0", "m_h": "m0", "edge_nm": "nm",
          "E_vb": "eV", "E_cb": "eV", "E_gap": "eV", "E_transition": "eV", "seconds": "s",
          "levels_below": "eV", "levels_above": "eV"}


def _print_record(record: dict, keys: Sequence[str], title: str, as_json: bool) -> None:
    if as_json:
        print(to_json(record), end="")
        return
    print(title)
    for key in keys:
        value = record[key]
        if isinstance(value, (list, tuple)):
            text = " ".join(f"{v: .4f}" for v in value)
        else:
            text = f"{value:d}" if isinstance(value, int) else f"{value: .4f}"
        print(f"  {key:18s} {text} {_UNITS.get(key, '')}".rstrip())


def _shells(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(s.strip() for s in text.split(",") if s.strip())


def _bulk(args: argparse.Namespace) -> int:
    if args.config:
        return _bulk_sweep(args)
    if args.model == "tb":
        from tightbinding.bulk import bulk_tb
        from tightbinding.crystal import Crystal
        from tightbinding.parameters import load_tb_parameters

        if args.material or args.eg is not None:
            raise ParameterError("--material and --eg belong to --model kp; a tight-binding set fixes both")
        params = load_tb_parameters(args.params or "CsPbI3-N21-exp")
        record = {"model": "tb", **bulk_tb(Crystal(params, shells=_shells(args.shells))).as_dict(),
                  "shells": list(_shells(args.shells) or params.shells),
                  "units": {"energies": "eV", "masses": "m0", "g": "J-convention, g0 = 2.00231930436"}}
        _print_record(record, ("Eg", "Eg_M", "Delta", "m_e", "m_h", "g_e", "g_h", "g_X"),
                      f"bulk tight binding, {params.name}", args.json)
        return 0
    from kp.bulk import bulk_kp
    from kp.materials import material_parameters, reference_row
    from kp.parameters import constants_at_gap

    constants = args.params or "universal"
    if args.shells:
        raise ParameterError("--shells belongs to --model tb")
    if args.material:
        params = material_parameters(args.material, eg=args.eg, constants=constants, remote_masses=not args.bare)
    elif args.eg is not None:
        params = constants_at_gap(args.eg, constants)
    else:
        raise ParameterError("give --material NAME, --eg GAP (eV) or --config FILE")
    record = {"model": "kp", "material": args.material, "params": constants, **bulk_kp(params).as_dict(),
              "g0": params.g0, "remote_masses": params.gamma_v != 0 or params.gamma_c != 0,
              "gamma_v": params.gamma_v, "gamma_c": params.gamma_c,
              "units": {"energies": "eV", "masses": "m0", "g": "J-convention"}}
    if args.material:
        record["reference_N23_table_S2"] = reference_row(args.material)
    _print_record(record, ("Eg", "Delta", "Ep", "g_e", "g_h", "g_X", "m_e", "m_h"), f"bulk k·p, {params.label}",
                  args.json)
    return 0


def _report_files(out: Path, paths: list[Path], as_json: bool) -> None:
    if as_json:
        print(to_json({"out": str(out), "files": [str(p) for p in paths]}), end="")
    else:
        print(f"wrote {len(paths)} files to {out}/:")
        for p in paths:
            print(f"  {p}")


def _bulk_sweep(args: argparse.Namespace) -> int:
    from ..sweeps.config import load_config
    from .bulk_job import BulkConfig, run_bulk_sweep

    config = load_config(args.config, BulkConfig)
    out = Path(args.out or config.output.dir)
    _report_files(out, run_bulk_sweep(config, out, config_path=args.config), args.json)
    return 0


def _params(args: argparse.Namespace) -> int:
    from kp.materials import known_materials
    from kp.parameters import CONSTANT_SETS, constant_set_file
    from tightbinding.parameters import load_tb_parameters, registered_sets

    record: dict = {"tb": {}, "kp": {}, "kp_materials": known_materials()}
    for name in registered_sets():
        p = load_tb_parameters(name)
        record["tb"][name] = {"material": p.material, "description": p.description,
                              "shells": {k: [list(v[0]), list(v[1])] for k, v in p.shells.items()},
                              "sources": p.references, "sha256": p.sha256}
    for name in CONSTANT_SETS:
        pf = constant_set_file(name)
        record["kp"][name] = {"description": pf.description, "sources": pf.references, "sha256": pf.sha256}
    if args.json:
        print(to_json(record), end="")
        return 0
    print("tight-binding sets (landeg bulk --model tb --params NAME):")
    for name, info in record["tb"].items():
        print(f"  {name:22s} {info['description']}")
        for key, citation in info["sources"].items():
            print(f"  {'':22s}   [{key}] {citation}")
    print("k·p constant sets (landeg bulk --model kp --params NAME):")
    for name, info in record["kp"].items():
        print(f"  {name:22s} {info['description']}")
        for key, citation in info["sources"].items():
            print(f"  {'':22s}   [{key}] {citation}")
    print(f"k·p materials (--material): {', '.join(record['kp_materials'])} (N23 SI Table S2)")
    return 0


def _bands(args: argparse.Namespace) -> int:
    from tightbinding.bands import band_structure
    from tightbinding.crystal import Crystal
    from tightbinding.parameters import load_tb_parameters

    from ..theory_vs_data.band_figure import write_band_structure

    params = load_tb_parameters(args.params)
    crystal = Crystal(params, shells=_shells(args.shells))
    bands = band_structure(crystal, args.path, density=args.density, character=args.character is not None)
    out = Path(args.out or f"results/bands_{params.name}")
    title = f"{params.name}: {', '.join(crystal.shells)}"
    _report_files(out, write_band_structure(bands, out, title, group=args.character), args.json)
    return 0


def _refit(args: argparse.Namespace) -> int:
    from tightbinding.refit import RefitConfig, run_refit, write_refit

    from ..sweeps.config import load_config
    from ..sweeps.progress import ProgressBar

    config = load_config(args.config, RefitConfig)
    bar = ProgressBar(config.refit.starts, f"landeg refit {config.refit.name}")
    try:
        result = run_refit(config.refit, progress=lambda done, total, o: bar.step(_start_line(done, total, o)))
    finally:
        bar.close()
    path = write_refit(result, args.out or config.output.file, config_path=args.config)
    if args.json:
        print(to_json({"file": str(path), "targets": result.targets, "changes": result.changes,
                       "evaluations": result.evaluations}), end="")
    else:
        print(result.table())
        print(f"wrote {path}")
    return 0


def _start_line(done: int, total: int, outcome) -> str:
    """The progress line of one finished refit start."""
    state = outcome.error or ("met every target" if outcome.success else "missed a target")
    nc = f", N-cube g_e {outcome.nc_g[0]:+.4f}, g_h {outcome.nc_g[1]:+.4f}" if outcome.nc_g else ""
    return (f"[{done}/{total}] refit start {done}: {state}, cost {outcome.cost:.4g}, "
            f"{outcome.evaluations} evaluations{nc}")


def _load_run_config(path: str):
    from ..sweeps.config import load_config
    from ..sweeps.sweep_config import RunConfig

    return load_config(path, RunConfig)


def _run(args: argparse.Namespace) -> int:
    from ..sweeps.runner import run_sweep

    config = _load_run_config(args.config)
    out = Path(args.out or config.output.dir)
    summary = run_sweep(config, out, config_path=args.config, scheduler=args.scheduler, workers=args.workers)
    record = {"out_dir": str(out), "points": summary.n_points, "cached": summary.n_cached,
              "computed": summary.n_computed, "files": [str(f) for f in summary.files]}
    if args.json:
        print(to_json({**record, "metrics": summary.metrics}), end="")
    else:
        print(f"{summary.n_points} points ({summary.n_cached} cached, {summary.n_computed} computed) → {out}")
        for f in summary.files:
            print(f"  {f}")
    return 0


def _ensemble(args: argparse.Namespace) -> int:
    from ..sweeps.config import load_config
    from ..sweeps.ensemble import run_ensemble
    from ..sweeps.ensemble_config import EnsembleConfig

    config = load_config(args.config, EnsembleConfig)
    out = Path(args.out or config.output.dir)
    summary = run_ensemble(config, out, config_path=args.config)
    if args.json:
        print(to_json({"out": str(out), "files": [str(p) for p in summary.files], "samples": summary.samples}), end="")
        return 0
    print(f"wrote {len(summary.files)} files to {out}/ (ensemble.md: predicted vs measured spreads)")
    print("  sample  E (eV)  carrier  form       σ_a   mean g   std     Δg_T2   measured Δg")
    for r in summary.samples:
        sample = next(s for s in summary.measured if s["sample"] == r["sample"])
        measured = sample.get(f"delta_g_{r['carrier']}")
        print(f"  {r['sample']:6s}  {r['energy_eV']:.3f}   {r['carrier']:7s}  {r['form']:9s}  {r['aspect_sigma']:4g}  "
              f"{r['g_mean']:.3f}   {r['g_std']:.4f}  {r['delta_g_T2']:.4f}  {'' if measured is None else measured}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .config_kinds import check_config

    result = check_config(args.config)      # the kind by its sections, then that kind's schema and checks
    if args.json:
        print(to_json(result), end="")
    else:
        print(f"{args.config}: valid; {result['summary']}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from ..experiment.measured import DEFAULT_POPULATION
    from ..sweeps.run_dir import run_compare_defaults
    from ..theory_vs_data.compare import METRICS_MD, run_comparison
    from ..theory_vs_data.metrics import metrics_markdown
    from ..theory_vs_data.systematics import parse_systematics

    run = run_compare_defaults(args.results)    # a run directory's [compare]: the defaults of every option
    populations = args.population or run.get("populations") or [DEFAULT_POPULATION]
    shown = args.show_population or run.get("show_populations", [])
    systematics = parse_systematics(args.systematics) if args.systematics else run.get("systematics", {})
    formats = args.formats.split(",") if args.formats else run.get("formats", ["png", "pdf"])
    metrics = run_comparison(args.results, args.data or run.get("data", []), args.out,
                             bundled=not args.no_bundled and run.get("bundled", True), bulk_constants=args.bulk_params,
                             formats=formats, populations=populations, show_populations=shown, systematics=systematics)
    if args.json:
        print(to_json(metrics), end="")
        return 0
    summary = metrics_markdown(metrics, populations=populations).split("\n\n## ")[0]
    print(summary.rstrip())
    print(f"wrote figures, metrics.json and {METRICS_MD} to {args.out}/")
    return 0


def _float_list(text: str, option: str, count: int) -> list[float]:
    """'4,4,6.5' → [4.0, 4.0, 6.5]; exactly ``count`` numbers, else a ParameterError naming ``option``."""
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count:
        raise ParameterError(f"{option} expects {count} comma-separated numbers, got {text!r}")
    return values


def _int_list(text: str) -> list[int]:
    """'5' → [5]; '3:8' → [3..8]; '3,5,9' → [3, 5, 9]."""
    try:
        if ":" in text:
            lo, hi = (int(x) for x in text.split(":"))
            return list(range(lo, hi + 1))
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise ParameterError(f"--n-pb expects N, N1:N2 or N1,N2,...; got {text!r}") from None


def _nc(args: argparse.Namespace) -> int:
    from tightbinding.crystal import Crystal
    from tightbinding.nanocrystal import make_shape
    from tightbinding.parameters import load_tb_parameters

    _refuse_options_of_the_other_model(args)
    if args.model == "kp":
        return _nc_kp(args)
    crystal = Crystal(load_tb_parameters(args.params), shells=_shells(args.shells))
    kind = get_shape(args.shape, model="tb")
    if 3 in kind.pb_edges:
        return _nc_box(args, crystal)
    if args.corner_cut or args.edge_cut:
        faceted = "|".join(n for n in shape_names("tb") if get_shape(n).has_facets)
        raise ParameterError(f"--corner-cut and --edge-cut facet a --shape {faceted} NC, not a {args.shape}")
    sizes = _int_list(args.n_pb) if args.n_pb else None
    if sizes and len(sizes) > 1:
        from ..sweeps.size_series import SERIES_SHAPE, run_tb_size_series

        if args.shape != SERIES_SHAPE:
            raise ParameterError(f"a size series (several --n-pb values) is defined for the {SERIES_SHAPE}")
        if args.extra_states:
            raise ParameterError("--extra-states applies to one nanocrystal, not to a size series")
        out = Path(args.out or f"results/nc_series_{crystal.params.name}")
        paths, _ = run_tb_size_series(args.params, sizes, out, shells=_shells(args.shells),
                                      passivation=not args.no_passivation, passivation_shift=args.passivation_shift,
                                      solver=args.solver, finite_field_T=None if args.no_finite_field else args.field,
                                      epsilon=args.epsilon, filter_polynomial=args.filter_polynomial)
        _report_files(out, paths, args.json)
        return 0
    shape = make_shape(crystal, args.shape, n_pb=sizes[0] if sizes else None, diameter_nm=args.diameter_nm)
    return _nc_one(args, crystal, shape)


def _nc_box(args: argparse.Namespace, crystal) -> int:
    """`landeg nc --shape cuboid|faceted`: one box of --n-pb Nx,Ny,Nz (faceted: also N) Pb per edge."""
    from tightbinding.nanocrystal import make_shape

    kind = get_shape(args.shape)
    if not args.n_pb:
        raise ParameterError(f"--shape {args.shape} needs --n-pb Nx,Ny,Nz (Pb per edge"
                             f"{'; N for a cube of its kind' if 1 in kind.pb_edges else ''})")
    if ":" in args.n_pb:
        raise ParameterError(f"--shape {args.shape} takes one box --n-pb Nx,Ny,Nz, not a size series {args.n_pb!r}")
    edges = _int_list(args.n_pb)
    if len(edges) not in kind.pb_edges:
        raise ParameterError(f"--shape {args.shape} needs three edges --n-pb Nx,Ny,Nz (Pb per edge), got {args.n_pb!r}")
    if not kind.has_facets and (args.corner_cut or args.edge_cut):
        faceted = "|".join(n for n in shape_names("tb") if get_shape(n).has_facets)
        raise ParameterError(f"--corner-cut and --edge-cut facet a --shape {faceted} NC, not a {args.shape}")
    shape = make_shape(crystal, args.shape, n_pb=tuple(edges) if len(edges) == 3 else edges[0],
                       corner_cut=args.corner_cut, edge_cut=args.edge_cut)
    return _nc_one(args, crystal, shape)


def _nc_one(args: argparse.Namespace, crystal, shape) -> int:
    """Solve one tight-binding NC and print its record (the g-tensors in principal form)."""
    from tightbinding.nanocrystal import nanocrystal_gfactors

    axes = args.field_axes or get_shape(args.shape).default_field_axes()
    record = nanocrystal_gfactors(crystal, shape, passivation=not args.no_passivation,
                                  passivation_shift=args.passivation_shift, solver=args.solver,
                                  finite_field_T=None if args.no_finite_field else args.field,
                                  epsilon=args.epsilon, n_extra=args.extra_states, field_axes=axes,
                                  filter_polynomial=args.filter_polynomial)
    keys = ["edge_nm", "n_orbitals", "E_vb", "E_cb", "E_gap", "E_transition", "g_e", "g_h", "g_X", "surface_weight_cb",
            "surface_weight_vb", "seconds"] \
        + (["g_e_finite_field", "g_h_finite_field"] if record.get("g_e_finite_field") is not None else []) \
        + (["levels_below", "levels_above"] if args.extra_states else [])
    title = (f"{args.shape} nanocrystal {getattr(shape, 'n_pb', '')}, {crystal.params.name}, "
             f"group {record['point_group']}, solver {record['solver']}")
    _print_record(record, keys, title, args.json)
    if not args.json:
        _print_principal(record)
    for warning in record["warnings"]:
        print(f"landeg nc: warning: {warning}", file=sys.stderr)
    return 0


def _print_principal(record: dict) -> None:
    """The electron and hole g-tensors in principal form (values, axes) and the finite-field check."""
    for carrier, key in (("electron", "g_e"), ("hole", "g_h")):
        p = record[f"{key}_principal"]
        print(f"  {carrier} g-tensor: principal values {' '.join(f'{v: .6f}' for v in p['principal_values'])}; "
              f"spread {p['spread']:.2e}; unique axis ({', '.join(f'{v:.3f}' for v in p['unique_axis'])}), "
              f"axial splitting {p['axial_splitting']: .6f}")
        for axis, row in zip("123", p["principal_axes"]):
            print(f"    axis {axis}: ({', '.join(f'{v: .4f}' for v in row)})")
        check = record.get(f"{key}_field_check")
        if check:
            along = ", ".join(f"{a} {c['finite_field']: .6f}" for a, c in check.items() if a != "max_deviation")
            grid = " on the fine grid (principal values: extrapolated)" if "grids" in record else ""
            print(f"    finite field {record['finite_field_T']:g} T{grid}: {along} (max |finite − first order| "
                  f"{check['max_deviation']:.1e})")


#: Options of `landeg nc` that belong to one model only, with their defaults.
_KP_ONLY = {"material": "CsPbI3", "edge_nm": None, "grid_nm": None, "n_radial": 30, "edges_nm": None}
_TB_ONLY = {"params": "CsPbI3-N21-exp", "shells": None, "n_pb": None, "out": None, "diameter_nm": None,
            "no_passivation": False, "passivation_shift": float("inf"), "extra_states": 0, "corner_cut": 0,
            "edge_cut": 0, "filter_polynomial": DEFAULT_POLYNOMIAL}


def _refuse_options_of_the_other_model(args: argparse.Namespace) -> None:
    """An option of the other model is an error, never silently ignored."""
    foreign = _TB_ONLY if args.model == "kp" else _KP_ONLY
    given = [name for name, default in foreign.items() if getattr(args, name) != default]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise ParameterError(f"{flags} belong(s) to --model {'tb' if args.model == 'kp' else 'kp'}, "
                             f"not to --model {args.model}")


def _nc_kp(args: argparse.Namespace) -> int:
    from kp.nanocrystal import kp_nanocrystal

    kind = get_shape(args.shape)
    if "kp" not in kind.models:
        raise ParameterError(f"--shape {args.shape} is a tight-binding shape (complete octahedra); k·p has "
                             f"{', '.join(shape_names('kp'))}")
    if kind.kp_sizes == 3:
        if args.edges_nm is None or args.edge_nm is not None:
            raise ParameterError(f"landeg nc --model kp --shape {args.shape} needs --edges-nm LX,LY,LZ (nm), "
                                 "not --edge-nm")
        size = _float_list(args.edges_nm, "--edges-nm", 3)
    elif args.edge_nm is None or args.edges_nm is not None:
        raise ParameterError("landeg nc --model kp needs --edge-nm L (cube edge or sphere diameter, nm); "
                             "--edges-nm belongs to --shape cuboid")
    else:
        size = args.edge_nm
    record = kp_nanocrystal(args.material, args.shape, size, epsilon=args.epsilon, grid_nm=args.grid_nm,
                            n_radial=args.n_radial, solver=args.solver,
                            finite_field_T=None if args.no_finite_field else args.field,
                            field_axes=args.field_axes or kind.default_field_axes())
    keys = ["edge_nm", "E_gap", "E_transition", "g_e", "g_h", "g_X", "g_e_bulk_at_E", "g_h_bulk_at_E",
            "delta_g_e", "delta_g_h", "seconds"] + (["g_e_finite_field", "g_h_finite_field"]
                                                     if record.get("g_e_finite_field") is not None else [])
    on_grid = kind.kp_method == "grid"
    grid = f"h = {record['grid_nm']:.4g} nm" if on_grid else f"N = {record['n_radial']} radial"
    _print_record(record, keys, f"k·p {args.shape} nanocrystal, {args.material}, {grid}", args.json)
    if not args.json and on_grid:
        _print_principal(record)
    for warning in record.get("warnings", []):
        print(f"landeg nc: warning: {warning}", file=sys.stderr)
    return 0


def _tb_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--params and --shells of the sub-commands that take a tight-binding model."""
    parser.add_argument("--params", default="CsPbI3-N21-exp", help="tight-binding set (default: CsPbI3-N21-exp)")
    parser.add_argument("--shells", metavar="LIST", help="neighbour shells to include, e.g. 'Pb-X,X-X' "
                                                         "(default: all of the set)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``landeg`` (every sub-command with its help)."""
    parser = argparse.ArgumentParser(
        prog="landeg",
        description="Landé g-factors of electrons and holes in lead-halide perovskite nanocrystals "
                    "from k·p and empirical tight-binding theory. Units: eV, nm, T; g in the J-convention.",
        epilog="First run: landeg run examples/quick.toml. Help on a command: landeg COMMAND --help. "
               "Documentation: docs/ (getting_started.md, tutorials/), or build the site: mkdocs build.")
    from confinement.metadata import toolkit_version

    parser.add_argument("--version", action="version", version=f"landeg {toolkit_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    bulk = sub.add_parser(
        "bulk", help="bulk band-edge g-factors and masses",
        description="Bulk electron and hole g-factors (J-convention), g_X = g_e + g_h and band-edge masses, "
                    "from the eight-band k·p model (--model kp) or tight binding (--model tb). Either one point "
                    "or, for k·p, a band-gap sweep from a config file (--config) written as table, metadata, figure.")
    bulk.add_argument("--model", choices=["kp", "tb"], default="kp", help="band model (default: kp)")
    bulk.add_argument("--params", help="parameter set: a registered name or a TOML path (kp default: 'universal'; "
                                       "tb default: 'CsPbI3-N21-exp'; see `landeg params`)")
    bulk.add_argument("--material", help="k·p: material row of N23 Table S2 (CsPbI3, CsPbBr3, CsPbCl3)")
    bulk.add_argument("--eg", type=float, metavar="EV", help="k·p: band gap in eV (overrides the material's gap)")
    bulk.add_argument("--bare", action="store_true",
                      help="k·p: no remote-band mass terms (default: fitted to the Table S2 masses)")
    bulk.add_argument("--shells", metavar="LIST",
                      help="tb: neighbour shells to include, e.g. 'Pb-X' (default: all of the set)")
    bulk.add_argument("--config", metavar="FILE", help="k·p gap-sweep config (TOML), e.g. examples/bulk_universal.toml")
    bulk.add_argument("--out", metavar="DIR", help="output directory (overrides the config's output.dir)")
    bulk.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    bulk.set_defaults(handler=_bulk)

    params = sub.add_parser("params", help="list parameter sets and their sources",
                            description="List the bundled tight-binding sets, k·p constant sets and materials, "
                                        "each with its sources.")
    params.add_argument("--json", action="store_true", help="print one JSON object")
    params.set_defaults(handler=_params)

    bands = sub.add_parser("bands", help="tight-binding band structure (table and figure)",
                           description="Bulk bands of a tight-binding set along a path of the simple-cubic "
                                       "Brillouin zone, written as bands.csv and a figure (PNG, PDF).")
    _tb_model_arguments(bands)
    bands.add_argument("--path", default="G-X-M-G-R-X|M-R", help="k path; '-' joins, '|' jumps (default: %(default)s)")
    bands.add_argument("--density", type=float, default=40.0, help="points per π/a of path length (default: 40)")
    bands.add_argument("--character", metavar="GROUP",
                       help="colour by the weight of an orbital group, e.g. 'X p', 'Pb s' (also saves all weights)")
    bands.add_argument("--out", metavar="DIR", help="output directory (default: results/bands_<set>)")
    bands.add_argument("--json", action="store_true", help="print the written files as JSON")
    bands.set_defaults(handler=_bands)

    nc = sub.add_parser("nc", help="band edges and g-factors of one nanocrystal",
                        description="Build a nanocrystal (cube of N Pb per edge or sphere of complete PbX6 "
                                    "octahedra), find its band-edge Kramers doublets and their g-factors "
                                    "(first order, with a finite-field check), and report surface weights.")
    nc.add_argument("--model", choices=["tb", "kp"], default="tb", help="band model (default: tb)")
    nc.add_argument("--material", default="CsPbI3", help="kp: material row of N23 Table S2 (default: CsPbI3)")
    nc.add_argument("--edge-nm", type=float, metavar="L", help="kp: cube edge or sphere diameter in nm")
    nc.add_argument("--grid-nm", type=float, metavar="H", help="kp cube: grid spacing in nm (default: edge/16; "
                                                                "g extrapolated from h and 2h)")
    nc.add_argument("--n-radial", type=int, default=30, metavar="N",
                    help="kp sphere: radial functions per channel (default: 30)")
    nc.add_argument("--epsilon", type=float, metavar="EPS",
                    help="dielectric constant of the e–h Coulomb correction of E_transition (default: none)")
    _tb_model_arguments(nc)
    nc.add_argument("--shape", choices=shape_names(), default="cube",
                    help="NC shape (default: cube); cuboid: --n-pb Nx,Ny,Nz (tb) or --edges-nm LX,LY,LZ (kp); "
                         "faceted (tb): a cube or cuboid with --corner-cut/--edge-cut")
    nc.add_argument("--n-pb", metavar="N", help="tb cube: Pb atoms per edge (edge ≈ N·a); a list 'N1:N2' or "
                                                "'N1,N2,...' runs a resumable size series (a run directory: "
                                                "results.csv, points/, compare/, nc_g_vs_energy) in --out; "
                                                "tb cuboid/faceted: the three edges Nx,Ny,Nz of one box")
    nc.add_argument("--corner-cut", type=int, default=0, metavar="K",
                    help="tb faceted: Pb layers removed at every corner by {111} facets (default: 0)")
    nc.add_argument("--edge-cut", type=int, default=0, metavar="K",
                    help="tb faceted: Pb layers removed along every edge by {110} facets (default: 0)")
    nc.add_argument("--edges-nm", metavar="LX,LY,LZ", help="kp cuboid: the three edges in nm")
    nc.add_argument("--field-axes", metavar="AXES",
                    help="axes of the finite-field check of the g-tensor, a subset of 'xyz' (one solve each; "
                         "default: 'z' for cube and sphere, 'xyz' for cuboid and faceted)")
    nc.add_argument("--out", metavar="DIR", help="size series: output directory (default: results/nc_series_<set>)")
    nc.add_argument("--diameter-nm", type=float, metavar="D", help="tb sphere: diameter in nm (kp: use --edge-nm)")
    nc.add_argument("--no-passivation", action="store_true", help="tb: leave dangling bonds unpassivated")
    nc.add_argument("--passivation-shift", type=float, default=float("inf"), metavar="EV",
                    help="tb: energy shift of dangling orbitals in eV; 'inf' (default) decouples them exactly "
                         "(the infinite-shift limit, docs/nc.md)")
    nc.add_argument("--extra-states", type=int, default=0, metavar="K",
                    help="tb: also converge K states beyond the band-edge doublet on each side "
                         "(printed as levels_below/levels_above, eV, nearest the gap first; default: 0)")
    nc.add_argument("--solver", default="auto", choices=solver_names(),
                    help=f"eigen-solver strategy: {', '.join(solver_names())} (default: auto; docs/nc.md)")
    nc.add_argument("--filter-polynomial", default=DEFAULT_POLYNOMIAL, choices=FILTER_POLYNOMIALS,
                    help="tb, filtered solver: its polynomial, 'bands' or 'fold' (default: bands; same answer "
                         "within tol, docs/performance.md says where each is faster)")
    nc.add_argument("--field", type=float, default=1.0, metavar="T",
                    help="field of the finite-field check in T (default: 1)")
    nc.add_argument("--no-finite-field", action="store_true", help="skip the finite-field check")
    nc.add_argument("--json", action="store_true", help="print one JSON object")
    nc.set_defaults(handler=_nc)

    refit = sub.add_parser("refit", help="refit a tight-binding set to bulk targets",
                           description="Least-squares refit (scipy.optimize.least_squares, bounded) of chosen "
                                       "parameters of a tight-binding set to targets Eg, Eg_M, Delta, m_e, m_h, "
                                       "g_e, g_h; writes the refitted set with its targets and residuals. "
                                       "Fails with the residual table if a target is missed.")
    refit.add_argument("config", help="refit config (TOML), e.g. examples/refit_CsPbI3_XX.toml")
    refit.add_argument("--out", metavar="FILE", help="parameter file to write (overrides output.file)")
    refit.add_argument("--json", action="store_true", help="print targets and changes as JSON")
    refit.set_defaults(handler=_refit)

    compare = sub.add_parser(
        "compare", help="theory versus the measured g-factors: metrics and figures",
        description="Compare theory results with the measured g-factors of CsPbI3 NCs (bundled table of "
                    "Meliakov et al., Nanoscale 17, 6522 (2025), plus --data tables). Results are grouped into "
                    "curves by (model, parameter set, shape); each curve and the bulk k·p curve at Eg = E are "
                    "interpolated at the measured energies (never extrapolated). Writes metrics.json, "
                    "metrics.md (RMS, max |theory - measured|, chi^2 where uncertainties exist, the high-energy "
                    "end residual), theory_curves.csv, bulk_kp.csv and the figures g_vs_energy, gX_vs_energy, "
                    "residuals. Schemas: docs/data.md; definitions: docs/comparison.md.")
    compare.add_argument("results", nargs="*", metavar="RESULTS",
                         help="theory results: a `landeg run` output directory DIR (reads DIR/results.csv; the "
                              "[compare] settings of its run config in DIR/metadata.json — data, populations, "
                              "systematics, formats — are the defaults of the options below), JSON of `landeg nc "
                              "--json` (one record or a list), a size-series directory with point_N*.json (benchmark "
                              "records), or a results CSV (one row per point, e.g. DIR/results.csv of `landeg run` or "
                              "`landeg nc --n-pb A:B`); none: only the "
                              "bulk k·p curve is compared")
    compare.add_argument("--data", action="append", default=[], metavar="CSV",
                         help="extra measurement table in the landeg-measurements/1 format (repeatable)")
    compare.add_argument("--no-bundled", action="store_true",
                         help="leave out the bundled table of Meliakov et al. 2025 (then give --data)")
    compare.add_argument("--out", required=True, metavar="DIR", help="output directory")
    compare.add_argument("--population", action="append", default=[], metavar="NAME",
                         help="measured population compared in metrics and figures (repeatable; default: glass-6K, "
                              "the paper's NCs in glass at 6 K; others in the bundled table: solution-200K, bulk)")
    compare.add_argument("--show-population", action="append", default=[], metavar="NAME",
                         help="also draw this population with its own marker, without entering the metrics "
                              "(repeatable)")
    compare.add_argument("--systematics", action="append", default=[], metavar="CENTRAL=VAR1,VAR2",
                         help="draw the curves of the variant model ids as a shaded systematic band around the "
                              "central model's curve and report its low/high at the measured points (repeatable; "
                              "ids: the model_id of landeg run results, or a curve's key or parameter set)")
    compare.add_argument("--bulk-params", default="universal", metavar="NAME",
                         help="k·p constant set of the bulk reference curve (default: universal)")
    compare.add_argument("--formats", metavar="LIST",
                         help="figure formats, comma separated: png, pdf, svg (default: a run directory's "
                              "output.formats, else png,pdf)")
    compare.add_argument("--json", action="store_true",
                         help="print the metrics as one JSON object keyed by curve, then carrier")
    compare.set_defaults(handler=_compare)

    run = sub.add_parser(
        "run", help="run a config-driven sweep (cached per point) and compare with the data",
        description="Run every point of a config (models × sizes × parameters; examples/*.toml), each cached "
                    "by a content hash in DIR/points (re-running skips finished points), then write DIR/results.csv "
                    "(one row per point), DIR/metadata.json and the comparison with the measured data "
                    "(DIR/compare). Progress with ETA on stderr. The measured data is checked before any point "
                    "runs. Ctrl-C stops the run with one line saying how many points are done (exit status 130); "
                    "rerun the same command to resume.")
    run.add_argument("config", help="run config (TOML), e.g. examples/quick.toml")
    run.add_argument("--out", metavar="DIR", help="output directory (overrides output.dir of the config)")
    run.add_argument("--workers", type=int, metavar="N", help="local worker processes (overrides run.workers)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run the points on a Dask distributed cluster at ADDRESS (overrides run.scheduler)")
    run.add_argument("--json", action="store_true", help="print a JSON summary (with the metrics)")
    run.set_defaults(handler=_run)

    ensemble = sub.add_parser(
        "ensemble", help="g-factor spreads of shape-distributed, randomly oriented NCs versus the measured Δg",
        description="Compute (cached per point) tight-binding cubes and cuboids, interpolate their g-tensors in "
                    "energy and aspect, and build ensembles of randomly oriented NCs with log-normal edges selected "
                    "by a laser; read their g spread through simulated T2*(B) (eqns 2 and 3 of Meliakov et al. 2025) "
                    "and compare with the measured spreads. Writes ensemble.csv, samples.csv, training.csv, "
                    "ensemble.md, ensemble.json and the figures ensemble_g_vs_energy, ensemble_trfe. Config: "
                    "examples/ensemble_CsPbI3.toml; docs/ensembles.md.")
    ensemble.add_argument("config", help="ensemble config (TOML), e.g. examples/ensemble_CsPbI3.toml")
    ensemble.add_argument("--out", metavar="DIR", help="output directory (overrides output.dir of the config)")
    ensemble.add_argument("--json", action="store_true", help="print the files and the samples' rows as JSON")
    ensemble.set_defaults(handler=_ensemble)

    validate = sub.add_parser(
        "validate", help="check a config (run, refit, bulk sweep or ensemble) without running it",
        description="Validate a config file of any kind the project runs, told by its sections: a run config "
                    "([[models]], `landeg run`), a refit config ([refit], `landeg refit`), a bulk sweep ([bulk], "
                    "`landeg bulk --config`) or an ensemble study ([training], `landeg ensemble`). Checks keys, "
                    "types, values and names against that kind's schema; for a run config also the parameter "
                    "paths, refit configs (set up, not fitted), the measured data files of [compare] (exist and "
                    "parse), its populations and the model ids of [compare.systematics], and prints the number of "
                    "points; for a refit config the base set, its fixed values, shells and free parameters (set "
                    "up, not fitted); for a bulk sweep its materials and constant set. Exit status 2 on errors.")
    validate.add_argument("config", help="config file (TOML): run, refit, bulk sweep or ensemble")
    validate.add_argument("--json", action="store_true", help="print a JSON summary")
    validate.set_defaults(handler=_validate)

    from ..search.command import add_parser as add_bound  # landeg bound (issue 18)
    add_bound(sub)
    return parser


#: Commands whose large eigen-solves are shown live on stderr (:class:`comparisons.sweeps.progress.SolveProgress`).
_SOLVE_PROGRESS = ("nc",)


def _solve_progress(command: str):
    if command not in _SOLVE_PROGRESS:
        return contextlib.nullcontext()
    from ..sweeps.progress import showing_solves

    return showing_solves(f"landeg {command}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``landeg`` command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _solve_progress(args.command):
            return args.handler(args)
    except LandegError as exc:
        print(f"landeg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:     # Ctrl-C: one line (a run says how far it got), not a traceback
        print(f"landeg {args.command}: {str(exc) or 'interrupted'}", file=sys.stderr)
        return 130
    except BrokenPipeError:              # `landeg params | head`: the reader went away; not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
