"""The public snapshot cut at the observation date.

Rows: customers (and their accounts and subscriptions) that started by the observation date;
events, invoices and health periods known by then (event_timestamp, invoice_date,
period_end ≤ observation_date, the :func:`leadforge_core.asof.as_of` rule). Values: an invoice's payment_status and settled_at are shown as
of the observation date (an invoice recovered later is still ``failed``). Column redaction of
subscriptions is done by the core from :data:`EXPOSURE`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from leadforge_core import asof
from leadforge_core.exposure import ExposurePolicy
from leadforge_lifecycle.publish.specs import EVENT_TIME
from leadforge_lifecycle.publish.tables import to_us
from leadforge_lifecycle.snapshot.tasks import EARLY_TASK_PATTERN

EXPOSURE = ExposurePolicy(
    redact_columns={
        "subscriptions": (
            "subscription_status",
            "current_plan",
            "current_mrr",
            "contract_term_months",
            "renewal_count",
            "expansion_count",
            "downgrade_count",
            "subscription_end_at",
            "churn_at",
            "churn_reason",
        )
    },
    as_of_columns={"invoices": ("payment_status", "settled_at")},
    instructor_only_tasks=(EARLY_TASK_PATTERN,),
    event_times=dict(EVENT_TIME),
)


def snapshot_cut(
    tables: dict[str, pl.DataFrame], observation_date: dt.date
) -> dict[str, pl.DataFrame]:
    cutoff = asof.Anchors.constant(pl.lit(to_us(observation_date)).cast(pl.Datetime("us")))
    customers = asof.as_of(tables["customers"], cutoff, "customer_start_at", attach=False).collect()
    ids = customers["customer_id"].implode()
    out = {
        "accounts": tables["accounts"].filter(
            pl.col("account_id").is_in(customers["account_id"].implode())
        ),
        "csm_reps": tables["csm_reps"],
        "customers": customers,
        "subscriptions": tables["subscriptions"].filter(pl.col("customer_id").is_in(ids)),
    }
    cut = asof.cut(tables, cutoff, EVENT_TIME)
    out.update({name: cut[name] for name in EVENT_TIME})
    # Invoices known by the cutoff, their settlement shown as of the cutoff.
    late = ~asof.known("settled_at")
    out["invoices"] = (
        asof.with_anchors(out["invoices"], cutoff)
        .with_columns(
            pl.when(late)
            .then(pl.lit("failed"))
            .otherwise("payment_status")
            .alias("payment_status"),
            pl.when(late).then(None).otherwise("settled_at").alias("settled_at"),
        )
        .drop(asof.ANCHOR)
        .collect()
    )
    return out
