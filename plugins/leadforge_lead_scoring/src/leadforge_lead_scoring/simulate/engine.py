"""The daily engine: 90 vectorized steps per block of leads.

Leads are independent given the world (rep load is fixed by assignment), so each block of
leads is simulated with its own random stream: output does not depend on block order.
Events are Bernoulli per lead-day (at most one of each kind per day), which keeps event
volume modest and the loop cheap.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np

from leadforge_core.causal import CausalGraph
from leadforge_core.progress import phase
from leadforge_core.rng import BLOCK_SIZE, RandomStreams, blocks
from leadforge_lead_scoring.simulate.hazards import SHARED_NOISE, exogenous_inputs, sigmoid
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
)


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


def _simulate_block(
    m: Mechanisms,
    values: dict[str, np.ndarray],
    volume: np.ndarray,
    duplicate: np.ndarray,
    researcher: np.ndarray,
    drift: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, Any]:
    n = duplicate.size
    h = m.horizon_days
    w = values["deal_propensity"]
    drivers = {
        "engagement": values["engagement"],
        "followup_speed": values["followup_speed"],
        "demo_momentum": values["demo_momentum"],
        "deal_propensity": w,
    }
    friction = values["committee_friction"]
    approval = values["final_approval"]
    adv = np.empty((OPEN_STAGES, n), dtype=np.float32)
    lost = np.empty((OPEN_STAGES, n), dtype=np.float32)
    for s, rule in enumerate(m.stages):
        adv[s] = rule.advance_intercept + rule.advance_slope * drivers[rule.advance_driver]
        adv[s] += rule.friction_slope * friction
        lost[s] = rule.lost_intercept - rule.lost_slope * w
        if rule.approval_slope:
            adv[s] += rule.approval_slope * approval
            lost[s] -= rule.approval_slope * approval
    adv[4:] += drift  # cohort drift of the closing stages
    adv[:, duplicate] = -30.0  # duplicates never progress
    adv[1:, researcher] = -30.0  # researchers are accepted by SDRs but never qualify
    lost[:, researcher] = -6.0  # ... and linger as open leads
    shock_day = rng.integers(0, h, n).astype(np.int16)
    shock = (rng.standard_normal(n) * m.outcome_shock_sd).astype(np.float32)
    e = values["engagement"] + rng.standard_normal(n, dtype=np.float32) * m.engagement_noise
    touch_p = np.minimum(m.touch_base * np.exp(m.touch_engagement * e) * volume, 0.6)
    session_p = np.minimum(m.session_base * np.exp(m.session_engagement * e), 0.5)
    touch_p[researcher] *= 2.5
    touch_p = np.minimum(touch_p, 0.6)
    touch_p[duplicate] = 0.0
    session_p[researcher] = np.minimum(session_p[researcher] * 4.0, 0.5)
    session_p[duplicate] = 0.0
    fc_p = sigmoid(m.first_contact_intercept + m.first_contact_speed * values["followup_speed"])
    fc_p[duplicate] = 0.0
    act_rate = np.full(LOST + 1, m.activity_rate_open, dtype=np.float32)
    act_rate[2:OPEN_STAGES] = m.activity_rate_late
    act_rate[WON:] = 0.0

    stage = np.zeros(n, dtype=np.int8)
    entry = np.full((LOST + 1, n), -1, dtype=np.int16)
    entry[0] = 0
    current_entry = np.zeros(n, dtype=np.int16)
    contacted = np.zeros(n, dtype=bool)
    fast = np.zeros(n, dtype=bool)  # first contact within a day: "speed to lead"
    # Per-stage event rates of closed leads (open stages are filled per lead below).
    closed_touch = np.zeros(LOST + 1, dtype=np.float32)
    closed_touch[WON], closed_touch[LOST] = m.won_touch_rate, m.lost_touch_rate
    closed_sess = np.zeros(LOST + 1, dtype=np.float32)
    closed_sess[WON] = 0.12
    adv_flat, lost_flat = adv.ravel(), lost.ravel()
    op = np.arange(n)  # open leads; only they need hazards
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("t", "td", "s", "sd", "a", "ad", "as")}
    for t in range(h):
        u = rng.random((2, n), dtype=np.float32)
        decay = np.float32(0.35 + 0.65 * np.exp(-t / m.touch_decay_days))
        so = stage[op]
        p_touch = closed_touch[stage]
        p_touch[op] = touch_p[op] * decay
        hit = np.flatnonzero(u[0] < p_touch)
        out["t"].append(hit)
        out["td"].append(np.full(hit.size, t, dtype=np.int16))
        p_sess = closed_sess[stage]
        p_sess[op] = session_p[op] * decay * np.where(so >= 3, np.float32(1.4), np.float32(1.0))
        sess = u[1] < p_sess
        hit = np.flatnonzero(sess)
        out["s"].append(hit)
        out["sd"].append(np.full(hit.size, t, dtype=np.int16))
        v = rng.random((3, op.size), dtype=np.float32)
        co = contacted[op]
        first = ~co & (v[0] < fc_p[op])
        contacted[op[first]] = True
        if t <= 1:
            fast[op[first]] = True
        co |= first
        act = first | (co & (v[1] < act_rate[so]))
        out["a"].append(op[act])
        out["ad"].append(np.full(int(act.sum()), t, dtype=np.int16))
        out["as"].append(so[act])
        # Stage transitions: hazards by stage, dwell time, late shocks, session-triggered jumps.
        flat = so.astype(np.int64) * n + op
        shocked = np.where(t >= shock_day[op], shock[op], np.float32(0.0))
        x_adv = adv_flat[flat] + np.where(so >= 4, shocked, np.float32(0.0))
        x_adv += np.where((so == 2) & sess[op], np.float32(m.session_jump), np.float32(0.0))
        x_adv = np.where((so == 0) & ~co, np.float32(-30.0), x_adv)
        x_adv += np.where(
            fast[op] & (so >= 1) & (so <= 3), np.float32(m.speed_bonus), np.float32(-0.2)
        )
        dwell = (t - current_entry[op]).astype(np.float32)
        x_lost = lost_flat[flat] + m.dwell_lost_per_day * dwell - shocked
        go_lost = v[2] < sigmoid(x_lost)
        go_adv = ~go_lost & (v[2] > 1.0 - sigmoid(x_adv))
        new = np.where(go_lost, LOST, np.where(go_adv, so + 1, so)).astype(np.int8)
        ch = new != so
        moved = op[ch]
        entry[new[ch], moved] = t
        current_entry[moved] = t
        stage[moved] = new[ch]
        op = op[new < WON]
    closed = np.where(stage >= WON, np.maximum(entry[WON], entry[LOST]), h).astype(np.int16)
    cat = {k: np.concatenate(v) for k, v in out.items()}
    return {
        "stage": stage,
        "entry": entry,
        "closed": closed,
        "shock_day": shock_day,
        "shock": shock,
        **cat,
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
) -> SimResult:
    """Simulate every lead; ``order`` permutes block processing without changing output."""
    n = pop.n_leads
    spans = list(blocks(n, block_size))
    volume_all = np.array([c.volume for c in world.channels], dtype=np.float32)
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
    parts: list[dict[str, Any] | None] = [None] * len(spans)

    def one(i: int) -> tuple[int, dict[str, Any]]:
        b, lo, hi = spans[i]
        idx = np.arange(lo, hi)
        values = node_parts[i]
        z = {k: ((values[k] - mu) / sd).astype(np.float32) for k, (mu, sd) in moments.items()}
        frac = ((pop.lead_created_us[idx] - start_us) / span_us).astype(np.float32)
        drift = (m.drift * (frac - 0.5)).astype(np.float32)
        res = _simulate_block(
            m,
            z,
            volume_all[pop.channel[idx]],
            pop.is_duplicate[idx],
            pop.is_researcher[idx],
            drift,
            streams.generator("simulate.leads", b),
        )
        for k in ("t", "s", "a"):
            res[k] = res[k].astype(np.int64) + lo
        return i, res

    # Blocks are independent (own stream, own slot in ``parts``), so threads may run them in
    # any order; numpy releases the GIL inside its array loops.
    todo = order if order is not None else list(range(len(spans)))
    with (
        phase(progress, "simulation", total=len(spans), unit="blocks") as ph,
        ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo) or 1))) as pool,
    ):
        for i, res in pool.map(one, todo):
            parts[i] = res
            ph.advance()
    done = [p for p in parts if p is not None]
    nodes_done = node_parts

    def cat(key: str) -> np.ndarray:
        return np.concatenate([p[key] for p in done]) if done else np.zeros(0)

    return SimResult(
        entry_day=np.concatenate([p["entry"] for p in done], axis=1)
        if done
        else np.zeros((LOST + 1, 0), np.int16),
        final_stage=cat("stage").astype(np.int8),
        closed_day=cat("closed").astype(np.int16),
        touches=Events(cat("t"), cat("td").astype(np.int16), np.zeros(0)),
        sessions=Events(cat("s"), cat("sd").astype(np.int16), np.zeros(0)),
        activities=Events(cat("a"), cat("ad").astype(np.int16), cat("as").astype(np.int8)),
        nodes={
            k: (np.concatenate([p[k] for p in nodes_done]) - moments.get(k, (0.0, 1.0))[0])
            / moments.get(k, (0.0, 1.0))[1]
            for k in KEPT_NODES
        },
        shock_day=cat("shock_day").astype(np.int16),
        shock=cat("shock").astype(np.float32),
    )
