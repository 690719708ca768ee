"""Dataset card sections written by the scheme (the core adds tables, tasks and features)."""

from __future__ import annotations

from leadforge_core.bundle.model import CardSection
from leadforge_lifecycle.params import LifecycleParams
from leadforge_lifecycle.recipe import LifecycleWorld
from leadforge_lifecycle.world.population import World


def card_sections(
    recipe: LifecycleWorld, params: LifecycleParams, world: World, second_trap: bool
) -> list[CardSection]:
    cal = params.calendar
    n = recipe.narrative
    value_days, churn_days = params.windows.value_days, params.windows.churn_days
    windows = ", ".join(f"{w}" for w in value_days)
    out = [
        CardSection(
            "Story",
            f"**{n.company}** sells {n.product}.\n\n{n.summary}\n\nCustomers: {n.customers}",
        ),
        CardSection(
            "Calendar and observation regimes",
            (
                f"Customers start over {cal.acquisition_weeks} weeks from "
                f"{cal.acquisition_start.isoformat()}. The **observation date** is "
                f"{cal.observation_date.isoformat()}: public tables stop there, and the calendar "
                "regime scores every customer active on that date (tenure from a few days to two "
                f"years). Every customer is simulated for {params.windows.horizon_days} days after the "
                "observation date so every target window is complete.\n\n"
                f"The early-pLTV regime (instructor bundles) scores each customer at "
                f"{cal.early_tenure_weeks} weeks of tenure; its windows overlap the public history, "
                "so it never ships publicly."
            ),
        ),
        CardSection(
            "Targets",
            (
                f"`ltv_revenue_{{{windows}}}d`: the sum of invoice amounts that were paid or "
                "recovered with cutoff < invoice_date ≤ cutoff + window. Zero when the customer churns "
                "before its next paid invoice or never settles what it owes, so the targets are "
                "zero-inflated; expansion makes them heavy-tailed. "
                f"`churned_within_{churn_days}d`: 1 if the subscription churns within "
                f"{churn_days} days after the cutoff. Judge value models by ranking and "
                "calibration (Spearman, normalized Gini, top-decile capture, decile calibration), "
                "not by squared error alone."
            ),
        ),
        CardSection(
            "Leakage traps",
            (
                "`mrr_change_full_period` is the MRR change from the cutoff to the end of the "
                "simulated horizon: it uses the future and is flagged `leakage_risk=true`. It is kept "
                "on purpose so students can see how much a leaky column inflates validation scores."
                + (
                    "\n\n`active_users_current` looks like a current reading but is measured over the "
                    "12 weeks after the cutoff (also flagged)."
                    if second_trap
                    else ""
                )
            ),
        ),
        CardSection(
            "Caveats",
            (
                f"Health signals are aggregated per {cal.health_period_weeks}-week calendar period; "
                "a row is known at its `period_end`. Invoices are issued on the first weekly step of "
                "each contract month, so the gap between invoices is four or five weeks. Public "
                "invoices show their payment status as of the observation date. Public subscriptions "
                "carry only what was known at signing."
            ),
        ),
        CardSection(
            "Hidden structure",
            (
                f"Motif family: **{world.motif}**. The hidden graph (metadata/graph.json) "
                "drives every mechanism coefficient; see mechanism_summary.json for the rates used "
                "after difficulty and motif modulation."
            ),
            instructor_only=True,
        ),
    ]
    return out
