"""Customer features at a cutoff, computed from the tables with the public cut rule.

Every aggregate keeps only rows known at the cutoff (event_timestamp, invoice_date or
period_end ≤ cutoff, through :func:`leadforge_core.asof.as_of`, the rule of the public cut), so the features a student rebuilds from a public bundle match the task
columns. The two traps deliberately break this rule and are flagged in the dictionary.
"""

from __future__ import annotations

import polars as pl

from leadforge_core import asof
from leadforge_lifecycle.publish.tables import plan_expr
from leadforge_lifecycle.recipe import LifecycleWorld
from leadforge_lifecycle.simulate.hazards import WEEKS_PER_MONTH

HEALTH_WINDOW_DAYS = 84  # the last 12 weeks
WEEK = pl.duration(days=7)


def cutoffs(rows: pl.DataFrame) -> asof.Anchors:
    """Each task row's cutoff (``rows`` has ``customer_id`` and ``cutoff``)."""
    return asof.Anchors(rows.select("customer_id", "cutoff"), "customer_id", "cutoff")


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

    anc = cutoffs(rows)
    order = ["customer_id", "event_timestamp", "event_id"]
    kind = pl.col("event_type")
    ev = (
        asof.as_of(tables["subscription_events"], anc, "event_timestamp", order_by=order)
        .group_by("customer_id")
        .agg(
            asof.last_value("mrr_after", where=~kind.str.starts_with("payment")).alias("_mrr"),
            asof.count(where=kind.eq("renewal")).alias("renewal_count"),
            asof.count(where=kind.eq("expansion")).alias("expansion_count"),
            asof.count(where=kind.eq("downgrade")).alias("downgrade_count"),
            asof.count(where=kind.eq("payment_failure")).alias("payment_failure_count"),
            asof.last_value("event_timestamp", where=kind == "payment_failure").alias(
                "_last_failure"
            ),
            asof.last_value("event_timestamp", where=kind == "renewal").alias("_renewed"),
            pl.col("contract_term_months_new").drop_nulls().last().alias("_term"),
        )
    )
    # An invoice is open at the cutoff unless its settlement is known by then.
    is_open = ~asof.known("settled_at").fill_null(False)
    inv = (
        asof.as_of(tables["invoices"], anc, "invoice_date")
        .group_by("customer_id")
        .agg(
            asof.count(where=is_open).alias("unpaid_invoices_at_snapshot"),
            asof.total("amount_usd", where=~is_open).alias("revenue_to_date"),
        )
    )
    health = tables["health_signals"]
    x = pl.col("period_end").dt.epoch("d").cast(pl.Float64) / 7.0
    y = pl.col("active_users").cast(pl.Float64)
    ok = y.is_not_null()
    xm = x.filter(ok) - x.filter(ok).mean()
    by_period = ["customer_id", "period_end"]
    recent = asof.as_of(
        health, anc, "period_end", window=asof.last_days(HEALTH_WINDOW_DAYS), order_by=by_period
    )
    hl = recent.group_by("customer_id").agg(
        asof.mean(y).alias("active_users_mean_12w"),
        ((xm * (y.filter(ok) - y.filter(ok).mean())).sum() / (xm * xm).sum()).alias(
            "active_users_trend_12w"
        ),
        asof.mean("feature_depth_score").alias("feature_depth_mean_12w"),
        asof.total("support_tickets").alias("support_tickets_12w"),
    )
    nps = (
        asof.as_of(health, anc, "period_end", order_by=by_period)
        .group_by("customer_id")
        .agg(
            asof.last_value("nps_score", where=pl.col("nps_score").is_not_null()).alias(
                "last_nps_score"
            )
        )
    )
    ev, inv, hl, nps = pl.collect_all([ev, inv, hl, nps])

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
        # Deliberately past the cutoff, so not through asof.as_of.
        start = pl.col("period_start")
        future = asof.with_anchors(health, anc).filter(
            (start >= pl.col(asof.ANCHOR))
            & (start < pl.col(asof.ANCHOR) + pl.duration(days=HEALTH_WINDOW_DAYS))
        )
        fut = (
            future.group_by("customer_id")
            .agg(asof.mean("active_users").alias("active_users_current"))
            .collect()
        )
        frame = frame.join(fut, on="customer_id", how="left", maintain_order="left")
    return frame
