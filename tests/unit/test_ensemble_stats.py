"""The ensemble's statistics: type 7 percentiles (numpy's default, DuckDB's quantile_cont), exact
decimals rounded half up once; and the report draws bands only from the stated minimum of seeds."""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal

import duckdb
from hypothesis import given, settings, strategies as st

from navigator_orchestrator.ensemble.report import render
from navigator_orchestrator.ensemble.stats import CENT, MIN_SEEDS_FOR_BANDS, PERCENTILES, percentile, summarise
from navigator_orchestrator.ensemble.summary import SeedRecord, Summary

cents = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(cents, min_size=2, max_size=40))
def test_percentiles_are_those_of_pythons_inclusive_quantiles(values):
    cuts = statistics.quantiles(values, n=20, method="inclusive")  # 5%, 10%, ..., 95%
    expected = {"p10": cuts[1], "p25": cuts[4], "p50": cuts[9], "p75": cuts[14], "p90": cuts[17]}
    assert {name: percentile(values, p) for name, p in PERCENTILES} == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(cents, min_size=1, max_size=30))
def test_percentiles_agree_with_duckdbs_quantile_cont_and_stay_within_the_seeds(values):
    with duckdb.connect() as conn:
        got = conn.execute("select quantile_cont(v::double, [0.1, 0.25, 0.5, 0.75, 0.9]) from unnest(?::double[]) t(v)",
                           [[float(v) for v in values]]).fetchone()[0]
    for (name, p), theirs in zip(PERCENTILES, got):
        ours = percentile(values, p)
        assert min(values) <= ours <= max(values)
        assert abs(float(ours) - theirs) <= 1e-6 * max(1.0, abs(theirs)), name


def test_rounding_is_half_up_once_at_the_end():
    # h = (4 - 1) * 0.5 = 1.5: halfway between 0.01 and 0.02 is 0.015, rounded half up to 0.02
    stats = summarise([Decimal("0.00"), Decimal("0.01"), Decimal("0.02"), Decimal("0.03")], CENT, 2)
    assert stats.p50 == Decimal("0.02") and stats.mean == Decimal("0.02")
    assert stats.sd == (Decimal("0.0001666666666666666666666666667").sqrt()).quantize(CENT, ROUND_HALF_UP)


def test_band_edges_are_withheld_below_the_minimum_of_seeds():
    few = summarise([Decimal(v) for v in range(MIN_SEEDS_FOR_BANDS - 1)], CENT)
    enough = summarise([Decimal(v) for v in range(MIN_SEEDS_FOR_BANDS)], CENT)
    assert (few.p10, few.p25, few.p75, few.p90) == (None, None, None, None) and few.p50 == Decimal("4.00")
    assert enough.p10 == Decimal("0.90") and enough.p90 == Decimal("8.10") and enough.n == MIN_SEEDS_FOR_BANDS


def _summary(seeds: int) -> Summary:
    rows = []
    for year in ("2025", "2026", "total"):
        values = [Decimal(1000 * (i + 1)) for i in range(seeds)]
        rows.append({"scenario_id": "s", "plan_design_id": "d", "simulation_year": year, "metric": "employer_cost",
                     **summarise(values, CENT).as_dict()})
    return Summary("s", ["d"], "d", (2025, 2026), [SeedRecord(i, "finished") for i in range(seeds)], {}, rows)


def test_the_report_draws_bands_from_the_minimum_and_says_when_they_are_withheld():
    banded, withheld = render(_summary(MIN_SEEDS_FOR_BANDS)), render(_summary(3))
    assert 'class="mark band-outer"' in banded and 'class="mark band-inner"' in banded
    assert "Bands withheld" not in banded
    assert 'class="mark band-outer"' not in withheld and "Bands withheld: 3 seed(s)" in withheld
    assert "median" in withheld


def test_a_share_threshold_written_as_a_percent_is_refused_with_the_fraction_to_write():
    import pytest

    from navigator_orchestrator.ensemble.layout import EnsembleError
    from navigator_orchestrator.ensemble.summary import Threshold

    with pytest.raises(EnsembleError, match=r"write 0\.05 for 5%"):
        Threshold.parse("employer_cost_pct_of_pay:5")
    assert Threshold.parse("participation_rate:0.9").value == Decimal("0.9")
    assert Threshold.parse("employer_cost:5000000").value == Decimal("5000000")


def _axis_labels(svg: str) -> list[str]:
    import re

    return re.findall(r'text-anchor="end">([^<]+)</text>', svg)


def test_a_share_is_drawn_on_an_axis_fitted_to_its_band_and_never_above_100_percent():
    from navigator_orchestrator.ensemble.report import band_chart

    def row(p10, p50, p90):
        return {"p10": p10, "p25": p10, "p50": p50, "p75": p90, "p90": p90}

    narrow = band_chart("Participation", [2025, 2026], [row(0.957, 0.958, 0.96), row(0.956, 0.958, 0.959)], "#000", True)
    labels = _axis_labels(narrow)
    assert len(labels) == 5 and len(set(labels)) == 5  # distinct grid labels
    low, high = (float(labels[i].rstrip("%")) for i in (0, -1))
    assert 95.0 <= low <= 95.6 and 96.0 <= high <= 96.5  # fits 95.6%-96%, not 95.8%-105.8%
    one_year = band_chart("Participation", [2025], [row(0.958, 0.958, 0.958)], "#000", True)
    top = float(_axis_labels(one_year)[-1].rstrip("%"))
    assert top <= 100.0 and float(_axis_labels(one_year)[0].rstrip("%")) >= 80.0  # not 0%-150%
    money = band_chart("Employer cost", [2025], [row(1.2e6, 1.3e6, 1.5e6)], "#000", False)
    assert _axis_labels(money)[0] != "0"  # a money band is fitted too


def test_the_ensemble_guide_lists_exactly_the_metrics_the_summary_produces():
    import re
    from pathlib import Path

    from navigator_orchestrator.ensemble.summary import METRICS

    guide = (Path(__file__).resolve().parents[2] / "docs" / "ensembles.md").read_text()
    section = guide.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- `([a-z_]+)`:", section, flags=re.M)
    assert listed == list(METRICS)
