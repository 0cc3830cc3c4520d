"""How one category's quota is drawn each epoch (pure NumPy, seeded by the caller).

- :func:`draw_uniform`: a uniformly random ``k``-subset (numpy's
  ``Generator.choice(replace=False)``), topped up with replacement on request;
- :func:`draw_weighted`: ``k`` windows without replacement, each step picking a
  remaining window with probability proportional to its weight (successive
  sampling, by Efraimidis and Spirakis' exponential keys); used for hard-negative
  emphasis;
- :func:`draw_cycle`: epochs walk through a permutation of the category, so every
  window is drawn at least once per cycle of ``ceil(n / k)`` epochs (the last epoch
  of a cycle tops up its quota from the cycle's other windows).
"""

# License: BSD (3-clause)

from __future__ import annotations

import numpy as np

__all__ = ["draw_cycle", "draw_uniform", "draw_weighted"]

_CYCLE_STREAM = 2


def draw_uniform(pool, k, rng, replacement=False):
    """``k`` windows of ``pool`` uniformly at random, without replacement.

    Parameters
    ----------
    pool : ndarray of int64
        The category's windows.
    k : int
        The quota.
    rng : numpy.random.Generator
        The epoch's generator.
    replacement : bool
        When ``k > len(pool)``: all windows plus ``k - len(pool)`` drawn with
        replacement (``True``), or all windows only (``False``).

    Returns
    -------
    ndarray of int64
        The drawn windows (order not meaningful).
    """
    n = pool.size
    if k < n:
        return pool[rng.choice(n, k, replace=False, shuffle=False)]
    if k == n or not replacement or n == 0:
        return pool
    return np.concatenate([pool, pool[rng.integers(0, n, k - n)]])


def draw_weighted(pool, k, rng, weights):
    """``k`` windows without replacement, with probabilities proportional to ``weights``.

    Each draw picks one of the remaining windows with probability proportional
    to its weight (successive sampling): window ``i`` gets the key
    ``E_i / w_i`` with ``E_i`` a standard exponential, and the ``k`` smallest keys
    win (Efraimidis and Spirakis, 2006). Windows of weight 0 are drawn only when
    fewer than ``k`` windows have a positive weight: then all positive-weight
    windows and a uniformly random subset of the weight-0 ones.

    Parameters
    ----------
    pool : ndarray of int64
        The category's windows.
    k : int
        The quota (at most ``len(pool)``).
    rng : numpy.random.Generator
        The epoch's generator.
    weights : ndarray of float
        One finite weight >= 0 per window of ``pool``.

    Returns
    -------
    ndarray of int64
        The drawn windows.
    """
    n = pool.size
    if k >= n:
        return pool
    positive = weights > 0
    m = int(positive.sum())
    if k > m:  # every positive weight, and the rest uniformly among weight 0
        return np.concatenate([pool[positive], draw_uniform(pool[~positive], k - m, rng)])
    if k == 0:
        return pool[:0]
    keys = rng.standard_exponential(m) / weights[positive]
    return pool[positive][np.argpartition(keys, k - 1)[:k]]


def draw_cycle(pool, k, seed, stream, epoch):
    """Epoch ``epoch``'s share of a cycle through ``pool``: each window once per cycle.

    A cycle lasts ``C = ceil(n / k)`` epochs and walks through one permutation of
    the pool (drawn from ``(seed, 2, stream, cycle)``), ``k`` windows per epoch.
    The last epoch of a cycle takes the ``n - (C - 1) k`` windows left and tops
    up its quota with windows drawn at random from the rest of that cycle, so
    every epoch has exactly ``k`` distinct windows and every window is drawn at
    least once per cycle. A pure function of its arguments.

    Parameters
    ----------
    pool : ndarray of int64
        The category's windows.
    k : int
        The quota (at most ``len(pool)``).
    seed : int
        The sampler's seed.
    stream : int
        Which category this is (separate permutations per category).
    epoch : int
        The epoch.

    Returns
    -------
    ndarray of int64
        The drawn windows.
    """
    n = pool.size
    if k >= n or k == 0:
        return pool if k >= n else pool[:0]
    n_epochs = -(-n // k)
    cycle, step = divmod(int(epoch), n_epochs)
    rng = np.random.default_rng([seed, _CYCLE_STREAM, stream, cycle])
    order = rng.permutation(n)
    part = order[step * k:(step + 1) * k]
    if part.size < k:  # the last epoch of the cycle: top up from the cycle's other windows
        extra = rng.choice(n - part.size, k - part.size, replace=False, shuffle=False)
        part = np.concatenate([part, order[:n - part.size][extra]])
    return pool[part]
