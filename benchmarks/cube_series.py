"""The cubes of one tight-binding parameter set that the size benchmarks loop over."""
from __future__ import annotations

from collections.abc import Iterator

from tightbinding.bulk import BulkTB, bulk_tb
from tightbinding.crystal import Crystal
from tightbinding.nanocrystal import build_nanocrystal, make_shape
from tightbinding.parameters import load_tb_parameters


def cube_series(params: str, sizes: str) -> tuple[BulkTB, float, Iterator]:
    """(bulk bands, bulk mid-gap sigma in eV, the (N, FiniteSystem) cubes of ``sizes``, a
    comma-separated list of Pb sites per edge, built one at a time)."""
    crystal = Crystal(load_tb_parameters(params))
    bulk = bulk_tb(crystal)
    cubes = ((n, build_nanocrystal(crystal, make_shape(crystal, "cube", n_pb=n)))
             for n in (int(x) for x in sizes.split(",")))
    return bulk, bulk.E_vbm + bulk.Eg / 2, cubes
