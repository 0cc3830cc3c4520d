"""The sampler's draw options: cycling through the background, hard-negative weights, natural share."""

# License: BSD (3-clause)

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_stbalance import BalancedSeizureSampler, EpochPlan
from braindecode_stbalance._draws import draw_cycle, draw_uniform, draw_weighted

NO, PART, FULL = 0, 1, 2


def codes_of(counts, seed=0):
    codes = np.repeat(np.arange(3, dtype=np.int8), counts)
    np.random.default_rng(seed).shuffle(codes)
    return codes


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 60), k=st.integers(0, 60), seed=st.integers(0, 2**32), cycle=st.integers(0, 5))
def test_cycle_draws_every_window_once_per_cycle(n, k, seed, cycle):
    pool = np.arange(100, 100 + n)
    k = min(k, n)
    if k == 0:
        assert draw_cycle(pool, 0, seed, 0, 3).size == 0
        return
    n_epochs = -(-n // k)
    seen = []
    for step in range(n_epochs):
        d = draw_cycle(pool, k, seed, 0, cycle * n_epochs + step)
        assert d.size == k and np.unique(d).size == k and np.isin(d, pool).all()
        assert np.array_equal(d, draw_cycle(pool, k, seed, 0, cycle * n_epochs + step))  # pure
        seen.append(d)
    assert set(np.concatenate(seen).tolist()) == set(pool.tolist())
    # before the cycle's last epoch, no window repeats
    head = np.concatenate(seen[:-1]) if n_epochs > 1 else np.zeros(0, int)
    assert np.unique(head).size == head.size


def test_weighted_draw_follows_the_weights():
    pool = np.arange(6)
    weights = np.array([0.0, 1.0, 1.0, 2.0, 4.0, 8.0])
    rng = np.random.default_rng(0)
    trials = 20000
    first = np.bincount([draw_weighted(pool, 1, rng, weights)[0] for _ in range(trials)],
                        minlength=6)
    p = weights / weights.sum()
    sd = np.sqrt(trials * p * (1 - p)) + 1
    assert np.all(np.abs(first - trials * p) < 5 * sd) and first[0] == 0
    # without replacement: k distinct; zero weights only when positives run out
    for _ in range(200):
        d = draw_weighted(pool, 4, rng, weights)
        assert np.unique(d).size == 4 and 0 not in d
    assert set(draw_weighted(pool, 6, rng, weights)) == set(pool)
    assert 0 in draw_weighted(pool, 5 + 1, rng, weights)


def test_uniform_draw_tops_up_with_replacement_only_when_asked():
    pool = np.arange(5)
    rng = np.random.default_rng(0)
    assert np.array_equal(np.sort(draw_uniform(pool, 8, rng, False)), pool)
    d = draw_uniform(pool, 8, rng, True)
    assert d.size == 8 and set(d) == set(pool)


def test_sampler_cycle_sees_all_background_in_the_fewest_epochs():
    codes = codes_of((500, 20, 30), seed=1)
    s = BalancedSeizureSampler.from_categories(codes, redraw="cycle", random_state=3)
    epoch_rand = BalancedSeizureSampler.from_categories(codes, random_state=3)
    q = s.quotas["no_seizure"]
    n_epochs = -(-500 // q)
    background = set(np.flatnonzero(codes == NO).tolist())
    seen_cycle, seen_rand = set(), set()
    for e in range(n_epochs):
        d = s.draw(e)
        assert len(d) == len(s) and np.unique(d).size == d.size
        seen_cycle |= set(d.tolist())
        seen_rand |= set(epoch_rand.draw(e).tolist())
    assert background <= seen_cycle
    assert not background <= seen_rand  # random redraws leave some out after as many epochs


def test_sampler_background_weights(tmp_path):
    codes = codes_of((300, 20, 30), seed=2)
    s = BalancedSeizureSampler.from_categories(codes, background_ratio=1.0, random_state=0)
    hard = np.flatnonzero(codes == NO)[:40]
    w = np.full(codes.size, 1e-6)
    w[hard] = 1.0
    s.set_background_weights(w)
    drawn = s.draw(0)
    no = drawn[codes[drawn] == NO]
    assert no.size == s.quotas["no_seizure"] == 20 and set(no) <= set(hard)
    s.set_background_weights(None)
    assert not set(s.draw(0)[codes[s.draw(0)] == NO]) <= set(hard)
    with pytest.raises(ValueError, match="one value per window"):
        s.set_background_weights(np.ones(5))
    with pytest.raises(ValueError, match="finite"):
        s.set_background_weights(np.full(codes.size, np.nan))
    once = BalancedSeizureSampler.from_categories(codes, redraw="once", random_state=0)
    with pytest.raises(ValueError, match="redraw='epoch'"):
        once.set_background_weights(w)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 0.9])
