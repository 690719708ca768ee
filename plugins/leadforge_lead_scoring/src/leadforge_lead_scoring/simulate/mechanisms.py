"""Compile a difficulty profile and a sampled graph into the parameters the engine uses.

The compiled :class:`Mechanisms` is exactly what the simulation reads, and it is written to
``metadata/mechanism_summary.json`` unchanged.
"""

from __future__ import annotations

import attrs
import networkx as nx

from leadforge_lead_scoring.recipe import Profile

#: Funnel stages the engine moves through (indices into recipe stage names).
OPEN_STAGES = 7  # mql .. negotiation
WON, LOST = 7, 8


@attrs.define
class StageRule:
    """Per-day transition logits of one open stage."""

    stage: str
    advance_intercept: float
    advance_driver: str
    advance_slope: float
    lost_intercept: float
    lost_slope: float
    friction_slope: float = 0.0
    approval_slope: float = 0.0


@attrs.define
class Mechanisms:
    horizon_days: int
    signal: float
    interaction_scale: float
    outcome_shock_sd: float
    engagement_noise: float
    base_win: float
    drift: float
    dwell_lost_per_day: float
    stages: list[StageRule]
    # event intensities (per-day probabilities before modulation)
    touch_base: float
    touch_engagement: float
    touch_decay_days: float
    session_base: float
    session_engagement: float
    won_touch_rate: float
    lost_touch_rate: float
    first_contact_intercept: float
    first_contact_speed: float
    activity_rate_open: float
    activity_rate_late: float
    session_jump: float
    speed_bonus: float
    pricing_signal: float
    bottleneck_stage: str
    observation: dict[str, float]


def compile_mechanisms(profile: Profile, graph: nx.DiGraph, horizon_days: int) -> Mechanisms:
    """Turn the difficulty profile into concrete hazard and observation parameters."""
    sig = profile.signal
    # Early-funnel slopes saturate: even strong worlds get most leads contacted and accepted.
    early = min(sig, 1.5)
    bottleneck = str(graph.graph["bottleneck_stage"])
    b = profile.base_win

    def friction(stage: str) -> float:
        return -1.2 * sig if stage == bottleneck else -0.3 * sig

    # ``base_win`` (class balance) speeds up or slows down the late funnel and shifts losses.
    lb = -1.0 * b
    stages = [
        StageRule("mql", -2.2 + 0.5 * b, "engagement", 0.9 * early, -4.6, 0.5 * sig),
        StageRule("sal", -1.6 + 0.5 * b, "followup_speed", 0.8 * early, -4.2, 0.6 * sig),
        StageRule("sql", -2.0 + 0.5 * b, "demo_momentum", 0.9 * sig, -4.4, 0.6 * sig),
        StageRule(
            "demo_scheduled",
            -1.2 + 0.5 * b,
            "demo_momentum",
            0.6 * sig,
            -4.0 + lb,
            0.6 * sig,
            friction("demo_completed"),
        ),
        StageRule("demo_completed", -2.0 + b, "deal_propensity", 0.9 * sig, -4.0 + lb, 0.8 * sig),
        StageRule(
            "proposal_sent",
            -2.2 + b,
            "deal_propensity",
            1.0 * sig,
            -3.8 + lb,
            0.9 * sig,
            friction("negotiation"),
        ),
        StageRule(
            "negotiation",
            -2.0 + b,
            "deal_propensity",
            1.2 * sig,
            -3.4 + lb,
            1.1 * sig,
            friction("closed_won"),
        ),
    ]
    for rule in stages:
        rule.advance_intercept += profile.pace
    # The first demo-stage friction belongs to demo_scheduled → demo_completed; the proposal
    # bottleneck applies to demo_completed → proposal_sent.
    if bottleneck == "proposal_sent":
        stages[4].friction_slope = -1.2 * sig
    # Final sign-off (segment fit, committee, budget, and each family's own story) decides the
    # last step; legal, security and finance review from the demo on, so a deal they would
    # not sign already stalls or dies after the demo and at the proposal. It acts mostly
    # after the snapshot, so no pre-anchor proxy linearizes it.
    approval = 3.0 * profile.interaction
    stages[4].approval_slope = 0.5 * approval
    stages[5].approval_slope = 0.5 * approval
    stages[6].approval_slope = approval
    return Mechanisms(
        horizon_days=horizon_days,
        signal=sig,
        interaction_scale=profile.interaction,
        outcome_shock_sd=profile.outcome_noise,
        engagement_noise=profile.engagement_noise,
        base_win=b,
        drift=profile.drift,
        dwell_lost_per_day=0.015,
        stages=stages,
        touch_base=0.05 * profile.event_volume,
        touch_engagement=0.45,
        touch_decay_days=45.0,
        session_base=0.035 * profile.event_volume,
        session_engagement=0.55,
        won_touch_rate=0.10,
        lost_touch_rate=0.006,
        first_contact_intercept=-1.4,
        first_contact_speed=0.9 * early,
        activity_rate_open=0.05,
        activity_rate_late=0.08,
        session_jump=0.8,
        speed_bonus=0.8 * profile.interaction,
        pricing_signal=0.4 * sig,
        bottleneck_stage=bottleneck,
        observation={
            "proxy_noise": profile.proxy_noise,
            "missing_enrichment": profile.missing_enrichment,
            "attribution_noise": profile.attribution_noise,
            "stage_log_delay_days": profile.stage_log_delay_days,
            "activity_log_delay_days": profile.activity_log_delay_days,
            "session_visibility": profile.session_visibility,
            "activity_log_rate": profile.activity_log_rate,
            "duplicate_rate": profile.duplicate_rate,
        },
    )
