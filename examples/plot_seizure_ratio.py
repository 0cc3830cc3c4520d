"""
Seizure ratio and category of every window
==========================================

Write a small synthetic corpus as real EDF files, window it 60 s / 15 s with braindecode, add
:class:`braindecode_stbalance.SeizureRatio` to the preprocessing list and look at one recording:
its seizure annotations, every window's seizure ratio and its category.
"""

# %%
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np
from braindecode.preprocessing import create_fixed_length_windows, preprocess

from braindecode_stbalance import CATEGORIES, SeizureRatio, category_counts
from braindecode_stbalance.synthetic import make_synthetic_corpus

tmp = tempfile.mkdtemp()
corpus = make_synthetic_corpus(tmp, n_recordings=6, duration=1800.0, sfreq=64.0,
                               seizures_per_recording=(1, 3), seed=3)
sfreq = 64.0
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    windows = create_fixed_length_windows(
        corpus, window_size_samples=int(60 * sfreq), window_stride_samples=int(15 * sfreq),
        on_last_window="overlap")
    preprocess(windows, [SeizureRatio()])
print(category_counts(windows))

# %%
# One recording: annotations (top) and the windows' ratios coloured by category (bottom).
ds = windows.datasets[0]
md = ds.metadata
colors = {"no_seizure": "tab:gray", "partial_seizure": "tab:orange", "full_seizure": "tab:red"}
fig, (ax0, ax1) = plt.subplots(2, 1, sharex=True, figsize=(9, 4.5),
                               gridspec_kw={"height_ratios": [1, 3]})
for onset, duration in zip(ds.raw.annotations.onset, ds.raw.annotations.duration):
    ax0.axvspan(onset / 60, (onset + duration) / 60, color="tab:red", alpha=0.6)
ax0.set_yticks([])
ax0.set_ylabel("seizure\nannotations")
centres = (md["i_start_in_trial"] + md["i_stop_in_trial"]) / 2 / sfreq / 60
for name in CATEGORIES:
    sel = (md["seizure_category"] == name).to_numpy()
    ax1.scatter(centres[sel], md["seizure_ratio"][sel], s=14, color=colors[name], label=name)
ax1.set_xlabel("window centre (min)")
ax1.set_ylabel("seizure_ratio")
ax1.set_ylim(-0.05, 1.05)
ax1.legend(loc="upper right", fontsize=8)
fig.suptitle("60 s windows, 15 s stride: ratio rises and falls around each seizure")
fig.tight_layout()

# %%
# Partial windows span every ratio: they are the informative onset/offset windows that
# SeizureTransformer's balancing keeps entirely.
ratios = windows.get_metadata()["seizure_ratio"].to_numpy()
partial = ratios[(ratios > 0) & (ratios < 1)]
print(f"{partial.size} partial windows, median ratio {np.median(partial):.2f}")
plt.show()
