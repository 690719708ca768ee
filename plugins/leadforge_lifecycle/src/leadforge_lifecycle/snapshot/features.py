"""Customer features at a cutoff, computed from the tables with the public cut rule.

Every aggregate keeps only rows known at the cutoff (event_timestamp, invoice_date or
period_end ≤ cutoff), so the features a student rebuilds from a public bundle match the task
columns. The two traps deliberately break this rule and are flagged in the dictionary.
"""

from __future__ import annotations

import polars as pl

from leadforge_lifecycle.publish.tables import plan_expr
from leadforge_lifecycle.recipe import LifecycleWorld
from leadforge_lifecycle.simulate.hazards import WEEKS_PER_MONTH

HEALTH_WINDOW_DAYS = 84  # the last 12 weeks
WEEK = pl.duration(days=7)


def _known(frame: pl.DataFrame, rows: pl.DataFrame, time_col: str) -> pl.DataFrame:
    """Rows of ``frame`` for the task's customers with ``time_col`` ≤ their cutoff."""
    return frame.join(rows.select("customer_id", "cutoff"), on="customer_id").filter(
        pl.col(time_col) <= pl.col("cutoff")
    )


def customer_features(
    tables: dict[str, pl.DataFrame], rows: pl.DataFrame, recipe: LifecycleWorld, second_trap: bool
) -> pl.DataFrame:
    """``rows`` has ``customer_id`` and ``cutoff``; returns one feature row per input row."""
    customers = (
        tables["customers"]
        .join(
            tables["accounts"].select("account_id", "industry", "region", "employee_band"),
            on="account_id",
            how="left",
        )
        .join(
            tables["csm_reps"].select("csm_rep_id", pl.col("team").alias("csm_team")),
            on="csm_rep_id",
            how="left",
        )
    )
    base = rows.join(customers, on="customer_id", how="left", maintain_order="left")

    events = _known(tables["subscription_events"], rows, "event_timestamp").sort(
        "customer_id", "event_timestamp", "event_id"
    )
    ev = events.group_by("customer_id").agg(
        pl.col("mrr_after")
        .filter(~pl.col("event_type").str.starts_with("payment"))
        .last()
        .alias("_mrr"),
        pl.col("event_type").eq("renewal").sum().alias("renewal_count"),
        pl.col("event_type").eq("expansion").sum().alias("expansion_count"),
        pl.col("event_type").eq("downgrade").sum().alias("downgrade_count"),
        pl.col("event_type").eq("payment_failure").sum().alias("payment_failure_count"),
        pl.col("event_timestamp")
        .filter(pl.col("event_type") == "payment_failure")
        .last()
        .alias("_last_failure"),
        pl.col("event_timestamp")
        .filter(pl.col("event_type") == "renewal")
        .last()
        .alias("_renewed"),
        pl.col("contract_term_months_new").drop_nulls().last().alias("_term"),
    )
    invoices = _known(tables["invoices"], rows, "invoice_date").with_columns(
        (pl.col("settled_at").is_null() | (pl.col("settled_at") > pl.col("cutoff"))).alias("_open")
    )
    inv = invoices.group_by("customer_id").agg(
        pl.col("_open").sum().alias("unpaid_invoices_at_snapshot"),
        pl.col("amount_usd").filter(~pl.col("_open")).sum().alias("revenue_to_date"),
    )
    health = tables["health_signals"].join(rows.select("customer_id", "cutoff"), on="customer_id")
    recent = health.filter(
        (pl.col("period_end") <= pl.col("cutoff"))
        & (pl.col("period_end") > pl.col("cutoff") - pl.duration(days=HEALTH_WINDOW_DAYS))
    )
    x = pl.col("period_end").dt.epoch("d").cast(pl.Float64) / 7.0
    y = pl.col("active_users").cast(pl.Float64)
    ok = y.is_not_null()
    xm = x.filter(ok) - x.filter(ok).mean()
    hl = (
        recent.sort("customer_id", "period_end")
        .group_by("customer_id")
        .agg(
            y.mean().alias("active_users_mean_12w"),
            ((xm * (y.filter(ok) - y.filter(ok).mean())).sum() / (xm * xm).sum()).alias(
                "active_users_trend_12w"
            ),
            pl.col("feature_depth_score").mean().alias("feature_depth_mean_12w"),
            pl.col("support_tickets").sum().alias("support_tickets_12w"),
        )
    )
    nps = health.filter(
        (pl.col("period_end") <= pl.col("cutoff")) & pl.col("nps_score").is_not_null()
    )
    nps = (
        nps.sort("customer_id", "period_end")
        .group_by("customer_id")
        .agg(pl.col("nps_score").last().alias("last_nps_score"))
    )

    frame = (
        base.join(ev, on="customer_id", how="left", maintain_order="left")
        .join(inv, on="customer_id", how="left", maintain_order="left")
        .join(hl, on="customer_id", how="left", maintain_order="left")
        .join(nps, on="customer_id", how="left", maintain_order="left")
    )
    term = pl.col("_term").fill_null(pl.col("contract_term_months"))
    anchor = pl.col("_renewed").fill_null(pl.col("customer_start_at"))
    next_renewal = anchor + pl.duration(
        days=((term.cast(pl.Float64) * WEEKS_PER_MONTH).round() * 7).cast(pl.Int64)
    )
    weeks = pl.duration(days=7).dt.total_microseconds()
    frame = frame.with_columns(
        ((pl.col("cutoff") - pl.col("customer_start_at")).dt.total_microseconds() // weeks).alias(
            "tenure_weeks"
        ),
        pl.col("_mrr").fill_null(pl.col("initial_mrr")).alias("current_mrr"),
        term.alias("current_contract_term_months"),
        ((next_renewal - pl.col("cutoff")).dt.total_microseconds() // weeks).alias(
            "weeks_to_next_renewal"
        ),
        ((pl.col("cutoff") - pl.col("_last_failure")).dt.total_microseconds() // weeks).alias(
            "weeks_since_last_payment_failure"
        ),
        *(
            pl.col(k).fill_null(0)
            for k in (
                "renewal_count",
                "expansion_count",
                "downgrade_count",
                "payment_failure_count",
                "unpaid_invoices_at_snapshot",
            )
        ),
        pl.col("revenue_to_date").fill_null(0.0),
    ).with_columns(
        (pl.col("current_mrr") - pl.col("initial_mrr")).alias("mrr_change_at_snapshot"),
        plan_expr(pl.col("current_mrr"), recipe).alias("current_plan"),
    )
    # Trap 1: MRR change through the end of the simulated horizon (uses the future).
    final = tables["subscriptions"].select("customer_id", pl.col("current_mrr").alias("_final"))
    frame = frame.join(final, on="customer_id", how="left", maintain_order="left").with_columns(
        (pl.col("_final") - pl.col("current_mrr")).alias("mrr_change_full_period")
    )
    if second_trap:
        # Trap 2: a health reading from the 12 weeks after the cutoff, named like a current one.
        future = health.filter(
            (pl.col("period_start") >= pl.col("cutoff"))
            & (pl.col("period_start") < pl.col("cutoff") + pl.duration(days=HEALTH_WINDOW_DAYS))
        )
        fut = future.group_by("customer_id").agg(
            pl.col("active_users").mean().alias("active_users_current")
        )
        frame = frame.join(fut, on="customer_id", how="left", maintain_order="left")
    return frame
