"""Tests of BalancedSeizureSampler and DistributedBalancedSeizureSampler (single process)."""

# License: BSD (3-clause)

import copy
import gc
import hashlib
import logging
import os
import pathlib
import pickle
import re
import subprocess
import sys
import warnings
import weakref
from decimal import ROUND_FLOOR, Decimal

import numpy as np
import pandas as pd
import pytest
import torch
from braindecode.datasets import BaseConcatDataset
from hypothesis import given, settings
from hypothesis import strategies as st
from sampler_data import (
    assert_rng_states_equal,
    brute_force_categories,
    make_windows,
    rng_states,
    tally,
)
from torch.utils.data import DataLoader, DistributedSampler, Subset

from braindecode_stbalance import (
    CATEGORIES,
    BalancedDataLoader,
    BalancedSeizureSampler,
    DistributedBalancedSeizureSampler,
    SeizureManifest,
    annotate_seizure_ratio,
)
from braindecode_stbalance._binding import describe_chain

NO, PART, FULL = 0, 1, 2


def ref_quota(ratio, base):
    """floor(ratio * base) on the decimal value of ratio, with Decimal arithmetic."""
    return int((Decimal(repr(float(ratio))) * base).to_integral_value(rounding=ROUND_FLOOR))


def codes_of(counts, seed=0):
    """Shuffled category codes with the given (no, partial, full) counts."""
    codes = np.repeat(np.arange(3, dtype=np.int8), counts)
    np.random.default_rng(seed).shuffle(codes)
    return codes


def expected_counts(counts, full_ratio, background_ratio, anchor="partial_seizure",
                    replacement=False):
    n_no, n_part, n_full = counts
    base = n_part if anchor == "partial_seizure" else n_part + n_full
    q_full, q_no = ref_quota(full_ratio, base), ref_quota(background_ratio, base)
    if not replacement or n_full == 0:
        q_full = min(q_full, n_full)
    if not replacement or n_no == 0:
        q_no = min(q_no, n_no)
    return {"no_seizure": q_no, "partial_seizure": n_part, "full_seizure": q_full}


@pytest.fixture(scope="module")
def windows(tmp_path_factory):
    return make_windows(tmp_path_factory.mktemp("corpus"), n_recordings=3, duration=240.0)


@pytest.fixture(scope="module")
def reference(windows):
    return brute_force_categories(windows)


# ------------------------------------------------------------------ quotas
@pytest.mark.parametrize("full_ratio,background_ratio,anchor", [
    (0.3, 2.5, "partial_seizure"),
    (1.0, 0.5, "partial_seizure"),
    (0.0, 4.0, "partial_seizure"),
    (0.3, 2.5, "seizure"),
])
def test_quotas_against_brute_force(windows, reference, full_ratio, background_ratio, anchor):
    counts = tuple(int(np.sum(reference == c)) for c in range(3))
    assert counts[PART] > 0 and counts[FULL] > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sampler = BalancedSeizureSampler(
            windows, full_ratio=full_ratio, background_ratio=background_ratio,
            anchor=anchor, random_state=1,
        )
    expected = expected_counts(counts, full_ratio, background_ratio, anchor)
    assert len(sampler) == sum(expected.values())
    for epoch in range(3):
        drawn = np.array(list(sampler))
        assert len(drawn) == len(sampler)
        assert np.unique(drawn).size == drawn.size  # no duplicates
        assert tally(reference, drawn) == expected
        # all partial windows, every epoch
        assert set(np.flatnonzero(reference == PART)) <= set(drawn.tolist())
        assert sampler.epoch == epoch + 1


@settings(max_examples=60, deadline=None)
@given(
    counts=st.tuples(st.integers(0, 300), st.integers(0, 40), st.integers(0, 60)),
    full_ratio=st.sampled_from([0.0, 0.1, 0.3, 0.57, 1.0, 2.0, 3.3]),
    background_ratio=st.sampled_from([0.0, 0.7, 1.0, 2.5, 7.0, 11.1]),
    anchor=st.sampled_from(["partial_seizure", "seizure"]),
    replacement=st.booleans(),
    seed=st.integers(0, 2**32),
    epoch=st.integers(0, 1000),
)
def test_quotas_property(counts, full_ratio, background_ratio, anchor, replacement, seed, epoch):
    cats = codes_of(counts, seed % 7)
    data = np.asarray(CATEGORIES, dtype=object)[cats]  # names, as a user would pass them
    n_no, n_part, n_full = counts
    base = n_part if anchor == "partial_seizure" else n_part + n_full
    kwargs = {"full_ratio": full_ratio, "background_ratio": background_ratio, "anchor": anchor,
                  "replacement": replacement, "random_state": seed}
    if base == 0:
        with pytest.raises(ValueError, match="to anchor the quotas on"):
            BalancedSeizureSampler.from_categories(data, **kwargs)
        return
    short = [q > n and (not replacement or n == 0) for q, n in (
        (ref_quota(full_ratio, base), n_full), (ref_quota(background_ratio, base), n_no))]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        sampler = BalancedSeizureSampler.from_categories(data, **kwargs)
    shortage_warnings = [w for w in record if "available" in str(w.message)]
    assert len(shortage_warnings) == int(any(short))
    expected = expected_counts(counts, full_ratio, background_ratio, anchor, replacement)
    drawn = sampler.draw(epoch)
    assert len(drawn) == len(sampler) == sum(expected.values())
    assert tally(cats, drawn) == expected
    # every index is drawn once, except the replacement top-up of a short category
    uniq, mult = np.unique(drawn, return_counts=True)
    for c in range(3):
        in_c = cats[uniq] == c
        available = counts[c]
        if expected[CATEGORIES[c]] <= available:
            assert np.all(mult[in_c] == 1)
        else:  # topped up: every window of the category at least once
            assert replacement and in_c.sum() == available
    assert np.array_equal(sampler.draw(epoch), drawn)  # pure


