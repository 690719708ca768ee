"""Render the simulated world as relational tables (instructor view: full horizon).

Timestamps are built in integer microseconds: an event in week ``t`` of customer ``i`` happens
at ``sim_start + 7t days + offset + start_minute(i)``, the customer's weekly anchor. Rows after
the horizon end are dropped, and subscription state is derived from the kept events so tables
always agree with each other.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from leadforge_core.ids import make_ids
from leadforge_lifecycle.publish.specs import SPEC_BY_NAME
from leadforge_lifecycle.recipe import LifecycleWorld
from leadforge_lifecycle.simulate.engine import (
    CHURN_REASONS,
    EPISODE_RECOVERED,
    EPISODE_WRITTEN_OFF,
    EVENT_OFFSET_DAYS,
    EVENT_TYPES,
    SimResult,
)
from leadforge_lifecycle.simulate.hazards import WEEKS_PER_MONTH
from leadforge_lifecycle.world.population import World

US_PER_DAY = 86_400_000_000
US_PER_MIN = 60_000_000


def to_us(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * US_PER_DAY


def _ts(values: np.ndarray | pl.Series, name: str) -> pl.Series:
    return pl.Series(name, np.asarray(values, dtype=np.int64)).cast(pl.Datetime("us"))


def _cat(names: list[str], idx: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, np.asarray(names, dtype=object)[idx], dtype=pl.String)


def plan_expr(mrr: pl.Expr, world: LifecycleWorld) -> pl.Expr:
    """Plan tier of an MRR: the highest plan whose ``min_mrr`` it reaches."""
    plans = world.vocabularies.plans
    expr = pl.lit(plans[0].name)
    for plan in plans[1:]:
        expr = pl.when(mrr >= plan.min_mrr).then(pl.lit(plan.name)).otherwise(expr)
    return expr


def conform(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Select and cast columns to the declared schema, in declared order."""
    spec = SPEC_BY_NAME[name]
    return frame.select(pl.col(c.name).cast(c.dtype.polars()) for c in spec.columns)


