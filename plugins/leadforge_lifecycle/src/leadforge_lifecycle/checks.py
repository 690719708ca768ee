"""Scheme checks for ``leadforge validate`` and the scheme part of ``leadforge inspect``.

Each check reads the bundle through a :class:`BundleView`, never raises on bad data and yields
:class:`Finding` objects.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from typing import Any

import polars as pl

from leadforge_core.validation import probes
from leadforge_core.validation.findings import Check, Finding, named_check
from leadforge_core.validation.view import BundleReadError, BundleView
from leadforge_lifecycle.publish.specs import EVENT_TIME
from leadforge_lifecycle.snapshot.targets import PAID
from leadforge_lifecycle.snapshot.tasks import REGIMES

TOLERANCE = 0.01  # USD


def _horizon_end(view: BundleView) -> dt.datetime:
    """End of the simulated horizon: the last instant of ``horizon_end``."""
    details = view.manifest.get("scheme_details", {})
    day = dt.date.fromisoformat(str(details["horizon_end"]))
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(days=1)


def _observation(view: BundleView) -> pl.Expr:
    details = view.manifest.get("scheme_details", {})
    day = dt.date.fromisoformat(str(details["observation_date"]))
    return pl.lit(dt.datetime.combine(day, dt.time())).cast(pl.Datetime("us"))


#: Every dated row of a customer lies between its start and the horizon end; public ones at
#: or before the observation date.
_event_windows = probes.event_windows(
    "lifecycle_event_windows",
    entity_table="customers",
    key="customer_id",
    start="customer_start_at",
    events={
        "customers": "customer_start_at",
        **EVENT_TIME,
        "invoices": (EVENT_TIME["invoices"], "settled_at"),
    },
    end=probes.fixed_moment(_horizon_end),
    anchor=probes.fixed_moment(probes.scheme_detail("observation_date")),
    anchor_check="lifecycle_cutoff",
)


def _snapshots_by_cutoff(view: BundleView) -> Iterator[Finding]:
    """Public task rows are snapshot at or before the observation date."""
    if not view.mode.is_public:
        return
    obs = _observation(view)
    for task in view.task_names():
        for split in ("train", "valid", "test"):
            frame = view.task_split(task, split)
            if frame.filter(pl.col("snapshot_time") > obs).height:
                yield Finding(
                    "lifecycle_cutoff",
                    "task rows snapshot after the observation date",
                    f"tasks/{task}/{split}.parquet",
                )


_VALUE_TASK = re.compile(r"^ltv_revenue_(\d+)d$")
_TARGET = re.compile(r"^(ltv_revenue_\d+d|churned_within_\d+d)$")


def _value_windows(view: BundleView) -> list[int]:
    """Value windows of this bundle, read from its task names (they follow the params)."""
    days = {
        int(m.group(1))
        for t in view.task_names()
        if (m := _VALUE_TASK.match(t.removeprefix("early_")))
    }
    return sorted(days)


def _target_names(view: BundleView) -> set[str]:
    return {
        t.removeprefix("early_")
        for t in view.task_names()
        if _TARGET.match(t.removeprefix("early_"))
    }


def _no_targets(view: BundleView) -> Iterator[Finding]:
    """No target column in any table; every task split carries only its own target."""
    names = _target_names(view) | {
        "ltv_revenue_90d",
        "ltv_revenue_365d",
        "ltv_revenue_730d",
        "churned_within_180d",
    }
    for table in view.table_names():
        leaked = names & set(view.table(table).columns)
        if leaked:
            yield Finding(
                "lifecycle_targets",
                f"target columns {sorted(leaked)} in a table",
                f"tables/{table}.parquet",
            )
    for task in view.task_names():
        own = set(view.task_manifest(task).get("targets", []))
        for split in ("train", "valid", "test"):
            other = (names - own) & set(view.task_split(task, split).columns)
            if other:
                yield Finding(
                    "lifecycle_targets",
                    f"carries other tasks' targets {sorted(other)}",
                    f"tasks/{task}/{split}.parquet",
                )


def _mrr_in_force(view: BundleView) -> pl.DataFrame:
    """MRR changes (initial MRR at start, then every non-payment event) per customer."""
    start = view.table("customers").select(
        "customer_id", pl.col("customer_start_at").alias("at"), pl.col("initial_mrr").alias("mrr")
    )
    changes = (
        view.table("subscription_events")
        .filter(~pl.col("event_type").str.starts_with("payment"))
        .select(
            "customer_id", pl.col("event_timestamp").alias("at"), pl.col("mrr_after").alias("mrr")
        )
    )
    return pl.concat([start, changes]).sort("customer_id", "at", maintain_order=True)


def _invoice_mrr(view: BundleView) -> Iterator[Finding]:
    """Invoices bill the MRR in force; MRR events chain; subscription state matches events."""
    in_force = _mrr_in_force(view)
    mrr = in_force.sort("at")
    invoices = view.table("invoices").sort("invoice_date")
    joined = invoices.join_asof(
        mrr, left_on="invoice_date", right_on="at", by="customer_id", check_sortedness=False
    )
    bad = joined.filter(
        pl.col("mrr").is_null() | ((pl.col("amount_usd") - pl.col("mrr")).abs() > TOLERANCE)
    ).height
    if bad:
        yield Finding(
            "lifecycle_billing",
            f"{bad} invoices do not bill the MRR in force",
            "tables/invoices.parquet",
        )
    wrong = invoices.filter(
        (pl.col("payment_status") == "paid") & (pl.col("settled_at") != pl.col("invoice_date"))
        | pl.col("payment_status").is_in(["recovered", "written_off"])
        & pl.col("settled_at").is_null()
        | (pl.col("payment_status") == "failed") & pl.col("settled_at").is_not_null()
    ).height
    if wrong:
        yield Finding(
            "lifecycle_billing",
            f"{wrong} invoices have a status inconsistent with settled_at",
            "tables/invoices.parquet",
        )
    chain = in_force.with_columns(pl.col("mrr").shift(1).over("customer_id").alias("_prev"))
    events = (
        view.table("subscription_events")
        .filter(~pl.col("event_type").str.starts_with("payment"))
        .join(
            chain.select("customer_id", pl.col("at").alias("event_timestamp"), "_prev"),
            on=["customer_id", "event_timestamp"],
            how="left",
        )
    )
    broken = events.filter((pl.col("mrr_before") - pl.col("_prev")).abs() > TOLERANCE).height
    if broken:
        yield Finding(
            "lifecycle_billing",
            f"{broken} MRR events do not start from the previous MRR",
            "tables/subscription_events.parquet",
        )
    subs = view.table("subscriptions")
    if "current_mrr" in subs.columns:
        last = chain.group_by("customer_id").agg(pl.col("mrr").last().alias("_last"))
        off = (
            subs.join(last, on="customer_id", how="left")
            .filter((pl.col("current_mrr") - pl.col("_last")).abs() > TOLERANCE)
            .height
        )
        if off:
            yield Finding(
                "lifecycle_billing",
                f"{off} subscriptions disagree with their last MRR event",
                "tables/subscriptions.parquet",
            )
        unchurned = (
            invoices.filter(pl.col("payment_status") == "written_off")
            .join(subs.select("customer_id", "churn_at"), on="customer_id", how="left")
            .filter(pl.col("churn_at").is_null())
            .height
        )
        if unchurned:
            yield Finding(
                "lifecycle_billing",
                f"{unchurned} written-off invoices belong to customers who never churned",
                "tables/invoices.parquet",
            )


def _task_values(view: BundleView, task: str, target: str) -> pl.DataFrame:
    return pl.concat(
        [
            view.task_split(task, s).select("customer_id", "snapshot_time", target)
            for s in ("train", "valid", "test")
        ]
    )


def _windows(view: BundleView) -> Iterator[Finding]:
    """A customer's 90-day value ≤ 365-day ≤ 730-day, in each regime."""
    tasks = set(view.task_names())
    for prefix in REGIMES.values():
        names = [f"ltv_revenue_{w}d" for w in _value_windows(view)]
        present = [n for n in names if prefix + n in tasks]
        if len(present) < 2:
            continue
        frame = _task_values(view, prefix + present[0], present[0])
        for name in present[1:]:
            frame = frame.join(
                _task_values(view, prefix + name, name).drop("snapshot_time"),
                on="customer_id",
                how="inner",
            )
        for a, b in itertools.pairwise(present):
            bad = frame.filter(pl.col(a) > pl.col(b) + TOLERANCE).height
            if bad:
                yield Finding(
                    "lifecycle_windows", f"{bad} rows with {a} > {b}", f"tasks/{prefix}{b}"
                )


