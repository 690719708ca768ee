"""Instructor truth files, the public summary and the dataset card sections."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import polars as pl

from leadforge_core.bundle.model import CardSection
from leadforge_core.config.structure import unstructure
from leadforge_lead_scoring.snapshot.task import FEATURES, TRAP

#: Edge fields listed in mechanism_summary.json (the full export is graph.json).
EDGE_KEYS = ("weight", "form", "partner")


def truth_files(world: Any, sim: Any, ctx: Any) -> dict[str, Any]:
    cg = world.graph
    g = cg.nx
    nodes = sim.nodes
    registry = [
        {
            "name": n,
            "category": g.nodes[n]["category"],
            "description": g.nodes[n]["description"],
            "noise_sd": g.nodes[n]["noise"],
            "parents": sorted(g.predecessors(n)),
            "observed_through": sorted(g.successors(n)),
            **(
                {
                    "mean": round(float(np.mean(nodes[n])), 4),
                    "sd": round(float(np.std(nodes[n])), 4),
                }
                if n in nodes and nodes[n].size
                else {}
            ),
        }
        for n in sorted(g.nodes)
    ]
    provenance = {
        name: {
            "group": group,
            "derived_from": src,
            "window": window,
            "rule": "records with timestamp <= snapshot_time (lead_created_at + snapshot_day)",
        }
        for name, group, _, _, src, window in FEATURES
    }
    provenance[TRAP] = {
        "group": "leakage_trap",
        "derived_from": "touches (full horizon, instructor)",
        "window": "days 0..90",
        "rule": "ALL touches of the lead, including after the anchor (deliberate leak)",
    }
    return {
        "graph.json": cg.to_json(),
        "graph.graphml": cg.to_graphml(),
        "world_spec.json": {
            "motif_family": cg.graph["motif_family"],
            "story": cg.graph["story"],
            "rewiring": list(cg.rewiring),
            "bottleneck_stage": cg.graph["bottleneck_stage"],
            "channel_target": cg.graph["channel_target"],
            "difficulty": ctx.difficulty,
            "profile": unstructure(world.profile),
            "population": {
                "accounts": world.pop.n_accounts,
                "contacts": world.pop.n_contacts,
                "leads": world.pop.n_leads,
                "reps": int(world.pop.rep_quality.size),
                "duplicate_leads": int(world.pop.is_duplicate.sum()),
            },
        },
        "latent_registry.json": {"latents": registry},
        "mechanism_summary.json": {
            "note": "parameters read by the simulation engine after difficulty compilation",
            "mechanisms": attrs.asdict(world.mechanisms),
            "graph_edges": [
                {"source": u, "target": v, **{k: g.edges[u, v][k] for k in EDGE_KEYS}}
                for u, v in sorted(g.edges)
            ],
            "edge_scale_by_form": {
                "product": world.mechanisms.interaction_scale,
                "threshold": world.mechanisms.interaction_scale,
            },
        },
        "provenance.json": {"task": "converted_within_90_days", "features": provenance},
    }


def public_summary(tables: dict[str, pl.DataFrame], task_rows: int, ctx: Any) -> dict[str, Any]:
    return {
        "scheme": "lead_scoring",
        "difficulty": ctx.difficulty,
        "snapshot_day": ctx.params.snapshot_day,
        "horizon_days": ctx.params.horizon_days,
        "acquisition_start": ctx.params.calendar.start.isoformat(),
        "acquisition_days": ctx.params.calendar.acquisition_days,
        "leads": tables["leads"].height,
        "task_rows": task_rows,
    }


def card_sections(world: Any, ctx: Any) -> list[CardSection]:
    w = ctx.recipe.world
    nar = w.narrative
    stages = " → ".join(w.stages[k] for k in list(w.stages)[:8])
    story = (
        f"**{nar.company}** sells *{nar.product}*. {nar.summary}\n\n"
        f"Pains it solves: {', '.join(nar.pains)}. Typical buyers: {', '.join(nar.buyers)}.\n\n"
        f"Leads come from {', '.join(c.name for c in w.channels)}. They move through "
        f"{stages} (or {w.stages['closed_lost']}). Contracts range from "
        f"${w.acv.min:,.0f} to ${w.acv.max:,.0f} a year."
    )
    label = (
        f"`converted_within_90_days` is true when the lead's opportunity reached "
        f"`{w.stages['closed_won']}` within {ctx.params.horizon_days} days of lead creation. "
        f"Each task row is one lead still open at its anchor `lead_created_at + "
        f"{ctx.params.snapshot_day} days`; leads that closed before the anchor are excluded. "
        "All features use only CRM records timestamped at or before the anchor."
    )
    trap = (
        f"`{TRAP}` counts touches over the whole 90-day window, after the anchor too. Closed-won "
        "customers keep receiving onboarding touches and closed-lost leads go quiet, so it "
        "inflates scores. It is flagged `leakage_risk=true`; a model that uses it is cheating."
    )
    caveats = (
        "The CRM is messy on purpose: enrichment is missing for some accounts, the first-touch "
        "channel and lead source are sometimes misattributed or unnormalized, stage changes and "
        "activities are logged late, only part of web sessions are identified, some activities "
        "are never logged, lead and fit scores are noisy vendor proxies, and a few leads are "
        "duplicate records. Public tables are cut per lead at its own anchor, so joins across "
        "leads can show records from after another lead's anchor."
    )
    g = world.graph
    hidden = (
        f"Motif family: **{g.graph['motif_family']}** — {g.graph['story']} Rewiring: "
        f"{';'.join(g.rewiring) or 'none'}; stage bottleneck: {g.graph['bottleneck_stage']}; "
        f"channel influence on {g.graph['channel_target']}. See metadata/graph.json and "
        "metadata/mechanism_summary.json for the executed graph and compiled parameters."
    )
    return [
        CardSection("The story", story),
        CardSection("Label definition", label),
        CardSection("Leakage trap", trap),
        CardSection("Caveats", caveats),
        CardSection("Hidden world (instructor only)", hidden, instructor_only=True),
    ]
