"""Generated EEG on which seizure detection is learnable but not trivial.

A seeded signal model for tests, examples and benchmarks of seizure
detectors: realistic background, evolving rhythmic seizures, and
distractors (artifacts and short rhythmic bursts) that are at least as
large as seizures, so that a detector which only learned "high amplitude"
fails. Pure NumPy; knows nothing of torch or braindecode.
"""

# License: BSD (3-clause)

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ratio import annotation_sample_bounds
from ._validation import check_int, check_real, check_sfreq

__all__ = ["DISTRACTOR_KINDS", "simulate_eeg", "simulate_recording_events"]

#: Kinds of non-seizure events drawn by :func:`simulate_recording_events`.
DISTRACTOR_KINDS = ("eye_blink", "movement", "muscle", "rhythmic_burst")
#: Duration range (s) of each distractor kind (rhythmic bursts stay under 5 s).
_DISTRACTOR_DURATION = {"eye_blink": (1.0, 8.0), "movement": (2.0, 20.0),
                        "muscle": (2.0, 30.0), "rhythmic_burst": (1.0, 4.5)}
_UV = 1e-6


def _rng(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got "
                    f"{type(rng).__name__} {rng!r}.")


def _place(rng, duration, lengths, taken, margin):
    """Draw onsets for ``lengths`` (s) in [0, duration) at least ``margin`` from ``taken``.

    Returns ``(index, onset)`` of the placed intervals; ``taken`` grows.
    """
    placed = []
    for i, length in enumerate(lengths):
        if length >= duration:
            continue
        for _ in range(100):
            onset = rng.uniform(0, duration - length)
            if all(onset + length + margin <= a or onset >= b + margin for a, b in taken):
                taken.append((onset, onset + length))
                placed.append((i, onset))
                break
    return placed


def simulate_recording_events(duration, rng, seizure_rate=2.0, seizure_duration=(20.0, 120.0),
                              distractor_rate=60.0, distractor_kinds=DISTRACTOR_KINDS):
    """Draw the seizure and distractor intervals of one generated recording.

    Seizure counts are Poisson with mean ``seizure_rate * duration / 3600``,
    durations uniform in ``seizure_duration``; seizures are at least 60 s
    apart. Distractor counts are Poisson with mean
    ``distractor_rate * duration / 3600``, kinds uniform among
    ``distractor_kinds``, durations uniform per kind (eye blinks 1-8 s,
    movements 2-20 s, muscle 2-30 s, rhythmic bursts 1-4.5 s); they keep
    5 s away from seizures and 1 s from each other. An interval that cannot
    be placed in 100 draws is dropped.

    Parameters
    ----------
    duration : float
        Recording duration in seconds.
    rng : None | int | numpy.random.Generator
        Seed or generator (None: fresh entropy, not reproducible).
    seizure_rate : float
        Mean number of seizures per hour.
    seizure_duration : (float, float)
        Range of seizure durations in seconds.
    distractor_rate : float
        Mean number of distractors per hour.
    distractor_kinds : sequence of str
        Kinds to draw, among :data:`DISTRACTOR_KINDS`.

    Returns
    -------
    pandas.DataFrame
        Columns ``onset``, ``duration`` (s) and ``kind`` (``"seizure"`` or a
        distractor kind), sorted by onset.

    Raises
    ------
    ValueError
        If a duration, rate or range is invalid, or a kind is unknown.
    """
    duration = check_real(duration, "duration", 0.0, allow_equal=False)
    seizure_rate = check_real(seizure_rate, "seizure_rate", 0.0)
    distractor_rate = check_real(distractor_rate, "distractor_rate", 0.0)
    if np.shape(seizure_duration) != (2,):
        raise ValueError(f"seizure_duration must be (min, max) in seconds, got "
                         f"{seizure_duration!r}.")
    lo, hi = (check_real(x, "seizure_duration", 0.0, allow_equal=False)
              for x in seizure_duration)
    if hi < lo:
        raise ValueError(f"seizure_duration must be (min, max), got {seizure_duration!r}.")
    kinds = list(distractor_kinds)
    unknown = sorted(set(kinds) - set(DISTRACTOR_KINDS))
    if unknown or (not kinds and distractor_rate > 0):
        raise ValueError(f"distractor_kinds must be among {DISTRACTOR_KINDS}, got "
                         f"{distractor_kinds!r}.")
    rng = _rng(rng)
    sz_len = rng.uniform(lo, hi, rng.poisson(seizure_rate * duration / 3600))
    seizures = _place(rng, duration, sz_len, [], 60.0)
    rows = [(onset, sz_len[i], "seizure") for i, onset in seizures]
    n_dis = rng.poisson(distractor_rate * duration / 3600)
    chosen = [kinds[i] for i in rng.integers(0, len(kinds), n_dis)] if n_dis else []
    lengths = [rng.uniform(*_DISTRACTOR_DURATION[k]) for k in chosen]
    # 5 s from seizures (4 s widening + 1 s margin), 1 s from other distractors
    taken = [(on - 4.0, on + sz_len[i] + 4.0) for i, on in seizures]
    rows += [(onset, lengths[i], chosen[i]) for i, onset in _place(rng, duration, lengths,
                                                                   taken, 1.0)]
    df = pd.DataFrame(rows, columns=["onset", "duration", "kind"])
    return df.sort_values("onset", kind="stable", ignore_index=True)