def test_shortage_warns_once_and_uses_all(windows, reference):
    counts = tuple(int(np.sum(reference == c)) for c in range(3))
    with pytest.warns(UserWarning, match=r"full_seizure quota is \d+ .* only \d+ are available") as rec:
        sampler = BalancedSeizureSampler(windows, full_ratio=100.0, random_state=0)
    assert len(rec) == 1
    assert str(counts[FULL]) in str(rec[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):  # no more warnings when iterating
            drawn = list(sampler)
    assert tally(reference, drawn)["full_seizure"] == counts[FULL]


def test_replacement_tops_up(windows, reference):
    counts = tuple(int(np.sum(reference == c)) for c in range(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler = BalancedSeizureSampler(windows, full_ratio=10.0, replacement=True, random_state=0)
    drawn = np.array(list(sampler))
    q_full = ref_quota(10.0, counts[PART])
    assert q_full > counts[FULL]
    assert tally(reference, drawn)["full_seizure"] == q_full
    assert set(np.flatnonzero(reference == FULL)) <= set(drawn.tolist())


def test_no_partial_windows_error():
    data = codes_of((50, 0, 7))
    with pytest.raises(ValueError) as err:
        BalancedSeizureSampler.from_categories(data)
    msg = str(err.value)
    for part in ("0 partial_seizure", "7 full_seizure", "50 no_seizure", "stride",
                 "full_threshold", "anchor='seizure'"):
        assert part in msg
    sampler = BalancedSeizureSampler.from_categories(data, anchor="seizure", background_ratio=2.0,
                                                     random_state=0)
    assert sampler.quotas == {"no_seizure": 14, "partial_seizure": 0, "full_seizure": 2}
    with pytest.raises(ValueError, match="seizure \\(partial or full\\)"):
        BalancedSeizureSampler.from_categories(codes_of((50, 0, 0)), anchor="seizure")


@pytest.mark.parametrize("kwargs,exc", [
    ({"full_ratio": -0.1}, ValueError),
    ({"full_ratio": float("nan")}, ValueError),
    ({"background_ratio": float("inf")}, ValueError),
    ({"background_ratio": "2"}, TypeError),
    ({"full_ratio": True}, TypeError),
    ({"redraw": "never"}, ValueError),
    ({"anchor": "full_seizure"}, ValueError),
    ({"replacement": "yes"}, TypeError),
    ({"random_state": -1}, ValueError),
    ({"random_state": "seed"}, TypeError),
    # absurd epochs are refused at construction, not at the first batch
    ({"background_ratio": 1e12, "replacement": True}, ValueError),
    ({"full_ratio": 1e300, "replacement": True}, ValueError),
])
def test_invalid_parameters(kwargs, exc):
    with pytest.raises(exc):
        BalancedSeizureSampler.from_categories(codes_of((20, 5, 5)), **kwargs)


def test_huge_ratio_without_replacement_uses_everything():
    with pytest.warns(UserWarning, match="only 5 are available"):
        s = BalancedSeizureSampler.from_categories(codes_of((20, 5, 5)), full_ratio=1e300,
                                                   random_state=0)
    assert len(s) == 5 + 5 + 12 and len(s.draw(0)) == len(s)


def test_invalid_data(windows, tmp_path):
    with pytest.raises(ValueError, match="row 3 .*'seizure-ish'"):
        BalancedSeizureSampler.from_categories(["no_seizure"] * 3 + ["seizure-ish"])
    with pytest.raises(ValueError, match="row 1 has code 7"):
        BalancedSeizureSampler.from_categories([0, 7, 1])
    with pytest.raises(TypeError, match="got DataFrame"):
        BalancedSeizureSampler(pd.DataFrame({"seizure_category": ["partial_seizure"]}))
    with pytest.raises(TypeError, match="got list"):
        BalancedSeizureSampler([0, 1, 2])
    manifest = SeizureManifest.from_dataset(windows)
    with pytest.raises(TypeError, match="from_manifest"):
        BalancedSeizureSampler(manifest)
    with pytest.raises(TypeError, match="must be a SeizureManifest"):
        BalancedSeizureSampler.from_manifest(windows)
    raw_only = make_windows(tmp_path, n_recordings=1, duration=60.0, seed=3, annotate=False)
    with pytest.raises(ValueError, match="has no 'seizure_ratio'"):
        BalancedSeizureSampler(raw_only)


def test_from_manifest_and_from_categories_draw_like_the_corpus(windows, reference):
    manifest = SeizureManifest.from_dataset(windows)
    a = BalancedSeizureSampler(windows, random_state=3)
    b = BalancedSeizureSampler.from_manifest(manifest, random_state=3)
    c = BalancedSeizureSampler.from_categories(
        np.asarray(CATEGORIES, dtype=object)[reference], random_state=3)
    for epoch in (0, 5):
        assert np.array_equal(a.draw(epoch), b.draw(epoch))
        assert np.array_equal(a.draw(epoch), c.draw(epoch))
    assert tally(reference, a.draw(5))["partial_seizure"] == int(np.sum(reference == PART))


# ------------------------------------------------------------------ randomness
def test_reproducible_and_set_epoch(windows):
    a = BalancedSeizureSampler(windows, random_state=42)
    b = BalancedSeizureSampler(windows, random_state=42)
    first = [list(a) for _ in range(3)]
    assert first[0] != first[1] != first[2]
    b.set_epoch(2)
    assert list(b) == first[2]
    assert b.epoch == 3
    b.set_epoch(0)
    assert list(b) == first[0]
    assert np.array_equal(a.draw(1), np.array(first[1]))
    assert list(BalancedSeizureSampler(windows, random_state=43)) != first[0]
    with pytest.raises(ValueError):
        a.set_epoch(-1)


def test_random_state_none_and_generator(windows):
    s = BalancedSeizureSampler(windows)  # seed drawn once at construction
    s.set_epoch(4)
    x = list(s)
    s.set_epoch(4)
    assert list(s) == x
    g1, g2 = np.random.default_rng(7), np.random.default_rng(7)
    assert np.array_equal(BalancedSeizureSampler(windows, random_state=g1).draw(0),
                          BalancedSeizureSampler(windows, random_state=g2).draw(0))


def test_global_rngs_untouched(windows):
    import random

    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    before = rng_states()
    for kwargs in ({"random_state": 0}, {"random_state": None},
                   {"random_state": 0, "redraw": "once"}, {"random_state": 0, "full_ratio": 9.0,
                                                             "replacement": True}):
        s = BalancedSeizureSampler(windows, **kwargs)
        for _ in range(2):
            list(s)
        d = DistributedBalancedSeizureSampler(windows, num_replicas=2, rank=1, random_state=5)
        list(d)
        # (a DataLoader draws its own base seed from torch's global RNG unless
        # given a generator: that is torch's doing, not the sampler's)
        loader = DataLoader(windows, sampler=s, batch_size=32,
                            generator=torch.Generator().manual_seed(0))
        for batch in loader:
            pass
    assert_rng_states_equal(before, rng_states())


_CHILD = """
import hashlib, sys, numpy as np
from braindecode_stbalance import BalancedSeizureSampler
codes = np.load(sys.argv[1])
for redraw in ("epoch", "once"):
    s = BalancedSeizureSampler.from_categories(codes, random_state=123, redraw=redraw)
    for e in (0, 1, 7):
        print(hashlib.sha256(s.draw(e).astype("<i8").tobytes()).hexdigest())
"""


def test_identical_across_processes(tmp_path):
    codes = np.random.default_rng(0).choice(3, 5000, p=[0.9, 0.04, 0.06]).astype(np.int8)
    np.save(tmp_path / "codes.npy", codes)
    here = []
    for redraw in ("epoch", "once"):
        s = BalancedSeizureSampler.from_categories(codes, random_state=123, redraw=redraw)
        here += [hashlib.sha256(s.draw(e).astype("<i8").tobytes()).hexdigest() for e in (0, 1, 7)]
    env = dict(os.environ, PYTHONHASHSEED="977",
               PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "codes.npy")],
                         capture_output=True, text=True, env=env, check=True, timeout=300)
    assert out.stdout.split() == here


def test_draws_are_uniform_over_each_category():
    """Each window of a category is drawn with probability quota / available, each epoch."""
    codes = codes_of((40, 10, 40), seed=4)
    s = BalancedSeizureSampler.from_categories(codes, full_ratio=1.3, background_ratio=2.0,
                                               random_state=0)
    epochs = 3000
    hits = np.zeros(codes.size)
    for e in range(epochs):
        d = s.draw(e)
        assert np.unique(d).size == d.size
        hits[d] += 1
    for c, q in ((NO, 20), (FULL, 13)):
        p = q / 40
        sd = np.sqrt(epochs * p * (1 - p))
        assert np.all(np.abs(hits[codes == c] - epochs * p) < 5 * sd), c
    assert np.all(hits[codes == PART] == epochs)


# ------------------------------------------------------------------ redraw
def test_redraw_epoch_covers_background_and_once_is_fixed(windows, reference):
    no = set(np.flatnonzero(reference == NO).tolist())
    full = set(np.flatnonzero(reference == FULL).tolist())
    per_epoch = BalancedSeizureSampler(windows, random_state=0)
    once = BalancedSeizureSampler(windows, random_state=0, redraw="once")
    seen_epoch, sets_once, orders_once = set(), [], []
    for _ in range(100):
        seen_epoch |= set(per_epoch)
        drawn = list(once)
        sets_once.append(frozenset(drawn))
        orders_once.append(drawn)
    assert len(set(sets_once)) == 1  # one fixed pool ...
    assert len({tuple(o) for o in orders_once}) == 100  # ... reshuffled every epoch
    assert len(seen_epoch & no) > 0.95 * len(no)  # background seen over time (seeded)
    assert len(seen_epoch & full) == len(full)
    assert len(sets_once[0] & no) == per_epoch.quotas["no_seizure"]


# ------------------------------------------------------------------ subsets
def test_positions_of_an_unknown_category_is_refused(windows):
    s = BalancedSeizureSampler(windows, random_state=0)
    with pytest.raises(ValueError, match=r"^category must be one of \('no_seizure', "
                                         r"'partial_seizure', 'full_seizure'\), got 'seizure'"):
        s.positions("seizure")


def test_sampler_on_subset_yields_subset_positions(windows, reference):
    idx = np.arange(0, len(windows), 2)
    sub = Subset(windows, idx.tolist())
    s = BalancedSeizureSampler(sub, random_state=0)
    drawn = s.draw(0)
    assert drawn.max() < len(sub)
    sub_ref = reference[idx]
    assert tally(sub_ref, drawn) == expected_counts(
        tuple(int(np.sum(sub_ref == c)) for c in range(3)), 0.3, 2.5)


def _batches(loader):
    return [batch[0].shape[0] for batch in loader]


def test_loader_binds_to_a_subset_of_its_corpus(windows, reference):
    """BalancedDataLoader over a Subset of the sampler's corpus reads that Subset's windows only."""
    idx = np.flatnonzero(np.arange(len(windows)) % 3 != 0)
    sub = Subset(windows, idx.tolist())
    s = BalancedSeizureSampler(windows, random_state=0)
    corpus_len = len(s)
    loader = BalancedDataLoader(sub, sampler=s, batch_size=10)
    expected = expected_counts(tuple(int(np.sum(reference[idx] == c)) for c in range(3)), 0.3, 2.5)
    n_batches = len(loader)
    sizes = _batches(loader)
    assert len(sizes) == n_batches == -(-sum(expected.values()) // 10)  # len(loader) is right
    assert sum(sizes) == len(s) == sum(expected.values()) < corpus_len
    assert s.draw(0).max() < len(sub)
    assert tally(reference, idx[s.draw(1)]) == expected
    # and back on the whole corpus
    s.bind(windows)
    assert len(s) == corpus_len
    loader = BalancedDataLoader(windows, sampler=s, batch_size=7)
    assert len(_batches(loader)) == len(loader)


@pytest.mark.parametrize("case", ["corpus", "subset_sampler", "manifest", "nested_subset"])
def test_len_loader_equals_batches_yielded(windows, case):
    """Every supported combination: len(loader) == batches yielded, epoch after epoch."""
    sub = Subset(windows, list(range(0, len(windows), 2)))
    if case == "corpus":  # plain DataLoader over the sampler's own dataset
        loader = DataLoader(windows, sampler=BalancedSeizureSampler(windows, random_state=1),
                            batch_size=9)
    elif case == "subset_sampler":
        loader = DataLoader(sub, sampler=BalancedSeizureSampler(sub, random_state=1),
                            batch_size=9)
    elif case == "manifest":
        sampler = BalancedSeizureSampler.from_manifest(SeizureManifest.from_dataset(windows),
                                                       random_state=1)
        loader = BalancedDataLoader(windows, sampler=sampler, batch_size=9)
    else:
        nested = Subset(sub, list(range(0, len(sub), 3)))
        loader = BalancedDataLoader(nested, sampler=BalancedSeizureSampler(windows, random_state=1),
                                    batch_size=9)
    for _ in range(3):
        n = len(loader)
        assert len(_batches(loader)) == n


def test_loader_refuses_other_corpora_before_the_first_batch(windows, tmp_path):
    twin = make_windows(tmp_path / "twin", n_recordings=3, duration=240.0)  # equal contents
    assert np.array_equal(brute_force_categories(twin), brute_force_categories(windows))
    s = BalancedSeizureSampler(windows, random_state=0)
    for other in (twin, Subset(twin, [0, 1, 2])):
        with pytest.raises(ValueError, match="built on another corpus"):
            BalancedDataLoader(other, sampler=s, batch_size=4)
    # built on the training part: the whole corpus holds validation windows
    train = Subset(windows, list(range(len(windows) // 2)))
    s_train = BalancedSeizureSampler(train, random_state=0)
    with pytest.raises(ValueError, match="outside the .* windows"):
        BalancedDataLoader(windows, sampler=s_train, batch_size=4)
    BalancedDataLoader(Subset(train, list(range(len(train)))), sampler=s_train, batch_size=4)
    # categories from elsewhere: only the length can be checked
    s_cat = BalancedSeizureSampler.from_categories(brute_force_categories(windows))
    with pytest.raises(ValueError, match="categories"):
        BalancedDataLoader(list(range(10)), sampler=s_cat)


def test_manifest_sampler_checks_the_corpus_once(windows, tmp_path):
    manifest = SeizureManifest.from_dataset(windows)
    other = make_windows(tmp_path / "other", n_recordings=3, duration=240.0, seed=7)
    with pytest.raises(ValueError, match="Stale manifest|windows but the corpus"):
        BalancedDataLoader(other, sampler=BalancedSeizureSampler.from_manifest(manifest),
                           batch_size=4)
    s = BalancedSeizureSampler.from_manifest(manifest, random_state=0)
    BalancedDataLoader(windows, sampler=s, batch_size=4)
    with pytest.raises(ValueError, match="built on another corpus"):  # now tied to ``windows``
        BalancedDataLoader(other, sampler=s, batch_size=4)


def test_stale_categories_raise_at_the_next_epoch(tmp_path):
    w = make_windows(tmp_path, n_recordings=2, duration=240.0, seed=2)
    s = BalancedSeizureSampler(w, random_state=0)
    list(s)
    annotate_seizure_ratio(w, full_threshold=0.5, target="binary")  # full windows change
    with pytest.raises(ValueError, match="re-annotated after .* was built"):
        list(s)
    with pytest.raises(ValueError, match="re-annotated"):
        BalancedDataLoader(w, sampler=s, batch_size=4)
    list(BalancedSeizureSampler(w, random_state=0))  # a new sampler is fine


def test_loader_refuses_windows_without_targets(tmp_path):
    w = make_windows(tmp_path, n_recordings=2, duration=240.0, seed=2, target=None)
    s = BalancedSeizureSampler(w, random_state=0)
    with pytest.raises(ValueError, match=r"target is -1.*target='binary'"):
        BalancedDataLoader(w, sampler=s, batch_size=4)
    # only the windows drawn from need targets: recording 1 has them, recording 0 not yet
    annotate_seizure_ratio(BaseConcatDataset(w.datasets[1:]), target="binary")
    second = Subset(w, list(range(len(w.datasets[0]), len(w))))
    BalancedDataLoader(second, sampler=BalancedSeizureSampler(second, random_state=0), batch_size=4)
    with pytest.raises(ValueError, match=r"^Recording 0 \(path=.*\.edf\) has windows whose training target is -1"):
        BalancedDataLoader(w, sampler=BalancedSeizureSampler(w, random_state=0), batch_size=4)
    annotate_seizure_ratio(w, target="category")
    BalancedDataLoader(w, sampler=BalancedSeizureSampler(w, random_state=0), batch_size=4)


def test_no_frame_inspection_outside_the_adapter():
    import pathlib
    import re

    pkg = pathlib.Path(__file__).resolve().parents[1] / "braindecode_stbalance"
    for path in pkg.rglob("*.py"):
        if path.name == "_adapters.py":
            continue
        text = path.read_text()
        assert not re.search(r"_getframe|f_locals|f_back|currentframe|import inspect", text), path


def test_pickle_and_deepcopy(windows):
    s = BalancedSeizureSampler(windows, random_state=5, redraw="once")
    list(s)
    for clone in (pickle.loads(pickle.dumps(s)), copy.deepcopy(s)):
        assert clone.epoch == s.epoch
        assert np.array_equal(clone.draw(3), s.draw(3))
    assert "BalancedSeizureSampler(counts=" in repr(s)


# ------------------------------------------------------------------ distributed (no process group)
@pytest.mark.parametrize("n_ranks", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_shards_like_torch(windows, n_ranks, drop_last):
    base = BalancedSeizureSampler(windows, random_state=11)
    shards = []
    for rank in range(n_ranks):
        d = DistributedBalancedSeizureSampler(windows, num_replicas=n_ranks, rank=rank,
                                              random_state=11, drop_last=drop_last)
        d.set_epoch(3)
        shards.append(list(d))
        assert len(shards[-1]) == len(d)
    full = base.draw(3)
    # reference: torch's own DistributedSampler over the draw, unshuffled
    for rank in range(n_ranks):
        ref = DistributedSampler(full, num_replicas=n_ranks, rank=rank, shuffle=False,
                                 drop_last=drop_last)
        assert shards[rank] == [int(full[i]) for i in ref]
    assert len({len(x) for x in shards}) == 1
    if drop_last or len(full) % n_ranks == 0:  # no padding: disjoint
        flat = [i for shard in shards for i in shard]
        assert len(flat) == len(set(flat))
    if not drop_last:
        assert {i for shard in shards for i in shard} == set(full.tolist())


def test_distributed_requires_shared_seed():
    data = codes_of((30, 5, 5))
    make = DistributedBalancedSeizureSampler.from_categories
    with pytest.raises(ValueError, match="random_state=None"):
        make(data, num_replicas=2, rank=0)
    with pytest.raises(RuntimeError, match="no process group"):
        make(data, random_state=0)
    with pytest.raises(ValueError, match="Invalid rank"):
        make(data, num_replicas=2, rank=2, random_state=0)
    d = make(data, num_replicas=1, rank=0)  # one replica: fine
    assert len(d) == len(BalancedSeizureSampler.from_categories(data, random_state=0))


def test_distributed_from_manifest(windows):
    manifest = SeizureManifest.from_dataset(windows)
    shards = [DistributedBalancedSeizureSampler.from_manifest(
        manifest, num_replicas=2, rank=r, random_state=4) for r in range(2)]
    full = BalancedSeizureSampler(windows, random_state=4).draw(0)
    got = [list(s) for s in shards]
    assert sorted(got[0] + got[1])[: len(full)] == sorted(np.resize(full, 2 * len(got[0])))[
        : len(full)]
    assert len(got[0]) == len(got[1]) == len(shards[0])


# ------------------------------------------------------------------ edge cases (mutation testing)
def test_random_state_forms_and_messages():
    codes = codes_of((20, 5, 5))
    make = BalancedSeizureSampler.from_categories
    # a RandomState (as a Generator) is used once to draw the seed: equal states, equal epochs
    a = make(codes, random_state=np.random.RandomState(3))
    b = make(codes, random_state=np.random.RandomState(3))
    assert a.seed == b.seed and np.array_equal(a.draw(2), b.draw(2))
    # different states give different seeds (more states than a small seed range could hold)
    assert len({make(codes, random_state=np.random.RandomState(i)).seed for i in range(100)}) == 100
    assert len({make(codes, random_state=np.random.default_rng(i)).seed for i in range(200)}) == 200
    # None: a fresh seed from the whole 64-bit range (20 draws all below 2**32: p = 2**-640)
    fresh = [make(codes).seed for _ in range(20)]
    assert len(set(fresh)) == 20 and max(fresh) >= 2**32 and max(fresh) < 2**64
    # parameters are stored as given (scikit-learn style)
    g = np.random.default_rng(0)
    s = make(codes, random_state=g, full_ratio=1, background_ratio=2, replacement=np.False_)
    assert s.random_state is g and s.full_ratio == 1 and s.background_ratio == 2
    assert s.replacement is np.False_ and isinstance(s.seed, int)
    for bad, exc, says in [
        (True, TypeError, "random_state must be None, an int or a numpy Generator, got True."),
        (-1, ValueError, "random_state must be >= 0, got -1."),
        ("seed", TypeError, ("random_state must be None, an int, a numpy.random.Generator or "
                             "a numpy.random.RandomState, got str.")),
    ]:
        with pytest.raises(exc) as err:
            make(codes, random_state=bad)
        assert str(err.value) == says


def test_category_codes_validation_messages():
    make = BalancedSeizureSampler.from_categories
    with pytest.raises(ValueError) as err:
        make(np.zeros((2, 2), dtype=int))
    assert "categories must be one-dimensional, got shape (2, 2)" in str(err.value)
    for codes, row, code in (([0, 1, 3], 2, 3), (np.array([1, -1], dtype=np.int8), 1, -1),
                             (np.array([1, 2, 9], dtype=np.uint8), 2, 9)):
        with pytest.raises(ValueError) as err:
            make(codes)
        assert str(err.value) == f"categories: row {row} has code {code}; expected 0, 1 or 2."
    with pytest.raises(ValueError) as err:
        make(["no_seizure", "partial_seizure", "seizure-ish"])
    assert str(err.value).startswith("categories: row 2 (and 0 more) has "
                                     "seizure_category='seizure-ish'; expected one of")


def test_data_type_errors_say_what_was_given(windows):
    with pytest.raises(TypeError) as err:
        BalancedSeizureSampler([0, 1, 2])
    msg = str(err.value)
    assert msg.startswith("data must be an annotated braindecode BaseConcatDataset of windows or "
                          "a torch Subset of one, got list.")
    assert msg.endswith("got list.") and "from_manifest" not in msg
    with pytest.raises(TypeError) as err:
        BalancedSeizureSampler(Subset(Subset([0, 1, 2, 3], [0, 1, 2]), [0, 1]))
    assert str(err.value).endswith("got a Subset of list.")
    manifest = SeizureManifest.from_dataset(windows)
    with pytest.raises(TypeError) as err:
        BalancedSeizureSampler(manifest)
    assert str(err.value).endswith(
        "got SeizureManifest. For a SeizureManifest use "
        "BalancedSeizureSampler.from_manifest(manifest).")
    with pytest.raises(TypeError) as err:
        BalancedSeizureSampler.from_manifest(windows)
    assert str(err.value) == "manifest must be a SeizureManifest, got BaseConcatDataset."


def test_option_messages():
    codes = codes_of((20, 5, 5))
    with pytest.raises(ValueError) as err:
        BalancedSeizureSampler.from_categories(codes, redraw="never")
    assert str(err.value) == "redraw must be one of ('epoch', 'once', 'cycle'), got 'never'."
    s = BalancedSeizureSampler.from_categories(codes, random_state=0)
    for bad in (-1, True, 1.0, 2.5, "3", None):
        with pytest.raises(ValueError) as err:
            s.set_epoch(bad)
        assert str(err.value) == f"epoch must be an int >= 0, got {bad!r}."
    s.set_epoch(np.int64(4))
    assert s.epoch == 4 and type(s.epoch) is int


def test_natural_fraction_on_a_corpus(windows, reference):
    counts = tuple(int(np.sum(reference == c)) for c in range(3))
    balanced = sum(expected_counts(counts, 0.3, 2.5).values())
    s = BalancedSeizureSampler(windows, natural_fraction=0.5, random_state=0)
    assert len(s) == 2 * balanced == len(s.draw(0)) == np.unique(s.draw(0)).size


def test_shortage_warning_points_outside_the_package(windows):
    import braindecode_stbalance

    package = pathlib.Path(braindecode_stbalance.__file__).resolve().parent
    with pytest.warns(UserWarning) as rec:
        BalancedSeizureSampler(windows, full_ratio=100.0, random_state=0)
    with pytest.warns(UserWarning) as rec2:
        BalancedSeizureSampler.from_categories(codes_of((30, 10, 1)), random_state=0)
    for r in (rec, rec2):
        assert len(r) == 1 and r[0].category is UserWarning
        assert not pathlib.Path(r[0].filename).resolve().is_relative_to(package)
        assert str(r[0].message).startswith("BalancedSeizureSampler: full_seizure quota is ")


def test_binding_the_same_dataset_again_keeps_the_state(windows, reference):
    """Re-binding the dataset a sampler is bound to changes nothing (weights, no new warning)."""
    idx = np.arange(0, len(windows), 2)
    sub = Subset(windows, idx.tolist())
    for data, target, cats in ((windows, windows, reference), (sub, sub, reference[idx]),
                               (windows, sub, reference[idx])):
        with pytest.warns(UserWarning, match="only"):
            s = BalancedSeizureSampler(data, full_ratio=50.0, background_ratio=1.0,
                                       random_state=0)
        if target is not data:
            with pytest.warns(UserWarning, match="only"):
                s.bind(target)
        n = len(target)
        weights = np.zeros(n)
        weights[:n // 2] = 1.0  # background only from the first half
        s.set_background_weights(weights)
        before = s.draw(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no second shortage warning
            loader = BalancedDataLoader(target, sampler=s, batch_size=50)
            s.bind(target)
        assert np.array_equal(s.draw(0), before)
        drawn_no = before[cats[before] == NO]
        assert drawn_no.size and drawn_no.max() < n // 2
        assert sum(len(b[0]) for b in loader) == len(s)


def test_from_categories_sampler_binds_and_iterates(windows, reference):
    s = BalancedSeizureSampler.from_categories(reference, random_state=2)
    loader = BalancedDataLoader(windows, sampler=s, batch_size=64)
    s.set_epoch(1)
    batches = list(loader)
    drawn = s.draw(1)
    assert sum(len(b[0]) for b in batches) == len(drawn) == len(s)
    assert tally(reference, drawn) == expected_counts(
        tuple(int(np.sum(reference == c)) for c in range(3)), 0.3, 2.5)
    assert list(s) == s.draw(2).tolist() and s.epoch == 3  # iterating the sampler itself
    shorter = BaseConcatDataset(windows.datasets[:2])
    with pytest.raises(ValueError) as err:
        BalancedDataLoader(Subset(shorter, [0, 1, 2]), sampler=s)
    msg = str(err.value)
    assert msg.startswith(f"BalancedSeizureSampler was built from {len(reference)} categories but "
                          f"the DataLoader received Subset(3 windows) -> "
                          f"BaseConcatDataset({len(shorter)} windows): pass the dataset")
    assert msg.endswith("pass the dataset the categories describe, in their order.")


def test_bind_refusals_name_the_dataset_and_the_remedy(windows, caplog):
    n = len(windows)
    s = BalancedSeizureSampler(windows, random_state=0)
    other = BaseConcatDataset(windows.datasets)  # the same recordings, another corpus object
    with pytest.raises(ValueError) as err:
        s.bind(Subset(other, [0, 1]))
    msg = str(err.value)
    assert msg.startswith("BalancedSeizureSampler was built on another corpus than the one the "
                          f"DataLoader received (Subset(2 windows) -> BaseConcatDataset({n} "
                          "windows)): its indices would read the wrong windows. Build the sampler "
                          "from the dataset you fit on (or the corpus it is a Subset of), e.g. "
                          "BalancedSeizureSampler(train_set) with EEGClassifier(")
    assert msg.endswith("with EEGClassifier(..., **sampler.skorch_params()).fit(train_set).")
    train = Subset(windows, list(range(n // 3)))
    s_train = BalancedSeizureSampler(train, random_state=0)
    for dataset, outside in ((windows, n - n // 3), (Subset(windows, [0, n - 1, n - 2]), 2)):
        with pytest.raises(ValueError) as err:
            s_train.bind(dataset)
        msg = str(err.value)
        assert msg.startswith(f"The DataLoader received {describe_chain(dataset)}, which holds "
                              f"{outside} window(s) outside the {n // 3} windows the "
                              "BalancedSeizureSampler was built on (e.g. validation windows)")
        assert msg.endswith(": build the sampler from the dataset you fit on.")
    # a successful bind is logged with the dataset and the counts drawn from
    inner = Subset(train, list(range(0, len(train), 2)))
    with caplog.at_level(logging.INFO, logger="braindecode_stbalance.samplers"):
        s_train.bind(inner)
    (record,) = [r for r in caplog.records if r.name == "braindecode_stbalance.samplers"]
    assert record.levelno == logging.INFO
    assert record.getMessage() == (f"BalancedSeizureSampler bound to {describe_chain(inner)}: "
                                   f"{s_train.counts}")


def test_manifest_sampler_bind_refusals(windows):
    manifest = SeizureManifest.from_dataset(windows)
    n = len(windows)
    s = BalancedSeizureSampler.from_manifest(manifest, random_state=0)
    with pytest.raises(ValueError) as err:
        s.bind(list(range(n)))
    assert str(err.value) == ("BalancedSeizureSampler comes from a manifest and must be bound "
                              f"to the braindecode corpus it describes, got list({n} windows).")
    shorter = BaseConcatDataset(windows.datasets[:2])
    m = len(shorter)
    with pytest.raises(ValueError) as err:
        s.bind(Subset(shorter, [0]))
    assert str(err.value) == (f"The manifest has {n} windows but the corpus given to the "
                              f"DataLoader (Subset(1 windows) -> BaseConcatDataset({m} windows)) "
                              f"has {m}: run manifest.check(corpus) to see which recording "
                              "differs.")


def test_sampler_refuses_a_new_corpus_once_its_own_is_gone(tmp_path):
    first = make_windows(tmp_path / "a", n_recordings=1, duration=60.0)
    n, gone = len(first), weakref.ref(first)
    s = BalancedSeizureSampler(first, random_state=0)
    del first
    gc.collect()
    assert gone() is None  # the corpus the sampler was built on no longer exists
    other = make_windows(tmp_path / "b", n_recordings=1, duration=60.0)
    assert len(other) == n
    with pytest.raises(ValueError, match="built on another corpus"):
        s.bind(other)


def test_stale_categories_message_reports_the_counts(tmp_path):
    w = make_windows(tmp_path, n_recordings=2, duration=240.0, seed=2)
    ref = brute_force_categories(w)
    counts = {name: int(np.sum(ref == c)) for c, name in enumerate(CATEGORIES)}
    s = BalancedSeizureSampler(w, random_state=0)
    with pytest.warns(UserWarning, match="NOT counted"):
        annotate_seizure_ratio(w, labels=["not-a-label"], target="binary")  # all no_seizure
    with pytest.raises(ValueError) as err:
        list(s)
    nothing = {"no_seizure": len(w), "partial_seizure": 0, "full_seizure": 0}
    assert str(err.value) == (
        "The corpus was re-annotated after this BalancedSeizureSampler was built: its categories "
        f"went from {counts} to {nothing}. Build a new sampler on the re-annotated corpus.")
    # and the other way round: a categorisation without full windows, then the real one
    annotate_seizure_ratio(w, target="binary")
    for ds in w.datasets:
        col = ds.metadata["seizure_category"].astype(object)
        ds.metadata["seizure_category"] = col.replace("full_seizure", "partial_seizure")
    s = BalancedSeizureSampler(w, random_state=0)
    annotate_seizure_ratio(w, target="binary")
    merged = {"no_seizure": counts["no_seizure"],
              "partial_seizure": counts["partial_seizure"] + counts["full_seizure"],
              "full_seizure": 0}
    with pytest.raises(ValueError, match=f"went from {re.escape(str(merged))} to "
                                         f"{re.escape(str(counts))}"):
        list(s)


def test_background_weights_validation():
    codes = codes_of((30, 10, 10), seed=5)
    s = BalancedSeizureSampler.from_categories(codes, background_ratio=1.0, random_state=0)
    for bad in (np.inf, -1.0, np.nan):
        w = np.ones(codes.size)
        w[3] = bad
        with pytest.raises(ValueError) as err:
            s.set_background_weights(w)
        assert str(err.value) == "weights must be finite and >= 0."
    # zeros are allowed; weights given as exact decimals act like their float values
    no = np.flatnonzero(codes == NO)
    w = np.zeros(codes.size)
    w[no[:10]] = 1.0
    s.set_background_weights(w)
    assert set(s.draw(0)[codes[s.draw(0)] == NO]) == set(no[:10])
    s.set_background_weights([Decimal(str(x)) for x in w])
    assert set(s.draw(1)[codes[s.draw(1)] == NO]) == set(no[:10])


def test_cycle_covers_the_full_windows_too_and_tops_up_with_replacement():
    codes = codes_of((200, 20, 30), seed=6)
    s = BalancedSeizureSampler.from_categories(codes, redraw="cycle", full_ratio=0.5,
                                               random_state=1)
    q = s.quotas["full_seizure"]
    assert q == 10
    seen = set()
    for e in range(3):  # ceil(30 / 10) epochs: every full window once, none twice
        d = s.draw(e)
        full = d[codes[d] == FULL]
        assert full.size == q and not seen & set(full.tolist())
        seen |= set(full.tolist())
    assert seen == set(np.flatnonzero(codes == FULL).tolist())
    # quotas above what is available: all windows, topped up with replacement
    s = BalancedSeizureSampler.from_categories(codes, redraw="cycle", full_ratio=3.0,
                                               background_ratio=12.0, replacement=True,
                                               random_state=1)
    for e in range(2):
        d = s.draw(e)
        assert len(d) == len(s) == 20 + 60 + 240
        assert tally(codes, d) == {"no_seizure": 240, "partial_seizure": 20, "full_seizure": 60}
        for c in (NO, FULL):
            assert set(d[codes[d] == c].tolist()) == set(np.flatnonzero(codes == c).tolist())


def test_pickled_sampler_still_iterates(windows):
    s = BalancedSeizureSampler(windows, random_state=5)
    clone = pickle.loads(pickle.dumps(s))
    assert list(clone) == s.draw(0).tolist() and clone.epoch == 1
    clone.bind(windows)  # the corpus is not pickled: the clone binds to a corpus of its length
    assert list(clone) == s.draw(1).tolist()


def test_skorch_params():
    s = BalancedSeizureSampler.from_categories(codes_of((20, 5, 5)), random_state=0)
    params = s.skorch_params()
    assert params == {"iterator_train": BalancedDataLoader, "iterator_train__sampler": s,
                      "iterator_train__shuffle": False}
    assert params["iterator_train__sampler"] is s


def test_seed_from_a_generator_or_random_state_is_the_documented_draw(windows):
    """Generator -> integers(0, 2**63); RandomState -> randint(0, 2**31 - 1): one draw each."""
    g = np.random.default_rng(11)
    expected = int(np.random.default_rng(11).integers(0, 2**63))
    assert BalancedSeizureSampler(windows, random_state=g).seed == expected
    assert g.integers(0, 2**63) == np.random.default_rng(11).integers(0, 2**63, size=2)[1]
    r = np.random.RandomState(5)
    expected = int(np.random.RandomState(5).randint(0, 2**31 - 1))
    assert BalancedSeizureSampler(windows, random_state=r).seed == expected
    # several states: a neighbouring range (e.g. integers(1, 2**63), randint(0, 2**32 - 1))
    # gives the same number for about half of them, not for all twenty
    for seed in range(20):
        g, r = np.random.default_rng(seed), np.random.RandomState(seed)
        assert BalancedSeizureSampler(windows, random_state=g).seed == int(
            np.random.default_rng(seed).integers(0, 2**63))
        assert BalancedSeizureSampler(windows, random_state=r).seed == int(
            np.random.RandomState(seed).randint(0, 2**31 - 1))
    big = np.random.default_rng(2**40)
    assert 0 <= BalancedSeizureSampler(windows, random_state=big).seed < 2**63
