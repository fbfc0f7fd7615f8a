"""The kinds of config file the project runs, recognised by their sections, each checked by its own schema.

``landeg validate FILE`` accepts each kind: a *run* config (``[[models]]``; ``landeg run``), a
*refit* config (``[refit]``; ``landeg refit``), a *bulk* sweep (``[bulk]``; ``landeg bulk
--config``), an *ensemble* study (``[training]``; ``landeg ensemble``) and a second-neighbour
*bound* search (``[search]``; ``landeg bound``). The kind is told by
the file's sections alone — no ``kind`` key, since every schema refuses unknown keys and one file
runs with one command — and a file with none of them, or with the sections of two kinds, is
refused with a :class:`~confinement.errors.ConfigError` that lists
the kinds and their sections. :func:`check_config` then validates the file against its kind's
schema and runs that kind's checks that need no computation (names of materials, parameter sets
and paths, measured data files; points planned but not run; refit set-up but no fit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confinement.errors import ConfigError, LandegError

from ..sweeps.config import read_toml, validate_config


@dataclass(frozen=True)
class ConfigKind:
    """A kind of config: its name, the section that marks it, the command that runs it, its check."""

    name: str
    section: str
    command: str
    check: Callable[[dict, Path], dict[str, Any]]


def _check_run(raw: dict, path: Path) -> dict[str, Any]:
    from ..sweeps.runner import check_compare
    from ..sweeps.sweep import plan
    from ..sweeps.sweep_config import RunConfig

    config = validate_config(raw, RunConfig, path)
    check_compare(config.compare)           # data files exist and parse, populations have rows
    points = plan(config, dry_run=True)
    per_model = {m.id: sum(p.model_id == m.id for p in points) for m in config.models}
    return {"points": len(points), "per_model": per_model,
            "summary": f"{len(points)} points ({', '.join(f'{k}: {v}' for k, v in per_model.items())})"}


def _check_refit(raw: dict, path: Path) -> dict[str, Any]:
    from tightbinding.refit import RefitConfig, check_refit

    config = validate_config(raw, RefitConfig, path)
    info = check_refit(config.refit)
    return {**info, "summary": f"refit of {info['base']} → {info['name']}: {len(info['free'])} free parameters, "
                               f"targets {', '.join(info['targets'])}, {info['starts']} start(s); "
                               f"writes {config.output.file}"}


def _check_bulk(raw: dict, path: Path) -> dict[str, Any]:
    from .bulk_job import BulkConfig, check_bulk_config

    config = validate_config(raw, BulkConfig, path)
    check_bulk_config(config)
    eg = config.bulk.eg.values()
    return {"gaps": len(eg), "summary": f"bulk {config.bulk.model} sweep ({config.bulk.params}): {len(eg)} gaps "
                                        f"{eg[0]:g}–{eg[-1]:g} eV, materials {', '.join(config.bulk.materials) or '—'}"}


def _check_ensemble(raw: dict, path: Path) -> dict[str, Any]:
    from ..sweeps.ensemble_config import EnsembleConfig

    config = validate_config(raw, EnsembleConfig, path)
    return {"summary": f"ensemble study of {config.model.params}: {len(config.training.cubes)} training cubes, "
                       f"{len(config.samples)} measured samples"}


def _check_bound(raw: dict, path: Path) -> dict[str, Any]:
    from ..search.config import BoundConfig

    config = validate_config(raw, BoundConfig, path)
    search = config.search
    return {"summary": f"second-neighbour bound search on {search.base}: {len(search.parameters)} parameters "
                       f"({', '.join(search.parameters)}), objectives {', '.join(search.objectives)}, "
                       f"{search.starts} start(s); writes {config.output.dir}"}


#: Every kind, in the order they are listed in messages.
KINDS = (ConfigKind("run", "[[models]]", "landeg run", _check_run),
         ConfigKind("refit", "[refit]", "landeg refit", _check_refit),
         ConfigKind("bulk", "[bulk]", "landeg bulk --config", _check_bulk),
         ConfigKind("ensemble", "[training]", "landeg ensemble", _check_ensemble),
         ConfigKind("bound", "[search]", "landeg bound", _check_bound))


def _listing() -> str:
    return "; ".join(f"{k.name} ({k.section}, `{k.command}`)" for k in KINDS)


def config_kind(raw: dict, path: str | Path) -> ConfigKind:
    """The kind of the parsed config ``raw`` by its sections; ConfigError when none or several match."""
    found = [k for k in KINDS if k.section.strip("[]") in raw]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ConfigError(f"{path}: not a config of any known kind (top-level keys: "
                          f"{', '.join(raw) or 'none'}); the kinds are: {_listing()}")
    raise ConfigError(f"{path}: has the sections of several kinds ({', '.join(k.section for k in found)}); "
                      f"one file is one kind: {_listing()}")


def check_config(path: str | Path) -> dict[str, Any]:
    """Validate the config file ``path`` as its kind; returns ``{"kind", "valid", "summary", …}``."""
    raw = read_toml(path)
    kind = config_kind(raw, path)
    try:
        return {"kind": kind.name, "valid": True, **kind.check(raw, Path(path))}
    except ConfigError:
        raise
    except LandegError as exc:              # e.g. a refit's free parameter the set lacks: name the file
        raise ConfigError(f"{path}: {exc}") from None
