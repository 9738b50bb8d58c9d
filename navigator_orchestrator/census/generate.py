"""Synthetic, realistic, deterministic employee census (see docs/census.md for sources).

Generation is one set-based DuckDB query: every random draw is a counter-based uniform
``hash(seed, row, stream)`` rather than ``random()``, so the same seed gives byte-identical
files on the pinned DuckDB version and a million rows take a few seconds without numpy.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from navigator_orchestrator.locations import DBT_PROJECT_DIR
from navigator_orchestrator.files import atomic_path
from navigator_orchestrator.sql import connect_duckdb, literal

JOB_LEVELS_CSV = DBT_PROJECT_DIR / "seeds" / "config_job_levels.csv"
DEFAULT_CENSUS_DATE = date(2024, 12, 31)

# (min age, max age exclusive, weight %): private-industry wage and salary workers by age,
# BLS CPS table A-22 (April 2025); the open "65 and over" group is closed at 72.
AGE_BUCKETS: tuple[tuple[int, int, float], ...] = (
    (18, 20, 2.6), (20, 25, 9.7), (25, 35, 23.5), (35, 45, 22.9),
    (45, 55, 19.1), (55, 65, 15.9), (65, 72, 6.3),
)
# Median years with the current employer by age (BLS Employee Tenure in 2024: 25-34 = 2.7,
# 55-64 = 9.6, all workers 3.9; the other groups follow the shape of the 2020 release).
TENURE_MEDIAN_BY_AGE: tuple[tuple[int, float], ...] = (
    (20, 0.8), (25, 1.4), (35, 2.7), (45, 4.6), (55, 6.8), (65, 9.6), (200, 9.9),
)
# Share of employees per level 1..5 (a typical corporate pyramid).
LEVEL_MIX: tuple[float, ...] = (0.40, 0.30, 0.18, 0.09, 0.03)
# Participation probability among employees = base + step * (level - 1): higher pay, higher
# participation (Vanguard How America Saves 2025); averages ~77% over LEVEL_MIX.
PARTICIPATION_BASE, PARTICIPATION_STEP = 0.72, 0.05
# Deferral rates chosen by participants (rate, weight %): clustered at round numbers and the
# match cap; mean 7.76%, median 6% (Vanguard HAS 2025: average deferral rate 7.7%).
DEFERRAL_CHOICES: tuple[tuple[float, float], ...] = (
    (0.01, 1), (0.02, 3), (0.03, 11), (0.04, 9), (0.05, 11), (0.06, 20),
    (0.07, 4), (0.08, 8), (0.10, 14), (0.12, 4), (0.15, 11), (0.20, 4),
)
TERMINATED_SHARE = 0.03  # rows that left during the census year (active = false)
# Level rank = uniform noise * experience ramp (SENIORITY_FLOOR at 18, 1 from this age).
SENIORITY_FLOOR, SENIORITY_FULL_AGE = 0.25, 45
PAY_MODE_IN_BAND = 0.35  # triangular pay within the level band, mode at 35% of the band

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra",
    "Mark", "Ashley", "Wei", "Priya", "Luis", "Maria", "Ahmed", "Fatima", "Kenji", "Aiko",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Nguyen", "Patel", "Kim", "Chen", "Singh", "Walker", "Young", "Allen",
)


@dataclass(frozen=True)
class LevelBand:
    level_id: int
    name: str
    min_compensation: float
    max_compensation: float


def read_level_bands(path: Path = JOB_LEVELS_CSV) -> list[LevelBand]:
    """Job levels and pay bands from the dbt seed, the single source of truth for levels."""
    with path.open(newline="") as fh:
        return [
            LevelBand(int(r["level_id"]), r["level_name"], float(r["min_compensation"]),
                      float(r["max_compensation"]))
            for r in csv.DictReader(fh)
        ]


def _h(seed: int, stream: str) -> str:
    """SQL for a 64-bit hash keyed by (seed, row, stream).

    The key is hashed as one string: DuckDB's multi-argument hash(a, b, c) combines the
    per-argument hashes so weakly that two streams of the same row correlate (r ~ 0.9).
    """
    return f"hash(concat_ws(':', {seed}, i, '{stream}'))"


def _u(seed: int, stream: str) -> str:
    """SQL for a uniform in [0, 1): the 53 high bits of the stream's hash."""
    return f"(({_h(seed, stream)} >> 11)::DOUBLE / 9007199254740992.0)"


def _cumulative_case(u: str, pairs: list[tuple[float, str]]) -> str:
    """CASE picking pairs[k][1] when u falls in the k-th slice of the normalised weights."""
    total = sum(w for w, _ in pairs)
    arms, acc = [], 0.0
    for weight, value in pairs[:-1]:
        acc += weight / total
        arms.append(f"WHEN {u} < {acc!r} THEN {value}")
    return f"CASE {' '.join(arms)} ELSE {pairs[-1][1]} END"


def _sql_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(literal(s) for s in items) + "]"


