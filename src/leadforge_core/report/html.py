"""Assemble report sections into one self-contained HTML page.

The page has no script, loads nothing (a Content-Security-Policy forbids every external
resource), uses the reader's system fonts and carries print rules, so it opens offline in any
browser and prints cleanly.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from leadforge_core.report.model import (
    CausalGraph,
    Chart,
    DataTable,
    KeyFacts,
    Note,
    ReportSection,
)
from leadforge_core.report.svg import chart_svg, graph_svg

if TYPE_CHECKING:
    from leadforge_core.report.build import Report

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
:root { --ink:#1f2933; --muted:#6b7785; --line:#e3e8ee; --bg:#f5f7fa; --card:#fff;
  --accent:#2b59c3; --warn:#b54708; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 14px/1.5 -apple-system, "Segoe UI", "Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif; }
header.top { background:#14213d; color:#fff; padding:28px 40px 22px; }
header.top .eyebrow { text-transform:uppercase; letter-spacing:.08em; font-size:11px; color:#9fb3d9; margin:0 0 6px; }
header.top h1 { margin:0 0 6px; font-size:24px; font-weight:650; }
header.top p { margin:0; color:#cdd6e6; }
.badge { display:inline-block; padding:2px 9px; border-radius:10px; font-size:11px; font-weight:600;
  letter-spacing:.03em; vertical-align:middle; margin-left:8px; }
.badge.public { background:#d1fadf; color:#05603a; }
.badge.instructor { background:#fef0c7; color:#93370d; }
nav.toc { position:sticky; top:0; z-index:2; background:#fff; border-bottom:1px solid var(--line);
  padding:8px 40px; display:flex; flex-wrap:wrap; gap:4px 18px; font-size:13px; }
nav.toc a { color:var(--accent); text-decoration:none; }
nav.toc a:hover { text-decoration:underline; }
main { max-width:1180px; margin:0 auto; padding:24px 40px 40px; }
section.report-section { background:var(--card); border:1px solid var(--line); border-radius:8px;
  padding:20px 24px 12px; margin:0 0 22px; }
section.report-section > h2 { margin:0 0 4px; font-size:18px; font-weight:650; }
section.report-section > p.lead { margin:0 0 14px; color:var(--muted); }
.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(480px, 1fr)); gap:14px 22px; align-items:start; }
figure.chart { margin:0 0 14px; break-inside:avoid; page-break-inside:avoid; }
figure.chart h3 { margin:0 0 4px; font-size:14px; font-weight:600; }
figure.chart svg { display:block; width:100%; height:auto; }
figure.chart figcaption { color:var(--muted); font-size:12px; margin-top:2px; }
figure.graph { grid-column:1 / -1; }
dl.facts { display:grid; grid-template-columns:repeat(auto-fill, minmax(150px, 1fr)); gap:10px; margin:0 0 16px; }
dl.facts div { background:var(--bg); border-radius:6px; padding:8px 12px; }
dl.facts dt { font-size:11px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); }
dl.facts dd { margin:2px 0 0; font-size:15px; font-weight:600; overflow-wrap:anywhere; }
.table-wrap { overflow-x:auto; margin:0 0 16px; break-inside:auto; }
table.data { border-collapse:collapse; width:100%; font-size:12.5px; font-variant-numeric:tabular-nums; }
table.data caption { text-align:left; color:var(--muted); font-size:12px; padding:0 0 6px; }
table.data th { text-align:left; font-weight:600; color:var(--muted); border-bottom:2px solid var(--line);
  padding:5px 10px; white-space:nowrap; }
table.data td { border-bottom:1px solid var(--line); padding:4px 10px; vertical-align:top; }
table.data .num { text-align:right; }
table.data tr { break-inside:avoid; page-break-inside:avoid; }
p.note { color:var(--ink); background:#f0f4fb; border-left:3px solid var(--accent); padding:8px 12px;
  margin:0 0 14px; font-size:13px; }
footer { max-width:1180px; margin:0 auto; padding:0 40px 40px; color:var(--muted); font-size:12px; }
footer ul { padding-left:18px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background:#fff; font-size:11px; }
  header.top { background:#fff; color:var(--ink); padding:0 0 10px; border-bottom:2px solid var(--ink); }
  header.top .eyebrow, header.top p { color:var(--muted); }
  nav.toc { display:none; }
  main, footer { max-width:none; padding:10px 0 0; }
  section.report-section { border:none; padding:0; margin:0 0 14px; break-before:auto; }
  section.report-section > h2 { break-after:avoid; page-break-after:avoid; border-bottom:1px solid var(--line); }
  section.report-section > p.lead { break-after:avoid; page-break-after:avoid; }
  figure.chart h3 { break-after:avoid; page-break-after:avoid; }
  .grid { display:block; }
  figure.chart { margin:0 0 10px; }
  figure.chart svg { max-height:120mm; }
  .table-wrap { overflow:visible; }
  p.note { background:none; }
}
"""


