"""The exogenous inputs that feed the hidden graph, and the rep execution effect."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np

from leadforge_lead_scoring.recipe import LeadScoringWorld
from leadforge_lead_scoring.world.population import Population


def exogenous_inputs(
    world: LeadScoringWorld,
    pop: Population,
    graph: nx.DiGraph,
    idx: np.ndarray,
    interaction: float = 1.0,
) -> dict[str, np.ndarray]:
    """Recipe vocabulary effects (plus entity-level noise) feeding the graph's root nodes.

    Account and contact latents carry their entity's noise so sibling leads share it. Segment fit is
    an industry x company-complexity interaction (scaled by the difficulty's ``interaction``)
    with no main effect; no CRM proxy measures it, so only non-linear models pick it up.
    """

    def eff(items: Sequence[object], codes: np.ndarray, attr: str = "effect") -> np.ndarray:
        return np.asarray(np.array([getattr(i, attr) for i in items], dtype=np.float32)[codes])

    contact = pop.lead_contact[idx]
    account = pop.contact_account[contact]
    month_w = np.asarray(world.acquisition.month_weights, dtype=np.float32)
    month = (
        pop.lead_created_us[idx].astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
        % 12
    )
    climate = (month_w[month] - month_w.mean()) / (month_w.std() + 1e-6) * 0.5
    channel_intent = eff(world.channels, pop.channel[idx], "intent")
    target = graph.graph["channel_target"]
    out = {
        "market_climate": climate.astype(np.float32),
        "account_fit": eff(world.industries, pop.industry[account])
        + eff(world.employee_bands, pop.band[account], "fit")
        + eff(world.maturity_bands, pop.maturity[account])
        + pop.account_noise["account_fit"][account],
        "segment_fit": interaction
        * eff(world.industries, pop.industry[account], "complexity_affinity")
        * _centered(eff(world.employee_bands, pop.band[account], "complexity"), world),
        "budget_readiness": eff(world.regions, pop.region[account])
        + eff(world.revenue_bands, pop.revenue[account])
        + pop.account_noise["budget_readiness"][account],
        "committee_complexity": eff(world.employee_bands, pop.band[account], "complexity")
        + pop.account_noise["committee_complexity"][account],
        "budget_shock": pop.account_noise["budget_shock"][account],
        "contact_authority": eff(world.roles, pop.role[contact], "authority")
        + eff(world.seniorities, pop.seniority[contact])
        + pop.contact_noise["contact_authority"][contact],
        "contact_intent": eff(world.email_domain_types, pop.email_type[contact])
        + (channel_intent if target == "contact_intent" else 0.0)
        + pop.contact_noise["contact_intent"][contact],
        "rep_execution": rep_execution(pop)[pop.sdr[idx]],
    }
    if target == "lead_quality":
        out["lead_quality"] = channel_intent
    return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}


#: Ceiling of a rep pairing's execution effect (latent units, either direction).
REP_CEILING = 0.8


def rep_execution(pop: Population) -> np.ndarray:
    """Execution of each SDR's book: SDR and AE skill net of the SDR's load, saturating.

    Skill helps with diminishing returns and a weak pairing can only lose so much: leads still
    reach the team through other paths, so no book is decided by its owner alone, however
    many reps there are.
    """
    sdr = np.flatnonzero(~pop.rep_is_ae)
    ae = pop.rep_ae[sdr]
    raw = (
        0.6 * pop.rep_quality[sdr]
        + 0.4 * pop.rep_quality[ae]
        - 0.8 * (1.0 / pop.rep_capacity[sdr] - 1.0)
    )
    return np.asarray(REP_CEILING * np.tanh(raw / REP_CEILING), dtype=np.float32)


def _centered(x: np.ndarray, world: LeadScoringWorld) -> np.ndarray:
    """Band complexity centred on its population-weighted mean (so the interaction has no
    main effect)."""
    w = np.array([b.weight for b in world.employee_bands], dtype=np.float32)
    c = np.array([b.complexity for b in world.employee_bands], dtype=np.float32)
    return x - np.float32((w * c).sum() / w.sum())


#: Nodes whose noise is drawn per account/contact (shared by sibling leads), not per lead.
SHARED_NOISE = frozenset(
    {
        "account_fit",
        "budget_readiness",
        "committee_complexity",
        "budget_shock",
        "contact_authority",
        "contact_intent",
    }
)
