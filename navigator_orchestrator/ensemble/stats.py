"""The statistics of an ensemble: percentiles, mean and standard deviation across seeds.

Exact decimal arithmetic throughout (Python's Decimal, 28 significant digits), rounded half up once,
at the end: money metrics to the cent, shares (fractions of pay, participation, deferral
rates) to six decimal places, the precision `fct_plan_year_summary` stores them in.

Percentile definition: linear interpolation between the two nearest order statistics, the
"inclusive" or type 7 definition of Hyndman & Fan (1996), "Sample quantiles in statistical
packages", The American Statistician 50(4). It is numpy's default (`method="linear"`), DuckDB's
`quantile_cont`, Excel's `PERCENTILE.INC` and Python's `statistics.quantiles(method="inclusive")`:
for n sorted values x[0] <= ... <= x[n-1] and a fraction p, with h = (n - 1) * p,

    P(p) = x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])

so P(0) is the smallest value, P(1) the largest, and every percentile lies within the seeds'
range. The standard deviation is the sample one (divisor n - 1); it is None for one seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Sequence

# The percentiles reported, as fractions, and their column names.
PERCENTILES: tuple[tuple[str, Decimal], ...] = (
    ("p10", Decimal("0.10")), ("p25", Decimal("0.25")), ("p50", Decimal("0.50")),
    ("p75", Decimal("0.75")), ("p90", Decimal("0.90")),
)
# The columns of a summary row after its keys (the CSV's and ensemble_summary's order).
STAT_COLUMNS: tuple[str, ...] = (*(name for name, _ in PERCENTILES), "mean", "sd", "n")
# The band edges: withheld below MIN_SEEDS_FOR_BANDS seeds (p50, mean, sd and n are kept).
BAND_COLUMNS: tuple[str, ...] = ("p10", "p25", "p75", "p90")

# Fewest seeds for which P10-P90 and P25-P75 bands are shown. With fewer than 10 seeds the
# P10 and P90 of the type 7 definition fall between the two smallest (largest) seeds, so the
# band's edges are little more than the extremes of a handful of runs.
MIN_SEEDS_FOR_BANDS = 10

CENT = Decimal("0.01")
SHARE = Decimal("0.000001")


def percentile(values: Sequence[Decimal], p: Decimal) -> Decimal:
    """The p-th quantile (p a fraction in [0, 1]) of `values` by linear interpolation (type 7,
    see the module docstring), unrounded. ValueError for no values or p outside [0, 1]."""
    if not values:
        raise ValueError("no values")
    if not 0 <= p <= 1:
        raise ValueError(f"percentile fraction {p} is outside 0..1")
    x = sorted(values)
    with localcontext() as ctx:
        ctx.prec = 40
        h = (len(x) - 1) * p
        low = int(h)  # h >= 0: int() is floor
        if low + 1 >= len(x):
            return x[-1]
        return x[low] + (h - low) * (x[low + 1] - x[low])


def mean(values: Sequence[Decimal]) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return sum(values, Decimal(0)) / len(values)


def sample_sd(values: Sequence[Decimal]) -> Decimal | None:
    """Sample standard deviation (divisor n - 1); None for fewer than two values."""
    if len(values) < 2:
        return None
    with localcontext() as ctx:
        ctx.prec = 40
        m = sum(values, Decimal(0)) / len(values)
        return (sum(((v - m) ** 2 for v in values), Decimal(0)) / (len(values) - 1)).sqrt()


@dataclass(frozen=True)
class Stats:
    p10: Decimal | None
    p25: Decimal | None
    p50: Decimal
    p75: Decimal | None
    p90: Decimal | None
    mean: Decimal
    sd: Decimal | None
    n: int

    def as_dict(self) -> dict[str, Decimal | int | None]:
        return {name: getattr(self, name) for name in STAT_COLUMNS}


def summarise(values: Sequence[Decimal], quantum: Decimal, min_seeds_for_bands: int = MIN_SEEDS_FOR_BANDS) -> Stats:
    """Percentiles, mean, sample sd and count of one metric across seeds, each rounded half up
    to `quantum` (CENT for money, SHARE for shares). The band edges (BAND_COLUMNS) are None when
    fewer than `min_seeds_for_bands` values are given. ValueError for no values."""
    if not values:
        raise ValueError("no values")

    def rounded(value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(quantum, rounding=ROUND_HALF_UP)

    banded = len(values) >= min_seeds_for_bands
    q = {name: rounded(percentile(values, p)) if banded or name not in BAND_COLUMNS else None
         for name, p in PERCENTILES}
    return Stats(**q, mean=rounded(mean(values)), sd=rounded(sample_sd(values)), n=len(values))