def build_tables(
    world: World, sim: SimResult, recipe: LifecycleWorld, horizon_end: dt.date, period_weeks: int
) -> dict[str, pl.DataFrame]:
    vocab = recipe.vocabularies
    c, reps = world.population.customers, world.population.reps
    n = world.population.n
    t0, horizon = to_us(world.sim_start), to_us(horizon_end)
    start_minute = c["start_minute"].astype(np.int64)
    start_us = t0 + c["start_week"].astype(np.int64) * 7 * US_PER_DAY + start_minute * US_PER_MIN
    customer_ids = make_ids("cust", n)
    account_ids = make_ids("acct", n)
    subscription_ids = make_ids("sub", n)
    rep_ids = make_ids("csm", reps["team"].size)

    def anchor(
        customer: np.ndarray, week: np.ndarray, offset_days: np.ndarray | float
    ) -> np.ndarray:
        days = 7.0 * week + offset_days
        return (
            t0 + np.rint(days * US_PER_DAY).astype(np.int64) + start_minute[customer] * US_PER_MIN
        )

    names = (
        np.asarray(vocab.company_prefixes, dtype=object)[c["name_prefix"]]
        + " "
        + np.asarray(vocab.company_suffixes, dtype=object)[c["name_suffix"]]
    )
    accounts = pl.DataFrame(
        [
            account_ids.alias("account_id"),
            pl.Series("company_name", names, dtype=pl.String),
            _cat([x.name for x in vocab.industries], c["industry"], "industry"),
            _cat([x.name for x in vocab.regions], c["region"], "region"),
            _cat([x.name for x in vocab.employee_bands], c["employee_band"], "employee_band"),
            _ts(start_us - c["account_age_days"].astype(np.int64) * US_PER_DAY, "created_at"),
        ]
    )
    csm = pl.DataFrame(
        [
            rep_ids.alias("csm_rep_id"),
            _cat(vocab.csm_teams, reps["team"], "team"),
            _cat([x.name for x in vocab.regions], reps["region"], "region"),
        ]
    )
    customers = pl.DataFrame(
        [
            customer_ids.alias("customer_id"),
            account_ids.alias("account_id"),
            _ts(start_us, "customer_start_at"),
            pl.Series("initial_mrr", c["initial_mrr"]),
            pl.Series("contract_term_months", c["term_months"].astype(np.int64)),
            rep_ids.gather(c["csm"]).alias("csm_rep_id"),
            pl.Series("opportunity_id", [None] * n, dtype=pl.String),
            _cat([x.name for x in vocab.acquisition_channels], c["channel"], "acquisition_channel"),
        ]
    ).with_columns(plan_expr(pl.col("initial_mrr"), recipe).alias("initial_plan"))
    customers = customers.filter(pl.col("customer_start_at") <= horizon)

    # Subscription events, dropped past the horizon end.
    e = sim.events
    cust = e["customer"].astype(np.int64)
    offsets = np.array([EVENT_OFFSET_DAYS[k] for k in EVENT_TYPES])[e["type"].astype(np.int64)]
    events = (
        pl.DataFrame(
            [
                pl.Series("_cust", cust),
                _ts(anchor(cust, e["week"], offsets), "event_timestamp"),
                _cat(list(EVENT_TYPES), e["type"].astype(np.int64), "event_type"),
                pl.Series("mrr_before", e["mrr_before"].astype(float)),
                pl.Series("mrr_after", e["mrr_after"].astype(float)),
                pl.Series("contract_term_months_new", e["term_new"].astype(np.int64)),
            ]
        )
        .filter(pl.col("event_timestamp") <= horizon)
        .with_columns(
            pl.when(pl.col("contract_term_months_new") > 0).then("contract_term_months_new"),
        )
    )
    events = events.with_columns(
        make_ids("evt", events.height).alias("event_id"),
        customer_ids.gather(events["_cust"]).alias("customer_id"),
        subscription_ids.gather(events["_cust"]).alias("subscription_id"),
    )

    # Invoices: status from the dunning episode, unless it is resolved past the horizon end.
    inv = sim.invoices
    icust = inv["customer"].astype(np.int64)
    episode = inv["episode"].astype(np.int64)
    has_ep = episode >= 0
    ep = np.where(has_ep, episode, 0)
    outcome = np.where(has_ep, sim.episodes["outcome"][ep] if ep.size else 0, -1)
    end_week = np.where(has_ep, sim.episodes["end_week"][ep] if ep.size else 0, -1)
    invoice_us = anchor(icust, inv["week"], 0.0)
    settle_offset = np.where(
        outcome == EPISODE_RECOVERED, EVENT_OFFSET_DAYS["payment_recovered"], 0.0
    )
    settle_us = anchor(icust, np.maximum(end_week, 0), settle_offset)
    resolved = has_ep & (outcome > 0) & (settle_us <= horizon)
    status = np.where(
        ~has_ep,
        "paid",
        np.where(
            ~resolved,
            "failed",
            np.where(outcome == EPISODE_WRITTEN_OFF, "written_off", "recovered"),
        ),
    )
    settled = np.where(~has_ep, invoice_us, np.where(resolved, settle_us, np.iinfo(np.int64).min))
    invoices = (
        pl.DataFrame(
            [
                pl.Series("_cust", icust),
                _ts(invoice_us, "invoice_date"),
                pl.Series("amount_usd", inv["amount"].astype(float)),
                pl.Series("payment_status", status.astype(object), dtype=pl.String),
                _ts(settled, "settled_at"),
            ]
        )
        .filter(pl.col("invoice_date") <= horizon)
        .with_columns(
            pl.when(pl.col("settled_at") > pl.lit(0).cast(pl.Datetime("us")))
            .then("settled_at")
            .alias("settled_at")
        )
    )
    invoices = invoices.with_columns(
        make_ids("inv", invoices.height).alias("invoice_id"),
        customer_ids.gather(invoices["_cust"]).alias("customer_id"),
    )

    # Health periods on a global calendar grid; only complete periods up to the horizon end.
    h = sim.health
    period_us = 7 * period_weeks * US_PER_DAY
    p_start = t0 + h.period.astype(np.int64) * period_us
    health = pl.DataFrame(
        [
            pl.Series("_cust", h.customer.astype(np.int64)),
            _ts(p_start, "period_start"),
            _ts(p_start + period_us, "period_end"),
            pl.Series("active_users", h.active_users, nan_to_null=True).cast(pl.Int64),
            pl.Series("feature_depth_score", h.feature_depth_score, nan_to_null=True),
            pl.Series("support_tickets", h.support_tickets, nan_to_null=True).cast(pl.Int64),
            pl.Series("nps_score", h.nps_score, nan_to_null=True).cast(pl.Int64),
        ]
    ).filter(pl.col("period_end") <= horizon)
    health = health.with_columns(
        make_ids("sig", health.height).alias("signal_id"),
        customer_ids.gather(health["_cust"]).alias("customer_id"),
    )

    reasons = np.asarray([None, *CHURN_REASONS], dtype=object)[sim.final["churn_reason"] + 1]
    subscriptions = _subscriptions(customers, events, subscription_ids, reasons, recipe)
    tables = {
        "accounts": accounts.filter(pl.col("account_id").is_in(customers["account_id"].implode())),
        "csm_reps": csm,
        "customers": customers,
        "subscriptions": subscriptions,
        "subscription_events": events,
        "health_signals": health,
        "invoices": invoices,
    }
    return {name: conform(name, frame) for name, frame in tables.items()}


