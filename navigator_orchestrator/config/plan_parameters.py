"""A plan design as data: the plan parameters of one design, as the `plan_designs` dbt var
carries them to int_plan_design_parameters (docs/plan_designs.md says how to add one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from navigator_orchestrator.config.accounts import schedule_steps
from navigator_orchestrator.config.formulas import formula_parameters
from navigator_orchestrator.config.payroll import PERIODS_PER_YEAR

if TYPE_CHECKING:
    from navigator_orchestrator.config.schema import SimulationConfig


def plan_parameters(config: "SimulationConfig") -> dict[str, Any]:
    """`config`'s plan design as data: `plan_design_id` and one value per plan
    parameter (rates as fractions, days, years, ISO dates, dollars; lists for match tiers,
    core grades and sweep years). One element of the `plan_designs` dbt var; the names
    are the columns of int_plan_design_parameters (adding a parameter: docs/plan_designs.md)."""
    el, en, esc = config.eligibility, config.enrollment, config.deferral_auto_escalation
    ae, m, core = en.auto_enrollment, config.employer_match, config.employer_core_contribution
    formula = m.formulas[m.active_formula]
    formulas = formula_parameters(formula, core)
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "plan_design_id": config.effective_plan_design_id,
        "eligibility_minimum_age": el.minimum_age,
        "eligibility_waiting_period_days": el.waiting_period_days,
        "eligibility_entry_dates": el.entry_dates,
        "eligibility_grandfather_census_participants": el.grandfather_census_participants,
        "auto_enrollment_enabled": ae.enabled,
        "auto_enrollment_scope": ae.scope,
        "auto_enrollment_hire_date_cutoff": iso(ae.hire_date_cutoff),
        "auto_enrollment_window_days": ae.window_days,
        "auto_enrollment_default_deferral_rate": ae.default_deferral_rate,
        "opt_out_grace_period_days": ae.opt_out_grace_period_days,
        "opt_out_rate_multiplier": ae.opt_out_rate_multiplier,
        "re_enrollment_sweep_years": sorted(set(ae.re_enrollment_sweep_years)),
        "re_enrollment_sweep_day": ae.re_enrollment_sweep_day,
        "proactive_enrollment_enabled": en.proactive_enrollment.enabled,
        "proactive_enrollment_probability": en.proactive_enrollment.probability,
        "voluntary_enrollment_enabled": en.voluntary_enrollment.enabled,
        "voluntary_enrollment_multiplier": en.voluntary_enrollment.probability_multiplier,
        "deferral_change_probability": en.deferral_change.annual_probability,
        "match_responsive_enabled": en.match_responsiveness.enabled,
        "match_responsive_share": en.match_responsiveness.share,
        "escalation_enabled": esc.enabled,
        "escalation_effective_day": esc.effective_day,
        "escalation_increment": esc.increment_amount,
        "escalation_maximum_rate": esc.maximum_rate,
        "escalation_hire_date_cutoff": iso(esc.hire_date_cutoff),
        "escalation_delay_days": esc.first_escalation_delay_days,
        "match_enabled": m.enabled,
        "match_formula_id": m.active_formula,
        "match_formula_name": formula.name,
        **{k: v for k, v in formulas.items() if k.startswith("match_")},
        "match_minimum_tenure_years": m.eligibility.minimum_tenure_years,
        "match_require_active_at_year_end": m.eligibility.require_active_at_year_end,
        "match_minimum_hours": m.eligibility.minimum_hours_annual,
        "match_calculation_period": m.calculation_period,
        "match_true_up": m.true_up,
        "payroll_periods_per_year": PERIODS_PER_YEAR[config.payroll.frequency],
        "core_enabled": core.enabled,
        **{k: v for k, v in formulas.items() if k.startswith("core_")},
        "core_minimum_tenure_years": core.eligibility.minimum_tenure_years,
        "core_require_active_at_year_end": core.eligibility.require_active_at_year_end,
        "core_minimum_hours": core.eligibility.minimum_hours_annual,
        **_account_vars(config),
        **_ndt_vars(config),
    }

def _account_vars(config: "SimulationConfig") -> dict[str, Any]:
    v = config.vesting

    def steps(schedule: Any) -> list[dict[str, Any]]:
        return [{"years": y, "percent": str(p)} for y, p in schedule_steps(schedule)]

    return {
        "vesting_match_schedule": steps(v.match),
        "vesting_core_schedule": steps(v.core),
        "forfeiture_use": v.forfeiture_use,
        "annual_return": config.accounts.return_steps(),
    }

def _ndt_vars(config: "SimulationConfig") -> dict[str, Any]:
    from navigator_orchestrator.config.safe_harbor import safe_harbor_status

    n, status = config.ndt, safe_harbor_status(config)
    return {
        "ndt_enabled": n.enabled,
        "ndt_testing_method": n.testing_method,
        "ndt_top_paid_group": n.top_paid_group,
        "ndt_first_plan_year": n.first_plan_year,
        "ndt_prior_year_nhce_adp": n.prior_year_nhce_adp,
        "ndt_prior_year_nhce_acp": n.prior_year_nhce_acp,
        "ndt_correction": n.correction,
        "ndt_safe_harbor": n.safe_harbor,
        "ndt_adp_safe_harbor_status": status.adp,
        "ndt_acp_safe_harbor_status": status.acp,
    }
