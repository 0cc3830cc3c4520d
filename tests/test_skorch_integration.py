"""The balanced sampler inside braindecode's EEGClassifier (skorch), end to end.

The windows a model received are identified by their content: a forward
pre-hook on the module looks each training input up in a table from the
bytes of every window's signal to its index.
"""

# License: BSD (3-clause)

import numpy as np
import pytest
import torch
from braindecode import EEGClassifier
from braindecode.models import ShallowFBCSPNet
from sampler_data import (
    WINDOW,
    brute_force_categories,
    make_windows,
    tally,
    window_keys,
)
from skorch.callbacks import Callback
from skorch.helper import predefined_split

from braindecode_stbalance import BalancedDataLoader, BalancedSeizureSampler

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class ReceivedWindows(Callback):
    """Record, per epoch, the index of every window the module saw in training."""

    def __init__(self, keys):
        self.keys = keys

    def initialize(self):
        self.epochs_ = []
        self.n_forward_ = 0
        return self

    def on_train_begin(self, net, **kwargs):
        def hook(module, args):
            if module.training:
                self.n_forward_ += 1
                for x in args[0].detach().cpu().numpy().astype(np.float32):
                    self.epochs_[-1].append(self.keys[x.tobytes()])

        self._handle = net.module_.register_forward_pre_hook(hook)

    def on_epoch_begin(self, net, **kwargs):
        self.epochs_.append([])

    def on_train_end(self, net, **kwargs):
        self._handle.remove()


def small_model():
    torch.manual_seed(0)
    return ShallowFBCSPNet(
        n_chans=2, n_outputs=2, n_times=WINDOW, n_filters_time=4, n_filters_spat=4,
        filter_time_length=8, pool_time_length=8, pool_time_stride=4,
    )


def classifier(callback, cls=EEGClassifier, **kwargs):
    kwargs.setdefault("device", "cpu")
    return cls(
        small_model(), max_epochs=2, batch_size=16, lr=1e-3, classes=[0, 1],
        iterator_train__drop_last=False, callbacks=[("received", callback)],
        **kwargs,
    )


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    return make_windows(tmp_path_factory.mktemp("corpus"), n_recordings=3, duration=240.0)


@pytest.fixture(scope="module")
def reference(windows):
    return brute_force_categories(windows)


@pytest.fixture(scope="module")
def keys(windows):
    return window_keys(windows)


def test_trains_on_exactly_the_sampler_draws(windows, reference, keys):
    """train_split=None: the module receives exactly the draws, in order, 2 epochs."""
    sampler = BalancedSeizureSampler(windows, random_state=0)
    rec = ReceivedWindows(keys)
    clf = classifier(rec, train_split=None, **sampler.skorch_params())
    clf.fit(windows, y=None)
    assert len(rec.epochs_) == 2
    for epoch, seen in enumerate(rec.epochs_):
        assert seen == sampler.draw(epoch).tolist()
        n_part = int(np.sum(reference == 1))
        assert tally(reference, seen) == {
            "no_seizure": int(2.5 * n_part), "partial_seizure": n_part,
            "full_seizure": int(np.floor(0.3 * n_part)),
        }
    assert rec.epochs_[0] != rec.epochs_[1]
    assert sampler.epoch == 2


def test_predefined_split(windows, reference, keys):
    train_set, valid_set = windows.split([[0, 1], [2]]).values()
    n_train = len(train_set)
    sampler = BalancedSeizureSampler(train_set, random_state=1)
    rec = ReceivedWindows(keys)
    clf = classifier(rec, train_split=predefined_split(valid_set), **sampler.skorch_params())
    clf.fit(train_set, y=None)
    for epoch, seen in enumerate(rec.epochs_):
        # the train set is the first recordings, so its indices are corpus indices
        assert seen == sampler.draw(epoch).tolist()
        assert max(seen) < n_train
        assert tally(reference, seen)["partial_seizure"] == int(np.sum(reference[:n_train] == 1))


def test_default_train_split_uses_training_part_only(windows, reference, keys):
    """skorch's default ValidSplit hands the DataLoader a Subset: draw from it only."""
    y = np.asarray(windows.get_metadata()["target"])
    sampler = BalancedSeizureSampler(windows, random_state=2)
    rec = ReceivedWindows(keys)
    n_corpus = len(sampler)
    clf = classifier(rec, **sampler.skorch_params())  # default train_split: ValidSplit(5)
    clf.fit(windows, y=y)
    train_part, valid_part = clf.train_split(windows, y)
    train_idx = np.asarray(train_part.indices)
    assert len(sampler.draw(0)) == len(sampler) < n_corpus
    ref_train = reference[train_idx]
    n_part = int(np.sum(ref_train == 1))
    for epoch, seen in enumerate(rec.epochs_):
        assert seen == train_idx[sampler.draw(epoch)].tolist()
        assert set(seen) <= set(train_idx.tolist())
        assert not set(seen) & set(valid_part.indices)
        assert tally(reference, seen) == {
            "no_seizure": min(int(2.5 * n_part), int(np.sum(ref_train == 0))),
            "partial_seizure": n_part,
            "full_seizure": min(int(np.floor(0.3 * n_part)), int(np.sum(ref_train == 2))),
        }


def test_other_dataset_raises_before_first_batch(windows, keys, tmp_path):
    other = make_windows(tmp_path, n_recordings=2, duration=200.0, seed=5)
    sampler = BalancedSeizureSampler(other, random_state=0)
    rec = ReceivedWindows(keys)
    clf = classifier(rec, train_split=None, **sampler.skorch_params())
    with pytest.raises(ValueError, match="built on another corpus"):
        clf.fit(windows, y=None)
    assert rec.n_forward_ == 0


def test_shuffle_conflict_is_explained(windows):
    sampler = BalancedSeizureSampler(windows, random_state=0)
    with pytest.raises(ValueError, match="iterator_train__shuffle"):
        BalancedDataLoader(windows, sampler=sampler, shuffle=True)
    rec = ReceivedWindows({})
    # EEGClassifier's default iterator_train__shuffle=True: torch refuses before any batch
    clf = classifier(rec, train_split=None, iterator_train=BalancedDataLoader,
                     iterator_train__sampler=sampler)
    with pytest.raises(ValueError, match="shuffle"):
        clf.fit(windows, y=None)
    assert rec.n_forward_ == 0


def test_accelerate_mixin(windows, keys):
    """EEGClassifier + skorch.hf.AccelerateMixin (CPU, one process)."""
    from accelerate import Accelerator
    from skorch.hf import AccelerateMixin

    class AcceleratedEEGClassifier(AccelerateMixin, EEGClassifier):
        pass

    sampler = BalancedSeizureSampler(windows, random_state=3)
    rec = ReceivedWindows(keys)
    clf = classifier(rec, cls=AcceleratedEEGClassifier, accelerator=Accelerator(cpu=True),
                     device=None, train_split=None, **sampler.skorch_params())
    clf.fit(windows, y=None)
    assert len(rec.epochs_) == 2
    for epoch, seen in enumerate(rec.epochs_):
        assert seen == sampler.draw(epoch).tolist()
    assert sampler.epoch == 2
    # EEGClassifier wraps its DataLoader in braindecode's ThrowAwayIndexLoader,
    # which accelerate.prepare() leaves as it is: the loader is not sharded by
    # accelerate, so multi-process runs need DistributedBalancedSeizureSampler
    loader = clf.get_iterator(windows, training=True)
    assert type(loader).__name__ == "ThrowAwayIndexLoader"
    assert isinstance(loader.loader, BalancedDataLoader)
