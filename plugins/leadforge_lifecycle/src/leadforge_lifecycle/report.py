"""Report sections of lifecycle bundles: lifecycle events, customer cohorts, channels.

Everything is read from the bundle's own tables and tasks, so a public report shows events up
to the observation cutoff and nothing the public bundle withholds.
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

SCHEME = "lifecycle"
EVENTS = ("renewal", "expansion", "downgrade", "payment_failure", "payment_recovered", "churn")
VALUE_TASK = "ltv_revenue_365d"
MIN_ROWS = 20


def lifecycle_section(view: BundleView) -> ReportSection:
    """Customers who went through each lifecycle event at least once."""
    n_customers = float(view.manifest["tables"]["customers"]["rows"])
    events = scan_table(view, "subscription_events")
    reach = distinct_per_value(events, "event_type", "customer_id", EVENTS)
    counts = dict(zip(*category_counts(events, "event_type", top=50), strict=True))
    categories = ["started", *EVENTS]
    values = [n_customers, *reach]
    annotations = [f"{n_customers:,.0f}"] + [
        f"{v:,.0f} · {100 * v / n_customers:.0f}%" if n_customers else f"{v:,.0f}" for v in reach
    ]
    rows = [
        (
            e,
            f"{r:,.0f}",
            ValueFormat.PERCENT.text(r / n_customers if n_customers else 0.0),
            f"{counts.get(e, 0):,.0f}",
        )
        for e, r in zip(EVENTS, reach, strict=True)
    ]
    blocks: list[object] = [
        Chart(
            "Customers by lifecycle event",
            ChartKind.HBAR,
            categories,
            [Series("customers", values)],
            y_label="customers with at least one event",
            annotations=annotations,
            caption="Distinct customers with each subscription event, and their share of all "
            "customers.",
        ),
        DataTable(
            ["event", "customers", "of customers", "events"],
            rows,
            numeric=["customers", "of customers", "events"],
        ),
    ]
    if view.mode.is_public:
        cutoff = (view.manifest.get("scheme_details") or {}).get("observation_date", "the cutoff")
        blocks.append(
            Note(f"Public bundle: events and invoices are cut at the observation date ({cutoff}).")
        )
    return ReportSection(
        "funnel", "Customer lifecycle", blocks, lead="Renewals, expansions and churn recorded."
    )


def cohorts_section(view: BundleView) -> ReportSection:
    """New customers per week, invoiced revenue per month, value by start month."""
    customers = scan_table(view, "customers")
    weeks, counts = counts_by_period(customers, "customer_start_at", "1w")
    paid = scan_table(view, "invoices").filter(pl.col("payment_status") != "written_off")
    month_frame = (
        paid.select(pl.col("invoice_date").dt.truncate("1mo").alias("m"), "amount_usd")
        .group_by("m")
        .agg(pl.col("amount_usd").sum())
        .sort("m")
        .collect()
    )
    blocks: list[object] = [
        Chart(
            "New customers per week",
            ChartKind.LINE,
            weeks,
            [Series("customers", counts)],
            y_label="customers started",
            caption="Customers by the week (from Monday) of customer_start_at.",
        ),
        Chart(
            "Invoiced revenue per month",
            ChartKind.LINE,
            [d.strftime("%Y-%m") for d in month_frame["m"]],
            [Series("revenue", list(month_frame["amount_usd"]))],
            y_label="invoiced (not written off)",
            value_format=ValueFormat.MONEY,
            caption="Sum of invoice amounts by invoice month, written-off invoices excluded.",
        ),
    ]
    tasks = set(view.task_names())
    if VALUE_TASK in tasks:
        rows = scan_task(view, VALUE_TASK).join(
            customers.select("customer_id", "customer_start_at"), on="customer_id", how="inner"
        )
        months, means, _ = mean_by_period(
            rows, "customer_start_at", pl.col(VALUE_TASK), "1mo", MIN_ROWS
        )
        blocks.append(
            Chart(
                "365-day value by start month",
                ChartKind.LINE,
                [m[:7] for m in months],
                [Series("mean value", means)],
                y_label=f"mean {VALUE_TASK}",
                value_format=ValueFormat.MONEY,
                caption=f"Mean target of {VALUE_TASK} by the customer's start month (task rows; "
                f"months with fewer than {MIN_ROWS} customers left out).",
            )
        )
    months, mrr, _ = mean_by_period(customers, "customer_start_at", pl.col("initial_mrr"), "1mo")
    blocks.append(
        Chart(
            "Initial MRR by start month",
            ChartKind.LINE,
            [m[:7] for m in months],
            [Series("mean initial MRR", mrr)],
            y_label="mean initial MRR",
            value_format=ValueFormat.MONEY,
        )
    )
    return ReportSection(
        "cohorts", "Cohorts over time", blocks, lead="Arrivals, revenue and value by cohort."
    )


def sources_section(view: BundleView) -> ReportSection:
    """Customers by acquisition channel and plan; value by channel."""
    customers = scan_table(view, "customers")
    ch, ch_n = category_counts(customers, "acquisition_channel")
    plan, plan_n = category_counts(customers, "initial_plan")
    blocks: list[object] = [
        Chart(
            "Customers by acquisition channel",
            ChartKind.HBAR,
            ch,
            [Series("customers", ch_n)],
            y_label="customers",
        ),
        Chart(
            "Customers by initial plan",
            ChartKind.HBAR,
            plan,
            [Series("customers", plan_n)],
            y_label="customers",
        ),
    ]
    if VALUE_TASK in set(view.task_names()):
        keys, means, ns = rate_by_category(
            scan_task(view, VALUE_TASK), "acquisition_channel", pl.col(VALUE_TASK)
        )
        blocks.append(
            Chart(
                "365-day value by acquisition channel",
                ChartKind.HBAR,
                keys,
                [Series("mean value", means)],
                y_label=f"mean {VALUE_TASK}",
                value_format=ValueFormat.MONEY,
                annotations=[f"${m:,.0f} over {n:,}" for m, n in zip(means, ns, strict=True)],
                caption="Mean target among task rows, per channel.",
            )
        )
    return ReportSection(
        "sources", "Channels and plans", blocks, lead="Where customers come from and what they buy."
    )


def report_sections(view: BundleView) -> list[ReportSection]:
    """The lifecycle sections for a bundle of this scheme (none for other schemes)."""
    if view.scheme != SCHEME:
        return []
    return [lifecycle_section(view), cohorts_section(view), sources_section(view)]
