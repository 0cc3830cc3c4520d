"""EpochPlan against an independent reference (Decimal arithmetic, written out by hand)."""

# License: BSD (3-clause)

from decimal import ROUND_FLOOR, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from braindecode_stbalance import EpochPlan, balanced_epoch_size
from braindecode_stbalance.quotas import MAX_EPOCH_WINDOWS, quota


def floor_dec(x):
    return int(x.to_integral_value(rounding=ROUND_FLOOR))


def reference(counts, full_ratio, background_ratio, anchor, replacement, natural_fraction):
    n_no, n_part, n_full = counts
    base = n_part if anchor == "partial_seizure" else n_part + n_full
    q_full = floor_dec(Decimal(repr(float(full_ratio))) * base)
    q_no = floor_dec(Decimal(repr(float(background_ratio))) * base)
    requested = (q_no, n_part, q_full)
    drawn = []
    for q, n in zip(requested, counts):
        drawn.append(q if replacement and n > 0 else min(q, n))
    p, q = Decimal(repr(float(natural_fraction))).as_integer_ratio()  # exact decimal value
    wanted = (p * sum(drawn)) // (q - p)  # floor(f / (1 - f) * S) in integers
    distinct = sum(min(d, n) for d, n in zip(drawn, counts))
    natural = min(wanted, sum(counts) - distinct)
    shortages = [(c, q, n) for c, q, n, d in zip(
        ("no_seizure", "partial_seizure", "full_seizure"), requested, counts, drawn) if d < q]
    return base, requested, tuple(drawn), natural, shortages


@settings(max_examples=400, deadline=None)
@given(counts=st.tuples(st.integers(0, 5000), st.integers(0, 300), st.integers(0, 500)),
       full_ratio=st.sampled_from([0.0, 0.1, 0.3, 0.57, 1.0, 2.0, 3.3, 0.29, 1e3]),
       background_ratio=st.sampled_from([0.0, 0.7, 1.0, 2.5, 7.0, 11.1, 0.01, 250.0]),
       anchor=st.sampled_from(["partial_seizure", "seizure"]),
       replacement=st.booleans(),
       natural_fraction=st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 0.999]))
def test_plan_equals_the_reference(counts, full_ratio, background_ratio, anchor, replacement,
                                   natural_fraction):
    base, requested, drawn, natural, shortages = reference(
        counts, full_ratio, background_ratio, anchor, replacement, natural_fraction)
    kwargs = {"full_ratio": full_ratio, "background_ratio": background_ratio, "anchor": anchor,
              "replacement": replacement, "natural_fraction": natural_fraction}
    if base == 0:
        with pytest.raises(ValueError, match="to anchor the quotas on"):
            EpochPlan.from_counts(counts, **kwargs)
        return
    plan = EpochPlan.from_counts(counts, **kwargs)
    assert plan.base == base
    assert plan.requested == requested
    assert plan.drawn == drawn
    assert plan.natural == natural
    assert plan.length == sum(drawn) + natural
    assert list(plan.shortages) == shortages
    assert plan.as_dict() == dict(zip(("no_seizure", "partial_seizure", "full_seizure"), drawn))
    message = plan.shortage_message()
    assert bool(message) == bool(shortages)
    for c, q, n in shortages:
        assert f"{c} quota is {q}" in message and f"only {n} are available" in message
    if shortages:
        hint = "nothing to top up from" if replacement else "replacement=True"
        assert hint in message
    formula = plan.formula()
    assert formula.startswith(f"{plan.length:,} = P + ")
    assert f"B = {'P' if anchor == 'partial_seizure' else 'P + F'} = {base:,}" in formula
    assert ("min(" in formula) is (not replacement)


def test_quota_is_exact_on_decimal_ratios():
    assert quota(0.3, 30) == 9  # 8.999999999999998 in binary floating point
    assert quota(0.57, 100) == 57
    assert quota(2.5, 3) == 7
    assert quota(0.0, 10**9) == 0


@pytest.mark.parametrize("counts,kwargs,match", [
    ((1, 2), {}, "three numbers"),
    ((-1, 2, 3), {}, "three numbers"),
    ((1, 2, 3), {"anchor": "full"}, "anchor"),
    ((1, 2, 3), {"replacement": 1}, "replacement"),
    ((1, 2, 3), {"natural_fraction": 1.0}, "natural_fraction"),
    ((1, 2, 3), {"natural_fraction": -0.1}, "natural_fraction"),
    ((1, 2, 3), {"full_ratio": float("inf")}, "full_ratio"),
    ((1, 2, 3), {"background_ratio": "x"}, "background_ratio"),
    ((10, 2 * 10**6, 3), {"background_ratio": 2000.0, "replacement": True}, "windows per epoch"),
])
def test_invalid_plans(counts, kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        EpochPlan.from_counts(counts, **kwargs)


def test_largest_epoch_is_accepted():
    plan = EpochPlan.from_counts((10, 1000, 0), background_ratio=(MAX_EPOCH_WINDOWS - 1000) / 1000,
                                 replacement=True)
    assert plan.length <= MAX_EPOCH_WINDOWS


def test_counts_by_name_and_balanced_epoch_size():
    plan = EpochPlan.from_counts({"no_seizure": 5000, "partial_seizure": 40, "full_seizure": 7})
    assert plan.drawn == (100, 40, 7) and plan.length == 147
    assert balanced_epoch_size(40, 7, 5000) == 147
    assert balanced_epoch_size(40) == 40 + 12 + 100
    assert balanced_epoch_size(0, 5, 5) == 0


# ---------------------------------------------------------------- edge cases (mutation testing)
def test_replacement_accepts_numpy_bools():
    for flag in (np.True_, np.False_):
        plan = EpochPlan.from_counts((10, 10, 1), full_ratio=1.0, background_ratio=1.0,
                                     replacement=flag)
        assert plan.replacement is bool(flag)
        assert plan.drawn == ((10, 10, 10) if flag else (10, 10, 1))
    for not_a_bool in (1, np.int64(1), np.array([True]), "yes"):
        with pytest.raises(TypeError, match="replacement must be a bool, got"):
            EpochPlan.from_counts((10, 10, 1), replacement=not_a_bool)