def test_natural_fraction_adds_windows_from_the_rest(fraction):
    codes = codes_of((2000, 40, 60), seed=3)
    s = BalancedSeizureSampler.from_categories(codes, natural_fraction=fraction, random_state=0)
    base = BalancedSeizureSampler.from_categories(codes, random_state=0)
    balanced = sum(base.quotas.values())
    natural = int(np.floor(fraction / (1 - fraction) * balanced + 1e-9))
    assert len(s) == balanced + natural == s.plan.length
    hits = np.zeros(3)
    for e in range(20):
        d = s.draw(e)
        assert len(d) == len(s) and np.unique(d).size == d.size
        hits += np.bincount(codes[d], minlength=3)
    if natural:  # the extra windows follow the corpus' remaining mix: mostly background
        extra_no = hits[NO] / 20 - base.quotas["no_seizure"]
        assert extra_no > 0.8 * natural
    with pytest.raises(ValueError, match="natural_fraction"):
        BalancedSeizureSampler.from_categories(codes, natural_fraction=1.0)


def test_plan_caps_the_natural_share_by_what_is_left():
    plan = EpochPlan.from_counts((10, 10, 10), natural_fraction=0.9)
    assert plan.natural == 30 - sum(plan.drawn) and plan.length == 30
    assert "natural" in plan.formula()


def test_hard_negative_mining_weights_follow_the_model(tmp_path):
    """The callback scores background windows and the next epochs draw high scorers more."""
    import torch
    from braindecode import EEGClassifier
    from sampler_data import WINDOW, brute_force_categories, make_windows

    from braindecode_stbalance import HardNegativeMining

    windows = make_windows(tmp_path, n_recordings=2, duration=240.0, seed=5)
    codes = brute_force_categories(windows)
    background = np.flatnonzero(codes == NO)
    favoured = set(background[::4].tolist())

    class Probe(torch.nn.Module):
        """Scores exactly the favoured background windows as seizures (by their signal)."""

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.keys = {np.asarray(windows[i][0], np.float32).tobytes() for i in favoured}

        def forward(self, x):
            hit = torch.tensor([x_.numpy().astype(np.float32).tobytes() in self.keys
                                for x_ in x.detach().cpu()], dtype=torch.float32)
            logit = (hit * 20 - 10) + 0 * self.w
            return torch.stack([-logit, logit], dim=1)

    sampler = BalancedSeizureSampler(windows, background_ratio=0.5, random_state=0)
    mining = HardNegativeMining(sampler, pool_size=len(background), emphasis=1e6)
    clf = EEGClassifier(Probe(), classes=[0, 1], max_epochs=1, train_split=None,
                        batch_size=64, callbacks=[mining], verbose=0,
                        optimizer=torch.optim.SGD, lr=0.0, **sampler.skorch_params())
    assert WINDOW == windows[0][0].shape[1]
    clf.fit(windows, y=None)
    assert mining.weights_ is not None and mining.weights_[list(favoured)].min() > 1e5
    no = [i for i in sampler.draw(1) if codes[i] == NO]
    assert len(no) == sampler.quotas["no_seizure"] and set(no) <= favoured


