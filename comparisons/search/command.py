"""``landeg bound CONFIG``: the parser set-up and the run function of the second-neighbour bound.

The command line adds it with two lines: ``add_parser(sub)`` where the sub-commands are built.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub) -> argparse.ArgumentParser:
    """Register ``bound`` on the sub-parsers object ``sub`` of the ``landeg`` parser."""
    bound = sub.add_parser(
        "bound", help="largest hole-g rise any admissible second-neighbour model allows (issue 18)",
        description="Search the admissible space of X-X and Pb-Pb second-neighbour integrals and the I 5p "
                    "spin-orbit (each point refitted to the base set's bulk targets, halide band kept in a "
                    "window) for the maximum of g_h(E_high) - g_h(E_low) and of g_h(E_high) of cubes, with SciPy "
                    "COBYLA from several starts; sensitivities at the base point; cuboid/cube shape spreads. "
                    "Cached and resumable: rerun the same command to continue. Writes summary.json, summary.md, "
                    "history/, sensitivities.json and the figures. Config: examples/second_neighbour_bound.toml; "
                    "docs/second_neighbour.md.")
    bound.add_argument("config", help="bound config (TOML), e.g. examples/second_neighbour_bound.toml")
    bound.add_argument("--out", metavar="DIR", help="output directory (overrides output.dir of the config)")
    bound.add_argument("--max-minutes", type=float, metavar="M", help="wall-time budget (overrides search.max_minutes)")
    bound.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    bound.set_defaults(handler=run_command)
    return bound


def run_command(args: argparse.Namespace) -> int:
    """Run (or resume) the bound and print its one-line results."""
    from confinement.config_base import load_config

    from .config import BoundConfig
    from .run import run_bound

    config = load_config(args.config, BoundConfig)
    if args.max_minutes:
        search = config.search.model_copy(update={"max_minutes": args.max_minutes})
        config = config.model_copy(update={"search": search})
    out = Path(args.out or config.output.dir)
    log = None if args.quiet else (lambda msg: print(f"landeg bound: {msg}", file=sys.stderr, flush=True))
    summary = run_bound(config, out, log=log, config_path=args.config)
    print(f"wrote {out}/summary.md ({summary['n_evaluations']} evaluations, {summary['n_admissible']} admissible"
          + (f"; {summary['stopped']}" if summary.get("stopped") else "") + ")")
    for name, o in summary["objectives"].items():
        print(f"  {name}: base {o['base']:+.4f}, max {o['max']:+.4f} (gain {o['gain']:+.4f})")
    return 0
