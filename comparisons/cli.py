"""The ``landeg`` command line.

Sub-commands:
  bulk   bulk band-edge g-factors and masses (one point, or a gap sweep from a config file)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from confinement.errors import LandegError, ParameterError

from .io import to_json


def _bulk(args: argparse.Namespace) -> int:
    if args.config:
        from .bulk_job import BulkConfig, run_bulk_sweep
        from .config import load_config

        config = load_config(args.config, BulkConfig)
        out = Path(args.out or config.output.dir)
        paths = run_bulk_sweep(config, out, config_path=args.config)
        if args.json:
            print(to_json({"out": str(out), "files": [str(p) for p in paths]}), end="")
        else:
            print(f"wrote {len(paths)} files to {out}/:")
            for p in paths:
                print(f"  {p}")
        return 0
    from kp.bulk import bulk_kp
    from kp.materials import material_parameters, reference_row
    from kp.parameters import constants_at_gap

    if args.material:
        params = material_parameters(args.material, eg=args.eg, constants=args.params,
                                     remote_masses=not args.bare)
    elif args.eg is not None:
        params = constants_at_gap(args.eg, args.params)
    else:
        raise ParameterError("give --material NAME, --eg GAP (eV) or --config FILE")
    result = bulk_kp(params)
    record = {"model": "kp", "material": args.material, "params": args.params, **result.as_dict(),
              "g0": params.g0, "remote_masses": params.gamma_v != 0 or params.gamma_c != 0,
              "gamma_v": params.gamma_v, "gamma_c": params.gamma_c,
              "units": {"energies": "eV", "masses": "m0", "g": "J-convention"}}
    if args.material:
        record["reference_N23_table_S2"] = reference_row(args.material)
    if args.json:
        print(to_json(record), end="")
    else:
        print(f"bulk k·p, {params.label}")
        for key in ("Eg", "Delta", "Ep", "g_e", "g_h", "g_X", "m_e", "m_h"):
            unit = {"Eg": "eV", "Delta": "eV", "Ep": "eV", "m_e": "m0", "m_h": "m0"}.get(key, "")
            print(f"  {key:6s} {record[key]: .4f} {unit}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``landeg`` (every sub-command with its help)."""
    parser = argparse.ArgumentParser(
        prog="landeg",
        description="Landé g-factors of electrons and holes in lead-halide perovskite nanocrystals "
                    "from k·p and empirical tight-binding theory. Units: eV, nm, T; g in the J-convention.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    bulk = sub.add_parser(
        "bulk", help="bulk band-edge g-factors and masses",
        description="Bulk electron and hole g-factors (J-convention), g_X = g_e + g_h and band-edge masses. "
                    "Either one point (--material and/or --eg) or a band-gap sweep from a config file "
                    "(--config), written as a CSV table, metadata and a figure.")
    bulk.add_argument("--model", choices=["kp"], default="kp", help="band model (default: kp, the eight-band k·p model)")
    bulk.add_argument("--params", default="universal",
                      help="k·p constant set: a registered name ('universal', K22) or a TOML file path")
    bulk.add_argument("--material", help="material row of N23 Table S2: CsPbI3, CsPbBr3 or CsPbCl3")
    bulk.add_argument("--eg", type=float, metavar="EV", help="band gap in eV (overrides the material's gap)")
    bulk.add_argument("--bare", action="store_true",
                      help="no remote-band mass terms (bare eight-band masses); default fits them to Table S2 masses")
    bulk.add_argument("--config", metavar="FILE", help="sweep config (TOML), e.g. examples/bulk_universal.toml")
    bulk.add_argument("--out", metavar="DIR", help="output directory (overrides the config's output.dir)")
    bulk.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    bulk.set_defaults(handler=_bulk)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``landeg`` command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except LandegError as exc:
        print(f"landeg {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
