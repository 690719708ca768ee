"""Declared schemas of the lifecycle tables (instructor bundle: full horizon)."""

from __future__ import annotations

from leadforge_core.bundle.model import ColumnSpec, DType, ForeignKey, TableSpec

C = ColumnSpec
# Low-cardinality text columns are written as String, so they are declared ``string``.
S, INT, F, T = DType.STRING, DType.INT, DType.FLOAT, DType.DATETIME

TABLE_SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "accounts",
        "Customer companies (one account per customer).",
        (
            C("account_id", S, "account identifier", False),
            C("company_name", S, "company display name", False),
            C("industry", S, "industry segment"),
            C("region", S, "sales region"),
            C("employee_band", S, "company size band (employees)"),
            C("created_at", T, "when the account was first recorded in the CRM", False),
        ),
        primary_key="account_id",
    ),
    TableSpec(
        "csm_reps",
        "Customer success managers who own customer relationships.",
        (
            C("csm_rep_id", S, "CSM identifier", False),
            C("team", S, "CSM pod", False),
            C("region", S, "region the CSM covers", False),
        ),
        primary_key="csm_rep_id",
    ),
    TableSpec(
        "customers",
        "One row per customer, with what was known when the contract was signed.",
        (
            C("customer_id", S, "customer identifier", False),
            C("account_id", S, "the customer's account", False),
            C("customer_start_at", T, "contract start", False),
            C("initial_plan", S, "plan at signing", False),
            C("initial_mrr", F, "monthly recurring revenue at signing (USD)", False),
            C("contract_term_months", INT, "contract term at signing (months)", False),
            C("csm_rep_id", S, "owning customer success manager", False),
            C("opportunity_id", S, "originating opportunity when known (not linked here)"),
            C("acquisition_channel", S, "channel the deal came through", False),
        ),
        primary_key="customer_id",
        foreign_keys=(
            ForeignKey("account_id", "accounts", "account_id"),
            ForeignKey("csm_rep_id", "csm_reps", "csm_rep_id"),
        ),
    ),
    TableSpec(
        "subscriptions",
        "The customer's subscription; status and counts as of the horizon end.",
        (
            C("subscription_id", S, "subscription identifier", False),
            C("customer_id", S, "subscribing customer", False),
            C("plan_name", S, "plan at signing", False),
            C("subscription_start_at", T, "subscription start", False),
            C("subscription_status", S, "active or churned at the horizon end", False),
            C("current_plan", S, "plan at the horizon end (last plan before churn)", False),
            C("current_mrr", F, "MRR in force at the horizon end (0 once churned)", False),
            C("contract_term_months", INT, "current contract term (months)", False),
            C("renewal_count", INT, "renewals so far", False),
            C("expansion_count", INT, "expansions so far", False),
            C("downgrade_count", INT, "downgrades so far", False),
            C("subscription_end_at", T, "end of the current term, or the churn time", False),
            C("churn_at", T, "churn time, if churned"),
            C("churn_reason", S, "non_renewal, mid_term_cancellation or payment_write_off"),
        ),
        primary_key="subscription_id",
        foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"),),
        time_order=(
            ("subscription_start_at", "churn_at"),
            ("subscription_start_at", "subscription_end_at"),
        ),
    ),
    TableSpec(
        "subscription_events",
        "Renewals, MRR changes, churn and payment events.",
        (
            C("event_id", S, "event identifier", False),
            C("subscription_id", S, "subscription concerned", False),
            C("customer_id", S, "customer concerned", False),
            C("event_timestamp", T, "when the event happened", False),
            C(
                "event_type",
                S,
                "renewal, expansion, downgrade, churn, payment_failure or payment_recovered",
                False,
            ),
            C("mrr_before", F, "MRR before the event", False),
            C("mrr_after", F, "MRR after the event (0 after churn)", False),
            C("contract_term_months_new", INT, "term of the renewed contract (renewals only)"),
        ),
        primary_key="event_id",
        foreign_keys=(
            ForeignKey("subscription_id", "subscriptions", "subscription_id"),
            ForeignKey("customer_id", "customers", "customer_id"),
        ),
    ),
    TableSpec(
        "health_signals",
        "Product telemetry aggregated per customer and calendar period.",
        (
            C("signal_id", S, "signal row identifier", False),
            C("customer_id", S, "customer measured", False),
            C("period_start", T, "period start (inclusive)", False),
            C("period_end", T, "period end (exclusive); the row is known from this time", False),
            C("active_users", INT, "average weekly active users in the period"),
            C("feature_depth_score", F, "breadth of features used, 0-100"),
            C("support_tickets", INT, "support tickets opened in the period"),
            C("nps_score", INT, "NPS survey answer 0-10 (quarterly survey periods only)"),
        ),
        primary_key="signal_id",
        foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"),),
        time_order=(("period_start", "period_end"),),
    ),
    TableSpec(
        "invoices",
        "Monthly invoices and how they were settled.",
        (
            C("invoice_id", S, "invoice identifier", False),
            C("customer_id", S, "billed customer", False),
            C("invoice_date", T, "date the invoice was raised", False),
            C("amount_usd", F, "amount billed (the MRR in force)", False),
            C(
                "payment_status",
                S,
                "paid, failed (still in dunning), recovered or written_off",
                False,
            ),
            C("settled_at", T, "when the invoice was paid, recovered or written off"),
        ),
        primary_key="invoice_id",
        foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"),),
        time_order=(("invoice_date", "settled_at"),),
    ),
)

SPEC_BY_NAME = {spec.name: spec for spec in TABLE_SPECS}
EVENT_TIME = {
    "subscription_events": "event_timestamp",
    "invoices": "invoice_date",
    "health_signals": "period_end",
}
