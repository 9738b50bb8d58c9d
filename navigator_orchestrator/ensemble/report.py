"""`DIR/ensemble_report.html`: the ensemble's ranges, one self-contained file.

In the style of the other reports (reporting/html.py, compare_html.py): inline SVG drawn in
Python, no script library, no network. Per chart metric, one chart per design: the P10-P90 band,
the P25-P75 band inside it and the median line, per year, on an axis fitted to the band's lowest and highest
values with a small margin (reporting/html.value_axis, as the compare charts; a share never above
100%), so a narrow range is still seen. With fewer seeds than the stated minimum
(stats.MIN_SEEDS_FOR_BANDS) no band is drawn: the chart shows the median only and says why.
Then the summary table per metric, the threshold shares, and which seeds the summary covers.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

from navigator_orchestrator.ensemble.layout import REPORT, Ensemble, seed_ranges
from navigator_orchestrator.ensemble.stats import STAT_COLUMNS
from navigator_orchestrator.ensemble.summary import METRICS, Summary
from navigator_orchestrator.files import write_atomically
from navigator_orchestrator.reporting.compare import SHARES
from navigator_orchestrator.reporting.compare_html import CSS, OVERFLOW_CHECK
from navigator_orchestrator.reporting.compare_output import cell_text
from navigator_orchestrator.reporting.html import (CHART_CHECK, COLORS, H, PAD_B, PAD_L, PAD_R, PAD_T, W, _fmt_num, _fmt_pct,
                                                  frame, value_axis)

CHART_METRICS = ("employer_cost", "employer_cost_pct_of_pay", "participation_rate", "average_deferral_rate")
BAND_CSS = "polygon.band-outer { opacity: 0.18; } polygon.band-inner { opacity: 0.35; }"


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def band_chart(title: str, years: list[int], rows: list[dict[str, Any] | None], color: str, share: bool) -> str:
    """P10-P90 and P25-P75 bands and the median per year (bands only where the rows have them)."""
    fmt = _fmt_pct if share else _fmt_num
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    slot = plot_w / max(len(years), 1)
    values = [_float(r[c]) for r in rows if r for c in ("p10", "p50", "p90") if r[c] is not None]
    ymin, ymax = value_axis(min(values or [0.0]), max(values or [0.0]), share=share)
    x_of = lambda i: PAD_L + slot * (i + 0.5)  # noqa: E731
    y_of = lambda v: PAD_T + plot_h - plot_h * (v - ymin) / (ymax - ymin)  # noqa: E731
    parts = frame(title, ymin, ymax, fmt, years, x_of)
    for low, high, cls in (("p10", "p90", "band-outer"), ("p25", "p75", "band-inner")):
        points = [(i, _float(r[low]), _float(r[high])) for i, r in enumerate(rows) if r and r[low] is not None]
        if len(points) > 1:
            upper = [f"{x_of(i):.1f},{y_of(hi):.1f}" for i, _, hi in points]
            lower = [f"{x_of(i):.1f},{y_of(lo):.1f}" for i, lo, _ in reversed(points)]
            parts.append(f'<polygon class="mark {cls}" points="{" ".join(upper + lower)}" fill="{color}">'
                         f"<title>{escape(low.upper())}-{escape(high.upper())}</title></polygon>")
    medians = [(i, _float(r["p50"])) for i, r in enumerate(rows) if r and r["p50"] is not None]
    if len(medians) > 1:
        path = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in medians)
        parts.append(f'<polyline class="mark" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
    for i, v in medians:
        r = rows[i]
        band = (f" (P10 {fmt(_float(r['p10']))}, P90 {fmt(_float(r['p90']))})" if r["p10"] is not None else "")
        parts.append(f'<circle class="mark" cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3.5" fill="{color}">'
                     f"<title>{years[i]}: median {escape(fmt(v))}{escape(band)}</title></circle>")
    legend = [("P10-P90", 0.18), ("P25-P75", 0.35)] if any(r and r["p10"] is not None for r in rows) else []
    for k, (name, opacity) in enumerate([*legend, ("median", 1.0)]):
        y = PAD_T + 14 * k
        parts.append(f'<rect x="{W - PAD_R + 12}" y="{y}" width="10" height="10" fill="{color}" '
                     f'fill-opacity="{opacity}"/><text x="{W - PAD_R + 26}" y="{y + 9}">{escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _text(metric: str, column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "n":
        return f"{value:,}"
    if column == "sd" and metric in SHARES:
        return f"{value:.4%}"
    return cell_text(metric, value)


def _summary_table(summary: Summary, metric: str) -> str:
    head = "".join(f'<th class="text">{c.replace("_", " ")}</th>' for c in ("plan_design_id", "simulation_year"))
    head += "".join(f"<th>{c}</th>" for c in STAT_COLUMNS)
    body = []
    for row in (r for r in summary.rows if r["metric"] == metric):
        cls = ' class="total"' if row["simulation_year"] == "total" else ""
        cells = "".join(f'<td class="text">{escape(str(row[c]))}</td>' for c in ("plan_design_id", "simulation_year"))
        cells += "".join(f"<td>{escape(_text(metric, c, row[c]))}</td>" for c in STAT_COLUMNS)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>" if body else ""


def _thresholds(summary: Summary) -> str:
    if not summary.thresholds:
        return ""
    rows = []
    for t in summary.thresholds:
        value = cell_text(t["metric"], t["threshold"])
        rows.append(f'<tr><td class="text">{escape(t["metric"])} above {escape(value)}</td>'
                    f'<td class="text">{escape(t["plan_design_id"])}</td><td class="text">{escape(t["simulation_year"])}</td>'
                    f'<td>{t["seeds_above"]} of {t["n"]}</td><td>{float(t["share_above"]):.0%}</td></tr>')
    return ("<h2>Thresholds</h2><p>Share of seeds whose value is above the threshold.</p>"
            '<table><tr><th class="text">threshold</th><th class="text">plan design id</th>'
            '<th class="text">simulation year</th><th>seeds above</th><th>share</th></tr>' + "".join(rows) + "</table>")


def seeds_line(summary: Summary) -> str:
    covered = summary.covered
    line = f"covers {len(covered)} seed(s): {seed_ranges(covered)}"
    if summary.failed:
        line += f"; seed(s) {seed_ranges(summary.failed)} failed twice and are left out"
    return line


def render(summary: Summary) -> str:
    first, last = summary.years
    years = list(range(first, last + 1))
    n = len(summary.covered)
    body = [f"<h1>Ensemble — scenario {escape(summary.scenario_id)}, {first}–{last}, {n} seed(s)</h1>",
            f'<p class="note">Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC}. The summary '
            f"{escape(seeds_line(summary))}. Each seed is a complete run of every design with its own random "
            "draws; percentiles interpolate linearly between seeds (docs/ensembles.md).</p>"]
    if not summary.banded:
        body.append(f'<p class="fail">Bands withheld: {n} seed(s) are fewer than the {summary.min_seeds_for_bands} '
                    "a P10–P90 band needs; the charts show the median only. Rerun with more seeds (--seeds); "
                    "finished seeds are kept.</p>")
    for metric in CHART_METRICS:
        charts = []
        for k, design in enumerate(summary.designs):
            rows = [summary.stats(design, str(y), metric) for y in years]
            if any(rows):
                charts.append(f"<h3>{escape(design)}</h3>" + band_chart(
                    f"{metric} {design}", years, rows, COLORS[k % len(COLORS)], metric in SHARES))
        if charts:
            body += [f"<h2>{escape(metric.replace('_', ' ').capitalize())}</h2>", *charts]
    body.append(_thresholds(summary))
    body.append("<h2>Summary tables</h2><p>Per design and year, and over the horizon (total); money in dollars, "
                "shares in percent; sd is the sample standard deviation across seeds.</p>")
    for metric in METRICS:
        table = _summary_table(summary, metric)
        if table:
            body.append(f"<h3>{escape(metric)}</h3>" + table)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Ensemble — {escape(summary.scenario_id)}</title><style>{CSS}{BAND_CSS}</style></head><body>\n"
            + "\n".join(body) + f"\n<script>{CHART_CHECK}{OVERFLOW_CHECK}</script>\n</body></html>\n")


def write_report(summary: Summary, ensemble: Ensemble) -> Path:
    return write_atomically(ensemble.directory / REPORT, render(summary), durable=False)
