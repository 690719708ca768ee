"""Mechanism rules: hazard shape over tenure, dunning, invoicing cadence, MRR bookkeeping."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st
from leadforge_lifecycle.simulate import billing, hazards
from leadforge_lifecycle.simulate.engine import CHURN_REASONS, SimResult


def test_hazard_spikes_at_anniversary_and_decays_after_onboarding() -> None:
    tenure = np.arange(0, 110)
    anniversary = (tenure > 0) & (tenure % 52 == 0)
    p = hazards.churn_probability(tenure, anniversary, np.zeros(tenure.size), 0.003, 5.0, 0.15)
    assert p[52] > 20 * max(p[48:52].max(), p[53:57].max())
    assert p[104] == p[52]
    assert p[1] > p[10] > p[30] > p[45]  # onboarding elevation decays
    assert abs(p[45] - 0.003) < 0.001  # calm middle close to the base rate


@given(st.floats(-3, 3), st.floats(-3, 3))
def test_higher_risk_never_lowers_churn(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    t = np.array([5, 52])
    ann = np.array([False, True])
    p_lo = hazards.churn_probability(t, ann, np.full(2, lo), 0.002, 3.0, 0.2)
    p_hi = hazards.churn_probability(t, ann, np.full(2, hi), 0.002, 3.0, 0.2)
    assert np.all(p_hi >= p_lo)


def test_simulated_churn_spikes_at_contract_anniversaries(small) -> None:
    _, world, sim, _, _ = small
    ev = sim.events
    churn = ev["type"] == 3
    tenure = ev["week"][churn] - world.population.customers["start_week"][ev["customer"][churn]]
    counts = np.bincount(tenure.astype(np.int64), minlength=120)
    assert counts[52] > 3 * counts[45:51].mean()


@given(st.lists(st.integers(0, 30), min_size=1, max_size=50), st.integers(2, 20), st.data())
def test_dunning_recovers_or_writes_off_after_the_limit(weeks, limit, data) -> None:
    weeks_open = np.array(weeks)
    draws = np.array(data.draw(st.lists(st.floats(0, 1), min_size=len(weeks), max_size=len(weeks))))
    recovered, written_off = billing.dunning_outcome(
        weeks_open, draws, np.full(len(weeks), 0.3), limit
    )
    assert not np.any(recovered & written_off)
    assert np.all(weeks_open[written_off] >= limit)
    assert not np.any(recovered[weeks_open == 0])
    assert np.all(written_off[(weeks_open >= limit) & (draws >= 0.3)])


def test_invoices_are_monthly(small) -> None:
    _, _, _, rendered, _ = small
    gaps = (
        rendered.tables["invoices"]
        .sort("customer_id", "invoice_date")
        .select(pl.col("invoice_date").diff().over("customer_id").dt.total_days().alias("gap"))
        .drop_nulls()["gap"]
    )
    assert set(gaps.unique().to_list()) <= {28, 35}


def test_write_offs_follow_the_dunning_rules(small) -> None:
    _, _, _, rendered, ctx = small
    t = rendered.tables
    subs = t["subscriptions"]
    written = (
        t["invoices"]
        .filter(pl.col("payment_status") == "written_off")
        .join(subs.select("customer_id", "churn_at", "churn_reason"), on="customer_id")
    )
    assert written.height > 0
    # Writing off forces churn, at the settlement time.
    assert (written["settled_at"] == written["churn_at"]).all()
    # A payment write-off comes only after the full dunning period since the first failure.
    failures = t["subscription_events"].filter(pl.col("event_type") == "payment_failure")
    first = (
        written.filter(pl.col("churn_reason") == "payment_write_off")
        .join(
            failures.select("customer_id", pl.col("event_timestamp").alias("failed_at")),
            on="customer_id",
        )
        .filter(pl.col("failed_at") <= pl.col("invoice_date"))
        .group_by("invoice_id")
        .agg(pl.col("failed_at").max(), pl.col("settled_at").first())
    )
    weeks = (first["settled_at"] - first["failed_at"]).dt.total_days() / 7
    assert weeks.min() >= ctx.params.calendar.dunning_weeks
    # Every recovered invoice has a recovery event at its settlement time.
    recovered = t["invoices"].filter(pl.col("payment_status") == "recovered")
    events = t["subscription_events"].filter(pl.col("event_type") == "payment_recovered")
    missing = recovered.join(
        events,
        left_on=["customer_id", "settled_at"],
        right_on=["customer_id", "event_timestamp"],
        how="anti",
    )
    assert missing.height == 0 and recovered.height > 0


def test_no_invoice_after_churn_and_churn_reasons_known(small) -> None:
    _, _, sim, rendered, _ = small
    assert isinstance(sim, SimResult)
    t = rendered.tables
    late = (
        t["invoices"]
        .join(t["subscriptions"].select("customer_id", "churn_at"), on="customer_id")
        .filter(pl.col("invoice_date") >= pl.col("churn_at"))
    )
    assert late.height == 0
    reasons = set(t["subscriptions"]["churn_reason"].drop_nulls().unique().to_list())
    assert reasons <= set(CHURN_REASONS)
    assert (
        t["subscriptions"]["churn_at"].is_null() == t["subscriptions"]["churn_reason"].is_null()
    ).all()


def test_expansions_raise_and_downgrades_lower_mrr(small) -> None:
    ev = small[3].tables["subscription_events"]
    up = ev.filter(pl.col("event_type") == "expansion")
    down = ev.filter(pl.col("event_type") == "downgrade")
    assert up.height > 0 and (up["mrr_after"] > up["mrr_before"]).all()
    assert down.height > 0 and (down["mrr_after"] < down["mrr_before"]).all()
