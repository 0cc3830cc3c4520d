"""Interval maths against a brute-force per-sample mask (property-based)."""

import numpy as np
import pytest
from conftest import brute_force_mask, brute_force_ratios
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_stbalance.ratio import (
    count_in_windows,
    seizure_sample_intervals,
    window_seizure_ratio,
)

SFREQS = st.sampled_from([1.0, 3.0, 10.0, 100.0, 128.0, 200.0, 250.0, 256.0, 500.0, 512.0, 173.61])


def braindecode_window_starts(n_times, size, stride, drop_last):
    """The start rule of braindecode's create_fixed_length_windows (offset 0)."""
    starts = np.arange(0, n_times - size + 1, stride)
    if not drop_last and starts[-1] < n_times - size:
        starts = np.append(starts, n_times - size)
    return starts


@st.composite
def recordings(draw):
    sfreq = draw(SFREQS)
    n_times = draw(st.integers(1, 3000))
    first_samp = draw(st.integers(0, 2000))
    t0, t1 = first_samp / sfreq, (first_samp + n_times) / sfreq
    span = st.floats(0, t1 + 5, allow_nan=False)
    anns = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["free", "zero", "touch", "grid", "before", "after"]))
        if kind == "touch" and anns:  # starts exactly where the previous one stops
            on = anns[-1][0] + anns[-1][1]
            dur = draw(st.floats(0, 5 * n_times / sfreq))
        elif kind == "grid":  # boundaries exactly on sample times
            on = draw(st.integers(0, first_samp + n_times + 10)) / sfreq
            dur = draw(st.integers(0, n_times)) / sfreq
        elif kind == "before":  # starts before the recording
            on = draw(st.floats(0, max(t0, 0.0)))
            dur = draw(st.floats(0, t1))
        elif kind == "after":  # ends after the recording
            on = draw(st.floats(t0, t1 + 1))
            dur = draw(st.floats(0, 3 * (t1 - t0) + 1))
        else:
            on = draw(span)
            dur = 0.0 if kind == "zero" else draw(st.floats(0, 2 * (t1 - t0) + 1))
        anns.append((on, dur))
    return sfreq, n_times, first_samp, anns


@given(rec=recordings(), size=st.integers(1, 3000), stride=st.integers(1, 3000),
       drop_last=st.booleans())
@settings(max_examples=400, deadline=None)
def test_window_ratio_equals_brute_force_mask(rec, size, stride, drop_last):
    sfreq, n_times, first_samp, anns = rec
    size = min(size, n_times)
    starts = braindecode_window_starts(n_times, size, stride, drop_last)
    stops = starts + size
    mask = brute_force_mask(n_times, sfreq, anns, first_samp)
    onset = np.array([a[0] for a in anns], dtype=float)
    duration = np.array([a[1] for a in anns], dtype=float)
    got = window_seizure_ratio(onset, duration, sfreq, starts + first_samp, stops + first_samp,
                               first_samp=first_samp, n_times=n_times)
    np.testing.assert_array_equal(got, brute_force_ratios(mask, starts, stops))
    assert ((got >= 0) & (got <= 1)).all()


@given(rec=recordings())
@settings(max_examples=300, deadline=None)
def test_intervals_are_the_merged_mask(rec):
    sfreq, n_times, first_samp, anns = rec
    onset = np.array([a[0] for a in anns], dtype=float)
    duration = np.array([a[1] for a in anns], dtype=float)
    starts, stops = seizure_sample_intervals(onset, duration, sfreq, first_samp, n_times)
    mask = brute_force_mask(n_times, sfreq, anns, first_samp)
    # the runs of the reference mask, as absolute sample intervals
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    np.testing.assert_array_equal(starts, edges[0::2] + first_samp)
    np.testing.assert_array_equal(stops, edges[1::2] + first_samp)


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 60)), max_size=10),
       st.lists(st.tuples(st.integers(0, 560), st.integers(1, 100)), min_size=1, max_size=20))
def test_count_in_windows_arbitrary_windows(intervals, windows):
    mask = np.zeros(700, dtype=bool)
    for a, n in intervals:
        mask[a:a + n] = True
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    win_start = np.array([w[0] for w in windows])
    win_stop = win_start + np.array([w[1] for w in windows])
    got = count_in_windows(edges[0::2], edges[1::2], win_start, win_stop)
    want = [mask[a:b].sum() for a, b in zip(win_start, win_stop)]
    np.testing.assert_array_equal(got, want)


def test_touching_and_overlapping_annotations_count_once():
    # [1, 3) and [3, 4) touch, [2, 2.5) is nested: samples 10..39 at 10 Hz
    starts, stops = seizure_sample_intervals([1.0, 3.0, 2.0], [2.0, 1.0, 0.5], 10.0)
    assert starts.tolist() == [10] and stops.tolist() == [40]


def test_clipping_to_the_recording():
    starts, stops = seizure_sample_intervals([0.0, 9.0], [2.0, 5.0], 10.0, first_samp=5, n_times=90)
    assert starts.tolist() == [5, 90] and stops.tolist() == [20, 95]


@pytest.mark.parametrize("onset, duration, index", [
    ([1.0, np.nan], [1.0, 1.0], 1),
    ([1.0, 2.0, -0.5], [1.0, 1.0, 1.0], 2),
    ([1.0], [-1.0], 0),
    ([1.0, 2.0], [1.0, np.inf], 1),
])
def test_invalid_annotations_raise_with_index(onset, duration, index):
    with pytest.raises(ValueError, match=f"index {index}"):
        seizure_sample_intervals(onset, duration, 100.0)


def test_empty_window_rejected():
    with pytest.raises(ValueError, match="Window 1 is empty"):
        window_seizure_ratio([], [], 10.0, [0, 5], [5, 5])
