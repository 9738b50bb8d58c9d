"""`navigator report`: one self-contained HTML file of a scenario design's years.

Charts are inline SVG drawn here in Python (no JavaScript library, no CDN, no network): the file
opens offline and can be mailed or archived as is. A few lines of inline script only count the
charts that rendered with visible marks and record it on <body data-charts-drawn="N">, which the
browser test reads.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any, Callable

import duckdb

from navigator_orchestrator.files import write_atomically
from navigator_orchestrator.reporting.files import REPORTS_DIR, report_directory
from navigator_orchestrator.identity import Identity
from navigator_orchestrator.reporting.console import dq_line
from navigator_orchestrator.reporting.ndt import ndt_html
from navigator_orchestrator.reporting.summary import DEFERRAL_BUCKETS, YearFigures, deferral_distribution, dq_results, scenario_figures

COLORS = ["#1f6feb", "#d1242f", "#f0883e", "#2da44e", "#8250df", "#6e7781"]
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 680, 260, 70, 180, 20, 30

CHART_CHECK = """
(function () {
  var drawn = 0, charts = document.querySelectorAll('svg.chart');
  charts.forEach(function (svg) {
    var box = svg.getBoundingClientRect(), marks = 0;
    svg.querySelectorAll('.mark').forEach(function (m) {
      var b = m.getBBox();
      if (b.width > 0 || b.height > 0) { marks++; }
    });
    if (box.width > 0 && box.height > 0 && marks > 0) { drawn++; svg.setAttribute('data-drawn', marks); }
  });
  document.body.setAttribute('data-charts-total', charts.length);
  document.body.setAttribute('data-charts-drawn', drawn);
})();
"""

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #1f2328; max-width: 1100px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.fail { color: #d1242f; font-weight: bold; } .pass { color: #2da44e; }
svg.chart { display: block; margin: 0.5em 0; font-size: 11px; }
.note { color: #57606a; } .wide { overflow-x: auto; }
"""


def _nice_max(value: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 times a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if value <= step * magnitude * (1 + 1e-9):
            return step * magnitude
    return value


SHARE_STEP = 0.002  # 0.2 percentage points between grid lines at the least


def value_axis(low: float, high: float, share: bool = False) -> tuple[float, float]:
    """(bottom, top) of a y-axis fitted to values from `low` to `high`: a margin of a tenth of the
    range (5% of the value when all are equal) on each side, widened to a round step of a quarter
    of the axis; never below 0 for values that are not, and never above 1 (100%) for a share
    (`share`: fractions of 1) whose values are not; a share's step is at least SHARE_STEP so the
    labels, printed to a tenth of a percent, stay distinct. A chart drawn from zero passes low=0."""
    span = high - low
    margin = span * 0.1 if span else (abs(high) * 0.05 or 0.01)
    lo, hi = low - margin, high + margin
    if low >= 0:
        lo = max(lo, 0.0)
    step = max(_nice_max((hi - lo) / 4), SHARE_STEP if share else 0.0)
    bottom = math.floor(lo / step + 1e-9) * step
    top = math.ceil(hi / step - 1e-9) * step
    if share and high <= 1:
        top = min(top, 1.0)
    return (0.0 if low >= 0 and bottom < 0 else bottom), (top if top > bottom else bottom + step)


def _fmt_num(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.1f}M"
    if abs(v) >= 1e3 and v == int(v):
        return f"{v:,.0f}"
    return f"{v:,.4g}"


def _fmt_pct(v: float) -> str:
    return f"{v:.1%}"


def frame(title: str, ymin: float, ymax: float, fmt: Callable[[float], str], years: list[int],
          x_of: Callable[[int], float]) -> list[str]:
    """The opening <svg> of a chart: title, five grid lines from ymin to ymax, the years below."""
    parts = [f'<svg class="chart" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
             f'aria-label="{escape(title)}">']
    plot_h = H - PAD_T - PAD_B
    for i in range(5):
        v = ymin + (ymax - ymin) * i / 4
        y = PAD_T + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eaeef2"/>')
        parts.append(f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(v))}</text>')
    for i, year in enumerate(years):
        parts.append(f'<text x="{x_of(i):.1f}" y="{H - 10}" text-anchor="middle">{year}</text>')
    return parts


