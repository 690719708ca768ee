"""Public snapshot cut: every lead's records as the CRM showed them at the lead's anchor.

Event tables keep rows timestamped ≤ the anchor; the stage history is cut the same way, and
the stage shown on leads and opportunities is recomputed from the cut history (as-of
columns). Terminal columns are removed by the core through the exposure policy.
"""

from __future__ import annotations

import polars as pl

from leadforge_lead_scoring.snapshot.features import anchors

EVENT_TABLES = {
    "touches": "touch_timestamp",
    "sessions": "session_timestamp",
    "sales_activities": "activity_timestamp",
    "lead_stage_history": "entered_at",
}


def cut_tables(
    tables: dict[str, pl.DataFrame], snapshot_day: int, stage_order: list[str], sql_stage: str
) -> dict[str, pl.DataFrame]:
    out = dict(tables)
    anc = anchors(tables["leads"], snapshot_day).select("lead_id", "snapshot_time")
    for name, ts in EVENT_TABLES.items():
        out[name] = (
            tables[name]
            .join(anc, on="lead_id", how="left", maintain_order="left")
            .filter(pl.col(ts) <= pl.col("snapshot_time"))
            .drop("snapshot_time")
        )
    rank = {s: i for i, s in enumerate(stage_order)}
    as_of = (
        out["lead_stage_history"]
        .with_columns(pl.col("stage").replace_strict(rank, return_dtype=pl.Int64).alias("_r"))
        .sort("lead_id", "entered_at", "_r")
        .group_by("lead_id")
        .agg(
            pl.col("stage").last().alias("_stage"),
            (pl.col("stage") == sql_stage).any().alias("_sql"),
        )
    )
    out["leads"] = (
        tables["leads"]
        .join(as_of, on="lead_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("_stage")
            .cast(pl.String)
            .fill_null(pl.lit(stage_order[0]))
            .cast(tables["leads"].schema["current_stage"])
            .alias("current_stage"),
            pl.col("_sql").fill_null(False).alias("is_sql"),
        )
        .drop("_stage", "_sql")
    )
    out["opportunities"] = (
        tables["opportunities"]
        .join(anc, on="lead_id", how="left", maintain_order="left")
        .filter(pl.col("created_at") <= pl.col("snapshot_time"))
        .drop("snapshot_time")
        .join(as_of.select("lead_id", "_stage"), on="lead_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("_stage")
            .cast(pl.String)
            .fill_null(pl.lit(sql_stage))
            .cast(tables["opportunities"].schema["stage"])
            .alias("stage")
        )
        .drop("_stage")
    )
    return out
