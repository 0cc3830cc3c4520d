"""GPU training of a sample-level (dense) seizure detector at realistic size.

SeizureTransformer's setting: 19 channels, 256 Hz, 60 s windows, per-sample
targets (:class:`~braindecode_stbalance.DenseTargets`), balanced epochs
(:class:`~braindecode_stbalance.BalancedSeizureSampler`), batch 64, and every
epoch the SzCORE scoring of whole validation recordings
(:class:`~braindecode_stbalance.SzCOREScoring`). The recordings are EDF files
read back lazily by DataLoader workers, as a real corpus is. Prints and writes
(JSON) the epoch time, training windows/s, the split of each training step
between waiting for data and computing (CUDA synchronised), hence whether data
loading keeps the GPU busy, and the time of the scoring callback; once with the
windows read lazily from EDF by DataLoader workers, once from the window cache
(:mod:`braindecode_stbalance.cache`, ``--no-cache`` to skip), same model and seed.

On a CUDA machine, from the repository root::

    PYTHONPATH=$PWD python benchmarks/gpu_dense.py --out gpu_dense.json

On a CPU, small sizes (a functional check, not a measurement)::

    PYTHONPATH=$PWD python benchmarks/gpu_dense.py --tiny --out /tmp/gpu_dense.json
"""

# License: BSD (3-clause)

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings

import torch
from braindecode import EEGRegressor
from braindecode.datasets import BaseConcatDataset
from braindecode.preprocessing import create_fixed_length_windows
from skorch.callbacks import Callback
from torch import nn

from braindecode_stbalance import (
    BalancedSeizureSampler,
    DenseTargets,
    SzCOREScoring,
    annotate_seizure_ratio,
)
from braindecode_stbalance.cache import FromCache, build_cache
from braindecode_stbalance.synthetic import make_synthetic_corpus


def block(n_in, n_out, dilation=1):
    return nn.Sequential(
        nn.Conv1d(n_in, n_out, 7, padding=3 * dilation, dilation=dilation),
        nn.BatchNorm1d(n_out), nn.ELU(),
        nn.Conv1d(n_out, n_out, 7, padding=3 * dilation, dilation=dilation),
        nn.BatchNorm1d(n_out), nn.ELU())


