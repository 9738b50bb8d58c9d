"""An ensemble's summary: per (scenario_id, plan_design_id, simulation_year, metric) the
percentiles, mean, sample sd and count of the compare figures across the finished seeds.

The figures of each seed are those `navigator compare` reports for its database
(`reporting.compare.figure_rows`, read from `fct_plan_year_summary`): every metric of COLUMNS per
design and year, and each design's horizon total (`simulation_year` = `total`), with the
variance against the baseline design on the other designs' rows. A metric a seed does not have
(the baseline's variance against itself) is left out, not counted as zero. Statistics are in
`ensemble.stats` (definitions there and in docs/ensembles.md).

Outputs, replaced whole each time (written to a temporary file and renamed):
- `ensemble.duckdb`: `ensemble_summary` (the CSV's rows), `ensemble_seed_figures` (every seed's
  value of every metric: scenario_id, plan_design_id, simulation_year, metric, seed, value),
  `ensemble_seeds` (every seed asked for: finished or failed, attempts, seconds, error), and
  `ensemble_thresholds` for each `--threshold`;
- `ensemble_summary.csv`: exactly KEYS + STAT_COLUMNS.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from navigator_orchestrator.ensemble.layout import SUMMARY_CSV, SUMMARY_DATABASE, Ensemble, EnsembleError, seed_scenario_id
from navigator_orchestrator.ensemble.stats import CENT, MIN_SEEDS_FOR_BANDS, SHARE, STAT_COLUMNS, Stats, summarise
from navigator_orchestrator.files import atomic_path
from navigator_orchestrator.reporting.compare import COLUMNS, MONEY, SHARES, figure_rows
from navigator_orchestrator.sql import connect_duckdb

KEYS = ("scenario_id", "plan_design_id", "simulation_year", "metric")
METRICS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in ("scenario_id", "plan_design_id", "simulation_year"))


def quantum(metric: str) -> Decimal:
    """Money metrics are rounded to the cent, shares to six decimal places."""
    return CENT if metric in MONEY else SHARE


@dataclass(frozen=True)
class Threshold:
    """`--threshold metric:value`: the share of seeds whose value is above `value`."""

    metric: str
    value: Decimal

    @classmethod
    def parse(cls, text: str) -> "Threshold":
        metric, sep, value = text.partition(":")
        metric = metric.strip()
        if not sep or metric not in METRICS:
            raise EnsembleError(f"--threshold {text!r}: name a metric and a value as METRIC:VALUE, e.g. "
                                f"employer_cost:5000000; metrics: {', '.join(METRICS)}")
        try:
            number = Decimal(value.strip().replace(",", "").replace("_", ""))
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite():
            raise EnsembleError(f"--threshold {text!r}: {value.strip()!r} is not a number; write it in dollars "
                                "for money (5000000) and as a fraction for shares (0.05 for 5%)")
        if metric in SHARES and abs(number) > 1:
            raise EnsembleError(f"--threshold {text!r}: {metric} is a share, written as a fraction; "
                                f"write {(number / 100).normalize():f} for {value.strip()}%")
        return cls(metric, number)


@dataclass
class SeedRecord:
    seed: int
    status: str            # finished | failed
    attempts: int = 0      # runs started by this invocation (0: finished before it)
    seconds: float = 0.0
    error: str = ""


@dataclass
class Summary:
    scenario_id: str
    designs: list[str]
    baseline: str
    years: tuple[int, int]
    seeds: list[SeedRecord]
    values: dict[tuple[str, str, str], dict[int, Decimal]]   # (design, year, metric) -> seed -> value
    rows: list[dict[str, Any]]                               # KEYS + STAT_COLUMNS
    min_seeds_for_bands: int = MIN_SEEDS_FOR_BANDS
    thresholds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def covered(self) -> list[int]:
        return [s.seed for s in self.seeds if s.status == "finished"]

    @property
    def failed(self) -> list[int]:
        return [s.seed for s in self.seeds if s.status == "failed"]

    @property
    def banded(self) -> bool:
        return len(self.covered) >= self.min_seeds_for_bands

    def stats(self, design: str, year: str, metric: str) -> dict[str, Any] | None:
        for row in self.rows:
            if (row["plan_design_id"], row["simulation_year"], row["metric"]) == (design, year, metric):
                return row
        return None


def _exact(metric: str, value: Any) -> Decimal:
    # Shares come back as floats holding at most six decimals; their shortest repr is that decimal.
    return (value if isinstance(value, Decimal) else Decimal(repr(value))).quantize(quantum(metric))


def seed_values(ensemble: Ensemble, seed: int) -> list[tuple[str, str, str, Decimal]]:
    """(design, year, metric, value) of one finished seed, from its database (read-only)."""
    files = ensemble.files(seed)
    with connect_duckdb(files.database, read_only=True) as conn:
        _, rows = figure_rows(conn, seed_scenario_id(ensemble.scenario_id, seed), ensemble.designs,
                              ensemble.baseline, ensemble.years, str(files.database))
    return [(row["plan_design_id"], row["simulation_year"], metric, _exact(metric, row[metric]))
            for row in rows for metric in METRICS if row[metric] is not None]


def _year_order(year: str) -> tuple[int, str]:
    return (1, year) if year == "total" else (0, year)


def build(ensemble: Ensemble, seeds: list[SeedRecord], thresholds: list[Threshold] = (),
          min_seeds_for_bands: int = MIN_SEEDS_FOR_BANDS) -> Summary:
    """The summary of the finished seeds among `seeds` (EnsembleError when none finished)."""
    finished = [s.seed for s in seeds if s.status == "finished"]
    if not finished:
        raise EnsembleError("no seed finished, so there is nothing to summarise; see each seed's console "
                            "output in logs/ensemble/ under --out, fix the cause and rerun")
    values: dict[tuple[str, str, str], dict[int, Decimal]] = {}
    for seed in finished:
        for design, year, metric, value in seed_values(ensemble, seed):
            values.setdefault((design, year, metric), {})[seed] = value
    order = {d: i for i, d in enumerate(ensemble.designs)}
    keys = sorted(values, key=lambda k: (order[k[0]], _year_order(k[1]), METRICS.index(k[2])))
    rows = []
    for design, year, metric in keys:
        stats: Stats = summarise(list(values[(design, year, metric)].values()), quantum(metric), min_seeds_for_bands)
        rows.append({"scenario_id": ensemble.scenario_id, "plan_design_id": design, "simulation_year": year,
                     "metric": metric, **stats.as_dict()})
    summary = Summary(ensemble.scenario_id, ensemble.designs, ensemble.baseline, ensemble.years, seeds, values,
                      rows, min_seeds_for_bands)
    for threshold in thresholds:
        for (design, year, metric) in keys:
            if metric != threshold.metric:
                continue
            seed_values_ = values[(design, year, metric)]
            above = sum(1 for v in seed_values_.values() if v > threshold.value)
            summary.thresholds.append({
                "metric": metric, "threshold": threshold.value, "plan_design_id": design, "simulation_year": year,
                "seeds_above": above, "n": len(seed_values_),
                "share_above": (Decimal(above) / len(seed_values_)).quantize(SHARE)})
    return summary


_DDL = """
create table ensemble_seeds (scenario_id varchar, seed bigint, seed_scenario_id varchar, database varchar,
    status varchar, attempts integer, seconds double, error varchar);
