"""Interval maths against a brute-force per-sample mask (property-based)."""

import pickle
import warnings

import numpy as np
import pytest
from conftest import brute_force_mask, brute_force_ratios
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_stbalance.ratio import (
    InvalidAnnotationError,
    annotation_sample_bounds,
    count_in_windows,
    merge_intervals,
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


# ---------------------------------------------------------------- edge cases (mutation testing)
@pytest.mark.parametrize("onset, sfreq", [
    (0.07, 100.0),  # 0.07 * 100 = 7.000000000000001: ceil overshoots, sample 7 sits at 0.07 s
    (1.1, 100.0),  # 110.00000000000001
    (np.nextafter(1 / 3, 1), 3.0),  # 3 * onset rounds down to 1.0, yet sample 1 is before it
    (np.nextafter(2 / 3, 1), 3.0),
    (0.5, 10.0),  # an ordinary boundary on a sample time
    (0.55, 10.0),  # an ordinary boundary between samples
])
def test_boundaries_where_onset_times_sfreq_rounds_across_an_integer(onset, sfreq):
    n_times = 40
    for duration in (1.0, 0.07, np.nextafter(1 / 3, 1)):
        starts, stops = seizure_sample_intervals([onset], [duration], sfreq, n_times=n_times)
        mask = brute_force_mask(n_times, sfreq, [(onset, duration)])
        edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
        assert starts.tolist() == edges[0::2].tolist() and stops.tolist() == edges[1::2].tolist()


def test_defaults_first_sample_zero_and_int64_results():
    # an annotation at t = 0 marks sample 0 when first_samp is left at its default
    starts, stops = seizure_sample_intervals([0.0], [1.0], 10.0)
    assert starts.tolist() == [0] and stops.tolist() == [10]
    assert starts.dtype == np.int64 and stops.dtype == np.int64
    lo, hi = annotation_sample_bounds([0.0, 2.0], [1.0, 0.0], 10.0)
    assert lo.tolist() == [0, 20] and hi.tolist() == [10, 20]
    assert lo.dtype == np.int64 and hi.dtype == np.int64
    assert window_seizure_ratio([0.0], [1.0], 10.0, [0], [20]).tolist() == [0.5]


def test_samples_past_the_end_of_the_recording_are_not_seizure_samples():
    # 100 samples at 10 Hz, the seizure runs to 20 s: the window [90, 110) overhangs the end
    got = window_seizure_ratio([0.0], [20.0], 10.0, [80, 90], [100, 110], n_times=100)
    assert got.tolist() == [1.0, 0.5]
    # and before the first sample
    got = window_seizure_ratio([0.0], [20.0], 10.0, [40], [60], first_samp=50, n_times=100)
    assert got.tolist() == [0.5]


@pytest.mark.parametrize("sfreq", [0.0, -10.0, np.inf, np.nan])
def test_invalid_sfreq_rejected(sfreq):
    with pytest.raises(ValueError, match=r"sfreq must be a positive finite number, got"):
        seizure_sample_intervals([1.0], [1.0], sfreq)


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError, match="onset and duration must have the same length, "
                                         "got 2 and 1"):
        seizure_sample_intervals([1.0, 2.0], [1.0], 10.0)


def test_missing_values_are_invalid_annotations():
    # None (a missing value, e.g. from an object column) is NaN: reported with its index
    with pytest.raises(InvalidAnnotationError, match="index 1") as err:
        seizure_sample_intervals([1.0, None], [1.0, 1.0], 10.0)
    assert err.value.index == 1
    with pytest.raises(InvalidAnnotationError, match="index 0"):
        seizure_sample_intervals([1.0], [None], 10.0)


def test_huge_times_do_not_overflow_or_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning either
        # onset * sfreq overflows float64
        assert [a.tolist() for a in seizure_sample_intervals([1e308], [1.0], 512.0)] == [[], []]
        # onset + duration overflows float64 (onset * sfreq does not)
        lo, hi = annotation_sample_bounds([1e308, 1.0], [1e308, 1e308], 0.5, n_times=1000)
        assert lo[1] == 1 and hi[1] == 1000  # a seizure from 1 s to "forever", clipped
        assert hi[0] <= lo[0]  # nothing inside any recording
        # a whole-recording seizure of huge finite duration
        assert window_seizure_ratio([1.0], [1e308], 512.0, [0, 512], [1024, 1536],
                                    n_times=2048).tolist() == [0.5, 1.0]


