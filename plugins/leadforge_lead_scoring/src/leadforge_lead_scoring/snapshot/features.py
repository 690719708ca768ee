"""Task features computed with polars from the CRM tables, restricted to events ≤ the anchor.

The same function runs on instructor tables (at render time) and on public tables (in the
provenance test), so a student can reproduce every non-trap feature from the public bundle.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from leadforge_core import asof

STATIC = {
    "accounts": (
        "industry",
        "region",
        "employee_band",
        "estimated_revenue_band",
        "process_maturity_band",
    ),
    "contacts": ("role_function", "seniority", "buyer_role", "email_domain_type"),
}


def anchors(leads: pl.DataFrame, snapshot_day: int) -> pl.DataFrame:
    return leads.select(
        "lead_id",
        "lead_created_at",
        (pl.col("lead_created_at") + pl.duration(days=snapshot_day)).alias("snapshot_time"),
    )


def lead_anchors(frame: pl.DataFrame, positional: bool) -> asof.Anchors:
    """The leads' anchors (``snapshot_time``) and starts (``lead_created_at``)."""
    return asof.Anchors(
        frame, "lead_id", "snapshot_time", start="lead_created_at", positional=positional
    )


def stage_rank(dtype: pl.DataType, stage_order: list[str]) -> pl.Expr:
    """Funnel rank of ``stage``: the Enum code when the Enum is in funnel order, else a lookup."""
    if isinstance(dtype, pl.Enum) and list(dtype.categories) == stage_order:
        return pl.col("stage").to_physical().cast(pl.Int64)
    rank = {name: i for i, name in enumerate(stage_order)}
    return pl.col("stage").cast(pl.String).replace_strict(rank, return_dtype=pl.Int64)


def _row_of(pos: np.ndarray, n: int) -> pl.Series:
    """For each of ``n`` leads, the row of an aggregate holding it (null when none)."""
    row = np.full(n, -1, dtype=np.int64)
    row[pos] = np.arange(pos.size, dtype=np.int64)
    return pl.select(pl.when(pl.lit(row) >= 0).then(pl.lit(row))).to_series()