create table ensemble_seed_figures (scenario_id varchar, plan_design_id varchar, simulation_year varchar,
    metric varchar, seed bigint, value decimal(38, 6));
create table ensemble_summary (scenario_id varchar, plan_design_id varchar, simulation_year varchar, metric varchar,
    p10 decimal(38, 6), p25 decimal(38, 6), p50 decimal(38, 6), p75 decimal(38, 6), p90 decimal(38, 6),
    mean decimal(38, 6), sd decimal(38, 6), n integer);
create table ensemble_thresholds (scenario_id varchar, metric varchar, threshold decimal(38, 6),
    plan_design_id varchar, simulation_year varchar, seeds_above integer, n integer, share_above decimal(38, 6));
"""


def write(summary: Summary, ensemble: Ensemble, directory: Path | None = None) -> tuple[Path, Path]:
    """Write ensemble.duckdb and ensemble_summary.csv into `directory` (default: DIR); returns their paths."""
    directory = Path(directory or ensemble.directory)
    database, csv_path = directory / SUMMARY_DATABASE, directory / SUMMARY_CSV
    scenario = summary.scenario_id
    with atomic_path(database) as tmp:
        with connect_duckdb(tmp) as conn:
            conn.execute(_DDL)
            seeds = [(scenario, s.seed, seed_scenario_id(scenario, s.seed), str(ensemble.files(s.seed).database),
                      s.status, s.attempts, round(s.seconds, 3), s.error or None) for s in summary.seeds]
            figures = [(scenario, design, year, metric, seed, value)
                       for (design, year, metric), by_seed in summary.values.items()
                       for seed, value in sorted(by_seed.items())]
            columns = (*KEYS, *STAT_COLUMNS)
            rows = [[row[c] for c in columns] for row in summary.rows]
            thresholds = [(scenario, t["metric"], t["threshold"], t["plan_design_id"], t["simulation_year"],
                           t["seeds_above"], t["n"], t["share_above"]) for t in summary.thresholds]
            for table, values in (("ensemble_seeds", seeds), ("ensemble_seed_figures", figures),
                                  ("ensemble_summary", rows), ("ensemble_thresholds", thresholds)):
                if values:
                    conn.executemany(f"insert into {table} values ({', '.join('?' * len(values[0]))})", values)
    with atomic_path(csv_path) as tmp:
        with tmp.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*KEYS, *STAT_COLUMNS])
            for row in summary.rows:
                writer.writerow(["" if row[c] is None else row[c] for c in (*KEYS, *STAT_COLUMNS)])
    return database, csv_path
