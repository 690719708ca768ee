"""Declared table schemas (instructor view) and the exposure policy."""

from __future__ import annotations

from leadforge_core.bundle.model import ColumnSpec as C
from leadforge_core.bundle.model import DType as D
from leadforge_core.bundle.model import ForeignKey as FK
from leadforge_core.bundle.model import TableSpec
from leadforge_core.exposure import ExposurePolicy

EXPOSURE = ExposurePolicy(
    omit_tables=("customers", "subscriptions"),
    redact_columns={
        "leads": ("converted_within_90_days", "conversion_timestamp"),
        "opportunities": ("close_outcome", "closed_at"),
    },
    as_of_columns={"leads": ("current_stage", "is_sql"), "opportunities": ("stage",)},
    event_times={
        "touches": "touch_timestamp",
        "sessions": "session_timestamp",
        "sales_activities": "activity_timestamp",
        "lead_stage_history": "entered_at",
        "opportunities": "created_at",
    },
)

TABLE_SPECS = [
    TableSpec(
        "accounts",
        "companies in the CRM (firmographics from enrichment)",
        (
            C("account_id", D.STRING, "account id", False),
            C("company_name", D.STRING, "company name", False),
            C("industry", D.CATEGORY, "industry (null when enrichment failed)"),
            C("region", D.CATEGORY, "sales region", False),
            C("employee_band", D.CATEGORY, "employee-count band (null when not enriched)"),
            C(
                "estimated_revenue_band",
                D.CATEGORY,
                "estimated revenue band (null when not enriched)",
            ),
            C("process_maturity_band", D.CATEGORY, "finance-process maturity (null when unknown)"),
            C("created_at", D.DATETIME, "record created", False),
        ),
        primary_key="account_id",
    ),
    TableSpec(
        "contacts",
        "people at accounts",
        (
            C("contact_id", D.STRING, "contact id", False),
            C("account_id", D.STRING, "account of the contact", False),
            C("job_title", D.CATEGORY, "job title", False),
            C("role_function", D.CATEGORY, "job function", False),
            C("seniority", D.CATEGORY, "seniority (null when unknown)"),
            C("buyer_role", D.CATEGORY, "role in the buying committee", False),
            C("email_domain_type", D.CATEGORY, "corporate / webmail / partner-forwarded", False),
            C("created_at", D.DATETIME, "record created", False),
        ),
        primary_key="contact_id",
        foreign_keys=(FK("account_id", "accounts", "account_id"),),
    ),
    TableSpec(
        "reps",
        "sales reps (SDRs own leads, account executives run opportunities)",
        (
            C("rep_id", D.STRING, "rep id", False),
            C("rep_role", D.CATEGORY, "sdr or account_executive", False),
            C("team", D.CATEGORY, "sales team", False),
        ),
        primary_key="rep_id",
    ),
    TableSpec(
        "leads",
        "one row per lead (a contact can have several)",
        (
            C("lead_id", D.STRING, "lead id", False),
            C("contact_id", D.STRING, "contact", False),
            C("account_id", D.STRING, "account", False),
            C("lead_created_at", D.DATETIME, "lead creation time", False),
            C("lead_source", D.CATEGORY, "normalized lead source as recorded (noisy)", False),
            C("first_touch_channel", D.CATEGORY, "attributed first-touch channel (noisy)", False),
            C("current_stage", D.CATEGORY, "funnel stage (public: as of the lead's anchor)", False),
            C("owner_rep_id", D.STRING, "owning SDR", False),
            C("is_mql", D.BOOL, "marketing qualified", False),
            C("is_sql", D.BOOL, "reached sales-qualified (public: as of the anchor)", False),
            C("lead_score", D.INT, "marketing lead score at creation (proxy, 1-99)", False),
            C(
                "fit_score",
                D.INT,
                "enrichment fit score at creation (proxy, 1-99; null if unknown)",
            ),
            C("converted_within_90_days", D.BOOL, "label: closed won within 90 days", False),
            C("conversion_timestamp", D.DATETIME, "time of closed won (null otherwise)"),
        ),
        primary_key="lead_id",
        foreign_keys=(
            FK("contact_id", "contacts", "contact_id"),
            FK("account_id", "accounts", "account_id"),
            FK("owner_rep_id", "reps", "rep_id"),
        ),
        time_order=(("lead_created_at", "conversion_timestamp"),),
    ),
    TableSpec(
        "lead_stage_history",
        "logged funnel-stage entries (logging may lag reality)",
        (
            C("stage_event_id", D.STRING, "stage event id", False),
            C("lead_id", D.STRING, "lead", False),
            C("stage", D.CATEGORY, "stage entered", False),
            C("entered_at", D.DATETIME, "logged entry time", False),
        ),
        primary_key="stage_event_id",
        foreign_keys=(FK("lead_id", "leads", "lead_id"),),
    ),
    TableSpec(
        "touches",
        "marketing touches",
        (
            C("touch_id", D.STRING, "touch id", False),
            C("lead_id", D.STRING, "lead", False),
            C("touch_timestamp", D.DATETIME, "time of the touch", False),
            C("touch_type", D.CATEGORY, "kind of touch", False),
            C("touch_channel", D.CATEGORY, "channel of the touch", False),
            C("touch_direction", D.CATEGORY, "inbound or outbound", False),
            C("campaign_id", D.CATEGORY, "campaign (null when untracked)"),
        ),
        primary_key="touch_id",
        foreign_keys=(FK("lead_id", "leads", "lead_id"),),
    ),
    TableSpec(
        "sessions",
        "identified web sessions (partial visibility)",
        (
            C("session_id", D.STRING, "session id", False),
            C("lead_id", D.STRING, "lead", False),
            C("session_timestamp", D.DATETIME, "session start", False),
            C("session_type", D.CATEGORY, "how the visit started", False),
            C("page_views", D.INT, "pages viewed", False),
            C("pricing_page_views", D.INT, "pricing pages viewed", False),
            C("demo_page_views", D.INT, "demo / trial pages viewed", False),
            C("session_duration_seconds", D.INT, "session length", False),
        ),
        primary_key="session_id",
        foreign_keys=(FK("lead_id", "leads", "lead_id"),),
    ),
    TableSpec(
        "sales_activities",
        "logged sales activities (sparse, possibly late)",
        (
            C("activity_id", D.STRING, "activity id", False),
            C("lead_id", D.STRING, "lead", False),
            C("rep_id", D.STRING, "rep who logged it", False),
            C("activity_timestamp", D.DATETIME, "logged time", False),
            C("activity_type", D.CATEGORY, "kind of activity", False),
            C("activity_outcome", D.CATEGORY, "result of the activity", False),
        ),
        primary_key="activity_id",
        foreign_keys=(
            FK("lead_id", "leads", "lead_id"),
            FK("rep_id", "reps", "rep_id"),
        ),
    ),
    TableSpec(
        "opportunities",
        "opportunities opened when a lead becomes sales-qualified",
        (
            C("opportunity_id", D.STRING, "opportunity id", False),
            C("lead_id", D.STRING, "lead", False),
            C("created_at", D.DATETIME, "opened at SQL", False),
            C("stage", D.CATEGORY, "stage (public: as of the lead's anchor)", False),
            C("estimated_acv", D.FLOAT, "estimated annual contract value (USD)", False),
            C("close_outcome", D.CATEGORY, "won / lost (null while open)"),
            C("closed_at", D.DATETIME, "close time (null while open)"),
        ),
        primary_key="opportunity_id",
        foreign_keys=(FK("lead_id", "leads", "lead_id"),),
        time_order=(("created_at", "closed_at"),),
    ),
    TableSpec(
        "customers",
        "accounts that bought (closed-won opportunities)",
        (
            C("customer_id", D.STRING, "customer id", False),
            C("opportunity_id", D.STRING, "winning opportunity", False),
            C("account_id", D.STRING, "account", False),
            C("customer_start_at", D.DATETIME, "customer start", False),
        ),
        primary_key="customer_id",
        foreign_keys=(
            FK("opportunity_id", "opportunities", "opportunity_id"),
            FK("account_id", "accounts", "account_id"),
        ),
    ),
    TableSpec(
        "subscriptions",
        "subscriptions of new customers",
        (
            C("subscription_id", D.STRING, "subscription id", False),
            C("customer_id", D.STRING, "customer", False),
            C("plan_name", D.CATEGORY, "plan", False),
            C("subscription_start_at", D.DATETIME, "start", False),
            C("subscription_status", D.CATEGORY, "status", False),
        ),
        primary_key="subscription_id",
        foreign_keys=(FK("customer_id", "customers", "customer_id"),),
    ),
]
