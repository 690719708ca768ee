"""The daily engine: the lead-scoring story on the core's step runner, 90 steps per block.

Leads are independent given the world (rep load is fixed by assignment), so each block of
leads is simulated with its own random streams (:func:`leadforge_core.simulate.run_steps`):
output does not depend on block order or threads. Every lead draws its uniforms every day,
open or closed (common random numbers). Events are Bernoulli per lead-day (at most one of each
kind per day), which keeps event volume modest and the loop cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np

from leadforge_core.causal import CausalGraph
from leadforge_core.executors import Executor
from leadforge_core.rng import BLOCK_SIZE, RandomStreams, blocks
from leadforge_core.simulate import (
    Block,
    EventRecorder,
    StageMachine,
    bernoulli,
    channel_multiplier,
    competing_exits,
    merge_blocks,
    recency_decay,
    run_steps,
    sigmoid,
)
from leadforge_lead_scoring.simulate.hazards import SHARED_NOISE, exogenous_inputs
from leadforge_lead_scoring.simulate.mechanisms import LOST, OPEN_STAGES, WON, Mechanisms

#: Nodes the hazards read, standardized over the population before simulating.
DRIVERS = (
    "engagement",
    "followup_speed",
    "demo_momentum",
    "committee_friction",
    "final_approval",
    "deal_propensity",
)
#: Nodes kept after the simulation (for tables, proxies and the instructor truth).
KEPT_NODES = (
    "engagement",
    "demo_momentum",
    "deal_propensity",
    "deal_size",
    "lead_score_proxy",
    "fit_score_proxy",
    "followup_speed",
    "committee_friction",
    "final_approval",
)


#: Event kinds the daily loop records, with their columns.
EVENT_KINDS = {
    "touch": ("lead", "day"),
    "session": ("lead", "day"),
    "activity": ("lead", "day", "stage"),
}


@attrs.define
class Events:
    """One event kind: global lead index, day offset and a per-event code."""

    lead: np.ndarray
    day: np.ndarray
    code: np.ndarray


@attrs.define
class SimResult:
    entry_day: np.ndarray  # (9, n_leads) int16, -1 = never entered
    final_stage: np.ndarray  # int8
    closed_day: np.ndarray  # int16, horizon = still open
    touches: Events  # code: unused (0)
    sessions: Events  # code: unused (0)
    activities: Events  # code: stage at the time of the activity
    nodes: dict[str, np.ndarray]  # drivers standardized, other nodes raw
    shock_day: np.ndarray
    shock: np.ndarray


class _LeadBlock:
    """State of one block of leads during the daily loop."""

    shock_day: np.ndarray
    shock: np.ndarray
    touch_p: np.ndarray
    session_p: np.ndarray
    fc_p: np.ndarray
    act_rate: np.ndarray
    closed_touch: np.ndarray
    closed_sess: np.ndarray
    adv_flat: np.ndarray
    lost_flat: np.ndarray
    contacted: np.ndarray
    fast: np.ndarray
    events: EventRecorder

    def __init__(self, block: Block, funnel: StageMachine) -> None:
        self.block = block
        self.funnel = funnel
        self.draws = block.draws("simulate.leads")


@attrs.frozen
class _BlockInputs:
    """The inputs of one block, computed before it is shipped to a worker."""

    index: int
    values: dict[str, np.ndarray]

    def __call__(self, block: Block) -> dict[str, np.ndarray]:
        if block.index != self.index:
            raise ValueError(f"inputs of block {self.index} used for block {block.index}")
        return self.values


class LeadFunnel:
    """The lead-scoring story for :func:`leadforge_core.simulate.run_steps`: one step per day.

    Per day and lead (open leads only for the funnel): a touch and a session (Bernoulli,
    engagement-driven, decaying with the lead's age); first contact and sales activities;
    then the stage step — lost or advance as competing exits from one uniform, with dwell
    time, late outcome shocks and session-triggered jumps.
    """

    def __init__(self, m: Mechanisms, inputs: Callable[[Block], dict[str, np.ndarray]]) -> None:
        self.m = m
        self.inputs = inputs

    def for_block(self, block: Block) -> LeadFunnel:
        """The story of ``block`` alone, with its inputs computed here (what a worker gets)."""
        return LeadFunnel(self.m, _BlockInputs(block.index, self.inputs(block)))

    def start(self, block: Block) -> _LeadBlock:
        m = self.m
        x = self.inputs(block)
        n = block.size
        w = x["deal_propensity"]
        duplicate, researcher = x["duplicate"].astype(bool), x["researcher"].astype(bool)
        drivers = {k: x[k] for k in ("engagement", "followup_speed", "demo_momentum")}
        drivers["deal_propensity"] = w
        friction = x["committee_friction"]
        approval = x["final_approval"]
        adv = np.empty((OPEN_STAGES, n), dtype=np.float32)
        lost = np.empty((OPEN_STAGES, n), dtype=np.float32)
        for s, rule in enumerate(m.stages):
            adv[s] = rule.advance_intercept + rule.advance_slope * drivers[rule.advance_driver]
            adv[s] += rule.friction_slope * friction
            lost[s] = rule.lost_intercept - rule.lost_slope * w
            if rule.approval_slope:
                adv[s] += rule.approval_slope * approval
                lost[s] -= rule.approval_slope * approval
        adv[4:] += x["drift"]  # cohort drift of the closing stages
        adv[:, duplicate] = -30.0  # duplicates never progress
        adv[1:, researcher] = -30.0  # researchers are accepted by SDRs but never qualify
        lost[:, researcher] = -6.0  # ... and linger as open leads
        st = _LeadBlock(block, StageMachine(n, LOST + 1, WON))
        d = st.draws
        st.shock_day = d.integers(0, m.horizon_days).astype(np.int16)
        st.shock = (d.normal() * m.outcome_shock_sd).astype(np.float32)
        e = x["engagement"] + d.normal(dtype=np.float32) * m.engagement_noise
        touch_p = np.minimum(m.touch_base * np.exp(m.touch_engagement * e) * x["volume"], 0.6)
        session_p = np.minimum(m.session_base * np.exp(m.session_engagement * e), 0.5)
        touch_p[researcher] *= 2.5
        touch_p = np.minimum(touch_p, 0.6)
        touch_p[duplicate] = 0.0
        session_p[researcher] = np.minimum(session_p[researcher] * 4.0, 0.5)
        session_p[duplicate] = 0.0
        fc_p = sigmoid(m.first_contact_intercept + m.first_contact_speed * x["followup_speed"])
        fc_p[duplicate] = 0.0
        act_rate = np.full(LOST + 1, m.activity_rate_open, dtype=np.float32)
        act_rate[2:OPEN_STAGES] = m.activity_rate_late
        act_rate[WON:] = 0.0
        # Per-stage event rates of closed leads (open stages are filled per lead each day).
        closed_touch = np.zeros(LOST + 1, dtype=np.float32)
        closed_touch[WON], closed_touch[LOST] = m.won_touch_rate, m.lost_touch_rate
        closed_sess = np.zeros(LOST + 1, dtype=np.float32)
        closed_sess[WON] = 0.12
        st.touch_p, st.session_p, st.fc_p, st.act_rate = touch_p, session_p, fc_p, act_rate
        st.closed_touch, st.closed_sess = closed_touch, closed_sess
        st.adv_flat, st.lost_flat = adv.ravel(), lost.ravel()
        st.contacted = np.zeros(n, dtype=bool)
        st.fast = np.zeros(n, dtype=bool)  # first contact within a day: "speed to lead"
        st.events = EventRecorder(EVENT_KINDS)
        return st

    def step(self, st: _LeadBlock, t: int) -> None:
        m, f, n = self.m, st.funnel, st.block.size
        # Every lead gets its uniforms every day, open or not (common random numbers): touch,
        # session, contact (first contact while uncontacted, an activity afterwards: a lead
        # needs one of the two) and stage.
        u = st.draws.uniform(4, dtype=np.float32)
        op, so = f.open, f.open_stage
        decay = recency_decay(t, m.touch_decay_days, 0.35)
        p_touch = st.closed_touch[f.stage]
        p_touch[op] = st.touch_p[op] * decay
        st.events.add("touch", lead=bernoulli(u[0], p_touch), day=np.int16(t))
        p_sess = st.closed_sess[f.stage]
        p_sess[op] = st.session_p[op] * decay * np.where(so >= 3, np.float32(1.4), np.float32(1.0))
        sess = u[1] < p_sess
        st.events.add("session", lead=np.flatnonzero(sess), day=np.int16(t))
        contact = u[2, op]
        co = st.contacted[op]
        first = ~co & (contact < st.fc_p[op])
        st.contacted[op[first]] = True
        if t <= 1:
            st.fast[op[first]] = True
        act = first | (co & (contact < st.act_rate[so]))
        co |= first
        st.events.add("activity", lead=op[act], day=np.int16(t), stage=so[act])
        # Stage transitions: hazards by stage, dwell time, late shocks, session-triggered jumps.
        flat = so.astype(np.int64) * n + op
        shocked = np.where(t >= st.shock_day[op], st.shock[op], np.float32(0.0))
        x_adv = st.adv_flat[flat] + np.where(so >= 4, shocked, np.float32(0.0))
        x_adv += np.where((so == 2) & sess[op], np.float32(m.session_jump), np.float32(0.0))
        x_adv = np.where((so == 0) & ~co, np.float32(-30.0), x_adv)
        x_adv += np.where(
            st.fast[op] & (so >= 1) & (so <= 3), np.float32(m.speed_bonus), np.float32(-0.2)
        )
        x_lost = st.lost_flat[flat] + m.dwell_lost_per_day * f.dwell(t) - shocked
        exit_ = competing_exits(u[3, op], sigmoid(x_lost), sigmoid(x_adv))
        new = np.where(exit_ == 0, LOST, np.where(exit_ == 1, so + 1, so))
        f.move(new, t, so)

    def finish(self, st: _LeadBlock) -> dict[str, Any]:
        f = st.funnel
        return {
            "stage": f.stage,
            "entry": f.entry,
            "closed": f.closed_day(self.m.horizon_days),
            "shock_day": st.shock_day,
            "shock": st.shock,
            "events": st.events,
        }


def run(
    m: Mechanisms,
    world: Any,
    pop: Any,
    graph: CausalGraph,
    streams: RandomStreams,
    progress: Any,
    order: list[int] | None = None,
    block_size: int = BLOCK_SIZE,
    workers: int = min(os.cpu_count() or 1, 4),
    executor: Executor | None = None,
) -> SimResult:
    """Simulate every lead; ``order`` permutes block processing without changing output.

    ``executor`` runs the daily loop's blocks (worker processes, Dask); each receives its
    block's inputs only. The output is the same whichever runs them.
    """
    n = pop.n_leads
    spans = list(blocks(n, block_size))
    volume = [c.volume for c in world.channels]
    start_us = pop.lead_created_us.min() if n else 0
    span_us = max(int(pop.lead_created_us.max() - start_us), 1) if n else 1
    scale = {"product": m.interaction_scale, "threshold": m.interaction_scale}

    # Pass 1: execute the graph for every block; drivers are standardized with population-wide
    # moments so hazards mean the same thing in every motif family. An intervened world is
    # standardized with the moments of its natural world (executed from the same stream), so
    # an intervention is not standardized away.
    def latents(span: tuple[int, int, int], g: CausalGraph) -> dict[str, np.ndarray]:
        b, lo, hi = span
        exo = exogenous_inputs(world, pop, g, np.arange(lo, hi), m.interaction_scale)
        rng = streams.generator("simulate.latents", b)
        return g.execute(exo, rng, hi - lo, scale, SHARED_NOISE)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        node_parts: list[dict[str, np.ndarray]] = list(
            pool.map(lambda span: latents(span, graph), spans)
        )
        natural_parts = (
            list(pool.map(lambda span: latents(span, graph.natural), spans))
            if graph.interventions
            else node_parts
        )
    moments = (
        {
            k: (
                float(np.mean(np.concatenate([p[k] for p in natural_parts]))),
                float(np.std(np.concatenate([p[k] for p in natural_parts])) or 1.0),
            )
            for k in DRIVERS
        }
        if spans
        else {}
    )
    del natural_parts

    def inputs(block: Block) -> dict[str, np.ndarray]:
        idx = block.ids
        values = node_parts[block.index]
        z = {k: ((values[k] - mu) / sd).astype(np.float32) for k, (mu, sd) in moments.items()}
        frac = ((pop.lead_created_us[idx] - start_us) / span_us).astype(np.float32)
        return z | {
            "drift": (m.drift * (frac - 0.5)).astype(np.float32),
            "volume": channel_multiplier(pop.channel[idx], volume),
            "duplicate": pop.is_duplicate[idx],
            "researcher": pop.is_researcher[idx],
        }

    # Blocks are independent (own streams, own slot in the result), so threads may run them
    # in any order; numpy releases the GIL inside its array loops.
    done = run_steps(
        LeadFunnel(m, inputs),
        n,
        m.horizon_days,
        streams,
        block_size=block_size,
        workers=workers,
        order=order,
        progress=progress,
        executor=executor,
    )
    starts = [lo for _, lo, _ in spans]
    recorders = [p["events"] for p in done]

    def cat(key: str) -> np.ndarray:
        return np.concatenate([p[key] for p in done]) if done else np.zeros(0)

    def events(kind: str) -> Events:
        if not done:
            return Events(np.zeros(0, np.int64), np.zeros(0, np.int16), np.zeros(0))
        cols = merge_blocks(recorders, kind, offsets={"lead": starts})
        code = cols["stage"].astype(np.int8) if "stage" in cols else np.zeros(0)
        return Events(cols["lead"].astype(np.int64), cols["day"].astype(np.int16), code)

    return SimResult(
        entry_day=np.concatenate([p["entry"] for p in done], axis=1)
        if done
        else np.zeros((LOST + 1, 0), np.int16),
        final_stage=cat("stage").astype(np.int8),
        closed_day=cat("closed").astype(np.int16),
        touches=events("touch"),
        sessions=events("session"),
        activities=events("activity"),
        nodes={
            k: (np.concatenate([p[k] for p in node_parts]) - moments.get(k, (0.0, 1.0))[0])
            / moments.get(k, (0.0, 1.0))[1]
            for k in KEPT_NODES
        },
        shock_day=cat("shock_day").astype(np.int16),
        shock=cat("shock").astype(np.float32),
    )
