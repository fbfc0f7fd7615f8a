"""The ``landeg`` command line: argument parsing and the sub-commands, on top of every other layer.

This layer owns the parser and the sub-commands (:mod:`.commands`: ``bulk``, ``params``, ``bands``,
``nc``, ``refit``, ``run``, ``validate``, ``compare``, ``ensemble``), the bulk band-gap job of
``landeg bulk --config`` (:mod:`.bulk_job`) and the recognition of config kinds for
``landeg validate`` (:mod:`.config_kinds`). Nothing in the project imports it; the console script
``landeg = "comparisons.cli:main"`` and ``python -m comparisons.cli`` enter here.
"""

from .commands import main

__all__ = ["main"]