def positional(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Tables with ``lead_id``, ``account_id`` and ``contact_id`` replaced by row positions in
    the leads, accounts and contacts tables (what :func:`compute_features` expects)."""
    maps = {
        col: tables[t].select(pl.col(col), pl.int_range(pl.len(), dtype=pl.Int64).alias("_pos"))
        for col, t in (("lead_id", "leads"), ("account_id", "accounts"), ("contact_id", "contacts"))
    }
    out = {}
    for name, frame in tables.items():
        for col, m in maps.items():
            if col in frame.columns and frame.schema[col] == pl.String:
                frame = (
                    frame.join(m, on=col, how="left", maintain_order="left")
                    .with_columns(pl.col("_pos").alias(col))
                    .drop("_pos")
                )
        out[name] = frame
    return out


def compute_features(
    tables: dict[str, pl.DataFrame],
    snapshot_day: int,
    stage_order: list[str],
    connect_outcome: str,
    rows: np.ndarray | None = None,
) -> pl.DataFrame:
    """One row per lead in ``tables['leads']`` with every non-trap feature at its anchor.

    Entity keys must be row positions (see :func:`positional`); rows come out in lead order.
    ``rows`` (a boolean mask over leads) restricts the output to those leads — the task rows —
    and skips every other lead's events.
    """
    leads = tables["leads"]
    anc = anchors(leads, snapshot_day)
    if rows is not None:
        # A null anchor matches no event, so other leads' events drop out at the first filter.
        anc = anc.with_columns(
            pl.when(pl.Series(rows)).then(pl.col("snapshot_time")).alias("snapshot_time")
        )
    la = lead_anchors(anc, positional=True)
    week = asof.last_days(7)
    t = (
        asof.as_of(tables["touches"], la, "touch_timestamp")
        .group_by("lead_id")
        .agg(
            asof.count().alias("n_touches"),
            asof.count(asof.first_days(7), "touch_timestamp").alias("n_touches_first_7d"),
            asof.count(week, "touch_timestamp").alias("n_touches_last_7d"),
            asof.count(where=pl.col("touch_direction") == "inbound").alias("n_inbound_touches"),
            asof.n_distinct("campaign_id").alias("n_distinct_campaigns"),
            asof.recency("touch_timestamp").alias("days_since_last_touch"),
        )
    )
    s = (
        asof.as_of(tables["sessions"], la, "session_timestamp")
        .group_by("lead_id")
        .agg(
            asof.count().alias("n_sessions"),
            # Integer columns: their sums do not depend on the order.
            asof.total("page_views", ordered=False).alias("total_page_views"),
            asof.total("pricing_page_views", ordered=False).alias("pricing_page_views"),
            asof.total("demo_page_views", ordered=False).alias("demo_page_views"),
            (asof.total("session_duration_seconds", ordered=False) / 60)
            .round(2)
            .alias("session_minutes"),
            asof.count(week, "session_timestamp").alias("n_sessions_last_7d"),
            asof.recency("session_timestamp").alias("days_since_last_session"),
        )
    )
    a = (
        asof.as_of(tables["sales_activities"], la, "activity_timestamp")
        .group_by("lead_id")
        .agg(
            asof.count().alias("n_sales_activities"),
            asof.count(where=pl.col("activity_outcome") == connect_outcome).alias(
                "n_connected_activities"
            ),
            asof.days_from_start("activity_timestamp").alias("days_to_first_activity"),
            asof.recency("activity_timestamp").alias("days_since_last_activity"),
        )
    )
    # Logged stages only move forward, so the stage at the anchor is the highest one entered.
    stage_dtype = tables["lead_stage_history"].schema["stage"]
    h = (
        asof.as_of(tables["lead_stage_history"], la, "entered_at")
        .group_by("lead_id")
        .agg(
            asof.stage_as_of(stage_rank(stage_dtype, stage_order)).alias("stage"),
            asof.days_since(pl.col("entered_at").max()).alias("days_in_stage_at_snapshot"),
            (pl.len() - 1).alias("n_stage_changes"),
        )
        .select(
            "lead_id",
            pl.col("stage")
            .replace_strict(dict(enumerate(stage_order)), return_dtype=pl.String)
            .cast(stage_dtype)
            .alias("stage_at_snapshot"),
            "days_in_stage_at_snapshot",
            "n_stage_changes",
        )
    )
    o = (
        asof.as_of(tables["opportunities"], la, "created_at")
        .group_by("lead_id")
        .agg(pl.col("estimated_acv").max().alias("opportunity_acv"))
    )
    prior_expr = pl.int_range(pl.len()).over("account_id").alias("account_prior_leads")
    if leads["lead_created_at"].is_sorted():
        # Rows are in (creation time, lead) order already: count earlier rows per account.
        prior = leads.lazy().select("lead_id", prior_expr)
    else:
        prior = (
            leads.lazy()
            .sort("account_id", "lead_created_at", "lead_id")
            .with_columns(prior_expr)
            .select("lead_id", "account_prior_leads")
        )
    # Keys are row positions, so static attributes are gathered, not joined.
    acc_pos = leads["account_id"]
    con_pos = leads["contact_id"]
    base = (
        leads.select(
            "lead_id",
            "account_id",
            "contact_id",
            "lead_source",
            "first_touch_channel",
            "owner_rep_id",
            "lead_score",
            "fit_score",
            "lead_created_at",
        )
        .with_columns(
            anc["snapshot_time"],
            *[tables["accounts"][c].gather(acc_pos) for c in STATIC["accounts"]],
            *[tables["contacts"][c].gather(con_pos) for c in STATIC["contacts"]],
        )
        .lazy()
        .join(prior, on="lead_id", how="left", maintain_order="left")
    )
    counts = [
        "n_touches",
        "n_touches_first_7d",
        "n_touches_last_7d",
        "n_inbound_touches",
        "n_distinct_campaigns",
        "n_sessions",
        "total_page_views",
        "pricing_page_views",
        "demo_page_views",
        "n_sessions_last_7d",
        "n_sales_activities",
        "n_connected_activities",
        "n_stage_changes",
    ]
    # Collect each aggregate on its own: one big lazy plan over the shared anchor frame is
    # several times slower than these independent queries.
    parts = pl.collect_all([t, s, a, h, o])
    out = base.collect()
    n = out.height
    kept = None
    if rows is not None:
        kept = np.flatnonzero(rows)
        out = out.filter(pl.Series(rows))
    # Positional keys: each aggregate is scattered into lead order instead of joined.
    for part in parts:
        row = _row_of(part["lead_id"].to_numpy(), n)
        if kept is not None:
            row = row.gather(kept)
        out = out.with_columns([part[c].gather(row) for c in part.columns if c != "lead_id"])
    out = out.with_columns(
        [pl.col(c).fill_null(0).cast(pl.Int64) for c in counts]
        + [
            pl.col("session_minutes").fill_null(0.0),
            pl.col("opportunity_acv").is_not_null().alias("has_opportunity"),
            pl.col("lead_created_at").dt.month().cast(pl.Int64).alias("created_month"),
            pl.col("lead_created_at").dt.weekday().cast(pl.Int64).alias("created_weekday"),
        ]
    ).drop("lead_created_at")
    return out
