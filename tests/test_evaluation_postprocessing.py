"""postprocess against a literal transcription of SeizureTransformer's published code."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import binary_closing, binary_opening

from braindecode_stbalance.evaluation import postprocess


# --- reference: transcribed from keruiwu/SeizureTransformer, wu_2025/src/wu_2025/utils.py
# (function predict, steps 1-4, and its two helpers), changing only the hard-coded
# constants of predict (0.8, 5, 2.0, fs=256) into parameters.
def morphological_filter_1d(binary_signal, operation="closing", kernel_size=5):
    structure = np.ones(kernel_size, dtype=bool)
    if operation == "closing":
        filtered = binary_closing(binary_signal, structure=structure)
    elif operation == "opening":
        filtered = binary_opening(binary_signal, structure=structure)
    else:
        raise ValueError("operation must be 'closing' or 'opening'")
    return filtered.astype(int)


def remove_short_events(binary_output, min_length, fs):
    min_samples = int(min_length * fs)
    out = binary_output.copy()
    is_seizure = False
    start_idx = 0
    for i in range(len(binary_output)):
        if not is_seizure and out[i] == 1:
            is_seizure = True
            start_idx = i
        elif is_seizure and (out[i] == 0 or i == len(binary_output) - 1):
            end_idx = i if out[i] == 0 else i + 1
            length = end_idx - start_idx
            if length < min_samples:
                out[start_idx:end_idx] = 0
            is_seizure = False
    return out


def reference_predict(y_predict, threshold=0.8, kernel_size=5, min_length=2.0, fs=256):
    binary_output = (y_predict > threshold).astype(int)
    binary_output = morphological_filter_1d(binary_output, operation="opening",
                                            kernel_size=kernel_size)
    binary_output = morphological_filter_1d(binary_output, operation="closing",
                                            kernel_size=kernel_size)
    binary_output = remove_short_events(binary_output, min_length=min_length, fs=fs)
    return binary_output
# --- end of reference


@st.composite
def traces(draw):
    """Probability traces built from runs above/below 0.8, with noise and exact 0.8s."""
    n_runs = draw(st.integers(1, 12))
    parts = []
    for _ in range(n_runs):
        length = draw(st.integers(1, 60))
        level = draw(st.sampled_from([0.0, 0.5, 0.8, 0.81, 0.95, 1.0]))
        parts.append(np.full(length, level))
    p = np.concatenate(parts)
    if draw(st.booleans()):
        seed = draw(st.integers(0, 2**32 - 1))
        p = np.clip(p + np.random.default_rng(seed).normal(0, 0.1, p.size), 0, 1)
    return p


PARAMS = {
    "threshold": st.sampled_from([0.8, 0.5, 0.0, 0.99]),
    "structure_size": st.integers(1, 9),
    "min_duration": st.sampled_from([0.0, 0.05, 0.1, 0.3, 2.0]),
    "sfreq": st.sampled_from([1.0, 10.0, 64.0, 100.0, 256.0, 250.5]),
}


@given(p=traces(), **PARAMS)
@settings(max_examples=400, deadline=None)
def test_equals_reference(p, threshold, structure_size, min_duration, sfreq):
    expected = reference_predict(p, threshold, structure_size, min_duration, sfreq)
    got = postprocess(p, sfreq, threshold=threshold, structure_size=structure_size,
                      min_duration=min_duration)
    assert got.dtype == bool and got.shape == p.shape
    np.testing.assert_array_equal(got, expected.astype(bool))


@given(p=traces(), **PARAMS)
@settings(max_examples=100, deadline=None)
def test_float32_compared_as_the_reference_does(p, threshold, structure_size, min_duration,
                                                sfreq):
    p32 = p.astype(np.float32)  # a model's output; 0.8 in float32 is not above 0.8
    expected = reference_predict(p32, threshold, structure_size, min_duration, sfreq)
    got = postprocess(p32, sfreq, threshold, structure_size, min_duration)
    np.testing.assert_array_equal(got, expected.astype(bool))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 11, 600])
@pytest.mark.parametrize("level", [0.0, 0.8, 1.0])
@pytest.mark.parametrize("structure_size", [1, 2, 5])
def test_constant_and_very_short_traces(n, level, structure_size):
    p = np.full(n, level)
    for min_duration in (0.0, 2.0):
        expected = reference_predict(p, 0.8, structure_size, min_duration, 1.0)
        got = postprocess(p, 1.0, structure_size=structure_size, min_duration=min_duration)
        np.testing.assert_array_equal(got, expected.astype(bool))


def test_events_touching_the_ends_lose_the_closing_border():
    # the reference's closing pads with background: 2 samples lost at each end
    p = np.ones(1000)
    mask = postprocess(p, 256.0)
    assert not mask[:2].any() and not mask[-2:].any() and mask[2:-2].all()
    np.testing.assert_array_equal(mask, reference_predict(p).astype(bool))


def test_single_last_sample_is_kept_as_in_the_reference():
    p = np.zeros(10)
    p[-1] = 1.0
    got = postprocess(p, 1.0, structure_size=1, min_duration=3.0)
    assert got[-1]  # the reference loop never examines a run starting at the last sample
    np.testing.assert_array_equal(got, reference_predict(p, 0.8, 1, 3.0, 1.0).astype(bool))
    p[-2] = 1.0  # two samples at the end: removed
    assert not postprocess(p, 1.0, structure_size=1, min_duration=3.0).any()


def test_defaults_are_seizuretransformers():
    p = np.r_[np.zeros(300), np.full(511, 0.9), np.zeros(300), np.full(520, 0.9), np.zeros(9)]
    got = postprocess(p, 256.0)
    np.testing.assert_array_equal(got, reference_predict(p).astype(bool))
    assert not got[:811].any() and got[1111:1631].all()


def test_empty_trace_and_nan():
    assert postprocess(np.zeros(0), 256.0).shape == (0,)
    p = np.r_[np.full(20, np.nan), np.full(20, 0.9)]
    got = postprocess(p, 1.0, min_duration=0)  # NaN: below the threshold
    np.testing.assert_array_equal(got, np.r_[np.zeros(20, bool), np.ones(18, bool), [0, 0]])
    np.testing.assert_array_equal(got, reference_predict(p, 0.8, 5, 0, 1.0).astype(bool))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"probability": np.zeros((2, 3))}, ValueError, "1-D"),
    ({"probability": ["a"]}, ValueError, "real numbers"),
    ({"sfreq": 0}, ValueError, "sfreq"),
    ({"sfreq": "256"}, TypeError, "sfreq"),
    ({"threshold": np.nan}, ValueError, "threshold"),
    ({"structure_size": 0}, ValueError, "structure_size"),
    ({"structure_size": 2.5}, TypeError, "structure_size"),
    ({"min_duration": -1}, ValueError, "min_duration"),
])
def test_invalid_inputs(kwargs, error, match):
    args = {"probability": np.zeros(10), "sfreq": 256.0} | kwargs
    with pytest.raises(error, match=match):
        postprocess(**args)


def test_correct_prior_is_bayes_rule_in_logit_space():
    from scipy.special import expit, logit

    from braindecode_stbalance.evaluation import correct_prior

    p = np.array([0.0, 1e-6, 0.2, 0.5, 0.8, 0.999999, 1.0, np.nan])
    out = correct_prior(p, train_prior=0.3, target_prior=0.02)
    inner = slice(1, 6)
    expected = expit(logit(p[inner]) + np.log(0.02 / 0.98) - np.log(0.3 / 0.7))
    np.testing.assert_allclose(out[inner], expected, rtol=1e-9)
    assert out[0] == 0.0 and out[6] == 1.0 and np.isnan(out[7])
    assert np.all(np.diff(out[:7]) >= 0)  # monotonic: order (and ranking) kept
    np.testing.assert_allclose(correct_prior(p[inner], 0.1, 0.1), p[inner])
    for bad in (0.0, 1.0, -0.1, float("nan")):
        with pytest.raises(ValueError, match="prior"):
            correct_prior(p, bad, 0.1)