# ---------------------------------------------------------------- edge cases (mutation testing)
def test_uniform_draw_defaults_and_single_window_top_up():
    pool = np.arange(10, 15)
    rng = np.random.default_rng(1)
    assert np.array_equal(np.sort(draw_uniform(pool, 8, rng)), pool)  # default: no replacement
    assert draw_uniform(np.array([7]), 3, rng, True).tolist() == [7, 7, 7]
    assert draw_uniform(pool[:0], 3, rng, True).size == 0  # nothing to top up from
    # the top-up draws every window of the pool, the first one included
    extra = np.concatenate([draw_uniform(pool[:2], 12, rng, True)[2:] for _ in range(20)])
    assert set(extra.tolist()) == {10, 11}
    d = draw_uniform(pool, 3, rng)
    assert d.size == 3 and np.unique(d).size == 3 and set(d) <= set(pool)


@pytest.mark.parametrize("n", [2, 6, 40])
def test_weighted_draw_takes_exactly_the_positive_windows_when_they_fill_the_quota(n):
    pool = np.arange(100, 100 + n)
    rng = np.random.default_rng(n)
    for k in range(1, n):
        for positive in (np.arange(k), np.arange(n - k, n), np.sort(rng.permutation(n)[:k])):
            weights = np.zeros(n)
            weights[positive] = rng.uniform(0.001, 1000, k)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # zero weights divide nothing
                got = draw_weighted(pool, k, rng, weights)
            assert sorted(got.tolist()) == pool[positive].tolist()
    assert draw_weighted(pool, 0, rng, np.ones(n)).size == 0


def test_weighted_draw_takes_the_heavy_windows_first():
    # weights 1e12 against 1e-12: the k heavy windows win every draw (a key E / w of a light
    # window is below a heavy one's only if E_light < 1e-24 E_heavy)
    rng, layout = np.random.default_rng(0), np.random.default_rng(1)
    pool = np.arange(300)
    for k in (1, 2, 150, 210, 299) * 60:
        heavy = np.sort(layout.permutation(300)[:k])
        weights = np.full(300, 1e-12)
        weights[heavy] = 1e12
        assert np.array_equal(np.sort(draw_weighted(pool, k, rng, weights)), heavy)


def test_weighted_draw_tops_up_with_a_uniform_choice_among_weight_zero():
    """Fewer positive weights than the quota: all of them, plus a random (not fixed) rest."""
    pool = np.arange(100, 110)
    rng = np.random.default_rng(0)
    for weights, k in ((np.r_[1.0, 2.0, 3.0, np.zeros(7)], 5), (np.zeros(10), 3)):
        positive = set(pool[weights > 0].tolist())
        hits = np.zeros(10)
        trials = 700
        for _ in range(trials):
            d = draw_weighted(pool, k, rng, weights)
            assert d.size == k and np.unique(d).size == k and positive <= set(d.tolist())
            hits[d - 100] += 1
        zero = weights == 0
        expected = trials * (k - len(positive)) / zero.sum()  # each weight-0 window alike
        sd = np.sqrt(expected)
        assert np.all(np.abs(hits[zero] - expected) < 5 * sd), hits


def test_weights_with_replacement_keep_the_epoch_length():
    """A background shorter than its quota: weights or not, len(draw) == len(sampler)."""
    codes = codes_of((10, 20, 5), seed=4)  # quota floor(2.5 * 20) = 50 > 10 background windows
    for replacement in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the shortage warning
            s = BalancedSeizureSampler.from_categories(codes, replacement=replacement,
                                                       random_state=0)
            s.set_background_weights(np.linspace(0.0, 1.0, codes.size))
            for e in range(3):
                d = s.draw(e)
                assert len(d) == len(s) == s.plan.length
                assert set(np.flatnonzero(codes == NO)) <= set(d.tolist())
                assert np.sum(codes[d] == NO) == (50 if replacement else 10)