def _legend(names: list[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = PAD_T + 14 * i
        out.append(f'<rect x="{W - PAD_R + 12}" y="{y}" width="10" height="10" fill="{COLORS[i % 6]}"/>'
                   f'<text x="{W - PAD_R + 26}" y="{y + 9}">{escape(name)}</text>')
    return out


def bar_chart(title: str, years: list[int], series: dict[str, list[float]], stacked: bool = False,
              fmt: Callable[[float], str] = _fmt_num) -> str:
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    slot = plot_w / max(len(years), 1)
    names = list(series)
    totals = [sum(series[n][i] for n in names) for i in range(len(years))]
    ymax = _nice_max(max(totals if stacked else [v for n in names for v in series[n]] or [0]))
    parts = frame(title, 0.0, ymax, fmt, years, lambda i: PAD_L + slot * (i + 0.5))
    width = slot * 0.7 / (1 if stacked else len(names))
    for i in range(len(years)):
        base = PAD_T + plot_h
        for k, name in enumerate(names):
            v = series[name][i] or 0.0
            h = plot_h * v / ymax
            x = PAD_L + slot * i + slot * 0.15 + (0 if stacked else width * k)
            y = base - h
            parts.append(f'<rect class="mark" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                         f'fill="{COLORS[k % 6]}"><title>{escape(name)} {years[i]}: {escape(fmt(v))}</title></rect>')
            if stacked:
                base = y
    parts += _legend(names) + ["</svg>"]
    return "\n".join(parts)


def line_chart(title: str, years: list[int], series: dict[str, list[float | None]],
               fmt: Callable[[float], str] = _fmt_pct) -> str:
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    slot = plot_w / max(len(years), 1)
    _, ymax = value_axis(0.0, max([v for vals in series.values() for v in vals if v is not None] or [0]),
                         share=fmt is _fmt_pct)
    x_of = lambda i: PAD_L + slot * (i + 0.5)  # noqa: E731
    parts = frame(title, 0.0, ymax, fmt, years, x_of)
    for k, (name, values) in enumerate(series.items()):
        points = [(x_of(i), PAD_T + plot_h - plot_h * v / ymax) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline class="mark" points="{path}" fill="none" stroke="{COLORS[k % 6]}" stroke-width="2"/>')
        for (x, y), v in zip(points, [v for v in values if v is not None]):
            parts.append(f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{COLORS[k % 6]}">'
                         f'<title>{escape(name)}: {escape(fmt(v))}</title></circle>')
    parts += _legend(list(series)) + ["</svg>"]
    return "\n".join(parts)


def _figures_table(figures: list[YearFigures]) -> str:
    cols = YearFigures.columns()
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in cols)
    rows = []
    for f in figures:
        cells = []
        for c, v in asdict(f).items():
            if v is None:
                text = "n/a"
            elif c.endswith(("_pct", "_rate", "_pct_of_pay")):
                text = f"{v:.2%}"
            elif isinstance(v, float):
                text = f"{v:,.2f}"
            else:
                text = f"{v:,}" if c != "year" else str(v)
            cells.append(f"<td>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class=\"wide\"><table><tr>{head}</tr>{''.join(rows)}</table></div>"


def _dq_section(dq: list[dict[str, Any]] | None) -> str:
    if dq is None:
        return '<p class="note">No data-quality results recorded.</p>'
    if not dq:
        return '<p class="note">Data-quality checks recorded no results for these years.</p>'
    cols = list(dq[0])
    head = "".join(f"<th>{escape(c.replace('_', ' '))}</th>" for c in cols)
    rows = []
    for d in dq:
        cls = "pass" if str(d.get("status", "")).lower() == "pass" else "fail"
        rows.append("<tr>" + "".join(
            f'<td class="{cls if c == "status" else ""}">{escape("" if d[c] is None else str(d[c]))}</td>'
            for c in cols) + "</tr>")
    return (f"<p>{escape(dq_line(dq))}.</p>"
            f"<table><tr>{head}</tr>{''.join(rows)}</table>")


def render(scenario_id: str, plan_design_id: str, figures: list[YearFigures], distribution: dict[int, dict[str, int]],
           dq: list[dict[str, Any]] | None, database: str, ndt: str | None = None) -> str:
    years = [f.year for f in figures]
    charts = [
        ("Headcount", bar_chart("Actives at start and end of year", years, {
            "start actives": [f.start_actives for f in figures],
            "end actives": [f.end_actives for f in figures]})),
        ("Events", bar_chart("Workforce events per year", years, {
            "hires": [f.hires for f in figures],
            "experienced terminations": [f.experienced_terminations for f in figures],
            "new-hire terminations": [f.new_hire_terminations for f in figures],
            "promotions": [f.promotions for f in figures]})),
    ]
    charts.append(("Participation and average deferral", line_chart("Participation", years, {
        "participation rate": [f.participation_rate for f in figures],
        "average deferral rate": [f.average_deferral_rate for f in figures]})))
    labels = [label for _, _, label in DEFERRAL_BUCKETS]
    charts.append(("Deferral rate distribution (enrolled year-end actives)", bar_chart(
        "Deferral distribution", years,
        {label: [distribution.get(y, {}).get(label, 0) for y in years] for label in labels},
        stacked=True)))
    charts.append(("Employer cost (match + core)", bar_chart("Employer cost", years, {
        "employer match": [float(f.employer_match) for f in figures],
        "employer core": [float(f.employer_core) for f in figures]}, stacked=True)
        + "<p>Cost as % of pay: " + ", ".join(
            f"{f.year} {_fmt_pct(f.cost_pct_of_pay or 0)}" for f in figures) + "</p>"))
    body = [f"<h1>PlanWise Navigator — scenario {escape(scenario_id)}, design {escape(plan_design_id)}, "
            f"{years[0]}–{years[-1]}</h1>",
            f'<p class="note">Database {escape(database)}; generated '
            f'{datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}. Definitions: docs/reports.md.</p>']
    for title, svg in charts:
        body.append(f"<h2>{escape(title)}</h2>\n{svg}")
    body.append("<h2>Year-over-year figures</h2>" + _figures_table(figures))
    if ndt is not None:
        body.append("<h2>Nondiscrimination and top-heavy tests (ADP, ACP, IRC 416)</h2>" + ndt)
    body.append("<h2>Data quality</h2>" + _dq_section(dq))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>PlanWise Navigator report — {escape(scenario_id)} / {escape(plan_design_id)}</title><style>{CSS}</style></head>"
            "<body>\n" + "\n".join(body) + f"\n<script>{CHART_CHECK}</script>\n</body></html>\n")


def write_report(conn: duckdb.DuckDBPyConnection, identity: Identity, out: Path | None = None) -> Path:
    """Write the report of one (database, scenario, design); the default file is
    reports/<database tag>/<scenario>/<design>/simulation_report_<scenario>_<design>_FIRST_LAST.html.
    Raises ValueError when the database holds no published year of the pair, OSError naming the
    file when it cannot be written."""
    scenario_id, design, database = identity.scenario_id, identity.plan_design_id, str(identity.database)
    figures = scenario_figures(conn, scenario_id, design)
    if not figures:
        raise ValueError(f"{database} holds no published years for scenario '{scenario_id}', design '{design}'; "
                         "run `navigator run` first or pass the right -c/--database/--plan-design")
    html = render(scenario_id, design, figures, deferral_distribution(conn, scenario_id, design),
                  dq_results(conn, scenario_id, design), database, ndt_html(conn, scenario_id, [design]))
    out = Path(out or report_directory(REPORTS_DIR, identity) /
               f"simulation_report_{scenario_id}_{design}_{figures[0].year}_{figures[-1].year}.html")
    return write_atomically(out, html, durable=False)
