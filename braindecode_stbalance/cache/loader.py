"""A DataLoader that reads cached batches in threads of the main process.

Reading a cached batch is a memory copy from the page cache: cheap. Passing it
from a DataLoader worker process to the training process is not: the batch goes
through a new shared-memory segment (page faults in both processes) and the
pin-memory thread copies it once more. :class:`CachedLoader` reads the next
batches in background threads of the training process instead (numpy's copies
release the GIL), straight into pinned memory on a CUDA host, while the
current step runs; with ``num_workers > 0`` it is an ordinary
:class:`~braindecode_stbalance.BalancedDataLoader`.
"""

# License: BSD (3-clause)

from __future__ import annotations

import numbers
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import torch

from ..loader import BalancedDataLoader

__all__ = ["CachedLoader"]


def _pinned(data):
    if isinstance(data, torch.Tensor):
        return data if data.is_pinned() else data.pin_memory()
    if isinstance(data, (list, tuple)):
        return type(data)(_pinned(d) for d in data)
    if isinstance(data, dict):
        return {k: _pinned(v) for k, v in data.items()}
    return data


def _to_device(batch, device, stream):
    """Copy the signal and targets of ``batch`` to ``device`` on ``stream`` (asynchronous)."""
    X, y, *rest = batch
    with torch.cuda.stream(stream):
        if isinstance(X, (list, tuple)):
            X = type(X)(x.to(device, non_blocking=True) for x in X)
        else:
            X = X.to(device, non_blocking=True)
        if isinstance(y, torch.Tensor):
            y = y.to(device, non_blocking=True)
    event = torch.cuda.Event()
    event.record(stream)
    return [X, y, *rest], event


def _tensors(data):
    if isinstance(data, torch.Tensor):
        yield data
    elif isinstance(data, (list, tuple)):
        for d in data:
            yield from _tensors(d)


def _count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}.")
    return int(value)


class CachedLoader(BalancedDataLoader):
    """A :class:`~braindecode_stbalance.BalancedDataLoader` that prefetches batches in threads.

    With ``num_workers=0`` (its default), ``threads`` threads of the
    training process read up to ``prefetch`` batches ahead (through the
    dataset's ``__getitems__`` and ``collate_fn``, in sampler order), so that
    reading overlaps the training step; batches are pinned when
    ``pin_memory=True`` (a cached corpus reads them into pinned memory
    directly on a CUDA host). With ``num_workers > 0`` it behaves exactly as
    :class:`~braindecode_stbalance.BalancedDataLoader`. Works with any map
    dataset; it pays off for a
    :class:`~braindecode_stbalance.cache.CachedWindowsDataset`.

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Usually a cached corpus (or a Subset of one).
    sampler, shuffle
        As for :class:`~braindecode_stbalance.BalancedDataLoader`.
    threads : int
        Reading threads (>= 1) when ``num_workers=0``.
    prefetch : int
        Batches read ahead (>= 1) when ``num_workers=0``.
    device : None | str | torch.device
        A CUDA device: also copy each batch's signal and targets there ahead
        of time (asynchronously, on a separate CUDA stream, from pinned
        memory), so that the training step finds them on the device. Use
        the model's device; ``None`` (default) leaves batches in host memory.
    **kwargs
        Passed to the DataLoader (``batch_size``, ``drop_last``,
        ``pin_memory``, ``num_workers``, ...).

    Notes
    -----
    The threads share the GIL with the training loop; they hold it only for
    the per-batch bookkeeping (index arithmetic, target collation), not for
    the copies. Iterating the loader from several threads at once is not
    supported (as for any DataLoader).
    """

    def __init__(self, dataset, sampler=None, shuffle=None, threads=2, prefetch=4, device=None,
                 **kwargs):
        self.threads = _count(threads, "threads", 1)
        self.prefetch = _count(prefetch, "prefetch", 1)
        self.device = None if device is None else torch.device(device)
        if self.device is not None and self.device.type != "cuda":
            self.device = None  # host memory is where batches are already
        super().__init__(dataset, sampler=sampler, shuffle=shuffle, **kwargs)

    def __iter__(self):
        if self.num_workers > 0 or self.batch_sampler is None:
            return super().__iter__()
        return self._threaded()

    def _fetch(self, indices, stream):
        ds = self.dataset
        getitems = getattr(ds, "__getitems__", None)
        data = getitems(indices) if getitems is not None else [ds[i] for i in indices]
        batch = self.collate_fn(data)
        if self.pin_memory or stream is not None:
            batch = _pinned(batch) if torch.cuda.is_available() else batch
        if stream is not None:
            return _to_device(batch, self.device, stream)
        return batch, None

    def _ready(self, future):
        batch, event = future.result()
        if event is not None:  # the step's stream waits for the copy, which it now owns
            current = torch.cuda.current_stream(self.device)
            current.wait_event(event)
            for t in _tensors(batch[:2]):
                if t.is_cuda:
                    t.record_stream(current)
        return batch

    def _threaded(self):
        stream = None if self.device is None else torch.cuda.Stream(self.device)
        with ThreadPoolExecutor(self.threads, thread_name_prefix="CachedLoader") as pool:
            pending = deque()
            try:
                for indices in self.batch_sampler:
                    pending.append(pool.submit(self._fetch, list(indices), stream))
                    if len(pending) > self.prefetch:
                        yield self._ready(pending.popleft())
                while pending:
                    yield self._ready(pending.popleft())
            finally:
                for future in pending:
                    future.cancel()