def test_invalid_annotation_error_attributes_message_and_pickle():
    err = InvalidAnnotationError(np.int64(2), np.float32(1.5), -1, recording="rec7.edf")
    assert (err.index, err.onset, err.duration, err.recording) == (2, 1.5, -1.0, "rec7.edf")
    assert type(err.onset) is float and type(err.duration) is float
    assert str(err).startswith("rec7.edf: Invalid annotation at index 2: onset=1.5, duration=-1.0")
    assert "finite and >= 0" in str(err)
    plain = InvalidAnnotationError(0, float("nan"), 1.0)
    assert plain.recording is None
    assert str(plain).startswith("Invalid annotation at index 0: onset=nan")
    for e in (err, plain):
        clone = pickle.loads(pickle.dumps(e))
        assert type(clone) is InvalidAnnotationError and str(clone) == str(e)
        assert (clone.index, clone.recording) == (e.index, e.recording)


def test_merge_intervals_keeps_the_common_dtype():
    # samples (int) stay int; seconds (float) in either bound make both float
    starts, stops = merge_intervals(np.array([5, 0, 3]), np.array([9, 2, 5]))
    assert starts.dtype == stops.dtype == np.int64
    assert starts.tolist() == [0, 3] and stops.tolist() == [2, 9]
    starts, stops = merge_intervals(np.array([0.5]), np.array([2]))
    assert starts.tolist() == [0.5] and stops.tolist() == [2.0] and starts.dtype == np.float64
    starts, stops = merge_intervals(np.array([0]), np.array([1.5]))
    assert starts.tolist() == [0.0] and stops.tolist() == [1.5] and stops.dtype == np.float64


def test_count_in_windows_accepts_integral_float_bounds_and_returns_int64():
    # window and interval bounds given as integral floats count like ints
    mask = np.zeros(20, dtype=bool)
    mask[2:5] = mask[8:12] = True
    win_start, win_stop = np.array([0.0, 3.0, 9.0]), np.array([10.0, 4.0, 20.0])
    want = [mask[int(a):int(b)].sum() for a, b in zip(win_start, win_stop)]
    for starts, stops in ((np.array([2, 8]), np.array([5, 12])),
                          (np.array([2.0, 8.0]), np.array([5.0, 12.0]))):
        got = count_in_windows(starts, stops, win_start, win_stop)
        assert got.tolist() == want and got.dtype == np.int64
    empty = count_in_windows(np.array([], dtype=np.int64), np.array([], dtype=np.int64),
                             win_start, win_stop)
    assert empty.tolist() == [0, 0, 0] and empty.dtype == np.int64


def test_count_in_windows_more_windows_than_one_chunk():
    # more windows than two chunks of the batched computation (2 x 32768)
    rng = np.random.default_rng(0)
    n = 70_001
    mask = rng.random(n + 64) < 0.3
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    win_start = np.arange(n)
    win_stop = win_start + 64
    cum = np.r_[0, np.cumsum(mask)]
    got = count_in_windows(edges[0::2], edges[1::2], win_start, win_stop)
    np.testing.assert_array_equal(got, cum[win_stop] - cum[win_start])


def test_empty_window_error_names_the_first_empty_window():
    # a one-sample window is fine; the second window is the first empty one
    with pytest.raises(ValueError, match=r"Window 1 is empty or reversed: \[5, 5\)"):
        window_seizure_ratio([], [], 10.0, [0, 5, 9], [1, 5, 8])
    # bounds are reported as sample indices, whatever their array type
    with pytest.raises(ValueError, match=r"Window 2 is empty or reversed: \[9, 8\)\.$"):
        window_seizure_ratio([], [], 10.0, np.array([0.0, 5.0, 9.0]), np.array([1.0, 6.0, 8.0]))
