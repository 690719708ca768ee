"""Observation layer applied to simulated events before they become CRM tables.

Scaled by the difficulty's observation parameters: delayed stage and activity logging,
partial session visibility (consent / ad blockers), sparse activity logs, noisy first-touch
attribution and lead-source normalization, missing enrichment and proxy scores.
All draws use blocked streams over deterministic row orders.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import attrs
import numpy as np

from leadforge_core.rng import RandomStreams, blocked_draw, blocks
from leadforge_lead_scoring.simulate.engine import SimResult
from leadforge_lead_scoring.simulate.mechanisms import LOST, WON
from leadforge_lead_scoring.world.population import US_PER_DAY, Population


@attrs.define
class Observed:
    """Logged event timestamps (µs) with their lead index and kind-specific codes."""

    touch_lead: np.ndarray
    touch_us: np.ndarray
    touch_true_day: np.ndarray
    session_lead: np.ndarray
    session_us: np.ndarray
    activity_lead: np.ndarray
    activity_us: np.ndarray
    activity_stage: np.ndarray
    stage_logged_us: np.ndarray  # (9, n) int64, -1 = never entered
    # The logged entries as rows in (lead, stage) order: lead index, stage code, time.
    stage_lead: np.ndarray
    stage_code: np.ndarray
    stage_us: np.ndarray
    first_channel: np.ndarray
    source_noise: np.ndarray  # 0 = clean, 1 = unknown, 2 = raw variant
    missing: dict[str, np.ndarray]


def _offset(streams: RandomStreams, name: str, n: int) -> np.ndarray:
    return blocked_draw(
        streams, name, n, lambda r, k: (r.random(k) * (US_PER_DAY - 1)).astype(np.int64)
    )


def observe(
    sim: SimResult,
    pop: Population,
    obs: dict[str, float],
    streams: RandomStreams,
    horizon: int,
    n_channels: int,
) -> Observed:
    created = pop.lead_created_us
    end = created + horizon * US_PER_DAY  # exclusive end of each lead's window

    t_us = created[sim.touches.lead] + sim.touches.day.astype(np.int64) * US_PER_DAY
    t_us += _offset(streams, "observe.touches.time", t_us.size)

    s_keep = blocked_draw(
        streams,
        "observe.sessions.visible",
        sim.sessions.lead.size,
        lambda r, k: r.random(k) < obs["session_visibility"],
    )
    s_lead = sim.sessions.lead[s_keep]
    s_us = created[s_lead] + sim.sessions.day[s_keep].astype(np.int64) * US_PER_DAY
    s_us += _offset(streams, "observe.sessions.time", sim.sessions.lead.size)[s_keep]

    n_a = sim.activities.lead.size
    a_keep = blocked_draw(
        streams,
        "observe.activities.logged",
        n_a,
        lambda r, k: r.random(k) < obs["activity_log_rate"],
    )
    delay = blocked_draw(
        streams,
        "observe.activities.delay",
        n_a,
        lambda r, k: (
            r.exponential(max(obs["activity_log_delay_days"], 1e-9), k) * US_PER_DAY
        ).astype(np.int64),
    )
    a_us = created[sim.activities.lead] + sim.activities.day.astype(np.int64) * US_PER_DAY
    a_us += _offset(streams, "observe.activities.time", n_a) + delay
    a_keep &= a_us < end[sim.activities.lead]

    # Stage entries: true time of day, then delayed logging that never passes the close.
    # Computed per block of leads (each with its own streams) in threads; numpy releases the
    # GIL, and the result does not depend on scheduling.
    n = pop.n_leads
    logged = np.empty((sim.entry_day.shape[0], n), dtype=np.int64)
    scale = max(obs["stage_log_delay_days"], 1e-9)

    def stage_block(span: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b, lo, hi = span
        k = hi - lo
        entry = sim.entry_day[:, lo:hi].astype(np.int64)
        c = created[lo:hi]
        ns = entry.shape[0]
        offs = streams.generator("observe.stages.time", b).random((k, ns)).T
        offs = (offs * (US_PER_DAY - 1)).astype(np.int64)
        sdelay = streams.generator("observe.stages.delay", b).exponential(scale, (k, ns)).T
        sdelay = (sdelay * US_PER_DAY).astype(np.int64)
        entered = entry >= 0
        true_us = np.where(entered, c[None, :] + entry * US_PER_DAY, -1)
        true_us += np.where(entry > 0, offs, 0)
        close = np.where(true_us[WON] >= 0, true_us[WON], true_us[LOST])
        close = np.where(close >= 0, close, end[lo:hi] - 1)
        out = np.where(true_us > 0, np.minimum(true_us + sdelay, close[None, :]), true_us)
        out[0] = np.where(entry[0] == 0, c, -1)
        out[WON] = true_us[WON]
        out[LOST] = true_us[LOST]
        # Keep the logged sequence ordered through the funnel.
        running = out[0]
        for s in range(1, WON):
            row = out[s]
            ok = row >= 0
            row[ok] = np.maximum(row[ok], running[ok])
            running = np.where(ok, row, running)
        logged[:, lo:hi] = out
        # Logged entries rise through the funnel, so (lead, stage) order is (lead, time) order.
        by_lead = np.ascontiguousarray(out.T)
        lead, code = np.nonzero(by_lead >= 0)
        return lead + lo, code.astype(np.int8), by_lead[lead, code]

    with ThreadPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(stage_block, blocks(n)))
    stage_rows = [
        np.concatenate([r[i] for r in rows])
        if rows
        else np.zeros(0, dtype=(np.int64, np.int8, np.int64)[i])
        for i in range(3)
    ]

    # Attribution: the recorded first-touch channel is sometimes another channel.
    attr = blocked_draw(
        streams,
        "observe.attribution",
        n,
        lambda r, k: np.stack(
            [r.random(k) < obs["attribution_noise"], r.integers(0, n_channels, k), r.random(k)],
            axis=1,
        ),
    )
    noisy = attr[:, 0] > 0
    first_channel = np.where(noisy, attr[:, 1], pop.channel).astype(np.int32)
    source_noise = np.where(
        attr[:, 2] < obs["attribution_noise"] * 0.5,
        1,
        np.where(attr[:, 2] < obs["attribution_noise"], 2, 0),
    ).astype(np.int8)

    miss_p = obs["missing_enrichment"]
    # Smaller accounts are enriched less often.
    size = pop.band.astype(np.float64) / max(int(pop.band.max(initial=0)), 1)
    missing = {}
    for col, mult in (
        ("industry", 0.6),
        ("employee_band", 1.0),
        ("revenue", 1.2),
        ("maturity", 1.5),
    ):
        u = blocked_draw(
            streams, f"observe.enrichment.{col}", pop.n_accounts, lambda r, k: r.random(k)
        )
        missing[col] = u < miss_p * mult * (1.3 - 0.6 * size)
    u = blocked_draw(
        streams, "observe.enrichment.seniority", pop.n_contacts, lambda r, k: r.random(k)
    )
    missing["seniority"] = u < miss_p * 0.8

    t_keep = t_us < end[sim.touches.lead]
    return Observed(
        touch_lead=sim.touches.lead[t_keep],
        touch_us=t_us[t_keep],
        touch_true_day=sim.touches.day[t_keep],
        session_lead=s_lead,
        session_us=s_us,
        activity_lead=sim.activities.lead[a_keep],
        activity_us=a_us[a_keep],
        activity_stage=sim.activities.code[a_keep],
        stage_logged_us=logged,
        stage_lead=stage_rows[0],
        stage_code=stage_rows[1],
        stage_us=stage_rows[2],
        first_channel=first_channel,
        source_noise=source_noise,
        missing=missing,
    )
