"""The process pool of ``stbalance scan`` and the cache build: order, early stop, progress."""

# License: BSD (3-clause)

import os

import pytest

from braindecode_stbalance._parallel import run_tasks

_STATE = {}


def _init(offset):
    _STATE["offset"] = offset


def _square(task):
    """A task result: (task, its square plus the worker's offset, the worker's pid)."""
    return task, task * task + _STATE["offset"], os.getpid()


@pytest.mark.parametrize(("n_jobs", "chunk_size"), [(1, None), (2, None), (2, 1), (2, 7)])
def test_results_come_in_task_order_from_initialised_workers(n_jobs, chunk_size):
    tasks = list(range(50))[::-1]
    out = run_tasks(_square, tasks, n_jobs, _init, (1000,), None, False, "t",
                    chunk_size=chunk_size)
    assert [(t, v) for t, v, _ in out] == [(t, t * t + 1000) for t in tasks]
    # n_jobs=1 runs here; otherwise every task runs in a worker (which ones is the pool's choice)
    assert all((pid == os.getpid()) == (n_jobs == 1) for *_, pid in out)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_failure_stops_the_work_and_ends_the_results(n_jobs):
    tasks = list(range(400))
    out = run_tasks(_square, tasks, n_jobs, _init, (0,), lambda r: r[0] == 3, False, "t",
                    chunk_size=1 if n_jobs > 1 else None)
    assert [t for t, *_ in out][:4] == [0, 1, 2, 3]  # in order, up to the failed task
    assert len(out) < len(tasks)  # the rest was not waited for
    if n_jobs == 1:
        assert len(out) == 4
    assert run_tasks(_square, [], n_jobs, _init, (0,), None, False, "t") == []


def test_progress_bar_counts_the_tasks(capsys):
    run_tasks(_square, list(range(5)), 1, _init, (0,), None, True, "scan")
    err = capsys.readouterr().err
    assert "scan" in err and "5/5" in err
