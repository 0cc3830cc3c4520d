"""A real 2-process torch.distributed (gloo, CPU) run with DistributedDataParallel."""

# License: BSD (3-clause)

import json
import socket
import warnings
from collections import Counter

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from sampler_data import WINDOW, make_windows
from torch.utils.data import DataLoader, Dataset

from braindecode_stbalance import (
    BalancedSeizureSampler,
    DistributedBalancedSeizureSampler,
)

WORLD = 2
EPOCHS = 2


class IndexedWindows(Dataset):
    """Windows with their corpus index as third item (what the rank really loaded)."""

    def __init__(self, windows):
        self.windows = windows

    def __len__(self):
        return len(self.windows)

    def __getitem__(self, i):
        x, y, _ = self.windows[i]
        return x, y, i


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, port, root, out_path):
    import mne
    from braindecode.models import ShallowFBCSPNet
    from torch.nn.parallel import DistributedDataParallel

    mne.set_log_level("ERROR")
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                            rank=rank, world_size=WORLD)
    try:
        # every rank writes and reads its own copy of the same (seeded) corpus
        windows = make_windows(f"{root}/rank{rank}", n_recordings=3, duration=240.0, seed=4)
        # random_state=None: rank 0 draws the seed and broadcasts it
        sampler = DistributedBalancedSeizureSampler(windows)
        loader = DataLoader(IndexedWindows(windows), sampler=sampler, batch_size=8)
        torch.manual_seed(0)
        model = ShallowFBCSPNet(
            n_chans=2, n_outputs=2, n_times=WINDOW, n_filters_time=4, n_filters_spat=4,
            filter_time_length=8, pool_time_length=8, pool_time_stride=4,
        )
        ddp = DistributedDataParallel(model)
        optim = torch.optim.AdamW(ddp.parameters(), lr=1e-3)
        seen = []
        n_steps = 0
        for epoch in range(EPOCHS):
            sampler.set_epoch(epoch)
            seen.append([])
            for x, y, idx in loader:
                optim.zero_grad()
                loss = torch.nn.functional.cross_entropy(ddp(x.float()), y)
                loss.backward()
                optim.step()
                seen[-1] += idx.tolist()
                n_steps += 1
        checksum = float(sum(p.double().sum() for p in model.parameters()))
        gathered = [None] * WORLD
        dist.all_gather_object(gathered, {
            "seen": seen, "seed": sampler.seed, "len": len(sampler), "steps": n_steps,
            "checksum": checksum,
        })
        if rank == 0:
            reference = BalancedSeizureSampler(windows, random_state=sampler.seed)
            with open(out_path, "w") as f:
                json.dump({
                    "ranks": gathered,
                    "draws": [reference.draw(e).tolist() for e in range(EPOCHS)],
                }, f)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_process_ddp_training(tmp_path):
    out = tmp_path / "result.json"
    mp.spawn(_worker, args=(_free_port(), str(tmp_path), str(out)), nprocs=WORLD, join=True)
    result = json.loads(out.read_text())
    ranks, draws = result["ranks"], result["draws"]
    assert ranks[0]["seed"] == ranks[1]["seed"]  # seed broadcast from rank 0
    assert ranks[0]["len"] == ranks[1]["len"]
    assert ranks[0]["steps"] == ranks[1]["steps"] > 0
    # DDP averaged the gradients: both replicas hold the same weights
    assert ranks[0]["checksum"] == pytest.approx(ranks[1]["checksum"], rel=1e-6)
    for epoch, draw in enumerate(draws):
        shards = [r["seen"][epoch] for r in ranks]
        assert len(shards[0]) == len(shards[1]) == ranks[0]["len"]
        padding = WORLD * ranks[0]["len"] - len(draw)
        assert 0 <= padding < WORLD
        # the shards together are the epoch draw (plus torch-style wrap-around padding)
        assert Counter(shards[0] + shards[1]) == Counter(draw + draw[:padding])
        assert set(shards[0]) & set(shards[1]) <= set(draw[:padding])
        # interleaved exactly like DistributedSampler
        padded = draw + draw[:padding]
        for rank in range(WORLD):
            assert shards[rank] == padded[rank::WORLD]
    assert draws[0] != draws[1]
    assert set(draws[0]) != set(draws[1])  # background redrawn
    assert ranks[0]["seen"][0] != ranks[0]["seen"][1]
    assert np.unique(draws[0]).size == len(draws[0])