class UNet1d(nn.Module):
    """Three x4 poolings (256 Hz -> 4 Hz), dilated bottom, skip connections, per-sample logits."""

    def __init__(self, n_chans, width=32):
        super().__init__()
        w = width
        self.enc = nn.ModuleList([block(n_chans, w), block(w, 2 * w), block(2 * w, 4 * w)])
        self.bottom = nn.Sequential(block(4 * w, 8 * w, 2), block(8 * w, 8 * w, 4))
        self.dec = nn.ModuleList([block(12 * w, 4 * w), block(6 * w, 2 * w), block(3 * w, w)])
        self.head = nn.Conv1d(w, 1, 1)
        self.pool, self.up = nn.MaxPool1d(4), nn.Upsample(scale_factor=4)

    def forward(self, x):
        x = x * 2e4  # volts to ~unit scale
        skips = []
        for enc in self.enc:
            x = enc(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for dec, skip in zip(self.dec, reversed(skips)):
            x = dec(torch.cat([self.up(x), skip], dim=1))
        return self.head(x)[:, 0]


class StepTimer(Callback):
    """Per training step: time waiting for the batch vs. computing it (CUDA synchronised)."""

    def initialize(self):
        self.epochs_ = []
        return self

    def _now(self, net):
        if str(net.device).startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter()

    def on_epoch_begin(self, net, **kwargs):
        self._last = self._t0 = self._now(net)
        self._wait, self._compute, self._n = 0.0, 0.0, 0

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self._begin = time.perf_counter()
            self._wait += self._begin - self._last

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self._last = self._now(net)
            self._compute += self._last - self._begin
            x = batch[0]
            self._n += len(x[0] if isinstance(x, (list, tuple)) else x)  # a cached batch: [X]

    def on_epoch_end(self, net, **kwargs):  # listed before the scoring callback
        train = self._now(net) - self._t0
        self.epochs_.append({"train_seconds": train, "windows": self._n,
                             "wait_seconds": self._wait, "compute_seconds": self._compute})
        self._scoring_t0 = time.perf_counter()


class ScoringTimer(Callback):
    """Listed after SzCOREScoring: the time the scoring took this epoch."""

    def __init__(self, step_timer):
        self.step_timer = step_timer

    def on_epoch_end(self, net, **kwargs):
        epoch = self.step_timer.epochs_[-1]
        epoch["scoring_seconds"] = time.perf_counter() - self.step_timer._scoring_t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="path of the JSON results")
    parser.add_argument("--tiny", action="store_true", help="small sizes, for a CPU check")
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--epochs", type=int, default=None, help="timed epochs")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first epochs")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--num-workers", type=int, default=None)
    parser.add_argument("--width", type=int, default=None, help="U-Net base width")
    parser.add_argument("--recordings", type=int, default=None, help="generated recordings")
    parser.add_argument("--no-cache", dest="cache", action="store_false",
                        help="skip the run fed from the window cache")
    args = parser.parse_args()
    size = ({"recordings": 3, "minutes": 20.0, "sfreq": 64.0, "n_chans": 4, "epochs": 1,
             "batch_size": 8, "num_workers": 0, "width": 4} if args.tiny else
            {"recordings": 24, "minutes": 60.0, "sfreq": 256.0, "n_chans": 19, "epochs": 3,
             "batch_size": 64, "num_workers": min(12, max((os.cpu_count() or 2) - 2, 1)),
             "width": 32})
    for key in ("epochs", "batch_size", "num_workers", "width", "recordings"):
        if getattr(args, key) is None:
            setattr(args, key, size[key])
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    info = {"torch": torch.__version__, "device": str(device), "cpu_count": os.cpu_count()}
    if device.type == "cuda":
        info["gpu_name"] = torch.cuda.get_device_name(device)
    print(json.dumps(info), flush=True)

    sfreq, n_chans = size["sfreq"], size["n_chans"]
    t0 = time.perf_counter()
    corpus = make_synthetic_corpus(tempfile.mkdtemp(), n_recordings=args.recordings,
                                   duration=size["minutes"] * 60, sfreq=sfreq,
                                   n_channels=n_chans, seizures_per_recording=(1, 4), seed=0)
    n_valid = max(1, args.recordings // 6)
    window = int(60 * sfreq)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_windows = create_fixed_length_windows(
            BaseConcatDataset(corpus.datasets[n_valid:]), window_size_samples=window,
            window_stride_samples=window // 4, on_last_window="overlap")
        valid = create_fixed_length_windows(
            BaseConcatDataset(corpus.datasets[:n_valid]), window_size_samples=window,
            window_stride_samples=window, on_last_window="overlap")
    annotate_seizure_ratio(train_windows)
    train = DenseTargets(train_windows)
    sampler = BalancedSeizureSampler(train, random_state=0)
    t_data = time.perf_counter() - t0
    print(f"data: {len(train)} training windows, {len(valid)} validation windows, "
          f"epoch of {len(sampler)} windows ({sampler.quotas}); built in {t_data:.1f} s",
          flush=True)

    runs = {"lazy_edf": _train(train, sampler, valid, device, args, n_chans)}
    if args.cache:
        t0 = time.perf_counter()
        cached = build_cache(train_windows, os.path.join(tempfile.mkdtemp(), "cache"),
                             progress=False)
        t_cache = time.perf_counter() - t0
        print(f"cache built in {t_cache:.1f} s", flush=True)
        dense_cached = DenseTargets(cached)
        cache_sampler = BalancedSeizureSampler(dense_cached, random_state=0)
        runs["cache"] = _train(dense_cached, cache_sampler, valid, device, args, n_chans,
                               cached=cached)
        runs["cache"]["build_seconds"] = t_cache
    result = {"device": info, "args": vars(args), "size": size, **runs["lazy_edf"],
              "runs": runs}
    for name, run in runs.items():
        print(f"{name}: median {run['median_windows_per_s']:.1f} windows/s, GPU-step busy "
              f"fraction {run['median_busy_fraction']:.3f}", flush=True)
    if "cache" in runs:
        print(f"cache / lazy EDF: {runs['cache']['median_windows_per_s'] / runs['lazy_edf']['median_windows_per_s']:.2f}x", flush=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1, default=float)


def _train(train, sampler, valid, device, args, n_chans, cached=None):
    """Train and time one data path; the same model, seed, epochs and scoring."""
    steps = StepTimer()
    if cached is None:
        loader = {"iterator_train__num_workers": args.num_workers,
                  "iterator_train__pin_memory": device.type == "cuda",
                  "iterator_train__persistent_workers": args.num_workers > 0,
                  **sampler.skorch_params()}
        if args.num_workers > 0:
            loader["iterator_train__prefetch_factor"] = 4
    else:
        loader = cached.skorch_params(sampler, threads=4,
                                      device=device if device.type == "cuda" else None)
    torch.manual_seed(0)
    model = UNet1d(n_chans, args.width)
    net = EEGRegressor(
        model if cached is None else FromCache(model, cached), criterion=nn.BCEWithLogitsLoss,
        optimizer=torch.optim.AdamW, lr=1e-3, batch_size=args.batch_size,
        max_epochs=args.warmup + args.epochs, train_split=None, device=device, verbose=0,
        callbacks=[("steps", steps),
                   ("szcore", SzCOREScoring(valid, dense=True, tune_threshold=True,
                                            batch_size=args.batch_size,
                                            num_workers=args.num_workers)),
                   ("scoring_time", ScoringTimer(steps))],
        **loader)
    net.fit(train, y=None)

    timed = steps.epochs_[args.warmup:]
    rates = [e["windows"] / e["train_seconds"] for e in timed]
    busy = [e["compute_seconds"] / (e["compute_seconds"] + e["wait_seconds"]) for e in timed]
    for e in timed:
        print(f"{'cache' if cached is not None else 'lazy EDF'} epoch: {e['windows']} windows "
              f"in {e['train_seconds']:.2f} s ({e['windows'] / e['train_seconds']:.1f} "
              f"windows/s); steps: {e['compute_seconds']:.2f} s computing, "
              f"{e['wait_seconds']:.2f} s waiting for data; SzCORE scoring "
              f"{e['scoring_seconds']:.2f} s", flush=True)
    return {
        "n_parameters": sum(p.numel() for p in net.module_.parameters()),
        "epochs": steps.epochs_, "history": [
            {k: v for k, v in row.items() if k.startswith("valid_") or k == "train_loss"}
            for row in net.history],
        "median_windows_per_s": statistics.median(rates),
        "median_busy_fraction": statistics.median(busy),
        "median_epoch_seconds": statistics.median(e["train_seconds"] for e in timed),
        "median_scoring_seconds": statistics.median(e["scoring_seconds"] for e in timed),
    }


if __name__ == "__main__":
    main()
