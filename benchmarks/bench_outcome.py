"""Does balancing help? SeizureTransformer's balanced epochs vs plain random draws vs a weighted loss.

Same model, same number of training windows per epoch, same epochs, several seeds; each
run keeps its best epoch and decision threshold by validation event F1
(:class:`~braindecode_stbalance.SzCOREScoring` + skorch's ``Checkpoint``), then is scored
on held-out recordings (at least ~30 seizures) with SzCORE's rules (event F1 averaged over
subjects). Methods:

- ``balanced``: :class:`~braindecode_stbalance.BalancedSeizureSampler` (all partial windows,
  0.3x full, 2.5x background, redrawn every epoch);
- ``random``: a uniformly random draw of the same size every epoch (plain shuffling);
- ``weighted``: the same random draw with a class-weighted loss (inverse class frequency).

Both a window classifier (braindecode's ``ShallowFBCSPNet``) and a sample-level detector
(a small U-Net on :class:`~braindecode_stbalance.DenseTargets`) are trained, at several
seizure prevalences. At 5 % prevalence the window classifier also runs the balancing
options: ``background_ratio`` 1 / 5 / 10, ``redraw="once"`` (SeizureTransformer's fixed
pool) and ``"cycle"``, ``natural_fraction=0.5``, hard-negative mining
(:class:`~braindecode_stbalance.HardNegativeMining`) and prior correction at inference
(:func:`~braindecode_stbalance.evaluation.correct_prior`).

Data: generated recordings (:func:`~braindecode_stbalance.evaluation.simulate_eeg`: evolving
rhythmic seizures over 1/f background, with artifacts and short rhythmic bursts as large as
seizures), one hour each, one subject each, held in memory; or your own SzCORE/BIDS corpus
with ``--bids ROOT`` (subjects are split into train / valid / test in sorted order).

Every result line contains "event F1" (mean and standard deviation over seeds); ``--out``
writes every run as JSON and ``--figure`` draws the comparison. From the repository root::

    PYTHONPATH=. python benchmarks/bench_outcome.py --out outcome.json --figure outcome.png
    PYTHONPATH=. python benchmarks/bench_outcome.py --quick          # a smoke run, ~2 minutes
    PYTHONPATH=. python benchmarks/bench_outcome.py --bids /data/chbmit_bids --sfreq 64
"""

# License: BSD (3-clause)

import argparse
import json
import statistics
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import torch
from braindecode import EEGClassifier, EEGRegressor
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.models import ShallowFBCSPNet
from braindecode.preprocessing import create_fixed_length_windows
from skorch.callbacks import Checkpoint
from torch import nn
from torch.utils.data import RandomSampler

from braindecode_stbalance import (
    BalancedSeizureSampler,
    DenseTargets,
    HardNegativeMining,
    SzCOREScoring,
    annotate_seizure_ratio,
    predict_recordings,
    reference_masks,
)
from braindecode_stbalance.evaluation import (
    correct_prior,
    postprocess,
    score_recordings,
    simulate_eeg,
    simulate_recording_events,
)

WINDOW_S, STRIDE_S = 20.0, 5.0
SEIZURE_DURATION = (15.0, 45.0)


# ----------------------------------------------------------------------------- data
@dataclass
class Split:
    """Windowed train / valid / test recordings of one prevalence."""

    prevalence: float
    train: object
    valid: object
    test: object
    seizures: dict = field(default_factory=dict)


def _recording(i, seed, rate, args):
    rng = np.random.default_rng([seed, i])
    events = simulate_recording_events(3600.0, rng, seizure_rate=rate,
                                       seizure_duration=SEIZURE_DURATION,
                                       distractor_rate=args.distractor_rate)
    seizures = events[events["kind"] == "seizure"]
    n_times = int(3600 * args.sfreq)
    data = simulate_eeg(args.channels, n_times, args.sfreq, seizures, rng,
                        distractors=events[events["kind"] != "seizure"])
    if args.noise:
        data = data + rng.standard_normal(data.shape) * args.noise * 1e-6
    info = mne.create_info([f"EEG {c:03d}" for c in range(args.channels)], args.sfreq, "eeg")
    raw = mne.io.RawArray((data * 1e6).astype(np.float32), info, verbose="error")  # uV
    raw.set_annotations(mne.Annotations(seizures["onset"].to_numpy(),
                                        seizures["duration"].to_numpy(), ["sz"] * len(seizures)))
    return RawDataset(raw, description={"subject": f"{i:03d}"}), len(seizures)