def _block_html(block: object, prefix: str) -> str:
    if isinstance(block, Chart):
        caption = f"<figcaption>{escape(block.caption)}</figcaption>" if block.caption else ""
        return (
            f'<figure class="chart" data-kind="{block.kind.value}">'
            f"<h3>{escape(block.title)}</h3>{chart_svg(block, prefix)}{caption}</figure>"
        )
    if isinstance(block, CausalGraph):
        caption = f"<figcaption>{escape(block.caption)}</figcaption>" if block.caption else ""
        return (
            f'<figure class="chart graph" data-kind="graph">'
            f"<h3>{escape(block.title)}</h3>{graph_svg(block, prefix)}{caption}</figure>"
        )
    if isinstance(block, DataTable):
        numeric = set(block.numeric)
        head = "".join(
            f'<th class="num">{escape(c)}</th>' if c in numeric else f"<th>{escape(c)}</th>"
            for c in block.columns
        )
        body = "".join(
            "<tr>"
            + "".join(
                f'<td class="num">{escape(v)}</td>' if c in numeric else f"<td>{escape(v)}</td>"
                for c, v in zip(block.columns, row, strict=True)
            )
            + "</tr>"
            for row in block.rows
        )
        caption = f"<caption>{escape(block.caption)}</caption>" if block.caption else ""
        return (
            f'<div class="table-wrap"><table class="data">{caption}<thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table></div>"
        )
    if isinstance(block, KeyFacts):
        items = "".join(
            f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in block.items
        )
        return f'<dl class="facts">{items}</dl>'
    if isinstance(block, Note):
        return f'<p class="note">{escape(block.text)}</p>'
    raise TypeError(f"cannot render report block {type(block).__name__}")


def _section_html(section: ReportSection, index: int) -> str:
    """A section: runs of figures share a grid; a lone chart followed by a table sits beside
    it."""
    blocks = list(section.blocks)
    parts: list[str] = []
    i = 0
    while i < len(blocks):
        if not isinstance(blocks[i], Chart | CausalGraph):
            parts.append(_block_html(blocks[i], f"s{index}b{i}"))
            i += 1
            continue
        j = i
        while j < len(blocks) and isinstance(blocks[j], Chart | CausalGraph):
            j += 1
        figures = [_block_html(blocks[k], f"s{index}b{k}") for k in range(i, j)]
        paired = j - i == 1 and isinstance(blocks[i], Chart) and j < len(blocks)
        if paired and isinstance(blocks[j], DataTable):
            table = _block_html(blocks[j], f"s{index}b{j}")
            parts.append('<div class="grid pair">' + figures[0] + table + "</div>")
            i = j + 1
            continue
        parts.append('<div class="grid">' + "".join(figures) + "</div>")
        i = j
    lead = f'<p class="lead">{escape(section.lead)}</p>' if section.lead else ""
    return (
        f'<section class="report-section" id="{escape(section.key)}">'
        f"<h2>{escape(section.title)}</h2>{lead}{''.join(parts)}</section>"
    )


def render_html(report: Report) -> str:
    """The whole page as one string (UTF-8, no external references)."""
    mode = report.mode
    badge_class = "public" if mode == "student_public" else "instructor"
    toc = "".join(f'<a href="#{escape(s.key)}">{escape(s.title)}</a>' for s in report.sections)
    body = "".join(_section_html(s, i) for i, s in enumerate(report.sections))
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
    footer_notes = f"<ul>{notes}</ul>" if notes else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="leadforge-core {escape(report.core_version)}">'
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body>"
        f'<header class="top"><p class="eyebrow">leadforge bundle report</p>'
        f"<h1>{escape(report.title)}"
        f'<span class="badge {badge_class}">{escape(mode)}</span></h1>'
        f"<p>{escape(report.subtitle)}</p></header>"
        f'<nav class="toc">{toc}</nav><main>{body}</main>'
        f"<footer><p>Only aggregates of the bundle are embedded in this page; it loads nothing "
        f"from the network. Made by leadforge-core {escape(report.core_version)} with "
        f"{report.n_figures} figures.</p>{footer_notes}</footer>"
        "</body></html>\n"
    )
