"""GPU training throughput: balanced seizure sampler vs. plain shuffle.

Trains a braindecode model with :class:`braindecode.EEGClassifier` on an
in-memory synthetic corpus of 60 s x 19 channel x 256 Hz windows, once with
:class:`~braindecode_stbalance.BalancedSeizureSampler` and once with a plain
shuffle (``RandomSampler``) over the same number of windows per epoch, with
the same DataLoader settings. Prints samples/s of each and their ratio
(balanced / shuffle; the goal is >= 0.98) and writes a JSON of the results.

On a CUDA machine, from the repository root::

    PYTHONPATH=$PWD python benchmarks/gpu_train.py --out gpu_train.json

On a CPU, small sizes (a functional check, not a measurement)::

    PYTHONPATH=$PWD python benchmarks/gpu_train.py --tiny --out /tmp/gpu_train.json
"""

# License: BSD (3-clause)

import argparse
import json
import os
import platform
import statistics
import time
import warnings

import mne
import numpy as np
import torch
from braindecode import EEGClassifier
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.models import EEGNeX, ShallowFBCSPNet
from braindecode.preprocessing import create_fixed_length_windows
from skorch.callbacks import Callback
from torch.utils.data import RandomSampler

from braindecode_stbalance import BalancedSeizureSampler, annotate_seizure_ratio

N_CHANNELS = 19