def _shaped_noise(rng, n_rows, n_times, sfreq, gain):
    """White noise with amplitude spectrum ``gain(f)`` (zero phase shaping), unit RMS."""
    f = np.fft.rfftfreq(n_times, 1 / sfreq)
    g = gain(f)
    out = np.empty((n_rows, n_times))
    for i in range(n_rows):
        x = np.fft.irfft(np.fft.rfft(rng.standard_normal(n_times)) * g, n_times)
        out[i] = x / max(np.sqrt(np.mean(x ** 2)), 1e-30)
    return out


def _pink(f):
    """1/f-like EEG amplitude spectrum: 1/f^0.9 above 1 Hz, high-passed at 0.5 Hz."""
    return (f / np.sqrt(f ** 2 + 0.25)) / np.maximum(f, 1.0) ** 0.9 / (1 + (f / 45.0) ** 4)


def _ramp(n, n_ramp):
    """Raised-cosine onset/offset ramp of ``n`` samples (``n_ramp`` each side)."""
    w = np.ones(n)
    k = min(n_ramp, n // 2)
    if k > 0:
        r = 0.5 - 0.5 * np.cos(np.pi * (np.arange(k) + 0.5) / k)
        w[:k], w[n - k:] = r, r[::-1]
    return w


def _background(rng, n_channels, n_times, sfreq):
    local = _shaped_noise(rng, n_channels, n_times, sfreq, _pink)
    common = _shaped_noise(rng, 3, n_times, sfreq, _pink)
    mixing = rng.normal(size=(n_channels, 3))
    mixing /= np.linalg.norm(mixing, axis=1, keepdims=True)
    x = np.sqrt(0.6) * local + np.sqrt(0.4) * (mixing @ common)
    # alpha: ~10 Hz carrier with phase jitter, waxing and waning bursts, posterior channels
    t = np.arange(n_times) / sfreq
    f_alpha = rng.uniform(8.5, 11.5)
    jitter = _shaped_noise(rng, 1, n_times, sfreq, lambda f: (f < 0.5).astype(float))[0]
    slow = _shaped_noise(rng, 1, n_times, sfreq, lambda f: (f < 0.3).astype(float))[0]
    alpha = np.sin(2 * np.pi * f_alpha * t + 0.8 * jitter) * np.clip(slow - 0.2, 0, None)
    weight = np.linspace(0.3, 1.0, n_channels) * rng.uniform(0.8, 1.2, n_channels)
    x += 1.2 * weight[:, None] * alpha[None, :]
    x /= np.sqrt(np.mean(x ** 2, axis=1, keepdims=True))
    rms = rng.uniform(20, 50) * rng.uniform(0.9, 1.1, n_channels)
    return x * rms[:, None] * _UV, float(np.mean(rms))


def _seizure(rng, x, lo, hi, sfreq, bg_rms):
    n_channels, n = x.shape[0], hi - lo
    t = np.arange(n) / sfreq
    total = n / sfreq
    f0, f1 = rng.uniform(6.0, 8.0), rng.uniform(2.5, 4.0)
    freq = f0 * (f1 / f0) ** (t / total)  # exponential chirp down
    phase = 2 * np.pi * np.cumsum(freq) / sfreq + rng.uniform(0, 2 * np.pi)
    u, peak = t / total, rng.uniform(0.4, 0.7)
    bump = np.where(u < peak, np.sin(0.5 * np.pi * u / peak),
                    np.cos(0.5 * np.pi * (u - peak) / (1 - peak)))
    envelope = (0.35 + 0.65 * bump) * _ramp(n, int(2.0 * sfreq))
    amplitude = rng.uniform(2.5, 4.0) * bg_rms * _UV
    start = int(rng.integers(n_channels))
    dist = np.abs(np.arange(n_channels) - start)
    involved = np.argsort(dist, kind="stable")[:int(rng.integers(
        int(np.ceil(0.4 * n_channels)), n_channels + 1))]
    for c in involved:  # spread: recruited later the farther from the onset channel
        delay = int(0.3 * n * dist[c] / max(n_channels - 1, 1))
        gain = rng.uniform(0.6, 1.0)
        ph = phase[delay:] - (0.0 if c == start else rng.uniform(0, np.pi / 4))
        wave = np.sin(ph) + 0.35 * np.sin(2 * ph + 0.5) + 0.15 * np.sin(3 * ph)
        ramp = _ramp(n - delay, int(1.5 * sfreq))
        x[c, lo + delay:hi] += amplitude * gain * envelope[delay:] * ramp * wave


def _distractor(rng, x, kind, lo, hi, sfreq, bg_rms):
    n_channels, n = x.shape[0], hi - lo
    t = np.arange(n) / sfreq
    taper = _ramp(n, int(0.3 * sfreq))
    if kind == "eye_blink":  # large positive bumps on frontal channels
        frontal = np.exp(-np.arange(n_channels) / max(n_channels / 4, 0.5))
        total = n / sfreq
        signal = np.zeros(n)
        centres = rng.uniform(0.0, total, max(1, int(total / 0.8)))
        for centre in centres:
            width = rng.uniform(0.08, 0.12)
            signal += rng.uniform(150, 300) * np.exp(-0.5 * ((t - centre) / width) ** 2)
        x[:, lo:hi] += frontal[:, None] * (signal * taper)[None, :] * _UV
    elif kind == "movement":  # slow large deflections on all channels
        slow = _shaped_noise(rng, 2, n, sfreq, lambda f: (f < 2.0).astype(float))
        mixing = rng.normal(size=(n_channels, 2))
        signal = mixing @ slow
        signal *= rng.uniform(200, 500) / max(np.abs(signal).max(), 1e-30)
        x[:, lo:hi] += signal * taper * _UV
    elif kind == "muscle":  # broadband high-frequency bursts on a channel subset
        nyq = sfreq / 2
        band = (20.0, min(100.0, 0.9 * nyq)) if nyq > 25 else (0.5 * nyq, 0.9 * nyq)
        size = int(rng.integers(max(1, n_channels // 4), max(1, n_channels // 2) + 1))
        first = int(rng.integers(0, n_channels - size + 1))
        noise = _shaped_noise(rng, size, n, sfreq,
                              lambda f: ((f >= band[0]) & (f <= band[1])).astype(float))
        rms = rng.uniform(60, 150)
        x[first:first + size, lo:hi] += rms * noise * taper * _UV
    else:  # rhythmic_burst: steady 3-8 Hz rhythm, seizure-like amplitude, < 5 s
        f = rng.uniform(3.0, 8.0)
        wave = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        size = int(rng.integers(max(1, n_channels // 3), n_channels + 1))
        first = int(rng.integers(0, n_channels - size + 1))
        amplitude = rng.uniform(2.5, 4.0) * bg_rms * _UV
        x[first:first + size, lo:hi] += amplitude * wave * _ramp(n, int(0.5 * sfreq))


def _intervals(events, name, kinds=None):
    if isinstance(events, pd.DataFrame):
        missing = {"onset", "duration"} - set(events.columns)
        if kinds is not None:
            missing |= {"kind"} - set(events.columns)
        if missing:
            raise ValueError(f"{name} lacks column(s) {sorted(missing)}.")
        on = events["onset"].to_numpy(np.float64)
        dur = events["duration"].to_numpy(np.float64)
        kind = events["kind"].to_numpy(object) if "kind" in events.columns else None
    else:
        rows = [tuple(r) for r in events]
        width = 3 if kinds is not None else 2
        if any(len(r) != width for r in rows):
            what = "(onset, duration, kind)" if kinds is not None else "(onset, duration)"
            raise ValueError(f"{name} must be {what} rows, got {rows[:3]!r}...")
        on = np.array([r[0] for r in rows], np.float64)
        dur = np.array([r[1] for r in rows], np.float64)
        kind = np.array([r[2] for r in rows], object) if kinds is not None else None
    if not (np.isfinite(on) & np.isfinite(dur) & (on >= 0) & (dur > 0)).all():
        raise ValueError(f"{name}: onsets must be >= 0 and durations > 0 (seconds).")
    if kind is not None:
        allowed = kinds if kinds is not None else ("seizure",)
        bad = [k for k in kind if k not in allowed]
        if bad:
            hint = " (pass the other rows as distractors)" if kinds is None else ""
            raise ValueError(f"{name}: unknown kind {bad[0]!r}, expected one of "
                             f"{tuple(allowed)}{hint}.")
    return on, dur, kind


def simulate_eeg(n_channels, n_times, sfreq, seizures, rng, distractors=None):
    """Generate multichannel EEG (volts) with seizures and distractors.

    **Background** (per channel RMS drawn once per recording in 20-50 uV,
    +/- 10 % per channel): 1/f-like noise (amplitude spectrum
    ``1/f^0.9`` above 1 Hz, high-passed at 0.5 Hz, rolling off above 45 Hz),
    60 % channel-specific and 40 % from 3 sources shared by all channels
    (random mixing: correlated channels), plus alpha: a ~10 Hz rhythm
    (8.5-11.5 Hz, phase jitter) in waxing and waning bursts, strongest on
    the last channels ("posterior").

    **Seizures**: rhythmic spike-and-wave-like activity (fundamental plus
    2nd and 3rd harmonics) whose frequency chirps down exponentially from
    6-8 Hz to 2.5-4 Hz; its amplitude (peak 2.5-4 x background RMS) grows to
    a peak at 40-70 % of the seizure then fades, over a floor of 35 %, with
    2 s raised-cosine onset and offset ramps. It starts on one channel and
    spreads to its neighbours (channel index order) during the first 30 % of
    the seizure, reaching 40-100 % of the channels, each with its own gain,
    phase lag and 1.5 s recruitment ramp.

    **Distractors** (not seizures, as large or larger): ``eye_blink`` bumps
    of 150-300 uV (~0.3 s) on the first ("frontal") channels; ``movement``
    slow (< 2 Hz) deflections of 200-500 uV peak on all channels;
    ``muscle`` broadband 20-100 Hz noise (or the upper half of the band at
    low rates) of 60-150 uV RMS on a quarter to half of the channels;
    ``rhythmic_burst`` a steady 3-8 Hz rhythm with a seizure's peak
    amplitude, shorter than 5 s (as drawn by
    :func:`simulate_recording_events`). A detector that thresholds amplitude
    fires on all of them; telling seizures apart needs their frequency
    content, evolution and duration.

    The output is a pure function of the arguments and of the generator's
    state: the same seed gives the same array.

    Parameters
    ----------
    n_channels : int
        Number of channels (>= 1).
    n_times : int
        Number of samples (>= 1).
    sfreq : float
        Sampling frequency in Hz (>= 32 recommended).
    seizures : array-like, shape (n_seizures, 2) | pandas.DataFrame
        ``(onset, duration)`` rows in seconds, or a DataFrame with ``onset``
        and ``duration`` columns (a ``kind`` column must then be all
        ``"seizure"``). Samples ``k`` with ``onset <= k / sfreq < onset +
        duration`` carry the seizure; intervals are clipped to the recording.
    rng : None | int | numpy.random.Generator
        Seed or generator (None: fresh entropy, not reproducible).
    distractors : pandas.DataFrame | sequence of (float, float, str) | None
        ``(onset, duration, kind)`` rows, kinds among :data:`DISTRACTOR_KINDS`.

    Returns
    -------
    ndarray of float64, shape (n_channels, n_times)
        EEG in volts.

    Raises
    ------
    ValueError
        If a size is not positive, an interval is invalid or a kind unknown.
    TypeError
        If ``rng`` is not a seed or a generator.
    """
    n_channels = check_int(n_channels, "n_channels", minimum=1)
    n_times = check_int(n_times, "n_times", minimum=1)
    sfreq = check_sfreq(sfreq)
    sz_on, sz_dur, _ = _intervals(seizures, "seizures")
    if distractors is None:
        d_on, d_dur, d_kind = np.zeros(0), np.zeros(0), np.zeros(0, object)
    else:
        d_on, d_dur, d_kind = _intervals(distractors, "distractors", DISTRACTOR_KINDS)
    rng = _rng(rng)
    x, bg_rms = _background(rng, n_channels, n_times, sfreq)
    for on, dur in zip(sz_on, sz_dur):
        lo, hi = (int(b[0]) for b in annotation_sample_bounds([on], [dur], sfreq, 0, n_times))
        if hi - lo >= 2:
            _seizure(rng, x, lo, hi, sfreq, bg_rms)
    for on, dur, kind in zip(d_on, d_dur, d_kind):
        lo, hi = (int(b[0]) for b in annotation_sample_bounds([on], [dur], sfreq, 0, n_times))
        if hi - lo >= 2:
            _distractor(rng, x, kind, lo, hi, sfreq, bg_rms)
    return x
