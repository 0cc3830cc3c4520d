"""Generated recordings and independent references for the scoring callback tests.

The references never call the code under test: the model is run by a loop of
the test's own, window outputs are averaged per sample by brute force,
post-processed by the literal transcription of SeizureTransformer's code, and
scored by writing/reading SzCORE files with epilepsy2bids and calling
timescoring (szcore-evaluation's aggregation, from test_evaluation_scoring).
"""

# License: BSD (3-clause)

import warnings

import numpy as np
import torch
from braindecode.preprocessing import create_fixed_length_windows
from conftest import brute_force_mask
from epilepsy2bids.annotations import Annotations
from test_evaluation_postprocessing import reference_predict
from test_evaluation_scoring import reference_scores

from braindecode_stbalance import annotate_seizure_ratio
from braindecode_stbalance.synthetic import make_simulated_corpus

SFREQ = 32.0
WINDOW_S, STRIDE_S = 10.0, 5.0


def simulated_windows(root, n_subjects=4, duration=600.0, seed=0, target="binary",
                      seizure_rate=12.0):
    """Windowed generated recordings (2 channels, 32 Hz, 10 s windows, 5 s stride)."""
    corpus, events = make_simulated_corpus(
        root, n_subjects=n_subjects, recordings_per_subject=1, duration=duration, sfreq=SFREQ,
        n_channels=2, seizure_rate=seizure_rate, seizure_duration=(20.0, 60.0), distractor_rate=60.0,
        seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(
            corpus, window_size_samples=int(WINDOW_S * SFREQ),
            window_stride_samples=int(STRIDE_S * SFREQ), on_last_window="overlap")
    return annotate_seizure_ratio(windows, target=target), events


def brute_references(windows):
    """Per-sample seizure masks from each recording's annotations as MNE read them."""
    out = []
    for ds in windows.datasets:
        raw = ds.raw
        anns = [(o, d) for o, d, desc in zip(raw.annotations.onset, raw.annotations.duration,
                                             raw.annotations.description) if desc == "sz"]
        out.append(brute_force_mask(raw.n_times, raw.info["sfreq"], anns, raw.first_samp))
    return out


def own_probabilities(net, windows, batch_size, dense=False):
    """The seizure probability of every window, by the test's own loop over the module."""
    module = net.module_
    was_training = module.training
    module.eval()
    signals = [windows[j][0] for j in range(len(windows))]
    probs = []
    with torch.no_grad():
        for k in range(0, len(signals), batch_size):  # the callback's batches, same order
            x = torch.as_tensor(np.stack(signals[k:k + batch_size])).float().to(net.device)
            out = module(x).float().cpu()
            if dense:
                probs.extend(torch.sigmoid(out.reshape(out.shape[0], -1)).numpy())
            elif out.ndim == 2 and out.shape[1] == 2:
                probs.extend(torch.softmax(out, dim=1)[:, 1].numpy())
            else:
                probs.extend(torch.sigmoid(out.reshape(-1)).numpy())
    module.train(was_training)
    return probs


def own_traces(windows, probs):
    """Per-sample mean of the outputs of the windows covering each sample (brute force)."""
    traces, j = [], 0
    for ds in windows.datasets:
        n = ds.raw.n_times
        total, count = np.zeros(n), np.zeros(n)
        for _, a, b in ds.crop_inds:
            p = np.asarray(probs[j], dtype=np.float64)
            if p.size > 1:
                p = np.repeat(p, (b - a) // p.size)
            total[a:b] += p
            count[a:b] += 1
            j += 1
        with np.errstate(invalid="ignore"):
            traces.append(np.where(count > 0, total / count, np.nan))
    return traces


def szcore_scores(refs, hyps, sfreq, subjects, tmp_path):
    """szcore-evaluation's scores of per-sample masks written and read by epilepsy2bids."""
    back = []
    for i, m in enumerate(list(refs) + list(hyps)):
        path = tmp_path / f"{i}_events.tsv"
        Annotations.loadMask(np.asarray(m, dtype=bool), sfreq).saveTsv(str(path))
        back.append(Annotations.loadTsv(path).getMask(1).astype(bool))
    return reference_scores(back[:len(refs)], back[len(refs):], list(subjects))


def expected_epoch(windows, probs, thresholds, subjects, tmp_path, structure_size=5,
                   min_duration=2.0):
    """(threshold, subject-mean scores) the callback must record, computed independently."""
    traces = own_traces(windows, probs)
    refs = brute_references(windows)
    best = None
    for t in thresholds:
        hyps = [reference_predict(tr, t, structure_size, min_duration, fs=SFREQ).astype(bool)
                for tr in traces]
        scores = szcore_scores(refs, hyps, SFREQ, subjects, tmp_path)["subject_mean"]
        rank = tuple(-np.inf if np.isnan(scores[k]) else scores[k]
                     for k in ("event_f1", "sample_f1"))
        if best is None or rank > best[0]:
            best = (rank, t, scores)
    return best[1], best[2]
