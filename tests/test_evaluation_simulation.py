"""Generated EEG: deterministic, realistic amplitudes, seizures spectrally distinct,
distractors as large as seizures (an amplitude detector fails, a spectral one does not)."""

import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import binary_opening
from scipy.signal import welch

from braindecode_stbalance.evaluation import (
    DISTRACTOR_KINDS,
    events_to_mask,
    score_recordings,
    simulate_eeg,
    simulate_recording_events,
)

SFREQ = 128.0
DURATION = 3600.0
N_CHANNELS = 8


@pytest.fixture(scope="module")
def recording():
    events = simulate_recording_events(DURATION, 7, seizure_rate=8, distractor_rate=60)
    seizures = events[events["kind"] == "seizure"]
    distractors = events[events["kind"] != "seizure"]
    x = simulate_eeg(N_CHANNELS, int(DURATION * SFREQ), SFREQ, seizures, 7,
                     distractors=distractors)
    return events, x


def per_second(x):
    """Max-over-channels RMS (uV) and mean-over-channels 2-10 Hz power, per second."""
    n = x.shape[1] // int(SFREQ)
    segs = x[:, : n * int(SFREQ)].reshape(x.shape[0], n, int(SFREQ))
    rms = np.sqrt((segs ** 2).mean(-1)).max(0) * 1e6
    f, p = welch(segs, fs=SFREQ, nperseg=int(SFREQ), axis=-1)
    band = p[..., (f >= 2) & (f <= 10)].sum(-1).mean(0)
    total = p[..., f >= 0.5].sum(-1).mean(0)
    return rms, band, band / total


def labels_per_second(events, n):
    """Kind of each whole second (background where no event covers all of it)."""
    lab = np.full(n, "background", dtype=object)
    for e in events.itertuples():
        lab[int(np.ceil(e.onset)):int(e.onset + e.duration)] = e.kind
    return lab


def test_deterministic_from_a_seed():
    ev1 = simulate_recording_events(600, 3, seizure_rate=20, distractor_rate=200)
    ev2 = simulate_recording_events(600, np.random.default_rng(3), seizure_rate=20,
                                    distractor_rate=200)
    pd.testing.assert_frame_equal(ev1, ev2)
    sz, dis = ev1[ev1.kind == "seizure"], ev1[ev1.kind != "seizure"]
    x1 = simulate_eeg(4, 600 * 64, 64.0, sz, 11, distractors=dis)
    x2 = simulate_eeg(4, 600 * 64, 64.0, sz[["onset", "duration"]].to_numpy(),
                      np.random.default_rng(11), distractors=list(dis.itertuples(index=False)))
    np.testing.assert_array_equal(x1, x2)
    assert not np.array_equal(x1, simulate_eeg(4, 600 * 64, 64.0, sz, 12, distractors=dis))
    assert not ev1.equals(simulate_recording_events(600, 4, seizure_rate=20,
                                                    distractor_rate=200))


def test_shape_dtype_and_background_amplitude():
    x = simulate_eeg(6, 120 * 256, 256.0, [], 0)
    assert x.shape == (6, 120 * 256) and x.dtype == np.float64 and np.isfinite(x).all()
    rms = np.sqrt((x ** 2).mean(1)) * 1e6
    assert ((rms > 18) & (rms < 55)).all()  # 20-50 uV, +/- 10 % per channel
    assert np.ptp(rms) < 0.25 * rms.mean()
    corr = np.corrcoef(x)[np.triu_indices(6, 1)]
    assert np.abs(corr).mean() > 0.1  # channels share sources
    f, p = welch(x, fs=256.0, nperseg=512)
    mean = p.mean(0)
    assert mean[(f >= 1) & (f < 4)].mean() > mean[(f >= 20) & (f < 40)].mean() * 5  # 1/f-like
    alpha = mean[(f >= 8) & (f <= 12)].mean()
    assert alpha > mean[(f >= 13) & (f <= 17)].mean()  # alpha peak


def test_seizures_touch_only_their_samples():
    seizures = np.array([[10.3, 30.0], [70.0, 25.5]])
    base = simulate_eeg(3, 128 * 128, 128.0, np.zeros((0, 2)), 5)
    with_sz = simulate_eeg(3, 128 * 128, 128.0, seizures, 5)
    changed = (with_sz != base).any(0)
    mask = events_to_mask(seizures[:, 0], seizures[:, 1], 128.0, 128 * 128)
    assert not changed[~mask].any() and changed[mask].mean() > 0.9


def test_seizures_have_more_2_10_hz_power_than_background(recording):
    events, x = recording
    rms, band, rel = per_second(x)
    lab = labels_per_second(events, rms.size)
    assert (lab == "seizure").sum() > 100
    background = np.median(band[lab == "background"])
    for e in events[events.kind == "seizure"].itertuples():
        seconds = slice(int(np.ceil(e.onset)), int(e.onset + e.duration))
        assert np.median(band[seconds]) > 2 * background
    assert np.median(rel[lab == "seizure"]) > np.median(rel[lab == "background"]) + 0.1


