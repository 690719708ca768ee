"""Report sections of lead-scoring bundles: the funnel, lead cohorts, sources and channels.

Everything is read from the bundle's own tables, so a public report shows the funnel as
recorded up to each lead's snapshot anchor and nothing the public bundle withholds.
"""

from __future__ import annotations

import polars as pl

from leadforge_core.report.aggregate import (
    category_counts,
    counts_by_period,
    distinct_per_value,
    mean_by_period,
    rate_by_category,
    scan_table,
    scan_task,
    table_columns,
)
from leadforge_core.report.model import (
    Chart,
    ChartKind,
    DataTable,
    Note,
    ReportSection,
    Series,
    ValueFormat,
)
from leadforge_core.validation.view import BundleView

SCHEME = "lead_scoring"
TASK = "converted_within_90_days"
TERMINAL_LOST = "closed_lost"
MIN_ROWS = 20


def _public(view: BundleView) -> bool:
    return view.mode.is_public


def funnel_section(view: BundleView) -> ReportSection:
    """Leads that ever reached each stage, with step-to-step conversion."""
    details = view.manifest.get("scheme_details") or {}
    stages = [s for s in details.get("stages", []) if s != TERMINAL_LOST]
    n_leads = float(view.manifest["tables"]["leads"]["rows"])
    history = scan_table(view, "lead_stage_history")
    reach = distinct_per_value(history, "stage", "lead_id", stages)
    lost = distinct_per_value(history, "stage", "lead_id", [TERMINAL_LOST])[0]
    categories = ["lead created", *stages]
    values = [n_leads, *reach]
    annotations = [f"{values[0]:,.0f}"]
    rows = [("lead created", f"{n_leads:,.0f}", "100.0%", "—")]
    for prev, cur, stage in zip(values, values[1:], stages, strict=False):
        step = cur / prev if prev else 0.0
        share = cur / n_leads if n_leads else 0.0
        annotations.append(f"{cur:,.0f} · {100 * step:.0f}% of previous")
        rows.append(
            (
                stage,
                f"{cur:,.0f}",
                ValueFormat.PERCENT.text(share),
                ValueFormat.PERCENT.text(step),
            )
        )
    blocks: list[object] = [
        Chart(
            "Stage reach",
            ChartKind.HBAR,
            categories,
            [Series("leads", values)],
            y_label="leads that reached the stage",
            annotations=annotations,
            caption="Leads that ever entered each stage (from lead_stage_history) and the step "
            "conversion from the stage before.",
        ),
        DataTable(
            ["stage", "leads", "of all leads", "step conversion"],
            rows,
            numeric=["leads", "of all leads", "step conversion"],
            caption=f"{lost:,.0f} leads were closed lost.",
        ),
    ]
    if _public(view):
        blocks.append(
            Note(
                "Public bundle: stage history is cut at each lead's snapshot anchor, so later "
                "stages are under-counted compared with the full horizon."
            )
        )
    return ReportSection(
        "funnel", "Funnel", blocks, lead="How far leads travel through the sales funnel."
    )


def _conversion_by_month(view: BundleView) -> tuple[Chart, str]:
    if TASK in table_columns(view, "leads"):
        months, rates, _ = mean_by_period(
            scan_table(view, "leads"),
            "lead_created_at",
            pl.col(TASK).cast(pl.Float64),
            "1mo",
            MIN_ROWS,
        )
        source = "all leads (instructor table)"
    else:
        snapshot_day = int((view.manifest.get("scheme_details") or {}).get("snapshot_day", 0))
        months, rates, _ = mean_by_period(
            scan_task(view, TASK).with_columns(
                created=pl.col("snapshot_time") - pl.duration(days=snapshot_day)
            ),
            "created",
            pl.col(TASK).cast(pl.Float64),
            "1mo",
            MIN_ROWS,
        )
        source = "task rows: leads still open at their snapshot"
    chart = Chart(
        "90-day conversion by creation month",
        ChartKind.LINE,
        [m[:7] for m in months],
        [Series("conversion", rates)],
        y_label="converted within 90 days",
        value_format=ValueFormat.PERCENT,
        caption=f"Share converted, by the month the lead was created ({source}; months with "
        f"fewer than {MIN_ROWS} leads left out).",
    )
    return chart, source


def cohorts_section(view: BundleView) -> ReportSection:
    """New leads per week and conversion by creation month."""
    weeks, counts = counts_by_period(scan_table(view, "leads"), "lead_created_at", "1w")
    conversion, _ = _conversion_by_month(view)
    blocks: list[object] = [
        Chart(
            "New leads per week",
            ChartKind.LINE,
            weeks,
            [Series("leads", counts)],
            y_label="leads created",
            caption="Leads by the week (from Monday) of lead_created_at.",
        ),
        conversion,
    ]
    return ReportSection(
        "cohorts", "Cohorts over time", blocks, lead="Arrivals and outcomes by lead cohort."
    )


def sources_section(view: BundleView) -> ReportSection:
    """Leads by source and first-touch channel, conversion by source, touches by channel."""
    leads = scan_table(view, "leads")
    src, src_n = category_counts(leads, "lead_source")
    ch, ch_n = category_counts(leads, "first_touch_channel")
    blocks: list[object] = [
        Chart(
            "Leads by source",
            ChartKind.HBAR,
            src,
            [Series("leads", src_n)],
            y_label="leads",
            caption="lead_source as recorded in the CRM (inconsistent spellings are part of "
            "the data).",
        ),
        Chart(
            "Leads by first-touch channel",
            ChartKind.HBAR,
            ch,
            [Series("leads", ch_n)],
            y_label="leads",
        ),
    ]
    keys, rates, ns = rate_by_category(
        scan_task(view, TASK), "first_touch_channel", pl.col(TASK).cast(pl.Float64)
    )
    keep = [i for i, n in enumerate(ns) if n >= MIN_ROWS]
    if keep:
        blocks.append(
            Chart(
                "Task conversion by first-touch channel",
                ChartKind.HBAR,
                [keys[i] for i in keep],
                [Series("conversion", [rates[i] for i in keep])],
                y_label="converted within 90 days",
                value_format=ValueFormat.PERCENT,
                annotations=[f"{100 * rates[i]:.1f}% of {ns[i]:,}" for i in keep],
                caption=f"Positive rate among task rows (channels with at least {MIN_ROWS} rows).",
            )
        )
    if view.has_table("touches"):
        tc, tc_n = category_counts(scan_table(view, "touches"), "touch_channel")
        blocks.append(
            Chart(
                "Marketing touches by channel",
                ChartKind.HBAR,
                tc,
                [Series("touches", tc_n)],
                y_label="touches",
            )
        )
    return ReportSection(
        "sources",
        "Sources and channels",
        blocks,
        lead="Where leads come from and how they are reached.",
    )


def report_sections(view: BundleView) -> list[ReportSection]:
    """The lead-scoring sections for a bundle of this scheme (none for other schemes)."""
    if view.scheme != SCHEME:
        return []
    return [funnel_section(view), cohorts_section(view), sources_section(view)]
