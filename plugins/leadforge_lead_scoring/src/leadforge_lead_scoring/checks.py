"""Scheme checks for ``leadforge validate`` and the scheme part of ``leadforge inspect``.

Each check reads the bundle through a :class:`BundleView`, never raises on bad data and
yields :class:`Finding` objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import polars as pl

from leadforge_core.validation import probes
from leadforge_core.validation.findings import Finding, named_check
from leadforge_core.validation.view import BundleReadError, BundleView
from leadforge_lead_scoring.publish.cut import EVENT_TABLES
from leadforge_lead_scoring.snapshot.task import LABEL, TASK

#: Key columns of the task rows; the generic checks come from ``leadforge_core.validation.probes``.
KEYS = ("lead_id",)


def _details(view: BundleView) -> dict[str, Any]:
    details = view.manifest.get("scheme_details", {})
    return details if isinstance(details, dict) else {}


_event_windows = probes.event_windows(
    "lead_windows",
    entity_table="leads",
    key="lead_id",
    start="lead_created_at",
    events={**EVENT_TABLES, "opportunities": "created_at"},
    end=probes.days_after_start(probes.scheme_detail("horizon_days")),
    anchor=probes.days_after_start(probes.scheme_detail("snapshot_day")),
)


def _opportunities_at_anchor(view: BundleView) -> Iterator[Finding]:
    """No task row's public opportunity is closed as of the anchor (opportunities created
    after it are found by ``lead_windows``)."""
    if not view.mode.is_public or not view.has_table("opportunities"):
        return
    stages = _details(view).get("stages", [])
    if len(stages) == 9 and TASK in view.task_names():
        opp = view.table("opportunities")
        closed = opp.filter(pl.col("stage").is_in(stages[7:])).select("lead_id")
        hit = probes.task_rows(view, TASK, KEYS).join(closed, on="lead_id", how="inner").height
        if hit:
            yield Finding(
                "snapshot_safety",
                f"{hit} task rows have a closed opportunity stage as of the anchor",
                "opportunities.stage",
            )


def _stage_sequences(view: BundleView) -> Iterator[Finding]:
    """Logged stages follow the funnel order: one entry per stage, ranks rise with time."""
    stages = _details(view).get("stages", [])
    if len(stages) != 9 or not view.has_table("lead_stage_history"):
        return
    rank = {s: i for i, s in enumerate(stages)}
    h = view.table("lead_stage_history")
    unknown = h.filter(~pl.col("stage").is_in(stages)).height
    if unknown:
        yield Finding(
            "stage_sequence", f"{unknown} rows with an unknown stage", "lead_stage_history"
        )
        return
    steps = (
        h.select(
            "lead_id",
            "entered_at",
            pl.col("stage").replace_strict(rank, return_dtype=pl.Int8).alias("r"),
        )
        .sort("lead_id", "entered_at", "r")
        .with_columns(
            pl.col("r").shift(1).alias("prev"),
            (pl.col("lead_id") != pl.col("lead_id").shift(1)).fill_null(True).alias("first"),
        )
    )
    no_start = steps.filter(pl.col("first") & (pl.col("r") != 0)).height
    # Allowed steps: +1 through the open stages and into closed_won (after negotiation);
    # closed_lost from any open stage.
    illegal = steps.filter(
        ~pl.col("first")
        & ~(
            ((pl.col("r") == pl.col("prev") + 1) & (pl.col("r") <= 7))
            | ((pl.col("r") == 8) & (pl.col("prev") <= 6))
        )
    ).height
    if illegal:
        yield Finding(
            "stage_sequence", f"{illegal} illegal stage transitions", "lead_stage_history"
        )
    if no_start:
        yield Finding(
            "stage_sequence",
            f"{no_start} leads whose history does not start at {stages[0]}",
            "lead_stage_history",
        )


def _task_rows(view: BundleView) -> pl.DataFrame | None:
    if TASK not in view.task_names():
        return None
    return probes.task_rows(view, TASK, [*KEYS, LABEL])


#: What a student can build per lead from public tables: the lead with its account and
#: contact ids, its opportunity's last public state, event counts and sibling leads.
PROBE_JOINS: tuple[probes.Join, ...] = (
    probes.Join("leads", "lead_id", suffix="_lead"),
    probes.Join(
        "opportunities",
        "lead_id",
        (
            pl.col("stage").last().alias("opp_stage"),
            pl.col("estimated_acv").max().alias("opp_acv"),
            pl.all().exclude("lead_id", "stage", "estimated_acv").last().name.prefix("opp_"),
        ),
    ),
    *(probes.count_rows(table, "lead_id", entity="leads") for table in EVENT_TABLES),
    probes.Join(
        "leads",
        "account_id",
        (
            pl.len().alias("account_leads"),
            pl.col("current_stage").n_unique().alias("account_stage_variety"),
        ),
    ),
)


def probe_frame(view: BundleView) -> pl.DataFrame:
    """Task rows joined with every per-lead column a student can build from public tables."""
    return probes.probe_frame(view, TASK, LABEL, KEYS, PROBE_JOINS)


def best_rules(frame: pl.DataFrame, label: str, skip: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Best single-column rules: category == v, or numeric ≥ / ≤ quantile thresholds."""
    return probes.best_rules(frame, label, skip)


CHECKS = (
    _event_windows,
    named_check("lead_snapshot", _opportunities_at_anchor),
    named_check("stage_sequence", _stage_sequences),
    probes.prevalence_band("prevalence_band", tasks=(TASK,)),
    probes.join_reconstruction(
        "join_reconstruction", task=TASK, label=LABEL, keys=KEYS, joins=PROBE_JOINS
    ),
)


def inspect_extras(view: BundleView) -> dict[str, Any]:
    try:
        rows = _task_rows(view)
        d = _details(view)
        out: dict[str, Any] = {
            "snapshot_day": d.get("snapshot_day"),
            "horizon_days": d.get("horizon_days"),
            "prevalence_band": d.get("prevalence_band"),
        }
        if rows is not None and rows.height:
            out["task_rows"] = rows.height
            out["task_prevalence"] = round(float(rows[LABEL].mean()), 4)  # type: ignore[arg-type]
        if view.has_table("leads"):
            stages = view.table("leads")["current_stage"].value_counts(sort=True)
            out["lead_stages"] = dict(
                zip(stages["current_stage"].to_list(), stages["count"].to_list(), strict=True)
            )
        if "motif_family" in d:
            out["motif_family"] = d["motif_family"]
        return out
    except (BundleReadError, pl.exceptions.PolarsError, KeyError, TypeError, ValueError) as exc:
        return {"error": str(exc)[:200]}
