"""
Balanced epochs: exact quotas, and background coverage with redraw="epoch"
===========================================================================

Draw SeizureTransformer-balanced epochs from an annotated synthetic corpus and compare them
with plain random sampling of the same size: the balanced epochs hold every partial-seizure
window and exact quotas of the others. With ``redraw="epoch"`` (the default) the no-seizure
windows are redrawn every epoch, so training sees all the background over time; with
``redraw="once"`` (SeizureTransformer's fixed pool) it keeps seeing the same subset.
"""

# %%
import tempfile
import warnings

import matplotlib.pyplot as plt
import numpy as np
from braindecode.preprocessing import create_fixed_length_windows

from braindecode_stbalance import (
    CATEGORIES,
    BalancedSeizureSampler,
    annotate_seizure_ratio,
    window_table,
)
from braindecode_stbalance.synthetic import make_synthetic_corpus

sfreq = 32.0
corpus = make_synthetic_corpus(tempfile.mkdtemp(), n_recordings=20, duration=3600.0, sfreq=sfreq,
                               seizures_per_recording=(0, 2), seed=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    windows = create_fixed_length_windows(
        corpus, window_size_samples=int(60 * sfreq), window_stride_samples=int(15 * sfreq),
        on_last_window="overlap")
annotate_seizure_ratio(windows, target="binary")
codes = window_table(windows)["seizure_category"].cat.codes.to_numpy()

# %%
# Category mix of one epoch: random sampling vs. the balanced sampler (same epoch size).
sampler = BalancedSeizureSampler(windows, random_state=0)
print(sampler)
rng = np.random.default_rng(0)
random_epoch = rng.choice(len(windows), size=len(sampler), replace=False)
mix = {
    "corpus": np.bincount(codes, minlength=3) / codes.size,
    "random epoch": np.bincount(codes[random_epoch], minlength=3) / len(sampler),
    "balanced epoch": np.bincount(codes[sampler.draw(0)], minlength=3) / len(sampler),
}
colors = ["tab:gray", "tab:orange", "tab:red"]
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
bottom = np.zeros(len(mix))
for c, name in enumerate(CATEGORIES):
    values = np.array([m[c] for m in mix.values()])
    ax0.bar(list(mix), values, bottom=bottom, color=colors[c], label=name)
    bottom += values
ax0.set_ylabel("fraction of windows")
ax0.set_title("Category mix")
ax0.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)

# %%
# Background coverage over epochs: share of all no-seizure windows seen at least once.
no_seizure = np.flatnonzero(codes == 0)
for redraw, style in (("epoch", "-"), ("once", "--")):
    s = BalancedSeizureSampler(windows, redraw=redraw, random_state=0)
    seen = np.zeros(len(windows), dtype=bool)
    coverage = []
    for epoch in range(20):
        seen[s.draw(epoch)] = True
        coverage.append(seen[no_seizure].mean())
    ax1.plot(np.arange(1, 21), coverage, style, marker="o", ms=3, label=f'redraw="{redraw}"')
ax1.set_xlabel("epoch")
ax1.set_xticks([1, 5, 10, 15, 20])
ax1.set_ylabel("no-seizure windows seen")
ax1.set_ylim(0, 1.05)
ax1.set_title("Background coverage")
ax1.legend(fontsize=8)
fig.tight_layout()
plt.show()
