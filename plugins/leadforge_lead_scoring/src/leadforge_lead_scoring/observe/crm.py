"""Observation layer applied to simulated events before they become CRM tables.

Scaled by the difficulty's observation parameters: delayed stage and activity logging,
partial session visibility (consent / ad blockers), sparse activity logs, noisy first-touch
attribution and lead-source normalization, missing enrichment and proxy scores.
All draws use blocked streams over deterministic row orders.
"""

from __future__ import annotations

import attrs
import numpy as np

from leadforge_core.rng import RandomStreams, blocked_draw
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
    n = pop.n_leads
    entry = sim.entry_day.astype(np.int64)
    true_us = np.where(entry >= 0, created[None, :] + entry * US_PER_DAY, -1)
    offs = blocked_draw(
        streams,
        "observe.stages.time",
        n,
        lambda r, k: (r.random((k, entry.shape[0])) * (US_PER_DAY - 1)).astype(np.int64),
    ).T
    true_us = np.where(entry > 0, true_us + offs, true_us)
    sdelay = blocked_draw(
        streams,
        "observe.stages.delay",
        n,
        lambda r, k: (
            r.exponential(max(obs["stage_log_delay_days"], 1e-9), (k, entry.shape[0])) * US_PER_DAY
        ).astype(np.int64),
    ).T
    close_us = np.where(true_us[WON] >= 0, true_us[WON], true_us[LOST])
    close_us = np.where(close_us >= 0, close_us, end - 1)
    logged = np.where(true_us > 0, np.minimum(true_us + sdelay, close_us[None, :]), true_us)
    logged[0] = np.where(entry[0] == 0, created, -1)
    logged[WON] = true_us[WON]
    logged[LOST] = true_us[LOST]
    # Keep the logged sequence ordered through the funnel.
    running = logged[0].copy()
    for s in range(1, WON):
        logged[s] = np.where(logged[s] >= 0, np.maximum(logged[s], running), -1)
        running = np.where(logged[s] >= 0, logged[s], running)

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
        first_channel=first_channel,
        source_noise=source_noise,
        missing=missing,
    )
