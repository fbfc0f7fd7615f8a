"""Column slices of the filtered solver's blocks for the thread pool (confinement.solvers.filtered.
column_tasks) and that filtering in slices changes no result."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

from confinement.solvers.column_tasks import column_tasks, makespan
from confinement.solvers.filtered import FilterOptions, SolverInfo, band_edge_states


def _span(tasks, n_threads):
    """Largest-first makespan of slices that cost their columns plus one matrix read each."""
    return makespan([b - a + 1 for _, a, b in tasks], n_threads)


def _covers(tasks, widths):
    for j, w in enumerate(widths):
        cols = sorted((a, b) for k, a, b in tasks if k == j)
        assert cols[0][0] == 0 and cols[-1][1] == w and all(p[1] == q[0] for p, q in zip(cols, cols[1:]))


def test_even_loads_keep_every_block_whole():
    # four equal blocks on two threads: already balanced, a split would only re-read the matrix
    assert column_tasks([5, 5, 5, 5], [1.0] * 4, 2) == [(0, 0, 5), (1, 0, 5), (2, 0, 5), (3, 0, 5)]
    assert column_tasks([8], [1.0], 1) == [(0, 0, 8)]
    # 5 + 7 columns: splitting the 7 costs one more matrix read and gains nothing
    assert column_tasks([5, 7], [1.0, 1.0], 2) == [(0, 0, 5), (1, 0, 7)]


@pytest.mark.parametrize("widths", [[8], [7, 5, 5], [5, 5, 5], [9, 3]])
def test_a_lone_or_uneven_block_is_split_until_the_threads_are_even(widths):
    # one block left (the last iterations of a solve) or three of four: the split cuts the
    # makespan (columns + one matrix read per slice) to within 1.15x of an even share
    tasks = column_tasks(widths, [1.0] * len(widths), 2)
    _covers(tasks, widths)
    whole = _span([(j, 0, w) for j, w in enumerate(widths)], 2)
    assert _span(tasks, 2) < whole
    assert _span(tasks, 2) <= 1.15 * sum(b - a + 1 for _, a, b in tasks) / 2


def test_filtering_in_column_slices_changes_no_state_and_no_matvec_count():
    # one block (no symmetry) on two threads is filtered in two column slices; the block products
    # act column by column, so the states and the mat-vec count are those of one thread
    rng = np.random.default_rng(3)
    n = 3000
    e = rng.permutation(np.concatenate([np.linspace(-6, -1, n // 2), np.linspace(1, 5, n - n // 2)]))
    off = 0.2 * rng.standard_normal(n - 1)
    H = sps.diags([off, e, off], [-1, 0, 1]).tocsr().astype(complex)
    runs = {}
    for threads in (1, 2):
        info = SolverInfo()
        E, _, r = band_edge_states(H, -1.0, 1.0, n_each=2, tol=1e-9, kramers=False, info=info,
                                   options=FilterOptions(threads=threads, block=7))
        runs[threads] = (np.sort(E), info.matvecs, r.max(), info.threads)
    assert runs[2][3] == 2 and runs[1][2] <= 1e-9 and runs[2][2] <= 1e-9
    np.testing.assert_allclose(runs[2][0], runs[1][0], atol=1e-10)
    assert runs[2][1] == runs[1][1]
