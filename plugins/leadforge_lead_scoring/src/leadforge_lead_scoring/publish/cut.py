"""Public snapshot cut: every lead's records as the CRM showed them at the lead's anchor.

Event tables keep the rows :func:`leadforge_core.asof.as_of` keeps (timestamped ≤ the anchor,
the same rule as the task features); the stage history is cut the same way, and
the stage shown on leads and opportunities is recomputed from the cut history (as-of
columns). Terminal columns are removed by the core through the exposure policy.
"""

from __future__ import annotations

import attrs
import numpy as np
import polars as pl

from leadforge_core import asof
from leadforge_lead_scoring.snapshot.features import anchors, lead_anchors, stage_rank

EVENT_TABLES = {
    "touches": "touch_timestamp",
    "sessions": "session_timestamp",
    "sales_activities": "activity_timestamp",
    "lead_stage_history": "entered_at",
}


def cut_tables(
    tables: dict[str, pl.DataFrame], snapshot_day: int, stage_order: list[str], sql_stage: str
) -> dict[str, pl.DataFrame]:
    anc = lead_anchors(anchors(tables["leads"], snapshot_day), positional=False)
    out = asof.cut(tables, anc, EVENT_TABLES)
    rank = {s: i for i, s in enumerate(stage_order)}
    as_of = (
        out["lead_stage_history"]
        .lazy()
        .group_by("lead_id")
        .agg(
            asof.stage_as_of(
                pl.col("stage").cast(pl.String).replace_strict(rank, return_dtype=pl.Int64),
                time="entered_at",
            ).alias("_r"),
            (pl.col("stage") == sql_stage).any().alias("_sql"),
        )
        .select(
            "lead_id",
            pl.col("_r")
            .replace_strict(dict(enumerate(stage_order)), return_dtype=pl.String)
            .alias("_stage"),
            "_sql",
        )
        .collect()
    )
    out["leads"] = (
        tables["leads"]
        .join(as_of, on="lead_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("_stage")
            .fill_null(pl.lit(stage_order[0]))
            .cast(tables["leads"].schema["current_stage"])
            .alias("current_stage"),
            pl.col("_sql").fill_null(False).alias("is_sql"),
        )
        .drop("_stage", "_sql")
    )
    out["opportunities"] = (
        asof.cut(tables, anc, {"opportunities": "created_at"})["opportunities"]
        .join(as_of.select("lead_id", "_stage"), on="lead_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("_stage")
            .fill_null(pl.lit(sql_stage))
            .cast(tables["opportunities"].schema["stage"])
            .alias("stage")
        )
        .drop("_stage")
    )
    return out


@attrs.define
class CutPlan:
    """The public cut computed once on integer-keyed tables (row masks and as-of stages), so
    publishing only filters. Equivalent to :func:`cut_tables`."""

    keep: dict[str, pl.Series]
    lead_stage: pl.Series
    lead_is_sql: pl.Series
    #: stage as of the anchor of each kept opportunity (gathered on integer keys)
    opp_stage: pl.Series


def plan_cut(tables: dict[str, pl.DataFrame], snapshot_day: int, stage_order: list[str]) -> CutPlan:
    """``tables`` must have positional integer ``lead_id`` keys."""
    anc = lead_anchors(anchors(tables["leads"], snapshot_day), positional=True)
    keep = asof.keep_masks(tables, anc, {**EVENT_TABLES, "opportunities": "created_at"})
    history = tables["lead_stage_history"]
    kept = keep["lead_stage_history"].to_numpy()
    lead = history["lead_id"].to_numpy()[kept]
    rank = history.select(stage_rank(history.schema["stage"], stage_order)).to_series()
    rank = rank.to_numpy()[kept]
    lost = len(stage_order) - 1
    n = tables["leads"].height
    ranks = np.zeros(n, dtype=np.int64)
    np.maximum.at(ranks, lead, rank)
    reached = np.zeros(n, dtype=np.int64)  # highest open stage reached
    is_open = rank < lost
    np.maximum.at(reached, lead[is_open], rank[is_open])
    dtype = tables["leads"].schema["current_stage"]
    names = pl.Series(stage_order, dtype=pl.String).cast(dtype)
    lead_stage = names.gather(ranks)
    opps = tables["opportunities"]
    opp_lead = opps["lead_id"].filter(keep["opportunities"])
    opp_stage = lead_stage.gather(opp_lead).cast(opps.schema["stage"]).alias("stage")
    return CutPlan(
        keep=keep,
        lead_stage=lead_stage,
        lead_is_sql=pl.Series(reached >= 2),
        opp_stage=opp_stage,
    )


def apply_cut(tables: dict[str, pl.DataFrame], plan: CutPlan) -> dict[str, pl.DataFrame]:
    """Apply a :class:`CutPlan` to the published (string-keyed) tables."""
    out = dict(tables)
    for name in EVENT_TABLES:
        keep = plan.keep[name]
        # Public renders arrive cut already (every row kept): nothing to copy.
        out[name] = tables[name] if keep.all() else tables[name].filter(keep)
    out["leads"] = tables["leads"].with_columns(
        plan.lead_stage.alias("current_stage"), plan.lead_is_sql.alias("is_sql")
    )
    out["opportunities"] = (
        tables["opportunities"].filter(plan.keep["opportunities"]).with_columns(plan.opp_stage)
    )
    return out