def _targets_match(view: BundleView) -> Iterator[Finding]:
    """Instructor bundles: each value target equals the paid invoices in its window."""
    if view.mode.is_public:
        return
    invoices = view.table("invoices").filter(pl.col("payment_status").is_in(PAID))
    tasks = set(view.task_names())
    for prefix in REGIMES.values():
        present = [w for w in _value_windows(view) if f"{prefix}ltv_revenue_{w}d" in tasks]
        if not present:
            continue
        per_task = {
            w: _task_values(view, f"{prefix}ltv_revenue_{w}d", f"ltv_revenue_{w}d") for w in present
        }
        rows = pl.concat([f.select("customer_id", "snapshot_time") for f in per_task.values()])
        rows = rows.unique(maintain_order=True)
        after = invoices.join(rows, on="customer_id").filter(
            (pl.col("invoice_date") > pl.col("snapshot_time"))
            & (pl.col("invoice_date") <= pl.col("snapshot_time") + pl.duration(days=max(present)))
        )
        sums = after.group_by("customer_id", "snapshot_time").agg(
            pl.col("amount_usd")
            .filter(pl.col("invoice_date") <= pl.col("snapshot_time") + pl.duration(days=w))
            .sum()
            .alias(f"_sum{w}")
            for w in present
        )
        for w, frame in per_task.items():
            target = f"ltv_revenue_{w}d"
            bad = (
                frame.join(sums, on=["customer_id", "snapshot_time"], how="left")
                .filter((pl.col(target) - pl.col(f"_sum{w}").fill_null(0.0)).abs() > TOLERANCE)
                .height
            )
            if bad:
                yield Finding(
                    "lifecycle_target_sums",
                    f"{bad} rows differ from the invoice sums",
                    f"tasks/{prefix}{target}",
                )


