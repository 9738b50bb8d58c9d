"""Row-level census rules: (problem name, contract columns, SQL condition on a parsed row, fix).

Conditions read the temp table `census` built by intake: one row per data row with the parsed
value of every contract column (NULL when absent, blank or unreadable), `<column>__bad` (a
value is there but cannot be read), `<date>__slash` (a slash date the file's order cannot
read), `<date>__yy` (written with a two-digit year) and `current_termination` (the
termination of the current employment: a termination before the rehire date ended an
earlier one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from navigator_orchestrator.census.columns import REQUIRED_COLUMNS
from navigator_orchestrator.census.parse import ACCOUNT_COLUMNS, DATE_COLUMNS

# Dates HR and payroll systems write when the real one is unknown (Excel's day 0 and 1, the
# SQL Server and .NET minimums, "open-ended" end dates). 1970-01-01 is not among them: it is
# a real birth date for people aged 54 in 2024.
PLACEHOLDER_DATES: tuple[str, ...] = ("0001-01-01", "1753-01-01", "1800-01-01", "1899-12-30",
                                      "1899-12-31", "1900-01-01", "2999-12-31", "9999-12-31")
MIN_AGE, MAX_AGE = 14, 100  # at the census date, whole years
# A full-time year at the federal minimum wage: $7.25 an hour (Fair Labor Standards Act,
# 29 U.S.C. 206(a)(1)(C)) x 2,080 hours (40 a week x 52 weeks), in dollars.
DEFAULT_PAY_FLOOR = 15_080.0
# The largest annual pay rate a census may give, in dollars. Published pay and money columns
# are DECIMAL(14, 2), below $1,000,000,000,000: this bound leaves a factor of 1,000 for the raises
# of the simulated years (35 years at 22% a year), so a pay that validates never overflows a
# column after a year has been written.
MAX_COMPENSATION = 1_000_000_000
# The largest account balance per source (dollars): the same bound and headroom as pay.
MAX_BALANCE = MAX_COMPENSATION
# Years of vesting service at the census date: at most a working life (14 to 100).
MAX_VESTING_SERVICE_YEARS = MAX_AGE - MIN_AGE


@dataclass
class Rule:
    name: str
    columns: tuple[str, ...]
    condition: str
    fix: str
    warning: bool = False


def _dates(column: str) -> str:
    return column.replace("employee_", "").replace("_", " ")


def row_rules(present: set[str], census_date: date, level_ids: list[int], date_order_problem: str | None,
              pay_floor: float, date_format: str | None) -> list[Rule]:
    """Every row-level rule, in report order. `present`: contract columns the file supplies."""
    cd = f"DATE '{census_date.isoformat()}'"
    levels = ", ".join(str(x) for x in level_ids)
    placeholders = ", ".join(f"DATE '{d}'" for d in PLACEHOLDER_DATES)
    rules = [Rule("duplicate_employee_id", ("employee_id",), "id_rows > 1",
                  "give each person exactly one row; employee_id must be unique")]
    rules += [Rule(f"null_{c}", (c,), f"{c} IS NULL AND NOT {c}__bad"
                   + (f" AND NOT {c}__slash" if c in DATE_COLUMNS else ""),
                   f"fill {c} on every row (it is required)")
              for c in REQUIRED_COLUMNS if c in present]
    two_digit = (" Two-digit years were read as the latest year ending in those digits not after "
                 f"{census_date.year} ({census_date.year + 10} for termination dates); write "
                 "four-digit years if that is wrong.")
    for c in DATE_COLUMNS:
        if c not in present:
            continue
        fmt = (f"setup.census_date_format is {date_format!r}; fix the values or the format"
               if date_format else "write dates as YYYY-MM-DD, M/D/YYYY or D/M/YYYY (or set "
               "setup.census_date_format, a strftime format such as '%d-%b-%Y')")
        rules.append(Rule("unparseable_date", (c,), f"{c}__bad", fmt))
        if date_order_problem == "ambiguous_dates":
            rules.append(Rule("ambiguous_dates", (c,), f"{c}__slash",
                              "no slash date in the file has a day above 12, so 01/02/1980 could be "
                              "2 January or 1 February: set setup.census_date_format ('%m/%d/%Y' "
                              "for month first, '%d/%m/%Y' for day first; '%y' for two-digit "
                              "years) or write YYYY-MM-DD"))
        elif date_order_problem == "inconsistent_date_order":
            rules.append(Rule("inconsistent_date_order", (c,), f"{c}__slash",
                              "the file's slash dates put the day first in some rows (a first "
                              "field above 12) and the month first in others (a second field "
                              "above 12): write every date one way, or set "
                              "setup.census_date_format"))
        rules.append(Rule("placeholder_date", (c,), f"{c} IN ({placeholders})",
                          f"a placeholder, not a real {_dates(c)} ({', '.join(PLACEHOLDER_DATES)} "
                          "are refused): give the real date"
                          + (" or leave it empty" if c not in REQUIRED_COLUMNS else "")))
    rules += [
        Rule("implausible_age", ("employee_birth_date",),
             f"employee_birth_date NOT IN ({placeholders}) AND (employee_birth_date > "
             f"{cd} - INTERVAL {MIN_AGE} YEAR OR employee_birth_date <= {cd} - INTERVAL "
             f"{MAX_AGE + 1} YEAR)",
             f"ages must be {MIN_AGE}-{MAX_AGE} at the census date {census_date}: correct the "
             f"birth dates.{two_digit}"),
        Rule("unparseable_number", ("employee_gross_compensation",),
             "employee_gross_compensation__bad",
             "write pay as a number (85000, 85,000.00, $85,000 or 85.000,00 are read)"),
        Rule("unparseable_number", ("employee_deferral_rate",), "employee_deferral_rate__bad",
             "write rates as 0.06, 6 or 6% (one way for the whole column)"),
        *(Rule("unparseable_number", (c,), f"{c}__bad",
               "write balances as dollar amounts (12500, 12,500.00 or $12,500), or leave the cell empty for 0")
          for c in ACCOUNT_COLUMNS),
        Rule("unparseable_number", ("vesting_service_years",), "vesting_service_years__bad",
             "write vesting service as a number of years (4 or 4.5), or leave the cell empty to count it from the hire date"),
        Rule("unparseable_active", ("active",), "active__bad",
             "write active as true/false, yes/no, Y/N, 1/0 or Active/Terminated (in a column of "
             "Active/Terminated a bare T is ambiguous)"),
        *(Rule(f"unparseable_{c}", (c,), f"{c}__bad", f"write {c} as true/false, yes/no, Y/N or 1/0 (1.0/0.0), blank when unknown")
          for c in ("is_owner_5pct", "is_officer", "is_owner_1pct")),
        Rule("birth_after_hire", ("employee_birth_date", "employee_hire_date"),
             "employee_birth_date > employee_hire_date",
             f"swap or correct the birth and hire dates.{two_digit}"),
        Rule("under_14_at_hire", ("employee_birth_date", "employee_hire_date"),
             "employee_hire_date >= employee_birth_date AND "
             "employee_hire_date < employee_birth_date + INTERVAL 14 YEAR",
             "correct the birth or hire date: people are at least 14 when hired"),
        Rule("termination_before_hire", ("employee_termination_date", "employee_hire_date"),
             "employee_termination_date < employee_hire_date",
             "correct the termination or hire date"),
        Rule("hire_after_census_date", ("employee_hire_date",), f"employee_hire_date > {cd}",
             f"the census is as of {census_date}: drop future hires or use a later census"),
        Rule("rehire_before_hire", ("employee_rehire_date", "employee_hire_date"),
             "employee_rehire_date < employee_hire_date",
             "the rehire date must be on or after the original hire date: correct one of them"),
        Rule("rehire_after_census_date", ("employee_rehire_date",), f"employee_rehire_date > {cd}",
             f"the census is as of {census_date}: drop future rehires or use a later census"),
        Rule("non_positive_compensation", ("employee_gross_compensation",),
             "employee_gross_compensation <= 0", "give the annual pay rate, greater than 0"),
        Rule("compensation_above_bound", ("employee_gross_compensation",),
             f"annual_compensation > {MAX_COMPENSATION}",
             f"give the annual pay rate in dollars, at most {MAX_COMPENSATION:,}"),
        *(Rule("negative_balance", (c,), f"{c} < 0",
               "an account balance cannot be negative: give the balance at the census date ($0 or more)")
          for c in ACCOUNT_COLUMNS),
        *(Rule("balance_above_bound", (c,), f"{c} > {MAX_BALANCE}",
               f"give the balance in dollars, at most {MAX_BALANCE:,}") for c in ACCOUNT_COLUMNS),
        Rule("vesting_service_years_out_of_range", ("vesting_service_years",),
             f"vesting_service_years NOT BETWEEN 0 AND {MAX_VESTING_SERVICE_YEARS}",
             f"vesting service is 0 to {MAX_VESTING_SERVICE_YEARS} years at the census date: correct it, or "
             "leave it empty to count it from the hire date"),
        Rule("deferral_rate_out_of_range", ("employee_deferral_rate",),
             "employee_deferral_rate NOT BETWEEN 0 AND 1",
             "deferral rates must lie between 0% and 100%"),
        Rule("active_contradicts_termination", ("active", "employee_termination_date"),
             f"(active AND current_termination <= {cd}) OR (NOT active AND current_termination "
             "IS NULL AND NOT employee_termination_date__bad)",
             f"an active person has no termination on or before {census_date} (a termination "
             "before the rehire date ended an earlier employment); an inactive one needs one"),
        Rule("inactive_with_future_termination", ("active", "employee_termination_date"),
             f"NOT active AND current_termination > {cd}",
             f"someone who leaves after the census date {census_date} is still employed on it: "
             "mark the row active (the departure is then simulated on that date) or correct "
             "the date"),
        Rule("invalid_level_id", ("level_id",), f"level_id__bad OR (level_id IS NOT NULL AND "
             f"(level_id <> floor(level_id) OR level_id NOT IN ({levels})))",
             f"use a level_id from config_job_levels ({levels}) or leave it empty"),
        Rule("possible_year_to_date_pay", ("employee_gross_compensation",),
             f"is_active AND annual_compensation > 0 AND annual_compensation < {float(pay_floor)!r}",
             f"pay below the floor of ${pay_floor:,.0f} a year (setup.census_pay_floor): if these "
             "are year-to-date amounts, set setup.compensation_basis: year_to_date",
             warning=True),
        Rule("rehire_break_unknown", ("employee_rehire_date", "employee_termination_date"),
             f"is_active AND employee_rehire_date <= {cd} AND employee_rehire_date > "
             "employee_hire_date AND NOT coalesce(employee_termination_date < "
             "employee_rehire_date, false)",
             "no termination date before the rehire date, so the break in service cannot be "
             "measured and service counts from the rehire date; give the earlier employment's "
             "termination date to credit its service", warning=True),
    ]
    return [r for r in rules if all(c in present for c in r.columns)
            or r.name in ("active_contradicts_termination", "inactive_with_future_termination")
            and "active" in present]
