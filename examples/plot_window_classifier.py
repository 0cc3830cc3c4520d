"""
Window classifier: balanced training, best-event-F1 checkpoint and SzCORE scores
================================================================================

Train a braindecode window classifier on generated EEG with SeizureTransformer's balanced
sampling, keep the epoch with the best validation event F1 (the way SeizureTransformer
selects its model), and score held-out recordings as the SzCORE challenge does.

The recordings come from :func:`~braindecode_stbalance.evaluation.simulate_eeg`: seizures
are rhythmic activity whose frequency and amplitude evolve over 1/f background, and the
recordings also hold artifacts and short rhythmic bursts at least as large as seizures, so
a classifier that only learned "high amplitude" fails. They are written to real EDF files
and read back with MNE.

The steps: annotate the windows with their ``seizure_ratio`` and category, split the
recordings by subject (``windows.split("subject")``), draw balanced epochs with
:class:`~braindecode_stbalance.BalancedSeizureSampler`, train an ``EEGClassifier``, score
the whole validation recordings every epoch with
:class:`~braindecode_stbalance.SzCOREScoring` (which also tunes the decision threshold),
then write the test predictions as SzCORE ``events.tsv`` files and score them.
"""

# %%
# Generated recordings, windows and categories
# --------------------------------------------
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from braindecode import EEGClassifier
from braindecode.datasets import BaseConcatDataset
from braindecode.models import ShallowFBCSPNet
from braindecode.preprocessing import (
    Preprocessor,
    create_fixed_length_windows,
    preprocess,
)
from skorch.callbacks import Checkpoint

from braindecode_stbalance import (
    CATEGORIES,
    BalancedSeizureSampler,
    SzCOREScoring,
    annotate_seizure_ratio,
    window_table,
    write_references,
)
from braindecode_stbalance.evaluation import score_tsv_trees
from braindecode_stbalance.plots import CATEGORY_COLORS
from braindecode_stbalance.synthetic import make_simulated_corpus

torch.manual_seed(0)
workdir = Path(tempfile.mkdtemp())
sfreq = 64.0
corpus, events = make_simulated_corpus(
    workdir / "bids", n_subjects=14, recordings_per_subject=1, duration=3600.0, sfreq=sfreq,
    n_channels=4, seizure_rate=3.0, distractor_rate=120.0, seed=0)
print(events.groupby("kind").size().to_string())


def to_microvolts(data):
    return data * 1e6


with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    preprocess(corpus, [Preprocessor(to_microvolts)])  # MNE reads volts
    windows = create_fixed_length_windows(
        corpus, window_size_samples=int(10 * sfreq), window_stride_samples=int(5 * sfreq),
        on_last_window="overlap")
annotate_seizure_ratio(windows, target="binary")

by_subject = windows.split("subject")
subjects = sorted(by_subject)
train = BaseConcatDataset([by_subject[s] for s in subjects[:8]])
valid = BaseConcatDataset([by_subject[s] for s in subjects[8:11]])
test = BaseConcatDataset([by_subject[s] for s in subjects[11:]])
print(f"train {len(train)} windows, valid {len(valid)}, test {len(test)}")

# %%
# Balanced epochs
# ---------------
# Every partial-seizure window, 0.3 full-seizure and 2.5 no-seizure windows per partial one.
sampler = BalancedSeizureSampler(train, random_state=0)
print(sampler)
codes = window_table(train)["seizure_category"].cat.codes.to_numpy()
mix = {"training corpus": np.bincount(codes, minlength=3) / codes.size,
       "balanced epoch": np.bincount(codes[sampler.draw(0)], minlength=3) / len(sampler)}

# %%
# Training with the SzCORE scoring callback and a best-event-F1 checkpoint
# -------------------------------------------------------------------------
# ``SzCOREScoring`` predicts every window of the validation recordings in order, stitches
# the window probabilities into per-sample traces, post-processes them as SeizureTransformer
# does and scores them with ``timescoring``; ``Checkpoint`` keeps the best epoch.
n_chans, n_times = 4, int(10 * sfreq)
model = ShallowFBCSPNet(n_chans=n_chans, n_outputs=2, n_times=n_times, n_filters_time=20,
                        n_filters_spat=20, filter_time_length=17, pool_time_length=32,
                        pool_time_stride=16, final_conv_length="auto")
scoring = SzCOREScoring(valid, tune_threshold=True, batch_size=512)
# load_best restores the best epoch's parameters at the end; f_history=None keeps the
# history of every epoch (by default skorch would also restore the history of that epoch)
checkpoint = Checkpoint(monitor="valid_event_f1_best", dirname=str(workdir / "checkpoint"),
                        load_best=True, f_history=None)
clf = EEGClassifier(model, classes=[0, 1], optimizer=torch.optim.AdamW, lr=2e-3,
                    optimizer__weight_decay=1e-4, batch_size=32, max_epochs=12,
                    train_split=None, callbacks=[scoring, checkpoint], verbose=0,
                    **sampler.skorch_params())
clf.fit(train, y=None)

print(f"{'epoch':>5} {'loss':>7} {'event F1':>9} {'sens.':>6} {'FP/24h':>8} {'threshold':>9}")
for row in clf.history:
    print(f"{row['epoch']:>5} {row['train_loss']:>7.3f} {row['valid_event_f1']:>9.3f} "
          f"{row['valid_event_sensitivity']:>6.2f} {row['valid_fp_per_24h']:>8.1f} "
          f"{row['valid_threshold']:>9.2f}{'  *' if row['valid_event_f1_best'] else ''}")
print(f"kept epoch with validation event F1 {scoring.best_score_:.3f}, "
      f"threshold {scoring.best_threshold_:.2f}")

# %%
# SzCORE scores of the held-out recordings
# ----------------------------------------
# The predictions are written as SzCORE ``events.tsv`` files mirroring the BIDS paths of the
# recordings, the reference from their annotations, and the two trees are scored as
# ``stbalance score REF_DIR HYP_DIR`` does.
scoring.write_predictions(clf, test, workdir / "predictions")
write_references(test, workdir / "reference")
result = score_tsv_trees(workdir / "reference", workdir / "predictions")
print(result.format_table())

# %%
# Category mix of the corpus and of a balanced epoch; validation event F1 per epoch
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
bottom = np.zeros(len(mix))
for c, name in enumerate(CATEGORIES):
    values = np.array([m[c] for m in mix.values()])
    ax0.bar(list(mix), values, bottom=bottom, color=CATEGORY_COLORS[name],
            label=name.replace("_", " "))
    bottom += values
ax0.set_ylabel("fraction of windows")
ax0.set_title("Category mix")
ax0.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)
epochs = clf.history[:, "epoch"]
ax1.plot(epochs, clf.history[:, "valid_event_f1"], marker="o", label="event F1")
ax1.plot(epochs, clf.history[:, "valid_sample_f1"], marker=".", ls="--", label="sample F1")
best = [e for e, b in zip(epochs, clf.history[:, "valid_event_f1_best"]) if b][-1]
ax1.axvline(best, color="0.6", lw=1, label="kept epoch")
ax1.set_xlabel("epoch")
ax1.set_ylabel("validation score (SzCORE)")
ax1.set_ylim(0, 1.05)
ax1.set_title("Model selection by event F1")
ax1.legend(fontsize=8)
fig.tight_layout()
plt.show()