def device_info(device):
    info = {
        "torch": torch.__version__,
        "cuda_available": torch.cuda.is_available(),
        "cuda_version": torch.version.cuda,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "device": str(device),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(
            gpu_name=props.name,
            gpu_capability=f"{props.major}.{props.minor}",
            gpu_memory_gib=round(props.total_memory / 2**30, 1),
            cudnn=torch.backends.cudnn.version(),
        )
    return info


def make_corpus(n_recordings, duration, sfreq, seizures, seed=0):
    """In-memory recordings (mne RawArray) with 'seiz' annotations; no files."""
    rng = np.random.default_rng(seed)
    ch_names = [f"EEG {i:03d}" for i in range(N_CHANNELS)]
    datasets = []
    n_times = int(duration * sfreq)
    n_slots = int(duration // 300) - 1  # one seizure per 300 s slot, none in the first
    if seizures > n_slots:
        raise ValueError(
            f"{seizures} seizures per recording need a duration of at least "
            f"{300 * (seizures + 1)} s (one per 300 s slot), got {duration:g} s."
        )
    for i in range(n_recordings):
        data = rng.standard_normal((N_CHANNELS, n_times), dtype=np.float32) * 20e-6
        raw = mne.io.RawArray(data, mne.create_info(ch_names, sfreq, "eeg"), verbose="error")
        slots = np.sort(rng.choice(np.arange(1, int(duration // 300)), seizures, replace=False))
        onsets = slots * 300.0 + rng.uniform(0, 60, seizures)
        durations = rng.uniform(30, 150, seizures)
        raw.set_annotations(mne.Annotations(onsets, durations, ["seiz"] * seizures))
        datasets.append(RawDataset(raw, description={"subject": i}))
    return BaseConcatDataset(datasets)


class EpochTimer(Callback):
    """Wall time of each training epoch, with CUDA synchronised at both ends."""

    def initialize(self):
        self.durations_ = []
        self.windows_ = []
        return self

    def _sync(self, net):
        if str(net.device).startswith("cuda"):
            torch.cuda.synchronize()

    def on_epoch_begin(self, net, **kwargs):
        self._sync(net)
        self._t0 = time.perf_counter()
        self._n = 0

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self._n += len(batch[0])

    def on_epoch_end(self, net, **kwargs):
        self._sync(net)
        self.durations_.append(time.perf_counter() - self._t0)
        self.windows_.append(self._n)


def build_model(name, n_times, sfreq):
    torch.manual_seed(0)
    if name == "shallow":
        return ShallowFBCSPNet(n_chans=N_CHANNELS, n_outputs=2, n_times=n_times, sfreq=sfreq)
    if name == "eegnex":
        return EEGNeX(n_chans=N_CHANNELS, n_outputs=2, n_times=n_times, sfreq=sfreq)
    raise ValueError(f"unknown model {name!r}")


def train(windows, name, iterator_params, args, device, n_times):
    timer = EpochTimer()
    loader_params = {
        "iterator_train__num_workers": args.num_workers,
        "iterator_train__pin_memory": device.type == "cuda",
        "iterator_train__persistent_workers": args.num_workers > 0,
    }
    if args.num_workers > 0:
        loader_params["iterator_train__prefetch_factor"] = args.prefetch_factor
    clf = EEGClassifier(
        build_model(args.model, n_times, args.sfreq), max_epochs=args.warmup + args.epochs,
        batch_size=args.batch_size, lr=1e-3, optimizer=torch.optim.AdamW,
        train_split=None, device=device, classes=[0, 1], verbose=0,
        callbacks=[("timer", timer)], **loader_params, **iterator_params,
    )
    clf.fit(windows, y=None)
    timed = timer.durations_[args.warmup:]
    n = timer.windows_[args.warmup:]
    rates = [w / d for w, d in zip(n, timed)]
    result = {
        "sampler": name,
        "epoch_seconds": timer.durations_,
        "windows_per_epoch": timer.windows_,
        "timed_epochs": len(timed),
        "samples_per_s": statistics.median(rates),
        "samples_per_s_per_epoch": rates,
    }
    print(f"{name:>9}: {result['samples_per_s']:9.1f} samples/s (median of {len(timed)} "
          f"timed epochs of {n[0]} windows; epoch times {', '.join(f'{d:.2f}' for d in timed)} s)",
          flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="path of the JSON results")
    parser.add_argument("--tiny", action="store_true", help="small sizes, for a CPU check")
    parser.add_argument("--model", choices=["shallow", "eegnex"], default="shallow")
    parser.add_argument("--num-workers", type=int, default=None,
                        help="DataLoader workers (default: min(8, cpus - 1); 0 with --tiny)")
    parser.add_argument("--prefetch-factor", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None, help="timed epochs per sampler")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first epochs")
    parser.add_argument("--n-recordings", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="seconds per recording")
    parser.add_argument("--seizures", type=int, default=None, help="seizures per recording")
    parser.add_argument("--sfreq", type=float, default=None)
    parser.add_argument("--stride", type=float, default=10.0, help="window stride in seconds")
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--repeats", type=int, default=2,
                        help="training runs per sampler, in alternating order (default 2)")
    args = parser.parse_args()
    tiny = {"n_recordings": 2, "duration": 1200.0, "seizures": 3, "sfreq": 32.0, "epochs": 1,
                "batch_size": 16, "num_workers": 0}
    full = {"n_recordings": 12, "duration": 2400.0, "seizures": 4, "sfreq": 256.0, "epochs": 3,
                "batch_size": 64, "num_workers": min(8, max((os.cpu_count() or 2) - 1, 1))}
    for key, value in (tiny if args.tiny else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)

    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    info = device_info(device)
    print(json.dumps(info, indent=1), flush=True)

    t0 = time.perf_counter()
    corpus = make_corpus(args.n_recordings, args.duration, args.sfreq, args.seizures)
    n_times = int(60 * args.sfreq)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(
            corpus, window_size_samples=n_times, window_stride_samples=int(args.stride * args.sfreq),
            on_last_window="drop", preload=True,
        )
    annotate_seizure_ratio(windows, target="binary")
    sampler = BalancedSeizureSampler(windows, random_state=0)
    n_epoch = len(sampler)
    print(f"corpus: {len(windows)} windows of 60 s x {N_CHANNELS} ch x {args.sfreq:g} Hz, "
          f"counts {sampler.counts}; epoch of {n_epoch} windows {sampler.quotas} "
          f"(built in {time.perf_counter() - t0:.1f} s); model {args.model}, batch "
          f"{args.batch_size}, num_workers {args.num_workers}", flush=True)

    def shuffle_params():
        return {
            "iterator_train__sampler": RandomSampler(
                windows, num_samples=n_epoch, generator=torch.Generator().manual_seed(0)),
            "iterator_train__shuffle": False,
        }

    # alternate the order (B S S B B S ...) so that drift (clocks, caches) cancels out
    results = []
    for r in range(args.repeats):
        order = ["balanced", "shuffle"] if r % 2 == 0 else ["shuffle", "balanced"]
        for name in order:
            params = sampler.skorch_params() if name == "balanced" else shuffle_params()
            results.append(train(windows, name, params, args, device, n_times))
    rates = {name: statistics.median(x["samples_per_s"] for x in results if x["sampler"] == name)
             for name in ("balanced", "shuffle")}
    ratio = rates["balanced"] / rates["shuffle"]
    print(f"median samples/s over {args.repeats} run(s) each: balanced {rates['balanced']:.1f}, "
          f"shuffle {rates['shuffle']:.1f}", flush=True)
    print(f"ratio balanced / shuffle: {ratio:.3f} (goal >= 0.98)", flush=True)
    out = {
        "device": info,
        "args": vars(args),
        "n_windows": len(windows),
        "epoch_windows": n_epoch,
        "quotas": sampler.quotas,
        "results": results,
        "median_samples_per_s": rates,
        "ratio_balanced_over_shuffle": ratio,
        "total_seconds": time.perf_counter() - t0,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, args.out)
    print(f"wrote {args.out} (total {out['total_seconds']:.1f} s)")


if __name__ == "__main__":
    main()
