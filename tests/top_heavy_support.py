"""Hand-built inputs of the top-heavy models (dbt/models/intermediate/ndt/int_key_employees.sql and
after) in a database's work file: one `Member` per person, written as the upstream year-only
tables hold them, so the real models run on exactly these figures."""

from __future__ import annotations

from dataclasses import dataclass

TOP_HEAVY_MODELS = ["int_key_employees", "int_top_heavy_tests", "int_top_heavy_employee_results"]


@dataclass
class Member:
    """One person: balances at the determination date and figures of the tested year (dollars)."""

    employee_id: str
    balance: float = 0.0              # all sources, at the determination date
    determination_pay: float = 0.0    # pay of the year ending on the determination date
    owner_5pct: bool = False
    owner_1pct: bool = False
    officer: bool = False
    pay: float | None = 0.0           # the tested year's pay (401(a)(17)-capped); None: not employed in it
    deferral: float = 0.0             # elective deferrals, catch-up included
    catch_up: float = 0.0
    match: float = 0.0
    core: float = 0.0
    active_at_year_end: bool = True
    eligible: bool = True
    prior_year_distribution: float = 0.0
    was_key_employee: bool = False


def _table(conn, work: str, name: str, columns: str) -> None:
    """Create `name` with `columns`, or add those it lacks to the table already there."""
    conn.execute(f"create table if not exists {work}.{name} ({columns})")
    for column in columns.split(", "):
        conn.execute(f"alter table {work}.{name} add column if not exists {column}")


def _insert(conn, sql: str, rows: list[tuple]) -> None:
    if rows:  # executemany refuses an empty list
        conn.executemany(sql, rows)


def write_top_heavy_inputs(conn, work: str, members: list[Member], year: int, design: str = "default") -> None:
    """Write the upstream tables the top-heavy models read, holding `members` (may be empty);
    tables another harness made already (the ADP/ACP one) gain the columns they lack. The
    work file is marked as holding `year` (int_employee_compensation_by_year, which dbt by hand
    checks before building a step from inputs it does not build itself).

    Balances sit in the opening (stg_year_start_state) and the closing (int_employee_accounts,
    employee_deferral source) columns alike, so either determination date sees them."""
    conn.execute(f"create or replace table {work}.int_employee_compensation_by_year as select {int(year)} as simulation_year")
    _table(conn, work, "stg_year_start_state", "plan_design_id varchar, employee_id varchar, "
           "lookback_compensation decimal(14,2), employee_deferral_balance decimal(14,2), "
           "employer_match_balance decimal(14,2), employer_core_balance decimal(14,2)")
    _insert(conn, f"insert into {work}.stg_year_start_state by name select ? as plan_design_id, ? as employee_id, "
                     "? as lookback_compensation, ? as employee_deferral_balance, 0 as employer_match_balance, "
                     "0 as employer_core_balance",
                     [(design, m.employee_id, m.determination_pay, m.balance) for m in members])
    _table(conn, work, "stg_top_heavy_history", "plan_design_id varchar, employee_id varchar, "
           "prior_year_distribution decimal(14,2), was_key_employee boolean")
    _insert(conn, f"insert into {work}.stg_top_heavy_history values (?, ?, ?, ?)",
                     [(design, m.employee_id, m.prior_year_distribution, m.was_key_employee) for m in members])
    # The census model lives in the database file, not the work file.
    _table(conn, "main", "stg_census_data", "employee_id varchar, is_owner_5pct boolean, is_owner_1pct boolean, "
           "is_officer boolean")
    _insert(conn, "insert into main.stg_census_data values (?, ?, ?, ?)",
                     [(m.employee_id, m.owner_5pct, m.owner_1pct, m.officer) for m in members])
    _table(conn, work, "int_hce_determination", "plan_design_id varchar, employee_id varchar, is_hce boolean, "
           "hce_basis varchar")
    _table(conn, work, "int_irs_limits", "limit_year integer, compensation_limit decimal(14,2), "
           "key_employee_compensation decimal(14,2)")
    if not conn.execute(f"select count(*) from {work}.int_irs_limits").fetchone()[0]:
        conn.execute(f"insert into {work}.int_irs_limits (limit_year, compensation_limit) values "
                     "(2024, 345000), (2025, 350000), (2026, 360000)")
    # IRS Notices 2023-75, 2024-80, 2025-67: the IRC 416(i)(1)(A)(i) officer amounts.
    conn.execute(f"update {work}.int_irs_limits set key_employee_compensation = case limit_year "
                 "when 2024 then 220000 when 2025 then 230000 when 2026 then 235000 end")
    employed = [m for m in members if m.pay is not None]
    _table(conn, work, "int_employee_contributions", "plan_design_id varchar, employee_id varchar, "
           "employment_status varchar, is_eligible boolean, capped_compensation decimal(14,2), "
           "employee_deferral decimal(14,2), catch_up_contribution decimal(14,2), "
           "employer_match_amount decimal(14,2), employer_core_amount decimal(14,2)")
    _insert(conn, f"insert into {work}.int_employee_contributions values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     [(design, m.employee_id, "active" if m.active_at_year_end else "terminated", m.eligible, m.pay,
                       m.deferral, m.catch_up, m.match, m.core) for m in employed])
    _table(conn, work, "int_employee_accounts", "plan_design_id varchar, employee_id varchar, source varchar, "
           "closing_balance decimal(14,2), distribution decimal(14,2), forfeitures_allocated decimal(14,2)")
    _insert(conn, f"insert into {work}.int_employee_accounts values (?, ?, 'employee_deferral', ?, 0, 0)",
                     [(design, m.employee_id, m.balance) for m in employed])
    _table(conn, work, "int_workforce_snapshot_optimized", "employee_id varchar, prorated_annual_compensation decimal(14,2)")
    _insert(conn, f"insert into {work}.int_workforce_snapshot_optimized values (?, ?)",
                     [(m.employee_id, m.determination_pay) for m in employed])
