"""The feature catalog: every task column with its group, type, provenance and leakage flag."""

from __future__ import annotations

import attrs

from leadforge_core.bundle.model import DType, FeatureInfo

CAT, INT, F, S, T = DType.CATEGORY, DType.INT, DType.FLOAT, DType.STRING, DType.DATETIME


@attrs.frozen
class Feature:
    name: str
    group: str
    dtype: DType
    description: str
    derived_from: str
    window: str = "as of the cutoff"
    leakage_risk: bool = False


FEATURES: tuple[Feature, ...] = (
    Feature("industry", "firmographic", CAT, "industry segment", "accounts.industry", "static"),
    Feature("region", "firmographic", CAT, "sales region", "accounts.region", "static"),
    Feature(
        "employee_band",
        "firmographic",
        CAT,
        "company size band",
        "accounts.employee_band",
        "static",
    ),
    Feature(
        "acquisition_channel",
        "acquisition",
        CAT,
        "channel the deal came through",
        "customers.acquisition_channel",
        "static",
    ),
    Feature("csm_team", "acquisition", CAT, "pod of the owning CSM", "csm_reps.team", "static"),
    Feature(
        "tenure_weeks",
        "tenure",
        INT,
        "whole weeks since the contract started",
        "customers.customer_start_at",
    ),
    Feature(
        "initial_plan", "subscription", CAT, "plan at signing", "customers.initial_plan", "static"
    ),
    Feature(
        "current_plan",
        "subscription",
        CAT,
        "plan tier of the MRR in force at the cutoff",
        "subscription_events.mrr_after",
    ),
    Feature(
        "initial_mrr", "subscription", F, "MRR at signing (USD)", "customers.initial_mrr", "static"
    ),
    Feature(
        "current_mrr",
        "subscription",
        F,
        "MRR in force at the cutoff (USD)",
        "subscription_events.mrr_after",
    ),
    Feature(
        "mrr_change_at_snapshot",
        "subscription",
        F,
        "current_mrr minus initial_mrr",
        "subscription_events.mrr_after",
    ),
    Feature(
        "contract_term_months",
        "subscription",
        INT,
        "contract term at signing (months)",
        "customers.contract_term_months",
        "static",
    ),
    Feature(
        "current_contract_term_months",
        "subscription",
        INT,
        "term of the contract running at the cutoff",
        "subscription_events",
    ),
    Feature(
        "renewal_count",
        "subscription",
        INT,
        "renewals before the cutoff",
        "subscription_events.event_type",
    ),
    Feature(
        "expansion_count",
        "subscription",
        INT,
        "expansions before the cutoff",
        "subscription_events.event_type",
    ),
    Feature(
        "downgrade_count",
        "subscription",
        INT,
        "downgrades before the cutoff",
        "subscription_events.event_type",
    ),
    Feature(
        "weeks_to_next_renewal",
        "subscription",
        INT,
        "whole weeks from the cutoff to the next contract anniversary",
        "customers.customer_start_at, subscription_events",
    ),
    Feature(
        "active_users_mean_12w",
        "usage_health",
        F,
        "mean active users over periods ending in the last 12 weeks",
        "health_signals.active_users",
        "last 12 weeks",
    ),
    Feature(
        "active_users_trend_12w",
        "usage_health",
        F,
        "slope of active users per week over the last 12 weeks",
        "health_signals.active_users",
        "last 12 weeks",
    ),
    Feature(
        "feature_depth_mean_12w",
        "usage_health",
        F,
        "mean feature depth score over the last 12 weeks",
        "health_signals.feature_depth_score",
        "last 12 weeks",
    ),
    Feature(
        "support_tickets_12w",
        "usage_health",
        INT,
        "support tickets in the last 12 weeks",
        "health_signals.support_tickets",
        "last 12 weeks",
    ),
    Feature(
        "last_nps_score",
        "usage_health",
        INT,
        "most recent NPS answer before the cutoff",
        "health_signals.nps_score",
        "all history",
    ),
    Feature(
        "payment_failure_count",
        "billing",
        INT,
        "failed payments before the cutoff",
        "subscription_events.event_type",
        "all history",
    ),
    Feature(
        "weeks_since_last_payment_failure",
        "billing",
        INT,
        "whole weeks since the last failed payment (empty if none)",
        "subscription_events.event_timestamp",
        "all history",
    ),
    Feature(
        "unpaid_invoices_at_snapshot",
        "billing",
        INT,
        "invoices issued but not settled at the cutoff",
        "invoices",
        "all history",
    ),
    Feature(
        "revenue_to_date",
        "billing",
        F,
        "invoice amounts settled by the cutoff (USD)",
        "invoices.amount_usd",
        "all history",
    ),
    Feature(
        "mrr_change_full_period",
        "leakage_trap",
        F,
        "MRR change from the cutoff through the end of the simulated horizon "
        "(LEAKAGE TRAP: uses the future, kept on purpose for teaching)",
        "subscriptions.current_mrr",
        "cutoff to horizon end",
        True,
    ),
)
SECOND_TRAP = Feature(
    "active_users_current",
    "usage_health",
    F,
    "active users (LEAKAGE TRAP: measured over the 12 weeks after the cutoff)",
    "health_signals.active_users",
    "12 weeks after the cutoff",
    True,
)

#: Features that are constant by construction in the early (tenure-anchored) regime.
EARLY_EXCLUDED = ("tenure_weeks", "renewal_count", "current_contract_term_months")

IDENTIFIERS: tuple[tuple[str, DType, str], ...] = (
    ("row_id", S, "task row identifier"),
    ("customer_id", S, "customer of the row"),
    ("account_id", S, "account of the customer"),
    ("snapshot_time", T, "the cutoff: features use only what is known at this time"),
)


#: Per-row truth of instructor task splits: column -> (description, source); never public.
TRUTH: dict[str, tuple[str, str]] = {
    "true_product_fit": ("the customer's true product fit", "latent product_fit"),
    "true_adoption_velocity": ("how fast the customer truly adopts", "latent adoption_velocity"),
    "true_budget_stability": ("the customer's true budget stability", "latent budget_stability"),
    "true_champion_strength": ("the true strength of the champion", "latent champion_strength"),
    "true_organizational_stability": (
        "the customer's true organizational stability",
        "latent organizational_stability",
    ),
    "true_churn_risk": (
        "the customer's time-invariant log weekly churn hazard (frailty and latent health)",
        "simulated churn hazard",
    ),
}


def truth_infos() -> list[FeatureInfo]:
    """Instructor-only truth columns of every task split (feature group ``hidden_truth``)."""
    return [
        FeatureInfo(
            name,
            "hidden_truth",
            "float64",
            "customer",
            f"HIDDEN TRUTH: {desc}; instructor bundles only, not a feature",
            source,
            "world state at signing",
            available_in_public_mode=False,
        )
        for name, (desc, source) in TRUTH.items()
    ]


def feature_infos(features: list[Feature], targets: dict[str, str]) -> list[FeatureInfo]:
    out = [
        FeatureInfo(name, "identifier", str(dtype), "customer", desc, "task", "static")
        for name, dtype, desc in IDENTIFIERS
    ]
    out += [
        FeatureInfo(
            f.name,
            f.group,
            str(f.dtype),
            "customer",
            f.description,
            f.derived_from,
            f.window,
            f.leakage_risk,
        )
        for f in features
    ]
    out += truth_infos()
    out += [
        FeatureInfo(
            name,
            "target",
            "float64" if "revenue" in name else "int64",
            "customer",
            desc,
            "invoices",
            "after the cutoff",
        )
        for name, desc in targets.items()
    ]
    return out
