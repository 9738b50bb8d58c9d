"""Plan section `payroll`: how often pay is paid, the periods a per-payroll match is computed on
(`employer_match.calculation_period: pay_period`; docs/plan.md, "Per-payroll match and true-up").

Periods: `monthly` the calendar months; `semi_monthly` the 1st-15th and the 16th-last day of
each month; `weekly` and `biweekly` 7 or 14 days from Jan 1, the last period of the year running
to Dec 31 (dbt model int_pay_period_contributions).
"""

from __future__ import annotations

from typing import Literal

from navigator_orchestrator.config.base import _Section

# Payroll periods a year by frequency: the plan parameter `payroll_periods_per_year`.
PERIODS_PER_YEAR = {"weekly": 52, "biweekly": 26, "semi_monthly": 24, "monthly": 12}


class PayrollSettings(_Section):
    frequency: Literal["weekly", "biweekly", "semi_monthly", "monthly"] = "biweekly"