def test_distractors_are_as_large_as_seizures_and_fool_an_amplitude_detector(recording):
    events, x = recording
    rms, _, rel = per_second(x)
    lab = labels_per_second(events, rms.size)
    seizure_rms = np.median(rms[lab == "seizure"])
    for kind in DISTRACTOR_KINDS:
        assert (lab == kind).sum() > 10
        assert np.median(rms[lab == kind]) >= 0.9 * seizure_rms, kind
    # a threshold catching half of the seizure seconds fires on most distractor seconds
    above = rms > seizure_rms
    distractor = np.isin(lab, DISTRACTOR_KINDS)
    assert above[distractor].mean() > 0.6
    assert above[lab == "background"].mean() < 0.2
    reference = lab == "seizure"

    def detector(feature, threshold):  # thresholded, then sustained for >= 10 s
        return binary_opening(feature > threshold, structure=np.ones(10, bool))

    # sustained (>= 10 s) detections: an amplitude threshold still flags long artifacts,
    # the 2-10 Hz share of the power separates seizures (learnable, not by amplitude)
    amplitude = score_recordings([reference], [detector(rms, np.percentile(
        rms[reference], 25))], 1.0).summed
    spectral = score_recordings([reference], [detector(rel, 0.7)], 1.0).summed
    assert amplitude["event_precision"] < 0.7 and amplitude["sample_precision"] < 0.7
    assert spectral["event_sensitivity"] >= 0.8 and spectral["event_precision"] >= 0.9
    assert spectral["sample_precision"] > 0.9


def test_recording_events_layout():
    ev = simulate_recording_events(4 * 3600, 0, seizure_rate=4, distractor_rate=120)
    assert list(ev.columns) == ["onset", "duration", "kind"]
    assert ev["onset"].is_monotonic_increasing
    assert set(ev["kind"]) == {"seizure", *DISTRACTOR_KINDS}
    assert ((ev.onset >= 0) & (ev.onset + ev.duration <= 4 * 3600)).all()
    sz = ev[ev.kind == "seizure"].to_numpy()
    assert ((sz[:, 1] >= 20) & (sz[:, 1] <= 120)).all()
    assert (sz[1:, 0] - (sz[:-1, 0] + sz[:-1, 1]) >= 60).all()
    bursts = ev[ev.kind == "rhythmic_burst"]
    assert (bursts.duration < 5).all()
    # neighbours (sorted, disjoint): 5 s around seizures, 1 s between distractors
    onset, end = ev.onset.to_numpy(), (ev.onset + ev.duration).to_numpy()
    is_sz = (ev.kind == "seizure").to_numpy()
    gap = onset[1:] - end[:-1]
    need = np.where(is_sz[1:] & is_sz[:-1], 60, np.where(is_sz[1:] | is_sz[:-1], 5, 1))
    assert (gap >= need - 1e-9).all()


@pytest.mark.parametrize("call, error, match", [
    (lambda: simulate_recording_events(-1, 0), ValueError, "duration"),
    (lambda: simulate_recording_events(60, 0, seizure_duration=(30, 10)), ValueError, "min, max"),
    (lambda: simulate_recording_events(60, 0, distractor_kinds=["sneeze"]), ValueError, "among"),
    (lambda: simulate_recording_events(60, "seed"), TypeError, "rng"),
    (lambda: simulate_eeg(0, 100, 64.0, [], 0), ValueError, "n_channels"),
    (lambda: simulate_eeg(2, 100, -64.0, [], 0), ValueError, "sfreq"),
    (lambda: simulate_recording_events(60, 0, seizure_duration=30), ValueError, "min, max"),
    (lambda: simulate_eeg(2, 100, 64.0, [[1.0, -2.0]], 0), ValueError, "durations > 0"),
    (lambda: simulate_eeg(2, 100, 64.0, [(1, 2, 3), (4, 5, 6)], 0), ValueError,
     r"\(onset, duration\) rows"),
    (lambda: simulate_eeg(2, 100, 64.0, [], 0, distractors=[(1.0, 2.0)]), ValueError,
     "kind"),
    (lambda: simulate_eeg(2, 100, 64.0, pd.DataFrame(
        {"onset": [0.0], "duration": [1.0], "kind": ["muscle"]}), 0), ValueError,
     "pass the other rows as distractors"),
    (lambda: simulate_eeg(2, 100, 64.0, [], 0, distractors=[(0.0, 1.0, "sneeze")]),
     ValueError, "unknown kind 'sneeze'"),
])
def test_invalid_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(("make", "kwargs"), [
    ("make_synthetic_corpus", {"n_recordings": 0}),
    ("make_simulated_corpus", {"n_subjects": 0}),
    ("make_simulated_corpus", {"recordings_per_subject": True}),
    ("make_simulated_corpus", {"n_subjects": 1.5})])
def test_generated_corpora_refuse_to_be_empty(tmp_path, make, kwargs):
    from braindecode_stbalance import synthetic

    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=rf"^{name} must be an int >= 1"):
        getattr(synthetic, make)(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())  # refused before writing anything
