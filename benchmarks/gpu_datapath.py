"""GPU training fed by the window cache vs lazy EDF vs batches already on the device.

One corpus of real EDF files (19 channels, 256 Hz), windowed 60 s / 15 s with braindecode,
annotated, and cached with :func:`braindecode_stbalance.cache.build_cache`. The same
``EEGClassifier(ShallowFBCSPNet)`` trains on the same balanced epochs
(``BalancedSeizureSampler``, one seed), in the same run, fed

- ``device``: from windows already on the device (float32; the GPU-bound rate);
- ``cache``: from the cache, float16 converted on the device (``FromCache``), read by
  ``CachedLoader`` threads in the training process (with and without copying the next
  batches to the GPU ahead of time), and by DataLoader worker processes;
- ``lazy_edf``: from the EDF files through braindecode's lazy windows, by DataLoader
  worker processes.

Prints windows/s (median of timed epochs) and the ratios cache / device (goal >= 0.90) and
cache / lazy EDF (goal >= 3), and writes every number to a JSON file. On a CUDA machine,
from the repository root (about 2 minutes on an H100 host with 16 cores)::

    PYTHONPATH=$PWD python benchmarks/gpu_datapath.py --out gpu_datapath.json

On a CPU, small sizes (a functional check, not a measurement)::

    PYTHONPATH=$PWD python benchmarks/gpu_datapath.py --tiny --out /tmp/gpu_datapath.json
"""

# License: BSD (3-clause)

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mne
import numpy as np
import torch
from braindecode import EEGClassifier
from braindecode.datasets import BaseConcatDataset, RawDataset
from braindecode.models import ShallowFBCSPNet
from braindecode.preprocessing import create_fixed_length_windows
from skorch.callbacks import Callback
from torch.utils.data import DataLoader

from braindecode_stbalance import (
    BalancedSeizureSampler,
    annotate_seizure_ratio,
    window_table,
)
from braindecode_stbalance.cache import FromCache, build_cache, collate_windows
from braindecode_stbalance.synthetic import write_synthetic_edf

N_CHANNELS = 19


def device_info(device):
    info = {"torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
            "cuda_version": torch.version.cuda, "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "device": str(device)}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(gpu_name=props.name, gpu_capability=f"{props.major}.{props.minor}",
                    gpu_memory_gib=round(props.total_memory / 2**30, 1),
                    cudnn=torch.backends.cudnn.version())
    return info


