"""stitch_windows against a brute-force loop over windows and samples."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_stbalance.evaluation import postprocess, stitch_windows


def brute_force(outputs, starts, stops, n_times):
    """Mean of the outputs covering each sample, NaN where none does."""
    trace = np.full(n_times, np.nan)
    for k in range(n_times):
        values = []
        for out, a, b in zip(outputs, starts, stops):
            if a <= k < b:
                out = np.asarray(out, dtype=float)
                values.append(float(out.reshape(-1)[0]) if out.size == 1 else out[k - a])
        if values:
            trace[k] = sum(values) / len(values)
    return trace


@st.composite
def windows(draw, dense):
    n_times = draw(st.integers(1, 120))
    n_windows = draw(st.integers(0, 12))
    starts, stops, outputs = [], [], []
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    for _ in range(n_windows):
        a = draw(st.integers(0, n_times - 1))
        b = draw(st.integers(a + 1, n_times))
        starts.append(a)
        stops.append(b)
        outputs.append(rng.random(b - a) if dense else float(rng.random()))
    return outputs, np.array(starts, dtype=int), np.array(stops, dtype=int), n_times


@given(case=windows(dense=False), shuffle=st.randoms(use_true_random=False))
@settings(max_examples=300, deadline=None)
def test_one_value_per_window(case, shuffle):
    outputs, starts, stops, n_times = case
    got = stitch_windows(np.array(outputs), starts, stops, n_times)
    expected = brute_force(outputs, starts, stops, n_times)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    order = list(range(len(outputs)))
    shuffle.shuffle(order)
    permuted = stitch_windows(np.array(outputs)[order] if order else np.array([]),
                              starts[order], stops[order], n_times)
    np.testing.assert_array_equal(permuted, got)  # bit for bit, whatever the order


@given(case=windows(dense=True), shuffle=st.randoms(use_true_random=False))
@settings(max_examples=300, deadline=None)
def test_per_sample_outputs(case, shuffle):
    outputs, starts, stops, n_times = case
    got = stitch_windows(outputs, starts, stops, n_times)
    expected = brute_force(outputs, starts, stops, n_times)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    order = list(range(len(outputs)))
    shuffle.shuffle(order)
    permuted = stitch_windows([outputs[i] for i in order], starts[order], stops[order], n_times)
    np.testing.assert_allclose(permuted, got, rtol=1e-12)


def test_single_cover_is_exact_and_feeds_postprocess():
    # 4 s windows at a 2 s stride over 10 s at 1 Hz; outputs exactly at the threshold stay so
    starts, stops = np.array([0, 2, 4, 6]), np.array([4, 6, 8, 10])
    trace = stitch_windows(np.array([0.8, 0.8, 0.8, 0.8]), starts, stops, 12)
    assert (trace[:10] == 0.8).all() and np.isnan(trace[10:]).all()
    assert not postprocess(trace, 1.0, structure_size=1, min_duration=0).any()


def test_fixed_length_2d_outputs_and_column_vector():
    starts, stops = np.array([0, 5]), np.array([10, 15])
    dense = np.vstack([np.full(10, 0.2), np.full(10, 0.6)])
    np.testing.assert_allclose(stitch_windows(dense, starts, stops, 16),
                               [0.2] * 5 + [0.4] * 5 + [0.6] * 5 + [np.nan])
    np.testing.assert_allclose(stitch_windows(np.array([[0.2], [0.6]]), starts, stops, 15),
                               [0.2] * 5 + [0.4] * 5 + [0.6] * 5)


def test_many_windows_is_vectorised():
    n_times = 24 * 3600 * 4  # a day at 4 Hz, 60 s windows every 15 s
    starts = np.arange(0, n_times - 240 + 1, 60)
    values = np.random.default_rng(0).random(starts.size)
    trace = stitch_windows(values, starts, starts + 240, n_times)
    assert trace.shape == (n_times,) and not np.isnan(trace).any()
    k = 1000
    cover = (starts <= k) & (k < starts + 240)
    assert trace[k] == pytest.approx(values[cover].mean(), rel=1e-12)


@pytest.mark.parametrize("outputs, starts, stops, n_times, error, match", [
    ([0.1], [0], [5], 4, ValueError, r"window 0 is \[0, 5\)"),
    ([0.1], [3], [3], 4, ValueError, "0 <= start < stop"),
    ([0.1], [-1], [2], 4, ValueError, "window 0"),
    ([0.1, 0.2], [0], [2], 4, ValueError, "2 values for 1 windows"),
    ([0.1], [0.5], [2], 4, ValueError, "integer sample indices"),
    ([[0.1, 0.2, 0.3]], [0], [2], 4, ValueError, r"expected \(2,\)"),
    ([np.nan], [0], [2], 4, ValueError, "not finite"),
    ([[0.1, 0.2], [0.3]], [0, 1], [2, 3], 4, ValueError, "every window has one"),
    ([0.1], [0], [2], 4.0, TypeError, "n_times"),
    ([0.1], [0, 1], [2], 4, ValueError, "same length"),
])
def test_invalid_inputs(outputs, starts, stops, n_times, error, match):
    outputs = outputs if isinstance(outputs[0], list) else np.array(outputs)
    with pytest.raises(error, match=match):
        stitch_windows(outputs, np.array(starts), np.array(stops), n_times)
