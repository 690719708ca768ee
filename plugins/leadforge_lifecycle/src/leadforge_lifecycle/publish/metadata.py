"""Instructor truth (metadata/*.json, graphml) and the public-safe summaries."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from leadforge_core.config.structure import unstructure
from leadforge_core.scheme import RunContext
from leadforge_lifecycle import __version__
from leadforge_lifecycle.params import LifecycleParams
from leadforge_lifecycle.simulate import engine, expansion, hazards, telemetry
from leadforge_lifecycle.world.build import horizon_end
from leadforge_lifecycle.world.graph import LATENTS
from leadforge_lifecycle.world.population import World

LATENT_INFO = {
    "product_fit": (
        "how well the product matches the customer's processes; shifted by "
        "industry and acquisition channel",
        ["feature_depth_score", "nps_score", "support_tickets"],
    ),
    "adoption_velocity": (
        "how fast usage spreads inside the customer",
        ["active_users", "feature_depth_score"],
    ),
    "budget_stability": (
        "ability to keep paying; shifted by company size",
        ["payment_failure events", "downgrades"],
    ),
    "champion_strength": (
        "strength of the internal sponsor (plus the CSM's quality); drops when the champion leaves",
        ["nps_score"],
    ),
    "organizational_stability": (
        "stability of the customer's organisation; instability makes the champion leave",
        ["nps_score (after a departure)"],
    ),
}


def public_facts(params: LifecycleParams) -> dict[str, Any]:
    cal = params.calendar
    return {
        "observation_date": cal.observation_date.isoformat(),
        "horizon_end": horizon_end(params).isoformat(),
        "value_windows_days": list(params.windows.value_days),
        "churn_window_days": params.windows.churn_days,
        "early_tenure_weeks": cal.early_tenure_weeks,
        "health_period_weeks": cal.health_period_weeks,
    }


def public_summary(
    params: LifecycleParams, tables: dict[str, pl.DataFrame], difficulty: str
) -> dict[str, Any]:
    obs = params.calendar.observation_date.isoformat()
    started = (
        tables["customers"]
        .filter(pl.col("customer_start_at") <= pl.lit(obs).str.to_datetime(time_unit="us"))
        .height
    )
    return {
        **public_facts(params),
        "difficulty": difficulty,
        "customers_started_by_observation_date": started,
    }


def truth(
    world: World, sim: engine.SimResult, tables: dict[str, pl.DataFrame], ctx: RunContext
) -> dict[str, Any]:
    params: LifecycleParams = ctx.params
    c = world.population.customers
    subs = tables["subscriptions"]
    mechanism = {
        "difficulty": ctx.difficulty,
        "motif_family": str(world.motif),
        "rates": world.mechanism,
        "edge_weights": {
            f"{s}->{t}": round(d["weight"], 6) for s, t, d in world.graph.nx.edges(data=True)
        },
        "constants": {
            "onboarding_decay_weeks": hazards.ONBOARDING_WEEKS,
            "champion_departure_weekly": engine.CHAMPION_DEPARTURE,
            "champion_loss": engine.CHAMPION_LOSS,
            "term_upgrade_at_renewal": engine.TERM_UPGRADE,
            "expansion_ceiling_multiple": expansion.CEILING_MULTIPLE,
            "expansion_jump_spread": expansion.JUMP_SPREAD,
            "disengaged_depth": engine.DISENGAGED_DEPTH,
            "disengaged_risk": engine.DISENGAGED_RISK,
            "champion_usage_drop": engine.CHAMPION_USAGE_DROP,
            "expansion_settle_weeks": expansion.SETTLE_WEEKS,
            "mrr_floor": expansion.MRR_FLOOR,
            "dunning_weeks": params.calendar.dunning_weeks,
            "health_period_weeks": params.calendar.health_period_weeks,
            "nps_every_weeks": telemetry.NPS_EVERY_WEEKS,
        },
        "realised": {
            "customers": subs.height,
            "churned_by_horizon_end": int(subs["churn_at"].is_not_null().sum()),
            "churn_reasons": dict(
                subs.group_by("churn_reason").len().drop_nulls().sort("churn_reason").iter_rows()
            ),
            "invoice_status": dict(
                tables["invoices"]
                .group_by("payment_status")
                .len()
                .sort("payment_status")
                .iter_rows()
            ),
            "expansions": int(subs["expansion_count"].sum()),
            "downgrades": int(subs["downgrade_count"].sum()),
        },
    }
    registry = {
        name: {
            "description": LATENT_INFO[name][0],
            "distribution": "standard normal plus documented shifts",
            "observed_through": LATENT_INFO[name][1],
            "mean": round(float(np.mean(c[name])), 6),
            "sd": round(float(np.std(c[name])), 6),
        }
        for name in LATENTS
    }
    world_spec = {
        "recipe": ctx.recipe.id,
        "motif_family": str(world.motif),
        "simulation_start": world.sim_start.isoformat(),
        "weeks_simulated": world.n_weeks,
        "horizon_days_after_observation": params.windows.horizon_days,
        "params": unstructure(params),
        "profile": unstructure(ctx.recipe.world.difficulty[ctx.difficulty]),
        "population": {
            "customers": world.population.n,
            "csm_reps": int(world.population.reps["team"].size),
        },
    }
    provenance = {
        "scheme": "lifecycle",
        "plugin": "leadforge-lifecycle",
        "plugin_version": __version__,
        "recipe": ctx.recipe.id,
        "recipe_hash": ctx.recipe.content_hash,
        "seed": ctx.seed,
        "difficulty": ctx.difficulty,
        "random_streams": [
            "world.motif",
            "world.graph",
            "population.customers",
            "population.csm_reps",
            "simulation.*",
            "split.calendar",
            "split.early",
        ],
    }
    return {
        "graph.json": world.graph.to_json(),
        "graph.graphml": world.graph.to_graphml(),
        "world_spec.json": world_spec,
        "latent_registry.json": registry,
        "mechanism_summary.json": mechanism,
        "provenance.json": provenance,
    }