def _subscriptions(
    customers: pl.DataFrame,
    events: pl.DataFrame,
    subscription_ids: pl.Series,
    reasons: np.ndarray,
    recipe: LifecycleWorld,
) -> pl.DataFrame:
    """Subscription state at the horizon end, derived from the kept events."""
    by_type = events.group_by("customer_id").agg(
        pl.col("event_type").eq("renewal").sum().alias("renewal_count"),
        pl.col("event_type").eq("expansion").sum().alias("expansion_count"),
        pl.col("event_type").eq("downgrade").sum().alias("downgrade_count"),
        pl.col("mrr_after").last().alias("_last_mrr"),
        pl.col("mrr_before").filter(pl.col("event_type") == "churn").first().alias("_churn_mrr"),
        pl.col("event_timestamp").filter(pl.col("event_type") == "churn").first().alias("churn_at"),
        pl.col("contract_term_months_new").drop_nulls().last().alias("_term"),
        pl.col("event_timestamp")
        .filter(pl.col("event_type") == "renewal")
        .last()
        .alias("_renewed"),
    )
    frame = customers.join(by_type, on="customer_id", how="left", maintain_order="left")
    idx = frame["customer_id"].str.slice(5).cast(pl.Int64) - 1
    frame = frame.with_columns(
        subscription_ids.gather(idx).alias("subscription_id"),
        pl.col("customer_start_at").alias("subscription_start_at"),
        pl.col("initial_plan").alias("plan_name"),
        pl.col("_term").fill_null(pl.col("contract_term_months")).alias("term"),
        pl.col("_last_mrr").fill_null(pl.col("initial_mrr")).alias("current_mrr"),
        *(pl.col(k).fill_null(0) for k in ("renewal_count", "expansion_count", "downgrade_count")),
    )
    anchor = pl.col("_renewed").fill_null(pl.col("customer_start_at"))
    term_days = (pl.col("term").cast(pl.Float64) * WEEKS_PER_MONTH).round() * 7
    frame = frame.with_columns(
        pl.when(pl.col("churn_at").is_null())
        .then(pl.lit("active"))
        .otherwise(pl.lit("churned"))
        .alias("subscription_status"),
        plan_expr(pl.coalesce("_churn_mrr", "current_mrr"), recipe).alias("current_plan"),
        pl.col("term").alias("contract_term_months"),
        pl.when(pl.col("churn_at").is_not_null())
        .then(pl.Series("r", reasons.tolist(), dtype=pl.String).gather(idx))
        .alias("churn_reason"),
        pl.coalesce("churn_at", anchor + pl.duration(days=term_days.cast(pl.Int64))).alias(
            "subscription_end_at"
        ),
    )
    return frame
