"""The HTML comparison report of `navigator compare --out FILE.html`: one self-contained file a
consultant can hand a client, and print to PDF.

Sections: every design in plain words (eligibility, auto-enrollment, escalation, match formula,
core contribution with their service, hours and last-day rules, vesting schedules, the use of
forfeitures, the accounts' investment return), the baseline/compare/variance table, charts (employer cost per year per
design; participation and average deferral rate each on their own axis), who gains and who loses,
the note on estimated IRS limits, and an appendix with the data-quality results (check names,
statuses and messages; no machine paths). Charts are inline SVG (reporting/html.py); print CSS
puts the pages in landscape and lets tables wrap so no column is cut off.
"""

from __future__ import annotations

import calendar

from datetime import datetime, timezone
from html import escape
from typing import Any

from navigator_orchestrator.config.accounts import schedule_steps
from navigator_orchestrator.config.safe_harbor import STATUS_TEXT, safe_harbor_status
from navigator_orchestrator.config.schema import SimulationConfig
from navigator_orchestrator.reporting.compare import COLUMNS, GAIN_COLUMNS, NDT_COLUMNS, Comparison
from navigator_orchestrator.reporting.compare_output import cell_text
from navigator_orchestrator.reporting.html import CHART_CHECK, _fmt_num, bar_chart, line_chart

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #1f2328; max-width: 1100px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.5em 0; width: 100%; table-layout: auto; }
th, td { border: 1px solid #d0d7de; padding: 3px 6px; text-align: right; overflow-wrap: anywhere; }
th { background: #f6f8fa; } th:first-child, td:first-child { text-align: left; }
tr.total td { font-weight: bold; border-top: 2px solid #57606a; }
td.text, th.text { text-align: left; }
svg.chart { display: block; margin: 0.5em 0; font-size: 11px; max-width: 100%; height: auto; }
.note { color: #57606a; } dl.design dt { font-weight: bold; margin-top: 0.6em; } dl.design dd { margin-left: 1.2em; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 10px; }
  table { font-size: 9px; page-break-inside: auto; } tr { page-break-inside: avoid; }
  h2 { page-break-after: avoid; } svg.chart { page-break-inside: avoid; }
}
"""

# Checks in the browser that no table is wider than the page: records the widest overflow in
# pixels on <body data-overflow-px="N"> (0: nothing cut off), which the browser test reads.
OVERFLOW_CHECK = """
(function () {
  var page = document.body.clientWidth, worst = 0;
  document.querySelectorAll('table').forEach(function (t) {
    worst = Math.max(worst, Math.ceil(t.scrollWidth - page), Math.ceil(t.getBoundingClientRect().right - page -
      document.body.getBoundingClientRect().left));
  });
  document.body.setAttribute('data-overflow-px', Math.max(0, worst));
})();
"""


def _month_day(value: str) -> str:
    """A config month-day (MM-DD, validated by the config) in words: 01-01 -> January 1."""
    month, day = (int(part) for part in value.split("-"))
    return f"{calendar.month_name[month]} {day}"


def _pct(v: float) -> str:
    return f"{v * 100:.4g}%"


def _years(n: int) -> str:
    return f"{n} year{'' if n == 1 else 's'}"


def describe_vesting(schedule: Any) -> str:
    """A vesting schedule (a name or a list of {years, percent}) in plain words, e.g. 'graded over
    6 years: 20% after 2 years of service, +20% a year'."""
    steps = schedule_steps(schedule)
    pct = [f"{float(p):g}%" for _, p in steps]
    if steps[0][1] == 100:
        return "immediate (100% vested from the first day)" if steps[0][0] == 0 else \
            f"cliff: 0% until 100% after {_years(steps[0][0])} of service"
    first_years = steps[0][0]
    rises = {p2 - p1 for (_, p1), (_, p2) in zip(steps, steps[1:])}
    yearly = all(y2 - y1 == 1 for (y1, _), (y2, _) in zip(steps, steps[1:]))
    if yearly and len(rises) == 1:
        detail = f"{pct[0]} after {_years(first_years)} of service, +{float(rises.pop()):g}% a year"
    else:
        detail = ", ".join(f"{p} after {_years(y)}" for (y, _), p in zip(steps, pct)) + " of service"
    return f"graded over {_years(steps[-1][0])}: {detail}"


def _conditions(el: Any) -> str:
    """The allocation conditions of a match or core contribution in plain words."""
    tenure = f"{_years(el.minimum_tenure_years)} of service, " if el.minimum_tenure_years else ""
    rule = "; last-day rule (active at year end)" if el.require_active_at_year_end else "; no last-day rule"
    return f"{tenure}{el.minimum_hours_annual:,} hours required{rule}"


def _match_period(match: Any, frequency: str) -> str:
    """What the match formula is applied to, in plain words."""
    if match.calculation_period == "annual":
        return "calculated on the year's pay and deferrals"
    pay = frequency.replace("_", "-")
    if match.true_up:
        return f"calculated each {pay} payroll, trued up to the annual formula at year end"
    return f"calculated each {pay} payroll with no true-up (stops when deferrals stop at the 402(g) limit)"


FORFEITURE_USE = {"reduce_employer_contributions": "are used to reduce the employer's contributions",
                  "pay_expenses": "are used to pay plan expenses",
                  "reallocate": "are reallocated to participants"}


BAND_UNITS = {"service": "years of service", "points": "points"}
BASIS_TEXT = {"service": "years of service", "age": "age", "points": "points (age + years of service)"}


def _band(lo: int, hi: int | None, basis: str) -> str:
    if basis == "age":
        return f"ages {lo} and over" if hi is None else f"ages {lo} to {hi}"
    return f"{lo} or more {BAND_UNITS[basis]}" if hi is None else f"{lo} to {hi} {BAND_UNITS[basis]}"


def describe_match(formula: Any) -> str:
    """The active match formula in words: its tiers and cap, per band for a banded formula."""
    def tiers_text(tiers: list, cap: float) -> str:
        parts = [f"{_pct(t.match_rate)} of deferrals between {_pct(t.employee_min)} and {_pct(t.employee_max)} of pay"
                 if t.employee_min else f"{_pct(t.match_rate)} of deferrals up to {_pct(t.employee_max)} of pay"
                 for t in sorted(tiers, key=lambda t: t.employee_min)]
        return f"{', then '.join(parts)}, at most {_pct(cap)} of pay"

    bands = formula.band_list()
    if formula.band_basis == "none":
        return tiers_text(bands[0][2], bands[0][3])
    return f"by {BASIS_TEXT[formula.band_basis]} on Dec 31: " + "; ".join(
        f"{_band(lo, hi, formula.band_basis)}: {tiers_text(tiers, cap)}" for lo, hi, tiers, cap in bands)


def describe_core(core: Any) -> str:
    """The core formula in words: flat, graded by service, age or points, or integrated."""
    ssi = core.social_security_integration
    if ssi.enabled:
        level = (f"${ssi.integration_level:,.0f}" if ssi.integration_level != "taxable_wage_base" else
                 "the Social Security taxable wage base" if ssi.wage_base_fraction == 1 else
                 f"{_pct(ssi.wage_base_fraction)} of the Social Security taxable wage base")
        return (f"{_pct(core.contribution_rate)} of pay plus {_pct(ssi.excess_rate)} of pay above {level} "
                "(integrated with Social Security)")
    grades = sorted(core.grades, key=lambda g: g.band[0])
    if not grades:
        return f"{_pct(core.contribution_rate)} of pay"
    basis = core.grade_basis
    closed = [(g.band[0], g.band[1] if g.band[1] is not None or n is None else n.band[0] - 1, g.rate)
              for g, n in zip(grades, [*grades[1:], None])]
    first = grades[0].band[0]
    below = "" if first == 0 else (f"; {_pct(core.contribution_rate)} below "
                                   + (f"age {first}" if basis == "age" else f"{first} {BAND_UNITS[basis]}"))
    return (f"graded by {BASIS_TEXT[basis]} on Dec 31 (" + "; ".join(f"{_pct(r)} at {_band(lo, hi, basis)}" for lo, hi, r in closed)
            + below + ")")


def describe_design(config: SimulationConfig) -> list[str]:
    """The design's plan in plain words, one sentence per plan section."""
    el, ae = config.eligibility, config.enrollment.auto_enrollment
    esc, match, core = config.deferral_auto_escalation, config.employer_match, config.employer_core_contribution
    entry = {"immediate": "on the day the requirements are met", "monthly": "on the first of the next month",
             "quarterly": "on the next quarter's first day"}[el.entry_dates]
    wait = f"after {el.waiting_period_days} days of service" if el.waiting_period_days else "with no waiting period"
    lines = [f"Eligibility: from age {el.minimum_age}, {wait}; entry {entry}."]
    if ae.enabled:
        scope = "new hires" if ae.scope == "new_hires_only" else "all eligible employees not yet participating"
        lines.append(f"Auto-enrollment: {scope} are enrolled at {_pct(ae.default_deferral_rate)} of pay "
                     f"{ae.window_days} days after entry unless they choose otherwise; they may opt out within "
                     f"{ae.opt_out_grace_period_days} days.")
    else:
        lines.append("Auto-enrollment: none; employees enroll on their own.")
    mr = config.enrollment.match_responsiveness
    if mr.enabled and match.enabled:
        lines.append(f"Match-responsive saving: {_pct(mr.share)} of those who choose a rate below the one "
                     "earning the full match choose that rate.")
    if esc.enabled:
        lines.append(f"Automatic escalation: deferral rates rise by {_pct(esc.increment_amount)} of pay each year "
                     f"on {_month_day(esc.effective_day)}, up to {_pct(esc.maximum_rate)}.")
    else:
        lines.append("Automatic escalation: none.")
    if match.enabled:
        formula = match.formulas[match.active_formula]
        lines.append(f"Employer match ({formula.name}): {describe_match(formula)}; {_conditions(match.eligibility)}; "
                     f"{_match_period(match, config.payroll.frequency)}.")
    else:
        lines.append("Employer match: none.")
    if core.enabled:
        lines.append(f"Employer core (non-elective) contribution: {describe_core(core)}, whether or not the "
                     f"employee defers; {_conditions(core.eligibility)}.")
    else:
        lines.append("Employer core contribution: none.")
    v = config.vesting
    lines.append(f"Vesting: match {describe_vesting(v.match)}; core {describe_vesting(v.core)}. "
                 f"Forfeitures of unvested money {FORFEITURE_USE[v.forfeiture_use]}.")
    ret = config.accounts.annual_return
    ret_text = (f"{_pct(ret)} a year" if not isinstance(ret, dict) else
                ", then ".join(f"{_pct(r)} a year from {y}" for y, r in sorted(ret.items())))
    lines.append(f"Account balances: investment return of {ret_text}.")
    if config.ndt.safe_harbor != "none":
        status = safe_harbor_status(config)
        run = config.ndt.enabled
        met = ("met" + (": the ADP test is not run" if run else "") if status.adp_exempt
               else f"not met ({STATUS_TEXT[status.adp]})" + (": the ADP test is run" if run else ""))
        lines.append(f"Safe harbor claimed: {config.ndt.safe_harbor.replace('_', ' ')}, {met}.")
    return lines


def _table(columns: list[str], rows: list[dict[str, Any]], text_columns: set[str]) -> str:
    head = "".join(f'<th class="{"text" if c in text_columns else ""}">{escape(c.replace("_", " "))}</th>'
                   for c in columns)
    body = []
    for row in rows:
        cls = ' class="total"' if row.get("simulation_year") == "total" else ""
        body.append(f"<tr{cls}>" + "".join(
            f'<td class="{"text" if c in text_columns else ""}">{escape(cell_text(c, row[c]))}</td>' for c in columns)
            + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _charts(c: Comparison) -> list[tuple[str, str]]:
    years = list(range(c.years[0], c.years[1] + 1))
    by = {(r["plan_design_id"], r["simulation_year"]): r for r in c.rows}

    def series(column: str) -> dict[str, list[float | None]]:
        return {d: [None if by[(d, str(y))][column] is None else float(by[(d, str(y))][column]) for y in years]
                for d in c.designs}

    return [
        ("Employer cost per year, by design", bar_chart("Employer cost", years, series("employer_cost"), fmt=_fmt_num)),
        ("Net employer cost per year (after forfeitures used against it), by design",
         bar_chart("Net employer cost", years, series("net_employer_cost"), fmt=_fmt_num)),
        ("Participation rate, by design", line_chart("Participation rate", years, series("participation_rate"))),
        ("Average deferral rate of participants, by design",
         line_chart("Average deferral rate", years, series("average_deferral_rate"))),
    ]


def _dq(dq: list[dict[str, Any]] | None) -> str:
    if not dq:
        return "<p>No data-quality results were recorded for these years.</p>"
    cols = [c for c in ("plan_design_id", "simulation_year", "check_name", "severity", "status", "message") if c in dq[0]]
    rows = [{c: ("" if r.get(c) is None else str(r.get(c))) for c in cols} for r in dq]
    passed = sum(1 for r in dq if str(r.get("status")).lower() == "pass")
    return (f"<p>{passed} of {len(dq)} checks passed.</p>" + _table(cols, rows, set(cols)))


def render(c: Comparison, describe: dict[str, list[str]], dq: list[dict[str, Any]] | None) -> str:
    first, last = c.years
    body = [f"<h1>Plan design comparison — scenario {escape(c.scenario_id)}, {first}–{last}</h1>",
            f'<p class="note">Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}. Every design is simulated '
            "on the same workforce with the same random draws, so differences are the effect of the design. "
            f"Baseline: <b>{escape(c.baseline)}</b>. Definitions: docs/reports.md.</p>",
            "<h2>The designs</h2><dl class=\"design\">"]
    for design in c.designs:
        label = f"{design} (baseline)" if design == c.baseline else design
        lines = describe.get(design) or ["Not described by this configuration."]
        body.append(f"<dt>{escape(label)}</dt>" + "".join(f"<dd>{escape(line)}</dd>" for line in lines))
    body.append("</dl>")
    body.append("<h2>Baseline, designs and variance</h2>" + _table(COLUMNS[1:], c.rows, {"plan_design_id", "simulation_year"}))
    for title, svg in _charts(c):
        body.append(f"<h2>{escape(title)}</h2>\n{svg}")
    body.append("<h2>Who gains and who loses</h2><p>Employer money (match + core) per employee over "
                f"{first}–{last}, each design against {escape(c.baseline)}; bands as of the employee's last "
                "year in the range. Better off / worse off: a change of more than half a cent.</p>")
    for design in c.designs:
        rows = [r for r in c.gain_loss if r["plan_design_id"] == design]
        if rows:
            body.append(f"<h3>{escape(design)} vs {escape(c.baseline)}</h3>"
                        + _table(GAIN_COLUMNS[1:], rows, {"dimension", "band"}))
    if c.ndt:
        tested = [r for r in c.ndt if r["test"] != "top_heavy"]
        failed = [r for r in tested if r["result"] == "fail"]
        heavy = [r for r in c.ndt if r["result"] == "top-heavy"]
        shown = [col for col in NDT_COLUMNS if col != "in_words"]
        words = "".join(f"<li>{escape(r['plan_design_id'])} {escape(r['simulation_year'])}: {escape(r['in_words'])}</li>"
                        for r in c.ndt)
        body.append("<h2>Nondiscrimination and top-heavy tests (ADP, ACP, top-heavy)</h2><p>Each design and year: "
                    "pass, fail, or exempt as a qualifying safe harbor (IRC 401(k)(3), 401(m)(2), 401(k)(12)); "
                    "averages and limit in percent of pay; the corrective amount is the correction the design's "
                    "ndt.correction selects (corrective distributions to HCEs or a QNEC to NHCEs). Top-heavy (IRC "
                    "416): the key employees' share of the account balances against the 60% limit, and the minimum "
                    f"contribution owed to non-key employees when above it. {len(failed)} of {len(tested)} ADP/ACP "
                    f"tests fail; {len(heavy)} design-year(s) top-heavy.</p>"
                    + _table(shown, c.ndt, {"plan_design_id", "simulation_year", "test", "result", "method",
                                            "safe_harbor_status", "correction"})
                    + f"<h3>In words</h3><ul>{words}</ul>")
    if c.untested_note():
        body.append(f'<p class="note"><b>Not tested.</b> {escape(c.untested_note())}</p>')
    if c.estimated_limit_years:
        years = ", ".join(map(str, c.estimated_limit_years))
        verb = "uses" if len(c.estimated_limit_years) == 1 else "use"
        body.append(f'<p class="note"><b>Estimated IRS limits.</b> {escape(years)} {verb} 402(g), catch-up, 401(a)(17) '
                    "and 415(c) limits projected from the last year the IRS published; figures for these years "
                    "change when the IRS announces the actual limits.</p>")
    body.append("<h2>Appendix: data quality</h2>" + _dq(dq))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Plan design comparison — {escape(c.scenario_id)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + f"\n<script>{CHART_CHECK}{OVERFLOW_CHECK}</script>\n</body></html>\n")
