"""The task ``converted_within_90_days``: rows, trap, label, splits and the feature dictionary."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from leadforge_core.bundle.model import FeatureInfo, TaskOutput, TaskSpec, TaskType
from leadforge_core.splits import assign_splits
from leadforge_lead_scoring.snapshot.features import STATIC

TASK = "converted_within_90_days"
LABEL = TASK
TRAP = "touches_full_horizon"

TASK_SPEC = TaskSpec(
    name=TASK,
    task_type=TaskType.BINARY,
    targets=(LABEL,),
    row_unit="lead open at its snapshot anchor (lead_created_at + snapshot_day)",
    description="Will this open lead close won within 90 days of its creation?",
    id_columns=("row_id", "lead_id", "account_id", "contact_id", "snapshot_time"),
    key="lead_id",
    anchor="snapshot_time",
)

_F = tuple[str, str, str, str, str, str]  # name, group, dtype, description, derived_from, window
FEATURES: tuple[_F, ...] = (
    (
        "industry",
        "firmographic",
        "category",
        "account industry (missing when not enriched)",
        "accounts.industry",
        "static",
    ),
    ("region", "firmographic", "category", "account sales region", "accounts.region", "static"),
    (
        "employee_band",
        "firmographic",
        "category",
        "employee-count band (may be missing)",
        "accounts.employee_band",
        "static",
    ),
    (
        "estimated_revenue_band",
        "firmographic",
        "category",
        "estimated annual revenue band (may be missing)",
        "accounts.estimated_revenue_band",
        "static",
    ),
    (
        "process_maturity_band",
        "firmographic",
        "category",
        "finance-process maturity from enrichment (may be missing)",
        "accounts.process_maturity_band",
        "static",
    ),
    (
        "account_prior_leads",
        "firmographic",
        "int64",
        "leads of the same account created before this one",
        "leads.account_id, leads.lead_created_at",
        "before lead creation",
    ),
    (
        "role_function",
        "buyer_profile",
        "category",
        "contact's job function",
        "contacts.role_function",
        "static",
    ),
    (
        "seniority",
        "buyer_profile",
        "category",
        "contact seniority (may be missing)",
        "contacts.seniority",
        "static",
    ),
    (
        "buyer_role",
        "buyer_profile",
        "category",
        "contact's role in the buying committee",
        "contacts.buyer_role",
        "static",
    ),
    (
        "email_domain_type",
        "buyer_profile",
        "category",
        "corporate, webmail or partner-forwarded address",
        "contacts.email_domain_type",
        "static",
    ),
    (
        "lead_source",
        "source_attribution",
        "category",
        "normalized lead source as recorded (noisy)",
        "leads.lead_source",
        "at creation",
    ),
    (
        "first_touch_channel",
        "source_attribution",
        "category",
        "first-touch channel as attributed (noisy)",
        "leads.first_touch_channel",
        "at creation",
    ),
    (
        "created_month",
        "source_attribution",
        "int64",
        "calendar month of lead creation",
        "leads.lead_created_at",
        "at creation",
    ),
    (
        "created_weekday",
        "source_attribution",
        "int64",
        "ISO weekday of lead creation (1 = Monday)",
        "leads.lead_created_at",
        "at creation",
    ),
    (
        "n_touches",
        "behavioral",
        "int64",
        "marketing touches up to the anchor",
        "touches",
        "days 0..snapshot_day",
    ),
    (
        "n_touches_first_7d",
        "behavioral",
        "int64",
        "touches in the first 7 days",
        "touches",
        "days 0..7",
    ),
    (
        "n_touches_last_7d",
        "behavioral",
        "int64",
        "touches in the 7 days before the anchor",
        "touches",
        "last 7 days before anchor",
    ),
    (
        "n_inbound_touches",
        "behavioral",
        "int64",
        "inbound touches up to the anchor",
        "touches.touch_direction",
        "days 0..snapshot_day",
    ),
    (
        "n_distinct_campaigns",
        "behavioral",
        "int64",
        "distinct campaigns touched up to the anchor",
        "touches.campaign_id",
        "days 0..snapshot_day",
    ),
    (
        "days_since_last_touch",
        "behavioral",
        "float64",
        "days from the last touch to the anchor (null: none)",
        "touches.touch_timestamp",
        "days 0..snapshot_day",
    ),
    (
        "n_sessions",
        "behavioral",
        "int64",
        "visible web sessions up to the anchor",
        "sessions",
        "days 0..snapshot_day",
    ),
    (
        "total_page_views",
        "behavioral",
        "int64",
        "page views up to the anchor",
        "sessions.page_views",
        "days 0..snapshot_day",
    ),
    (
        "pricing_page_views",
        "behavioral",
        "int64",
        "pricing-page views up to the anchor",
        "sessions.pricing_page_views",
        "days 0..snapshot_day",
    ),
    (
        "demo_page_views",
        "behavioral",
        "int64",
        "demo-page views up to the anchor",
        "sessions.demo_page_views",
        "days 0..snapshot_day",
    ),
    (
        "session_minutes",
        "behavioral",
        "float64",
        "total session time up to the anchor (minutes)",
        "sessions.session_duration_seconds",
        "days 0..snapshot_day",
    ),
    (
        "n_sessions_last_7d",
        "behavioral",
        "int64",
        "sessions in the 7 days before the anchor",
        "sessions",
        "last 7 days before anchor",
    ),
    (
        "days_since_last_session",
        "behavioral",
        "float64",
        "days from the last session to the anchor (null: none)",
        "sessions.session_timestamp",
        "days 0..snapshot_day",
    ),
    (
        "n_sales_activities",
        "sales_process",
        "int64",
        "logged sales activities up to the anchor",
        "sales_activities",
        "days 0..snapshot_day",
    ),
    (
        "n_connected_activities",
        "sales_process",
        "int64",
        "activities that reached the contact",
        "sales_activities.activity_outcome",
        "days 0..snapshot_day",
    ),
    (
        "days_to_first_activity",
        "sales_process",
        "float64",
        "follow-up latency: creation to first logged activity (null: none yet)",
        "sales_activities.activity_timestamp",
        "days 0..snapshot_day",
    ),
    (
        "days_since_last_activity",
        "sales_process",
        "float64",
        "days from the last activity to the anchor (null: none)",
        "sales_activities.activity_timestamp",
        "days 0..snapshot_day",
    ),
    (
        "owner_rep_id",
        "sales_process",
        "category",
        "owning SDR",
        "leads.owner_rep_id",
        "at creation",
    ),
    (
        "stage_at_snapshot",
        "stage",
        "category",
        "funnel stage as logged at the anchor",
        "lead_stage_history",
        "as of anchor",
    ),
    (
        "days_in_stage_at_snapshot",
        "stage",
        "float64",
        "days since the logged entry into the current stage",
        "lead_stage_history.entered_at",
        "as of anchor",
    ),
    (
        "n_stage_changes",
        "stage",
        "int64",
        "logged stage changes up to the anchor",
        "lead_stage_history",
        "as of anchor",
    ),
    (
        "has_opportunity",
        "stage",
        "bool",
        "an opportunity was opened by the anchor",
        "opportunities.created_at",
        "as of anchor",
    ),
    (
        "opportunity_acv",
        "stage",
        "float64",
        "estimated ACV of the opportunity open at the anchor (null: none)",
        "opportunities.estimated_acv",
        "as of anchor",
    ),
    (
        "lead_score",
        "derived_proxy",
        "int64",
        "marketing lead score recorded at creation (a noisy proxy)",
        "leads.lead_score",
        "at creation",
    ),
    (
        "fit_score",
        "derived_proxy",
        "int64",
        "enrichment fit score (missing when enrichment failed)",
        "leads.fit_score",
        "at creation",
    ),
)
TRAP_INFO = FeatureInfo(
    feature_name=TRAP,
    feature_group="leakage_trap",
    dtype="int64",
    entity_level="lead",
    description=(
        "LEAKAGE TRAP: touches over the lead's whole 90-day window, including after the "
        "anchor (closed-won customers get onboarding touches). Kept on purpose; do not use."
    ),
    derived_from="touches (instructor, full horizon)",
    window="days 0..90 (after the anchor)",
    leakage_risk=True,
)


#: Hidden-graph drivers the daily hazards read, standardized over the population: the
#: per-row truth of instructor task splits (``true_<node>``), never in public bundles.
TRUTH_NODES = (
    "engagement",
    "followup_speed",
    "demo_momentum",
    "committee_friction",
    "final_approval",
    "deal_propensity",
)
TRUTH_COLUMNS = tuple(f"true_{node}" for node in TRUTH_NODES)


def truth_infos() -> list[FeatureInfo]:
    """Instructor-only truth columns: the true latent value of each hazard driver per lead."""
    return [
        FeatureInfo(
            f"true_{node}",
            "hidden_truth",
            "float64",
            "lead",
            f"HIDDEN TRUTH: the lead's true {node.replace('_', ' ')} (standardized latent of "
            "the hidden graph that drives the funnel hazards); instructor bundles only, not a "
            "feature",
            f"hidden graph node {node}",
            "world state at lead creation",
            available_in_public_mode=False,
        )
        for node in TRUTH_NODES
    ]


def feature_infos() -> list[FeatureInfo]:
    ids = [
        FeatureInfo("row_id", "identifier", "string", "lead", "task row id", "task", "none"),
        FeatureInfo("lead_id", "identifier", "string", "lead", "lead id", "leads.lead_id", "none"),
        FeatureInfo(
            "account_id",
            "identifier",
            "string",
            "account",
            "account id (grouping key)",
            "leads.account_id",
            "none",
        ),
        FeatureInfo(
            "contact_id",
            "identifier",
            "string",
            "contact",
            "contact id",
            "leads.contact_id",
            "none",
        ),
        FeatureInfo(
            "snapshot_time",
            "identifier",
            "datetime",
            "lead",
            "the anchor: lead_created_at + snapshot_day",
            "leads.lead_created_at",
            "none",
        ),
    ]
    feats = [FeatureInfo(n, g, d, "lead", desc, src, w) for n, g, d, desc, src, w in FEATURES]
    label = FeatureInfo(
        LABEL,
        "target",
        "bool",
        "lead",
        "closed won within 90 days of lead creation (derived from the simulated stage events)",
        "lead_stage_history (closed_won entry), instructor",
        "days 0..90",
    )
    return [*ids, *feats, TRAP_INFO, *truth_infos(), label]


def build_task(
    features: pl.DataFrame,
    trap: np.ndarray,
    won: np.ndarray,
    open_at_anchor: np.ndarray,
    params: Any,
    rng: np.random.Generator,
    nodes: dict[str, np.ndarray],
) -> TaskOutput:
    """Rows: leads still open at their anchor. Label from simulated events (``won``).

    ``features`` holds the open leads only, in lead order (``compute_features`` with
    ``rows=open_at_anchor``); ``trap``, ``won`` and the latent ``nodes`` (the truth columns,
    dropped from public bundles by the core) cover every lead. Without ``nodes`` (a public
    run) the truth columns are left out.
    """
    frame = features.with_columns(
        pl.Series(TRAP, trap[open_at_anchor].astype(np.int64)),
        *(
            pl.Series(f"true_{node}", nodes[node][open_at_anchor].astype(np.float64))
            for node in TRUTH_NODES
            if node in nodes
        ),
        pl.Series(LABEL, won[open_at_anchor]),
    )
    frame = frame.with_columns(
        pl.concat_str(pl.lit("row_"), pl.col("lead_id").str.slice(5)).alias("row_id")
    )
    cols = [
        f.feature_name
        for f in feature_infos()
        if f.feature_name in frame.columns or f.feature_name not in TRUTH_COLUMNS
    ]
    frame = frame.select(cols)
    split, split_details = assign_splits(
        frame, params.split, rng, time_col="snapshot_time", group_col="account_id", label_col=LABEL
    )
    frame = frame.with_columns(split)
    splits = {
        name: frame.filter(pl.col("split") == name).drop("split")
        for name in ("train", "valid", "test")
    }
    n_closed = int((~open_at_anchor).sum())
    details: dict[str, Any] = {"split": split_details}
    details.update(
        {
            "snapshot_rule": f"lead_created_at + {params.snapshot_day} days",
            "snapshot_day": params.snapshot_day,
            "horizon_days": params.horizon_days,
            "target_semantics": (
                "true when the lead's opportunity entered closed_won within "
                f"{params.horizon_days} days of lead creation; derived from simulated stage events"
            ),
            "leakage_policy": (
                "every feature uses only CRM records timestamped at or before snapshot_time, "
                f"except the documented trap {TRAP} (leakage_risk=true)"
            ),
            "leakage_traps": [TRAP],
            "grouping": "account_id" if str(params.split.strategy) == "grouped" else None,
            "excluded_rows": {
                "closed_before_anchor": n_closed,
                "closed_won_before_anchor": int((~open_at_anchor & won).sum()),
            },
        }
    )
    return TaskOutput(spec=TASK_SPEC, splits=splits, details=details)


__all__ = [
    "FEATURES",
    "LABEL",
    "STATIC",
    "TASK",
    "TASK_SPEC",
    "TRAP",
    "TRUTH_COLUMNS",
    "TRUTH_NODES",
    "build_task",
    "feature_infos",
    "truth_infos",
]