CHECKS: tuple[Check, ...] = (
    _event_windows,
    named_check("lifecycle_cutoff", _snapshots_by_cutoff),
    named_check("lifecycle_targets", _no_targets),
    named_check("lifecycle_billing", _invoice_mrr),
    named_check("lifecycle_windows", _windows),
    named_check("lifecycle_target_sums", _targets_match),
)


def inspect_summary(view: BundleView) -> dict[str, Any]:
    """Calendar facts, book size at the observation date and target shapes per task."""
    try:
        details = view.manifest.get("scheme_details", {})
        obs = _observation(view)
        customers = view.table("customers")
        out: dict[str, Any] = {
            "observation_date": details.get("observation_date"),
            "horizon_end": details.get("horizon_end"),
            "customers": customers.height,
            "customers_started_by_observation": customers.filter(
                pl.col("customer_start_at") <= obs
            ).height,
        }
        subs = view.table("subscriptions")
        if "churn_reason" in subs.columns:
            out["churn_reasons"] = dict(
                subs.group_by("churn_reason").len().drop_nulls().sort("churn_reason").iter_rows()
            )
        shapes = {}
        for task in view.task_names():
            target = view.task_manifest(task).get("targets", [None])[0]
            if not target or not target.startswith("ltv"):
                continue
            values = _task_values(view, task, target)[target]
            shapes[task] = {
                "rows": values.len(),
                "zero_share": round(float((values == 0).mean()), 4),
                "mean": round(float(values.mean() or 0.0), 2),
            }
        out["value_targets"] = shapes
        return out
    except (BundleReadError, pl.exceptions.PolarsError, KeyError, ValueError) as exc:
        return {"error": str(exc)}
