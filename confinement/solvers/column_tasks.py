"""Column slices of the filtered solver's filter work for a thread pool: each symmetry block's
filter is a product p(H) V whose columns are independent, so a block may be cut into slices that
run side by side (:meth:`confinement.solvers.filtered._FilteredRun.filter_columns`). The costs
are in arbitrary units (the solver uses rows × degree per column)."""
from __future__ import annotations

__all__ = ["column_tasks", "makespan"]


def makespan(costs: list[float], n_threads: int) -> float:
    """Longest thread load when tasks of ``costs`` go, largest first, to the least loaded thread."""
    loads = [0.0] * n_threads
    for c in sorted(costs, reverse=True):
        loads[loads.index(min(loads))] += c
    return max(loads)


def column_tasks(widths: list[int], col_costs: list[float], n_threads: int, overhead: float = 1.0,
                 balance: float = 1.05, max_tasks: int = 16) -> list[tuple[int, int, int]]:
    """Column slices (job, start, stop) of jobs of ``widths`` columns for ``n_threads`` threads.

    A slice of c columns of job j costs col_costs[j] × (c + overhead): each slice reads the block's
    matrix once more, which costs about one column's traffic (``overhead``). Greedy: the one split
    (any job, any column) that lowers the makespan most is made, while the makespan exceeds
    ``balance`` × the even share. With one thread, or loads that are even already (four equal
    blocks on two threads), every job stays whole."""
    def cost(t):
        return col_costs[t[0]] * (t[2] - t[1] + overhead)

    tasks = [(j, 0, w) for j, w in enumerate(widths) if w > 0]
    span = makespan([cost(t) for t in tasks], n_threads)
    while n_threads > 1 and len(tasks) < max_tasks and span > balance * sum(map(cost, tasks)) / n_threads:
        best = None
        for t in tasks:
            rest = [cost(u) for u in tasks if u is not t]
            for mid in range(t[1] + 1, t[2]):
                trial = makespan(rest + [cost((t[0], t[1], mid)), cost((t[0], mid, t[2]))], n_threads)
                if trial < span * (1 - 1e-9) and (best is None or trial < best[0]):
                    best = (trial, t, mid)
        if best is None:
            break
        span, t, mid = best
        tasks = [u for u in tasks if u is not t] + [(t[0], t[1], mid), (t[0], mid, t[2])]
    return sorted(tasks)
