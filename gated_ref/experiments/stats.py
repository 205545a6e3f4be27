"""Intervals over seeds, and the three-way verdict they support.

- A mean over seeds gets a Student-t 95 % interval (with five seeds a percentile bootstrap of
  the mean is too narrow: it ignores that the spread itself is estimated from five values).
- A median (steps to solve, where an unsolved run counts as "more than the budget") gets a
  percentile-bootstrap interval (10,000 resamples, fixed seed).
- A proportion (seeds that solved) gets a Wilson score interval.

Two contenders *separate* when their intervals do not overlap; only then does a comparison
count as a difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
BOOTSTRAP = 10_000
HOLDS, FAILS, UNRESOLVED = "holds", "does not hold", "not resolved at this budget"


@dataclass(frozen=True)
class Estimate:
    """A statistic over seeds with its interval and the per-seed values it came from."""

    value: float
    low: float
    high: float
    values: tuple[float, ...]
    kind: str  # "mean", "median" or "proportion"

    def overlaps(self, other: Estimate) -> bool:
        """Whether the two intervals share a point."""
        return self.low <= other.high and other.low <= self.high

    def below(self, other: Estimate) -> bool:
        """This interval lies entirely below the other's."""
        return self.high < other.low


def t_quantile(df: int, level: float = LEVEL) -> float:
    """The two-sided Student-t quantile for ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError(f"df: got {df}, expected at least 1")
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, df))


def mean_interval(
    values: Sequence[float],
    level: float = LEVEL,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> Estimate:
    """Mean with a Student-t interval, clipped to ``bounds`` (the range the quantity can take);
    a single value gets a zero-width interval."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"values: got {list(values)!r}, expected finite numbers")
    mean = float(x.mean())
    if x.size == 1:
        return Estimate(mean, mean, mean, tuple(x.tolist()), "mean")
    half = t_quantile(x.size - 1, level) * float(x.std(ddof=1)) / math.sqrt(x.size)
    low, high = max(bounds[0], mean - half), min(bounds[1], mean + half)
    return Estimate(mean, low, high, tuple(x.tolist()), "mean")


def median_interval(values: Sequence[float], level: float = LEVEL, seed: int = 0) -> Estimate:
    """Median with a percentile-bootstrap interval; ``inf`` (censored) values are allowed."""
    x = np.asarray(values, dtype=float)
    if x.size == 0 or np.any(np.isnan(x)):
        raise ValueError(f"values: got {list(values)!r}, expected numbers (inf allowed)")
    rng = np.random.default_rng(seed)
    samples = np.median(rng.choice(x, size=(BOOTSTRAP, x.size), replace=True), axis=1)
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], method="lower")
    return Estimate(float(np.median(x)), float(lo), float(hi), tuple(x.tolist()), "median")


def wilson_interval(successes: int, n: int, level: float = LEVEL) -> Estimate:
    """Proportion of successes with a Wilson score interval."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"successes, n: got {successes}, {n}, expected 0 <= successes <= n >= 1")
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    values = tuple([1.0] * successes + [0.0] * (n - successes))
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), values, "proportion")


def better(a: Estimate, b: Estimate, lower_is_better: bool) -> int:
    """+1 if ``a`` separates from ``b`` on the good side, -1 on the bad side, 0 if they overlap."""
    if a.overlaps(b):
        return 0
    a_lower = a.below(b)
    return 1 if a_lower == lower_is_better else -1


def claim_better(a: Estimate, b: Estimate, lower_is_better: bool) -> str:
    """Verdict on "a is better than b": holds / does not hold / not resolved.

    Holds when the intervals separate with ``a`` on the good side; does not hold when they
    separate the other way; otherwise not resolved (the data cannot tell them apart).
    """
    return {1: HOLDS, -1: FAILS, 0: UNRESOLVED}[better(a, b, lower_is_better)]


def claim_comparable(a: Estimate, b: Estimate, margin: float) -> str:
    """Verdict on "a and b are comparable" within ``margin``.

    Holds when both intervals lie within one band of width ``margin`` (every value either
    interval allows is within ``margin`` of every value the other allows); does not hold when
    the intervals separate by more than ``margin``; otherwise not resolved.
    """
    if not margin > 0:
        raise ValueError(f"margin: got {margin!r}, expected a positive number")
    span = max(a.high, b.high) - min(a.low, b.low)
    if span <= margin:
        return HOLDS
    gap = max(a.low - b.high, b.low - a.high)
    if gap > margin:
        return FAILS
    return UNRESOLVED
