"""Batches convert on the device: FromCache (EEGClassifier), to_device (plain loops), the README switch."""

# License: BSD (3-clause)

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from braindecode import EEGClassifier
from braindecode.models import ShallowFBCSPNet
from cache_data import WINDOW, float16_tolerance, make_preprocessed
from skorch.helper import predefined_split
from torch.utils.data import DataLoader

from braindecode_stbalance import BalancedSeizureSampler
from braindecode_stbalance.cache import (
    CachedLoader,
    FromCache,
    build_cache,
    collate_windows,
    load_cache,
    to_device,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("dev")
    source = make_preprocessed(root / "edf", n_recordings=3, seed=3)
    return source, build_cache(source, root / "cache", progress=False)


def _model():
    torch.manual_seed(0)
    return ShallowFBCSPNet(n_chans=3, n_outputs=2, n_times=WINDOW, n_filters_time=4,
                           n_filters_spat=4, filter_time_length=8, pool_time_length=8,
                           pool_time_stride=4)


def test_to_device_restores_the_sources_values(corpus):
    source, cached = corpus
    idx = list(range(0, len(cached), 7))[:16]
    batch = collate_windows(cached.__getitems__(idx))
    X, y, crop = to_device(batch, "cpu", cached)
    ref = np.stack([source[i][0] for i in idx])
    assert X.dtype == torch.float32 and X.device.type == "cpu"
    assert (np.abs(X.numpy() - ref) <= float16_tolerance(ref, cached.scale)).all()
    assert y.tolist() == [source[i][1] for i in idx] and crop is batch[2]
    plain = torch.from_numpy(ref)
    assert to_device((plain, y), "cpu", cached)[0] is plain  # float32 passes unchanged
    with pytest.raises(ValueError, match="positive"):
        to_device(batch, "cpu", 0)


def test_from_cache_converts_float16_only(corpus):
    source, cached = corpus
    seen = []
    model = _model().eval()
    model.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    wrapped = FromCache(model, cached)
    assert wrapped.scale == cached.scale and "scale=" in repr(wrapped)
    X16 = torch.from_numpy(np.stack([cached[i][0] for i in range(8)]))
    X32 = torch.from_numpy(np.stack([source[i][0] for i in range(8)]))
    with torch.no_grad():
        a, b = wrapped(X16), wrapped(X32)
    assert seen[0].dtype == torch.float32
    assert (np.abs(seen[0].numpy() - X32.numpy())
            <= float16_tolerance(X32.numpy(), cached.scale)).all()
    assert seen[1] is X32
    assert torch.allclose(a, b, atol=1e-3)


def test_eeg_classifier_trains_from_the_cache_on_the_sources_windows(corpus):
    source, cached = corpus
    batch_size = 8
    sampler = BalancedSeizureSampler(cached, random_state=1)
    expected = sampler.draw(0)
    model = _model()
    inputs = []
    model.register_forward_pre_hook(
        lambda m, args: inputs.append(args[0].detach().clone()) if m.training else None)
    clf = EEGClassifier(FromCache(model, cached), max_epochs=1, batch_size=batch_size,
                        train_split=predefined_split(source), classes=[0, 1], verbose=0,
                        **sampler.skorch_params())
    clf.fit(cached, y=None)
    assert len(inputs) == len(expected) // batch_size
    for k, X in enumerate(inputs):
        ref = np.stack([source[int(i)][0] for i in expected[k * batch_size:(k + 1) * batch_size]])
        assert X.dtype == torch.float32
        assert (np.abs(X.numpy() - ref) <= float16_tolerance(ref, cached.scale)).all()
    assert np.isfinite(clf.history[-1, "valid_loss"])
    # predict takes cached (float16) and source (float32) windows alike
    assert np.array_equal(clf.predict(cached), clf.predict(cached))
    assert (clf.predict(cached) == clf.predict(source)).mean() > 0.95


def test_readme_switch_runs_after_the_readmes_blocks(corpus, tmp_path, monkeypatch):
    """The snippet given for the README, pasted after its EEGClassifier block."""
    source, _ = corpus
    snippet = (ROOT / "docs" / "cache.rst").read_text()
    snippet = snippet.split(".. readme-switch-start")[1].split(".. readme-switch-end")[0]
    code = "\n".join(line[4:] for line in snippet.splitlines() if line.startswith("    "))
    assert re.search(r"train_set = build_cache\(train_set", code)
    monkeypatch.chdir(tmp_path)
    names = {"train_set": source, "valid_set": source, "model": _model(),
             "EEGClassifier": EEGClassifier, "predefined_split": predefined_split,
             "BalancedSeizureSampler": BalancedSeizureSampler}
    code = code.replace("max_epochs=2", "max_epochs=1")  # one epoch is enough here
    exec(compile(code, "README", "exec"), names)  # noqa: S102 - the documented snippet
    assert isinstance(names["clf"].module_, FromCache)
    assert isinstance(names["clf"].get_iterator(names["train_set"], training=True).loader,
                      CachedLoader)
    assert load_cache(tmp_path / "train_cache").check(source) is not None


def test_plain_training_loop_with_to_device(corpus):
    _, cached = corpus
    sampler = BalancedSeizureSampler(cached, random_state=0)
    loader = DataLoader(cached, batch_size=8, sampler=sampler, collate_fn=collate_windows,
                        pin_memory=torch.cuda.is_available(), num_workers=0)
    model = FromCache(_model(), cached)
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for batch in loader:
        X, y, _ = to_device(batch, "cpu", cached)
        loss = torch.nn.functional.cross_entropy(model.module(X), y)
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert np.isfinite(loss.item())


def test_cached_loader_prefetches_the_same_batches_in_threads(corpus):
    source, cached = corpus
    plain = list(DataLoader(cached, batch_size=8, sampler=BalancedSeizureSampler(
        cached, random_state=4), collate_fn=collate_windows))
    for threads in (1, 3):
        sampler = BalancedSeizureSampler(cached, random_state=4)
        loader = CachedLoader(cached, sampler=sampler, batch_size=8, threads=threads, prefetch=2)
        assert loader.collate_fn is collate_windows and len(loader) == len(plain)
        got = list(loader)
        assert len(got) == len(plain)
        for a, b in zip(got, plain):
            assert torch.equal(a[0][0], b[0][0]) and torch.equal(a[1], b[1])
    # stopping early leaves no thread behind, and the next epoch draws anew
    it = iter(loader)
    next(it)
    it.close()
    assert sampler.epoch == 2
    with pytest.raises(ValueError, match="threads"):
        CachedLoader(cached, threads=0)
    # any map dataset works (here braindecode's own windows)
    batch = next(iter(CachedLoader(source, batch_size=4)))
    assert batch[0].dtype == torch.float32 and len(batch[1]) == 4


def test_skorch_params_of_the_cache(corpus):
    _, cached = corpus
    sampler = BalancedSeizureSampler(cached, random_state=0)
    params = cached.skorch_params(sampler)
    assert params["iterator_train"] is CachedLoader and params["iterator_valid"] is CachedLoader
    assert params["iterator_train__sampler"] is sampler
    assert params["iterator_train__shuffle"] is False
    assert "iterator_train__sampler" not in cached.skorch_params()


def test_hard_negative_mining_scores_cached_windows_as_the_sources(corpus):
    """The callback predicts float16 cache batches through the net (FromCache), not around it."""
    from braindecode_stbalance import HardNegativeMining

    source, cached = corpus
    sampler = BalancedSeizureSampler(cached, random_state=2)
    background = sampler.positions("no_seizure")
    mining = HardNegativeMining(sampler, pool_size=background.size, emphasis=10.0)
    clf = EEGClassifier(FromCache(_model(), cached), max_epochs=1, batch_size=8, classes=[0, 1],
                        train_split=None, verbose=0, optimizer=torch.optim.SGD, lr=0.0,
                        callbacks=[mining], **sampler.skorch_params())
    clf.fit(cached, y=None)
    model = clf.module_.module.eval()  # the weights, unchanged (lr=0), on float32 windows
    with torch.no_grad():
        X = torch.from_numpy(np.stack([source[int(i)][0] for i in background]))
        p = torch.softmax(model(X), dim=1)[:, 1].numpy()
    np.testing.assert_allclose(mining.weights_[background], 1 + 10.0 * p, atol=1e-2)