def _write_one(task):
    path, duration, sfreq, seed = task
    rng = np.random.default_rng(seed)
    n_sz = int(duration // 600)  # one seizure per 10 minutes
    onsets = np.sort(rng.choice(np.arange(1, int(duration // 300)), n_sz, replace=False)) * 300.0
    seizures = [(float(o + rng.uniform(0, 60)), float(rng.uniform(30, 150))) for o in onsets]
    write_synthetic_edf(path, duration, sfreq, seizures, seed=seed,
                        ch_names=[f"EEG {i:03d}" for i in range(N_CHANNELS)])
    return os.fspath(path)


def make_edf_corpus(root, n_recordings, duration, sfreq, jobs):
    tasks = [(Path(root) / f"rec_{i:03d}.edf", duration, sfreq, i) for i in range(n_recordings)]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            return list(ex.map(_write_one, tasks))
    return [_write_one(t) for t in tasks]


def lazy_windows(paths, sfreq):
    datasets = [RawDataset(mne.io.read_raw_edf(p, preload=False, verbose="error"),
                           description={"path": p, "subject": i}) for i, p in enumerate(paths)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        windows = create_fixed_length_windows(
            BaseConcatDataset(datasets), window_size_samples=int(60 * sfreq),
            window_stride_samples=int(15 * sfreq), on_last_window="overlap")
    return annotate_seizure_ratio(windows, target="binary")


class DeviceWindows(torch.utils.data.Dataset):
    """Every window already on the device (float32); a batch is one index_select."""

    def __init__(self, cached, device, chunk=256):
        n = len(cached)
        shape = cached[0][0].shape
        self.X = torch.empty((n, *shape), dtype=torch.float32, device=device)
        for start in range(0, n, chunk):  # read from the cache, converted on the device
            part = np.stack([cached[i][0] for i in range(start, min(start + chunk, n))])
            self.X[start:start + len(part)] = torch.from_numpy(part).to(device).float()
        self.X /= cached.scale
        self.y = torch.as_tensor([cached[i][1] for i in range(n)], device=device)

    def __len__(self):
        return len(self.y)

    def __getitems__(self, indices):
        idx = torch.as_tensor(indices, device=self.X.device)
        return self.X.index_select(0, idx), self.y.index_select(0, idx)


def _as_is(batch):
    return batch


class Autocast(torch.nn.Module):
    """Run a model under bfloat16 autocast (float32 weights and output)."""

    def __init__(self, module, device_type):
        super().__init__()
        self.module, self.device_type = module, device_type

    def forward(self, x):
        with torch.autocast(self.device_type, dtype=torch.bfloat16):
            return self.module(x).float()


class EpochTimer(Callback):
    """Wall time and windows of each training epoch, CUDA synchronised at both ends."""

    def initialize(self):
        self.durations_, self.windows_ = [], []
        return self

    def _sync(self, net):
        if str(net.device).startswith("cuda"):
            torch.cuda.synchronize()

    def on_epoch_begin(self, net, **kwargs):
        self._sync(net)
        self._t0, self._n = time.perf_counter(), 0

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self._n += len(batch[1])  # the targets (a cached batch's signal is [X])

    def on_epoch_end(self, net, **kwargs):
        self._sync(net)
        self.durations_.append(time.perf_counter() - self._t0)
        self.windows_.append(self._n)


def run(name, dataset, iterator_params, args, device, n_times, wrap=None):
    torch.manual_seed(0)
    model = ShallowFBCSPNet(n_chans=N_CHANNELS, n_outputs=2, n_times=n_times, sfreq=args.sfreq)
    if args.bf16:
        model = Autocast(model, device.type)
    if wrap is not None:
        model = wrap(model)
    timer = EpochTimer()
    clf = EEGClassifier(model, max_epochs=args.warmup + args.epochs, batch_size=args.batch_size,
                        lr=1e-3, optimizer=torch.optim.AdamW, train_split=None, device=device,
                        classes=[0, 1], verbose=0, callbacks=[("timer", timer)],
                        iterator_train__drop_last=False, **iterator_params)
    t0 = time.perf_counter()
    clf.fit(dataset, y=None)
    rates = [w / d for w, d in zip(timer.windows_[args.warmup:], timer.durations_[args.warmup:])]
    result = {"name": name, "windows_per_s": statistics.median(rates), "per_epoch": rates,
              "epoch_windows": timer.windows_, "epoch_seconds": timer.durations_,
              "fit_seconds": time.perf_counter() - t0}
    print(f"{name:<34} {result['windows_per_s']:9.0f} windows/s (median of {len(rates)} epochs "
          f"of {timer.windows_[-1]}; {', '.join(f'{r:.0f}' for r in rates)})", flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="path of the JSON results")
    parser.add_argument("--tiny", action="store_true", help="small sizes, for a CPU check")
    parser.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    parser.add_argument("--recordings", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="seconds per recording")
    parser.add_argument("--sfreq", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None, help="timed epochs per run")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first epochs")
    parser.add_argument("--workers", type=int, nargs="+", default=None,
                        help="DataLoader worker processes to try (lazy EDF and cache)")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="CachedLoader threads to try")
    parser.add_argument("--no-bf16", dest="bf16", action="store_false",
                        help="train in float32 (default: bfloat16 autocast on CUDA)")
    parser.add_argument("--workdir", default=None, help="where to write (default: temp dir)")
    args = parser.parse_args()
    cpus = os.cpu_count() or 2
    tiny = {"recordings": 2, "duration": 1200.0, "sfreq": 32.0, "batch_size": 8, "epochs": 1,
            "workers": [0], "threads": [1]}
    full = {"recordings": 24, "duration": 3600.0, "sfreq": 256.0, "batch_size": 64, "epochs": 3,
            "workers": sorted({min(8, cpus - 1), min(14, cpus - 2)}), "threads": [2, 4]}
    for key, value in (tiny if args.tiny else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    args.bf16 = args.bf16 and device.type == "cuda"
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    mne.set_log_level("ERROR")
    warnings.filterwarnings("ignore", message=".*quota is", category=UserWarning)
    info = device_info(device)
    print(json.dumps(info, indent=1), flush=True)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="gpu_datapath_"))
    t_start = time.perf_counter()
    try:
        t0 = time.perf_counter()
        paths = make_edf_corpus(work / "edf", args.recordings, args.duration, args.sfreq,
                                jobs=1 if args.tiny else min(16, cpus))
        source = lazy_windows(paths, args.sfreq)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        cached = build_cache(source, work / "cache", n_jobs=1 if args.tiny else min(8, cpus),
                             progress=False)
        t_build = time.perf_counter() - t0
        n_times = int(60 * args.sfreq)
        sampler = BalancedSeizureSampler(source, random_state=0)
        print(f"corpus: {len(source)} windows of 60 s x {N_CHANNELS} ch x {args.sfreq:g} Hz "
              f"(generated in {t_gen:.1f} s, cached in {t_build:.1f} s); balanced epoch of "
              f"{len(sampler)} windows {sampler.quotas}; batch {args.batch_size}, bf16 "
              f"{args.bf16}", flush=True)

        def balanced(dataset):  # the same epochs for every run (same categories, same seed)
            return BalancedSeizureSampler(dataset, random_state=0)

        pin = device.type == "cuda"
        results = []
        on_device = DeviceWindows(cached, device)
        device_sampler = BalancedSeizureSampler.from_categories(
            window_table(source)["seizure_category"], random_state=0)
        results.append(run("device (float32, already there)", on_device, {
            "iterator_train": DataLoader, "iterator_train__sampler": device_sampler,
            "iterator_train__collate_fn": _as_is, "iterator_train__shuffle": False},
            args, device, n_times))
        del on_device
        for threads in args.threads:
            for ahead in ([None, device] if device.type == "cuda" else [None]):
                name = f"cache, CachedLoader {threads} threads" + (
                    ", copied ahead" if ahead is not None else "")
                params = cached.skorch_params(balanced(cached), threads=threads, device=ahead)
                results.append(run(name, cached, params, args, device, n_times,
                                   wrap=lambda m: FromCache(m, cached)))
        for workers in args.workers:
            loader = {**balanced(cached).skorch_params(), "iterator_train__num_workers": workers,
                      "iterator_train__pin_memory": pin,
                      "iterator_train__collate_fn": collate_windows}
            results.append(run(f"cache, {workers} worker processes", cached, loader, args,
                               device, n_times, wrap=lambda m: FromCache(m, cached)))
        for workers in args.workers:
            loader = {**balanced(source).skorch_params(), "iterator_train__num_workers": workers,
                      "iterator_train__pin_memory": pin}
            results.append(run(f"lazy EDF, {workers} worker processes", source, loader, args,
                               device, n_times))
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    rate = {r["name"]: r["windows_per_s"] for r in results}
    dev = rate["device (float32, already there)"]
    best_cache = max((r for r in results if r["name"].startswith("cache")),
                     key=lambda r: r["windows_per_s"])
    best_lazy = max((r for r in results if r["name"].startswith("lazy")),
                    key=lambda r: r["windows_per_s"])
    ratios = {"cache_over_device": best_cache["windows_per_s"] / dev,
              "cache_over_lazy_edf": best_cache["windows_per_s"] / best_lazy["windows_per_s"]}
    print(f"best cache run: {best_cache['name']}; best lazy EDF run: {best_lazy['name']}")
    print(f"cache / device: {ratios['cache_over_device']:.2f} (goal >= 0.90)")
    print(f"cache / lazy EDF: {ratios['cache_over_lazy_edf']:.1f}x (goal >= 3)")
    out = {"device": info, "args": vars(args), "n_windows": len(source),
           "epoch_windows": len(sampler), "results": results, "windows_per_s": rate,
           "best_cache": best_cache["name"], "best_lazy_edf": best_lazy["name"], "ratios": ratios,
           "generate_seconds": t_gen, "build_seconds": t_build,
           "total_seconds": time.perf_counter() - t_start}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
    os.replace(tmp, args.out)
    print(f"wrote {args.out} (total {out['total_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
