"""Sweeps: config-driven studies from a TOML file to a cached, resumable run directory.

This layer owns the run-config schema and its shared sections (:mod:`.sweep_config`,
:mod:`.config`, the generated reference :mod:`.config_reference`), planning points with content
hashes and evaluating them (:mod:`.sweep`), the per-point cache, executors and outputs of
``landeg run`` (:mod:`.runner`), the run directory with its lock (:mod:`.run_dir`), progress
display (:mod:`.progress`), and the studies built on the runner: TB size series
(:mod:`.size_series`), the X–X family study (:mod:`.family_study`) and shape/orientation ensembles
(:mod:`.ensemble`, :mod:`.ensemble_config`, :mod:`.figures_ensemble`). It may use the models, the
measured layer and the theory-versus-data layer (to compare a finished run); the command line is
the only layer above it. Units: eV, nm, T.
"""