def census_sql(employees: int, seed: int, census_date: date, bands: list[LevelBand]) -> str:
    """The whole generator as one SELECT, ordered by employee_id."""
    cd = f"DATE '{census_date.isoformat()}'"
    year_start = f"DATE '{census_date.year}-01-01'"
    width = max(6, len(str(employees)))  # lpad truncates, so widen for >= 1M rows
    age_years = _cumulative_case(
        _u(seed, "age_bucket"),
        [(w, f"{lo} + {_u(seed, 'age')} * {hi - lo}") for lo, hi, w in AGE_BUCKETS],
    )
    tenure_median = "CASE " + " ".join(
        f"WHEN age_years < {upper} THEN {m}" for upper, m in TENURE_MEDIAN_BY_AGE[:-1]
    ) + f" ELSE {TENURE_MEDIAN_BY_AGE[-1][1]} END"
    cum_levels = [sum(LEVEL_MIX[: k + 1]) for k in range(len(LEVEL_MIX) - 1)]
    level_case = "CASE " + " ".join(
        f"WHEN (level_rank - 0.5) / {employees} < {c!r} THEN {k + 1}"
        for k, c in enumerate(cum_levels)
    ) + f" ELSE {len(LEVEL_MIX)} END"
    band_values = ", ".join(
        f"({b.level_id}, {b.min_compensation!r}, {b.max_compensation!r})" for b in bands
    )
    deferral = _cumulative_case(_u(seed, "deferral"), [(w, repr(r)) for r, w in DEFERRAL_CHOICES])
    c, floor_, ramp_end = PAY_MODE_IN_BAND, SENIORITY_FLOOR, SENIORITY_FULL_AGE
    return f"""
WITH people AS (
    SELECT i, {age_years} AS age_years, {_u(seed, 'tenure')} AS u_tenure
    FROM range(1, {employees + 1}) t(i)
), dated AS (
    SELECT *,
        {cd} - CAST(floor(age_years * 365.2425) AS INTEGER) AS birth_date,
        -- exponential tenure with the BLS median for the age group
        -ln(1 - u_tenure) * ({tenure_median}) / ln(2) AS tenure_years
    FROM people
), hired AS (
    SELECT *,
        -- nobody is hired before 18; a draw beyond that is redrawn uniformly inside it
        date_diff('day', CAST(birth_date + INTERVAL 18 YEAR AS DATE), {cd}) AS max_tenure_days,
        CAST(floor(tenure_years * 365.2425) AS INTEGER) AS raw_tenure_days
    FROM dated
), ranked AS (
    SELECT *,
        {cd} - CASE WHEN raw_tenure_days <= max_tenure_days THEN raw_tenure_days
              ELSE CAST(floor({_u(seed, 'tenure_redraw')} * (max_tenure_days + 1)) AS INTEGER)
              END AS hire_date,
        -- seniority = noise scaled by an experience ramp that is full from age {ramp_end}:
        -- the young are rarely senior, yet seniors are not simply the oldest
        row_number() OVER (ORDER BY {_u(seed, 'level')} * least(1.0, {floor_}
                 + {1 - floor_!r} * (age_years - 18) / {ramp_end - 18}), i) AS level_rank
    FROM hired
), levelled AS (
    SELECT r.*, {level_case} AS level_id FROM ranked r
), banded AS (
    SELECT l.*, b.lo, b.hi, {_u(seed, 'pay')} AS u_pay,
        {_u(seed, 'terminated')} < {TERMINATED_SHARE} AS terminated
    FROM levelled l JOIN (VALUES {band_values}) b(level_id, lo, hi) USING (level_id)
), termed AS (
    SELECT *,
        CASE WHEN terminated THEN greatest(hire_date, {year_start}) END AS term_from
    FROM banded
)
SELECT
    'EMP_' || lpad(i::VARCHAR, {width}, '0') AS employee_id,
    '900-' || lpad(({_h(seed, 'ssn')} % 100)::VARCHAR, 2, '0') || '-'
        || lpad(({_h(seed, 'ssn4')} % 10000)::VARCHAR, 4, '0') AS employee_ssn,
    {_sql_list(FIRST_NAMES)}[1 + ({_h(seed, 'first')} % {len(FIRST_NAMES)})::INTEGER]
        AS first_name,
    {_sql_list(LAST_NAMES)}[1 + ({_h(seed, 'last')} % {len(LAST_NAMES)})::INTEGER]
        AS last_name,
    birth_date AS employee_birth_date,
    hire_date AS employee_hire_date,
    -- triangular within the level band (inverse CDF), whole dollars
    round(CASE WHEN u_pay < {c}
               THEN lo + sqrt(u_pay * (hi - lo) * (hi - lo) * {c})
               ELSE hi - sqrt((1 - u_pay) * (hi - lo) * (hi - lo) * {1 - c!r}) END, 0)
        AS employee_gross_compensation,
    CASE WHEN terminated THEN term_from + CAST(floor({_u(seed, 'term_day')}
         * (date_diff('day', term_from, {cd}) + 1)) AS INTEGER) END
        AS employee_termination_date,
    NOT terminated AS active,
    CASE WHEN {_u(seed, 'participates')}
              < {PARTICIPATION_BASE} + {PARTICIPATION_STEP} * (level_id - 1)
         THEN {deferral} ELSE 0 END::DOUBLE AS employee_deferral_rate,
    level_id::INTEGER AS level_id
FROM termed
ORDER BY i
"""


def _copy_options(out: Path) -> str:
    name = out.name.lower()
    if name.endswith(".csv"):
        return "FORMAT csv, HEADER true"
    if name.endswith((".parquet", ".pq")):
        return "FORMAT parquet, COMPRESSION zstd"
    raise ValueError(f"census output must end in .parquet or .csv, got {out.name!r}")


def generate_census(
    employees: int, seed: int, out: Path, census_date: date = DEFAULT_CENSUS_DATE
) -> Path:
    """Write a synthetic census of `employees` people as of `census_date`; returns `out`.

    Same (employees, seed, census_date) => identical file content; the file is written to a
    temporary name and renamed, so a crash never leaves a half-written census behind.
    """
    if isinstance(employees, bool) or not isinstance(employees, int) or employees < 1:
        raise ValueError(f"employees must be a positive integer, got {employees!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    out = Path(out)
    options = _copy_options(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sql = census_sql(employees, seed, census_date, read_level_bands())
    with atomic_path(out) as tmp, connect_duckdb() as con:
        con.execute(f"COPY ({sql}) TO {literal(tmp)} ({options})")
    return out
