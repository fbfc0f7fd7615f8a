"""Benchmark: bulk tight-binding bands on 10⁴ random k-points (vectorised over k).

Prints seconds per 10⁴ k-points for each parameter set, and the ratio to a baseline run in the
same process (one k-point at a time, the naive loop), so the figure is meaningful on a noisy
machine. Run:  python benchmarks/bulk_bands.py
"""

from __future__ import annotations

import time

import numpy as np

from tightbinding.crystal import Crystal
from tightbinding.parameters import load_tb_parameters


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(n_k: int = 10_000, n_baseline: int = 500) -> None:
    rng = np.random.default_rng(0)
    print(f"{'set':18s} {'N':>4s} {'s / 1e4 k':>10s} {'baseline s / 1e4 k':>19s} {'speed-up':>9s}")
    for name in ("CsPbI3-N21-sp3", "CsPbI3-N21-exp", "CsPbI3-N21-exp-XX"):
        crystal = Crystal(load_tb_parameters(name))
        k = rng.normal(size=(n_k, 3)) * np.pi / crystal.a
        vectorised = _seconds(lambda crystal=crystal, k=k: crystal.bands(k)) * 1e4 / n_k
        baseline = _seconds(lambda crystal=crystal, k=k: [np.linalg.eigvalsh(crystal.hamiltonian(q)[0])
                                                         for q in k[:n_baseline]]) * 1e4 / n_baseline
        print(f"{name:18s} {crystal.dimension:4d} {vectorised:10.2f} {baseline:19.2f} {baseline / vectorised:9.1f}x")


if __name__ == "__main__":
    main()
