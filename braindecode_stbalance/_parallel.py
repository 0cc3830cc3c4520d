"""Run one function over many recordings, in worker processes, with a progress bar.

The one place where ``stbalance scan`` and the window cache's build fan work out
to processes: results come back in task order whatever ``n_jobs`` is, and the
work stops at the first failed task when the caller asks (``on_error="raise"``).
"""

# License: BSD (3-clause)

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from functools import partial

__all__ = ["run_tasks"]


def _run_chunk(fn, chunk):
    return [fn(task) for task in chunk]


def run_tasks(fn, tasks, n_jobs, initializer, initargs, failed, progress, desc,
              chunk_size=None):
    """``[fn(task) for task in tasks]``, in ``n_jobs`` processes, stopping at a failure.

    Parameters
    ----------
    fn : callable
        A module-level function (picklable) of one task.
    tasks : list
        The tasks (picklable).
    n_jobs : int
        Worker processes; 1 runs everything in this process.
    initializer : callable
        Run once per process (this one included for ``n_jobs=1``) with
        ``initargs`` before its first task.
    initargs : tuple
        Its arguments.
    failed : callable | None
        ``failed(result)`` true for a failed task: no further task is started
        and the results end with the chunk that held it. ``None``: run all.
    progress : bool
        Show a progress bar (on stderr).
    desc : str
        The progress bar's label.
    chunk_size : int | None
        Tasks sent to a worker at once; ``None``: about eight chunks per
        worker, at most 64 tasks each (small tasks: fewer round trips); 1 for
        long tasks (even load).

    Returns
    -------
    list
        The results, in task order (cut after a failure when ``failed`` is
        given).
    """
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), desc=desc, unit="rec", file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    results = []
    try:
        if n_jobs == 1:
            initializer(*initargs)
            for task in tasks:
                results.append(fn(task))
                bar.update()
                if failed is not None and failed(results[-1]):
                    break
        else:
            chunk = chunk_size or max(1, min(64, len(tasks) // (8 * n_jobs) or 1))
            chunks = [tasks[i:i + chunk] for i in range(0, len(tasks), chunk)]
            with ProcessPoolExecutor(n_jobs, initializer=initializer, initargs=initargs) as ex:
                for out in ex.map(partial(_run_chunk, fn), chunks):
                    results.extend(out)
                    bar.update(len(out))
                    if failed is not None and any(failed(r) for r in out):
                        ex.shutdown(cancel_futures=True)
                        break
    finally:
        bar.close()
    return results
