"""Targets from the instructor tables: forward paid revenue and churn within a window."""

from __future__ import annotations

import polars as pl

PAID = ("paid", "recovered")


def forward_values(
    invoices: pl.DataFrame, rows: pl.DataFrame, windows: tuple[int, ...]
) -> dict[int, pl.Series]:
    """Per window W: sum of paid or recovered amounts with cutoff < invoice_date ≤ cutoff + W.

    One join of the paid invoices after the cutoff serves every window.
    """
    after = (
        invoices.filter(pl.col("payment_status").is_in(PAID))
        .join(rows.select("customer_id", "cutoff"), on="customer_id")
        .filter(
            (pl.col("invoice_date") > pl.col("cutoff"))
            & (pl.col("invoice_date") <= pl.col("cutoff") + pl.duration(days=max(windows)))
        )
    )
    sums = after.group_by("customer_id").agg(
        pl.col("amount_usd")
        .filter(pl.col("invoice_date") <= pl.col("cutoff") + pl.duration(days=w))
        .sum()
        .alias(str(w))
        for w in windows
    )
    out = rows.select("customer_id").join(sums, on="customer_id", how="left", maintain_order="left")
    return {w: out[str(w)].fill_null(0.0).round(2) for w in windows}


def churned_within(subscriptions: pl.DataFrame, rows: pl.DataFrame, days: int) -> pl.Series:
    """1 when the subscription churns with cutoff < churn_at ≤ cutoff + days."""
    out = rows.select("customer_id", "cutoff").join(
        subscriptions.select("customer_id", "churn_at"),
        on="customer_id",
        how="left",
        maintain_order="left",
    )
    hit = (pl.col("churn_at") > pl.col("cutoff")) & (
        pl.col("churn_at") <= pl.col("cutoff") + pl.duration(days=days)
    )
    return out.select(hit.fill_null(False).cast(pl.Int64)).to_series()
