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
    _, n_part, n_full = counts
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


@pytest.mark.parametrize("name, value, exc, says", [
    ("full_ratio", float("inf"), ValueError, "full_ratio must be finite and >= 0, got inf."),
    ("full_ratio", "0.3", TypeError, "full_ratio must be a real number >= 0, got '0.3'."),
    ("background_ratio", -1, ValueError, "background_ratio must be finite and >= 0, got -1.0."),
    ("background_ratio", True, TypeError, "background_ratio must be a real number >= 0, got True."),
    ("natural_fraction", float("nan"), ValueError, "natural_fraction must be finite and >= 0"),
    ("natural_fraction", None, TypeError, "natural_fraction must be a real number >= 0, got None."),
    ("natural_fraction", 1, ValueError, "natural_fraction must be in [0, 1), got 1.0."),
])
def test_invalid_ratios_are_named(name, value, exc, says):
    with pytest.raises(exc) as err:
        EpochPlan.from_counts((10, 10, 10), **{name: value})
    assert str(err.value).startswith(says)


def test_zero_base_message_says_what_is_missing_and_what_to_do():
    with pytest.raises(ValueError) as err:
        EpochPlan.from_counts((50, 0, 7))
    msg = str(err.value)
    assert msg.startswith("No partial_seizure windows to anchor the quotas on: the data has "
                          "0 partial_seizure, 7 full_seizure and 50 no_seizure windows. "
                          "Window with a smaller stride (")
    assert "(overlapping windows give partial windows at every seizure boundary)" in msg
    assert "annotate with a lower full_threshold, or use anchor='seizure' to anchor" in msg
    assert msg.endswith("anchor the quotas on partial plus full windows.")
    with pytest.raises(ValueError) as err:
        EpochPlan.from_counts((50, 0, 0), anchor="seizure")
    assert str(err.value).startswith("No seizure (partial or full) windows to anchor the quotas "
                                     "on: the data has 0 partial_seizure, 0 full_seizure")


def test_shortage_message_lists_every_shortage_and_the_hint():
    plan = EpochPlan.from_counts((30, 20, 5))  # quotas 50 and 6 exceed 30 and 5
    assert plan.shortage_message() == (
        "no_seizure quota is 50 (background_ratio=2.5 x 20 base windows) but only 30 are "
        "available; full_seizure quota is 6 (full_ratio=0.3 x 20 base windows) but only 5 are "
        "available. Using all of them; pass replacement=True to top up by drawing with "
        "replacement.")
    plan = EpochPlan.from_counts((0, 20, 5), replacement=True)  # nothing to top up the no_seizure
    assert plan.shortage_message().endswith(
        "but only 0 are available. Using all of them; there is nothing to top up from.")
    assert EpochPlan.from_counts((50, 20, 6)).shortage_message() == ""


@pytest.mark.parametrize("counts, kwargs, want", [
    ((5000, 400, 1000), {},
     "1,520 = P + min(floor(0.3 B), F) + min(floor(2.5 B), N), B = P = 400"),
    ((50, 400, 10), {"anchor": "seizure", "replacement": True},
     "1,548 = P + floor(0.3 B) + floor(2.5 B), B = P + F = 410"),
    ((5000, 400, 1000), {"natural_fraction": 0.5, "full_ratio": 0.25},
     "3,000 = P + min(floor(0.25 B), F) + min(floor(2.5 B), N) + 1,500 natural, B = P = 400"),
])
def test_formula_written_out(counts, kwargs, want):
    # worked by hand: 400 + 120 + 1000; 400 + 123 + 1025 (topped up); 2 x (400 + 100 + 1000)
    assert EpochPlan.from_counts(counts, **kwargs).formula() == want


def test_balanced_epoch_size_caps_by_what_is_available():
    assert balanced_epoch_size(40, 7, 50) == 40 + 7 + 50  # quotas 12 and 100 capped
    assert balanced_epoch_size(40, None, 50) == 40 + 12 + 50
    assert balanced_epoch_size(40, 7, None) == 40 + 7 + 100