def _windows(datasets, stride_s, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_fixed_length_windows(
            BaseConcatDataset(datasets), window_size_samples=int(WINDOW_S * args.sfreq),
            window_stride_samples=int(stride_s * args.sfreq), on_last_window="overlap")


def generated_split(prevalence, args, seed=0):
    """Recordings of one hour at ``prevalence``, added until each part has its seizures.

    Test recordings are added until they hold at least 36 seizures (SzCORE's event F1 is
    too coarse to compare below ~30), validation until 15, training until 60.
    """
    rate = prevalence * 3600 / np.mean(SEIZURE_DURATION)  # seizures per hour
    wanted = {"train": 60, "valid": 15, "test": 36}
    if args.quick:
        wanted = {k: max(2, v // 6) for k, v in wanted.items()}
    parts, counts, i = {}, {}, 0
    for name in ("train", "valid", "test"):
        recs, counts[name] = [], 0
        while counts[name] < wanted[name] or len(recs) < 2:
            rec, n = _recording(i, seed + int(prevalence * 1e4), rate, args)
            recs.append(rec)
            counts[name] += n
            i += 1
        parts[name] = _windows(recs, STRIDE_S if name == "train" else WINDOW_S, args)
    annotate_seizure_ratio(parts["train"], target="binary")
    return Split(prevalence, parts["train"], parts["valid"], parts["test"], counts)


def bids_split(root, args):
    """A SzCORE/BIDS corpus, resampled, split by subject (60 / 15 / 25 %)."""
    from braindecode.preprocessing import Preprocessor, preprocess

    from braindecode_stbalance.datasets import SzCOREBIDS

    corpus = SzCOREBIDS(root, preload=False)
    preprocess(corpus, [Preprocessor("pick", picks="eeg"),
                        Preprocessor("resample", sfreq=args.sfreq),
                        Preprocessor(lambda x: x * 1e6, apply_on_array=True)])
    subjects = sorted(corpus.description["subject"].unique())
    n = len(subjects)
    cut = [subjects[:int(0.6 * n)], subjects[int(0.6 * n):int(0.75 * n)],
           subjects[int(0.75 * n):]]
    parts = {}
    for name, subs, stride in zip(("train", "valid", "test"), cut,
                                  (STRIDE_S, WINDOW_S, WINDOW_S)):
        keep = [d for d in corpus.datasets if d.description["subject"] in subs]
        parts[name] = _windows(keep, stride, args)
    annotate_seizure_ratio(parts["train"], target="binary")
    args.channels = parts["train"].datasets[0].raw.info["nchan"]
    return Split(float("nan"), parts["train"], parts["valid"], parts["test"])


# ----------------------------------------------------------------------------- models
def _block(n_in, n_out, dilation=1):
    return nn.Sequential(nn.Conv1d(n_in, n_out, 7, padding=3 * dilation, dilation=dilation),
                         nn.BatchNorm1d(n_out), nn.ELU())


class UNet1d(nn.Module):
    """A small sample-level detector: two x4 poolings, dilated bottom, skip connections."""

    def __init__(self, n_chans, width=8):
        super().__init__()
        w = width
        self.enc1, self.enc2 = _block(n_chans, w), _block(w, 2 * w)
        self.bottom = nn.Sequential(_block(2 * w, 4 * w, 2), _block(4 * w, 4 * w, 4))
        self.dec2, self.dec1 = _block(6 * w, 2 * w), _block(3 * w, w)
        self.head = nn.Conv1d(w, 1, 1)
        self.pool, self.up = nn.MaxPool1d(4), nn.Upsample(scale_factor=4)

    def forward(self, x):
        x = x / 50.0  # uV to ~unit scale
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = self.bottom(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up(b), e2], dim=1))
        return self.head(self.dec1(torch.cat([self.up(d2), e1], dim=1)))[:, 0]


class Scaled(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        return self.module(x / 50.0)


def make_model(kind, args):
    if kind == "dense":
        return UNet1d(args.channels)
    n_times = int(WINDOW_S * args.sfreq)
    return Scaled(ShallowFBCSPNet(n_chans=args.channels, n_outputs=2, n_times=n_times,
                                  n_filters_time=20, n_filters_spat=20,
                                  filter_time_length=int(args.sfreq // 2),
                                  pool_time_length=int(args.sfreq * 2),
                                  pool_time_stride=int(args.sfreq // 2), sfreq=args.sfreq))


# ----------------------------------------------------------------------------- one run
@dataclass(frozen=True)
class Spec:
    """One configuration: model kind, method, sampler options."""

    model: str
    method: str
    options: tuple = ()

    @property
    def name(self):
        opts = ", ".join(f"{k}={v}" for k, v in self.options)
        return f"{self.model} / {self.method}" + (f" ({opts})" if opts else "")


def run_one(spec, split, seed, args, workdir):
    """Train one configuration with one seed; return its held-out scores."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # quota shortages, skorch notes
        return _run_one(spec, split, seed, args, workdir)


def _run_one(spec, split, seed, args, workdir):
    opts = dict(spec.options)
    dense = spec.model == "dense"
    torch.manual_seed(seed)
    train = DenseTargets(split.train) if dense else split.train
    balanced = BalancedSeizureSampler(split.train, random_state=seed)
    budget = len(balanced)  # the epoch size of SeizureTransformer's mix, for every method
    y = np.asarray(split.train.get_metadata()["target"])
    callbacks, prior = [], None
    if spec.method == "balanced":
        sampler_opts = {k: opts[k] for k in ("background_ratio", "redraw", "natural_fraction")
                        if k in opts}
        sampler = BalancedSeizureSampler(train, random_state=seed, **sampler_opts)
        params = sampler.skorch_params()
        if opts.get("hard_negatives"):
            callbacks.append(HardNegativeMining(sampler, pool_size=1024, dense=dense))
        if opts.get("prior_correction"):
            epoch = sampler.draw(0)
            ratio = np.asarray(split.train.get_metadata()["seizure_ratio"])
            share = ratio if dense else (ratio > 0)
            prior = (float(np.mean(share[epoch])), float(np.mean(share)))
        epoch_size = len(sampler)
    else:
        generator = torch.Generator().manual_seed(seed)
        params = {"iterator_train__sampler": RandomSampler(train, num_samples=budget,
                                                           generator=generator),
                  "iterator_train__shuffle": False}
        epoch_size = budget
    criterion, criterion_kw = (nn.BCEWithLogitsLoss, {}) if dense else (nn.CrossEntropyLoss, {})
    if spec.method == "weighted":
        if dense:
            r = float(np.mean(split.train.get_metadata()["seizure_ratio"]))  # seizure samples
            criterion_kw = {"criterion__pos_weight": torch.tensor((1 - r) / r)}
        else:
            p = float(np.mean(y))
            criterion_kw = {"criterion__weight": torch.tensor([1.0, (1 - p) / p])}
    scoring = SzCOREScoring(split.valid, dense=dense, tune_threshold=True, batch_size=256,
                            prior=prior)
    checkpoint = Checkpoint(monitor="valid_event_f1_best", load_best=True, f_history=None,
                            dirname=str(workdir / f"ckpt_{abs(hash((spec, seed)))}"))
    common = dict(criterion=criterion, optimizer=torch.optim.AdamW, lr=args.lr,
                  batch_size=args.batch_size, max_epochs=args.epochs, train_split=None,
                  callbacks=[*callbacks, scoring, checkpoint], verbose=0,
                  iterator_train__drop_last=False, **criterion_kw, **params)
    model = make_model(spec.model, args)
    net = (EEGRegressor(model, **common) if dense
           else EEGClassifier(model, classes=[0, 1], **common))
    t0 = time.perf_counter()
    net.fit(train, y=None)
    traces = predict_recordings(net, split.test, dense=dense, batch_size=256)
    if prior is not None:
        traces = [correct_prior(t, *prior) for t in traces]
    refs = reference_masks(split.test)
    sfreqs = [args.sfreq] * len(refs)
    masks = [postprocess(t, args.sfreq, scoring.best_threshold_) for t in traces]
    subjects = list(split.test.description["subject"])
    scores = score_recordings(refs, masks, sfreqs, subjects)
    s = scores.subject_mean
    return {"spec": spec.name, "model": spec.model, "method": spec.method,
            "options": dict(spec.options), "prevalence": split.prevalence, "seed": seed,
            "epoch_size": epoch_size, "threshold": scoring.best_threshold_,
            "valid_event_f1": scoring.best_score_, "seconds": time.perf_counter() - t0,
            **{k: float(s[k]) for k in ("event_f1", "event_sensitivity", "event_precision",
                                        "event_fp_per_24h", "sample_f1")}}


# ----------------------------------------------------------------------------- the ablation
def specs_for(prevalence, args):
    out = [Spec(m, method) for m in args.models for method in ("balanced", "random", "weighted")]
    if prevalence == args.options_at and "window" in args.models and not args.quick:
        out += [Spec("window", "balanced", (("background_ratio", r),)) for r in (1.0, 5.0, 10.0)]
        out += [Spec("window", "balanced", (("redraw", "once"),)),
                Spec("window", "balanced", (("redraw", "cycle"),)),
                Spec("window", "balanced", (("natural_fraction", 0.5),)),
                Spec("window", "balanced", (("hard_negatives", True),)),
                Spec("window", "balanced", (("prior_correction", True),))]
    return out


def summarise(results):
    table = pd.DataFrame(results)
    keys = ["prevalence", "spec"]
    stats = table.groupby(keys, sort=False).agg(
        n=("event_f1", "size"), f1=("event_f1", "mean"), f1_sd=("event_f1", "std"),
        sens=("event_sensitivity", "mean"), prec=("event_precision", "mean"),
        fp=("event_fp_per_24h", "mean"), epoch=("epoch_size", "first"))
    return stats.reset_index()


def print_line(row):
    print(f"prevalence {row.prevalence:5.1%} | {row.spec:<48} | event F1 {row.f1:.3f} +- "
          f"{0.0 if np.isnan(row.f1_sd) else row.f1_sd:.3f} (n={row.n}) | sensitivity "
          f"{row.sens:.3f} precision {row.prec:.3f} FP/24h {row.fp:7.1f} | epoch {row.epoch}",
          flush=True)


def figure(stats, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from braindecode_stbalance.plots import save_figure

    colours = {"balanced": "#DD8452", "random": "#4C72B0", "weighted": "#55A868"}
    main = stats[~stats["spec"].str.contains(r"\(")]
    models = list(dict.fromkeys(s.split(" / ")[0] for s in main["spec"]))
    options = stats[stats["spec"].str.contains(r"\(")]
    ncols = len(models) + (1 if len(options) else 0)
    fig, axes = plt.subplots(1, ncols, figsize=(5 * ncols, 4.2), layout="constrained",
                             squeeze=False)
    for ax, model in zip(axes[0], models):
        part = main[main["spec"].str.startswith(model + " /")]
        prevalences = sorted(part["prevalence"].unique())
        x = np.arange(len(prevalences))
        for k, method in enumerate(("balanced", "random", "weighted")):
            rows = part[part["spec"] == f"{model} / {method}"].set_index("prevalence")
            rows = rows.reindex(prevalences)
            ax.bar(x + (k - 1) * 0.26, rows["f1"], 0.26, yerr=rows["f1_sd"].fillna(0),
                   color=colours[method], label=method, capsize=3)
        ax.set_xticks(x, [f"{p:.0%}" for p in prevalences])
        ax.set_xlabel("Seizure prevalence (share of recording time)")
        ax.set_ylabel("Held-out event F1 (mean over subjects)")
        ax.set_ylim(0, 1)
        ax.set_title(f"{'Window classifier' if model == 'window' else 'Sample-level detector'}")
        ax.legend(fontsize=8)
    if len(options):
        ax = axes[0][-1]
        ref = main[main["spec"].isin(["window / balanced", "window / random"])
                   & (main["prevalence"] == options["prevalence"].iloc[0])]
        rows = pd.concat([ref, options])
        y = np.arange(len(rows))
        ax.barh(y, rows["f1"], xerr=rows["f1_sd"].fillna(0), color=[
            colours["random"] if s.endswith("random") else colours["balanced"]
            for s in rows["spec"]], capsize=3)
        ax.set_yticks(y, [s.replace("window / ", "") for s in rows["spec"]], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("Held-out event F1")
        ax.set_title(f"Balancing options\n(window classifier, "
                     f"{options['prevalence'].iloc[0]:.0%} prevalence)", fontsize=10)
    save_figure(fig, path, dpi=110)


def _save(args, results):
    from braindecode_stbalance._atomic import atomic_write_text

    atomic_write_text(args.out, json.dumps({"args": vars(args), "runs": results}, indent=1,
                                           default=float))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--prevalences", type=float, nargs="+", default=[0.01, 0.05, 0.10])
    parser.add_argument("--models", nargs="+", default=["window", "dense"],
                        choices=["window", "dense"])
    parser.add_argument("--options-at", type=float, default=0.05,
                        help="prevalence at which the balancing options run")
    parser.add_argument("--sfreq", type=float, default=32.0)
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--noise", type=float, default=0.0,
                        help="extra white noise RMS in uV (harder detection)")
    parser.add_argument("--distractor-rate", type=float, default=120.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--bids", default=None, help="run on a SzCORE/BIDS corpus instead")
    parser.add_argument("--out", default=None, help="JSON file of every run")
    parser.add_argument("--figure", default=None, help="figure file (.png, .pdf, .svg)")
    parser.add_argument("--from-json", default=None,
                        help="summarise (and draw) the runs of an earlier --out file; no training")
    args = parser.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            results = json.load(f)["runs"]
        stats = summarise(results)
        for row in stats.itertuples():
            print_line(row)
        if args.figure:
            figure(stats, args.figure)
        return
    if args.quick:
        args.seeds, args.epochs, args.prevalences = 2, 3, [0.05]
    torch.set_num_threads(max(1, torch.get_num_threads()))
    mne.set_log_level("ERROR")
    print(f"bench_outcome: {args.seeds} seeds x {args.epochs} epochs, windows {WINDOW_S:g} s "
          f"(stride {STRIDE_S:g} s in training), {args.sfreq:g} Hz, {args.channels} channels, "
          f"torch {torch.__version__} with {torch.get_num_threads()} threads", flush=True)
    results, workdir = [], tempfile.TemporaryDirectory()
    prevalences = [float("nan")] if args.bids else args.prevalences
    for prevalence in prevalences:
        t0 = time.perf_counter()
        split = bids_split(args.bids, args) if args.bids else generated_split(prevalence, args)
        print(f"\nprevalence {prevalence:.1%}: {len(split.train.datasets)} / "
              f"{len(split.valid.datasets)} / {len(split.test.datasets)} recordings "
              f"(train / valid / test), seizures {split.seizures}; made in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        for spec in specs_for(prevalence, args):
            for seed in range(args.seeds):
                results.append(run_one(spec, split, seed, args, Path(workdir.name)))
            if args.out:  # after every configuration: a long run can be looked at as it goes
                _save(args, results)
            mine = [r for r in results if r["spec"] == spec.name
                    and (r["prevalence"] == prevalence or args.bids)]
            print_line(next(summarise(mine).itertuples()))
    stats = summarise(results)
    print("\nsummary (event F1 = SzCORE event F1 on held-out recordings, mean over subjects):")
    for row in stats.itertuples():
        print_line(row)
    if args.out:
        _save(args, results)
    if args.figure:
        figure(stats, args.figure)
    print(f"done: {len(results)} runs, {statistics.fsum(r['seconds'] for r in results):.0f} s "
          "of training and scoring")


if __name__ == "__main__":
    main()
