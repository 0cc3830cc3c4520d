"""Convert cached float16 batches on the device, not in the DataLoader workers.

A cached batch leaves the workers as float16 in the cache's unit
(``x * scale``, half the bytes of float32 and no conversion on the CPU:
converting a batch of 64 60 s x 19 channel windows to float32 takes a CPU
core about as long as reading it, see ``docs/benchmarks.md``). Its signal
travels as a one-element list ``[X]``, which braindecode's ``EEGClassifier``
leaves alone (it converts tensors to float32 on the CPU, in the main
process). On the device, one multiply restores the source's float32 values:

- with ``EEGClassifier`` (skorch moves batches to the device), wrap the
  model: ``EEGClassifier(FromCache(model, cached), ...)``;
- in a plain training loop, :func:`to_device` moves a batch and converts it.

Both convert float16 only and pass any other dtype through, so the same
wrapped model also takes braindecode's own float32 windows (e.g. a
validation set that is not cached).
"""

# License: BSD (3-clause)

from __future__ import annotations

import numbers

import torch

__all__ = ["FromCache", "to_device"]


def _scale_of(scale):
    value = getattr(scale, "scale", scale)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"scale must be a positive number or a CachedWindowsDataset, got "
                         f"{scale!r}.")
    return float(value)


def _unwrap(x):
    """The signal of a cached batch, which comes as a one-element list ``[X]``."""
    if isinstance(x, (list, tuple)) and len(x) == 1:
        return x[0]
    return x


def _restore(x, inverse):
    x = _unwrap(x)
    if x.dtype != torch.float16:
        return x
    x = x.float()
    return x.mul_(inverse) if inverse != 1.0 else x


class FromCache(torch.nn.Module):
    """A model that takes the cache's float16 batches: converts them on the device first.

    ``forward(x)`` returns ``module(float32(x) / scale)`` for a float16 ``x``
    (a cached batch) and ``module(x)`` for any other dtype. A one-element list
    ``[x]`` (how a cached batch's signal travels, so that braindecode's
    ``EEGClassifier`` does not convert it on the CPU) is unwrapped first.
    With the default power-of-two scale the division is exact: the model
    sees the source's values up to float16's rounding (see
    :mod:`braindecode_stbalance.cache`).

    Parameters
    ----------
    module : torch.nn.Module
        The model.
    scale : float | CachedWindowsDataset
        The cache's scale, or the cached corpus (its ``scale`` is read).

    Attributes
    ----------
    module : torch.nn.Module
        The wrapped model (save or reuse it on its own with
        ``clf.module_.module``).
    scale : float
        The scale.

    Examples
    --------
    >>> clf = EEGClassifier(FromCache(model, cached), **sampler.skorch_params())  # doctest: +SKIP
    >>> clf.fit(cached, y=None)  # doctest: +SKIP
    """

    def __init__(self, module, scale):
        super().__init__()
        self.module = module
        self.scale = _scale_of(scale)

    def forward(self, x, *args, **kwargs):
        """Convert a float16 ``x`` to float32 in the source's unit, then call the model.

        Parameters
        ----------
        x : torch.Tensor | list of one torch.Tensor
            A batch (on the model's device).
        *args, **kwargs
            Passed to the model.

        Returns
        -------
        object
            The model's output.
        """
        return self.module(_restore(x, 1.0 / self.scale), *args, **kwargs)

    def extra_repr(self):
        return f"scale={self.scale:g}"


def to_device(batch, device, scale=1.0, non_blocking=True):
    """Move a cached batch to ``device`` and convert its signals there.

    Parameters
    ----------
    batch : sequence
        ``([X], y, ...)`` as the DataLoader yields a cached batch (or
        ``(X, y, ...)``).
    device : str | torch.device
        Target device.
    scale : float | CachedWindowsDataset
        The cache's scale (or the cached corpus).
    non_blocking : bool
        Asynchronous copies (effective from pinned memory: DataLoader
        ``pin_memory=True``).

    Returns
    -------
    tuple
        ``(X, y, *rest)``: ``X`` float32 in the source's unit on ``device``
        (any dtype other than float16 is moved unchanged), ``y`` moved if it
        is a tensor, the rest (``crop_inds``, ...) unchanged.

    Examples
    --------
    >>> for batch in loader:  # doctest: +SKIP
    ...     X, y, _ = to_device(batch, "cuda", cached)
    """
    inverse = 1.0 / _scale_of(scale)
    X, *rest = batch
    X = _restore(_unwrap(X).to(device, non_blocking=non_blocking), inverse)
    if rest and isinstance(rest[0], torch.Tensor):
        rest[0] = rest[0].to(device, non_blocking=non_blocking)
    return (X, *rest)
