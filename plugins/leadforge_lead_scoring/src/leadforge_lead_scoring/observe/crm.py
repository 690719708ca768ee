"""Observation layer applied to simulated events before they become CRM tables.

Scaled by the difficulty's observation parameters: delayed stage and activity logging,
partial session visibility (consent / ad blockers), sparse activity logs, noisy first-touch
attribution and lead-source normalization, missing enrichment and proxy scores.
The operators are the core's (:mod:`leadforge_core.observe`); this module says which
columns, streams and rates. All draws use blocked streams over deterministic row orders.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import attrs
import numpy as np

from leadforge_core.observe import (
    Misattribution,
    Stream,
    delayed_logging,
    logged_mask,
    logging_delay_us,
    misattribute_jointly,
    missing_mask,
    visible_mask,
)
from leadforge_core.rng import RandomStreams, blocks
from leadforge_lead_scoring.simulate.engine import SimResult
from leadforge_lead_scoring.simulate.mechanisms import LOST, WON
from leadforge_lead_scoring.world.population import US_PER_DAY, Population

#: Lead-source noise codes: 0 = clean, 1 = "unknown", 2 = raw variant. When the source is
#: misrecorded, it is either with equal odds.
SOURCE_CONFUSION = np.array([[0.0, 0.5, 0.5]])


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


#: Simulated events happen on a day; their logged time of day is uniform within it.
TIME_OF_DAY_US = US_PER_DAY - 1
#: An exponential logging delay is never drawn with a zero mean (a tiny one instead).
MIN_DELAY_DAYS = 1e-9


def _offset(streams: RandomStreams, name: str, n: int) -> np.ndarray:
    return logging_delay_us(n, Stream(streams, name), uniform_us=TIME_OF_DAY_US)


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

    s_keep = visible_mask(
        sim.sessions.lead.size,
        obs["session_visibility"],
        Stream(streams, "observe.sessions.visible"),
    )
    s_lead = sim.sessions.lead[s_keep]
    s_us = created[s_lead] + sim.sessions.day[s_keep].astype(np.int64) * US_PER_DAY
    s_us += _offset(streams, "observe.sessions.time", sim.sessions.lead.size)[s_keep]

    n_a = sim.activities.lead.size
    a_keep = logged_mask(
        n_a, 1.0 - obs["activity_log_rate"], Stream(streams, "observe.activities.logged")
    )
    a_us = created[sim.activities.lead] + sim.activities.day.astype(np.int64) * US_PER_DAY
    a_us = delayed_logging(
        a_us + _offset(streams, "observe.activities.time", n_a),
        Stream(streams, "observe.activities.delay"),
        max(obs["activity_log_delay_days"], MIN_DELAY_DAYS),
    )
    a_keep &= a_us < end[sim.activities.lead]

    # Stage entries: true time of day, then delayed logging that never passes the close.
    # Computed per block of leads (each with its own streams) in threads; numpy releases the
    # GIL, and the result does not depend on scheduling.
    n = pop.n_leads
    logged = np.empty((sim.entry_day.shape[0], n), dtype=np.int64)
    scale = max(obs["stage_log_delay_days"], MIN_DELAY_DAYS)

    def stage_block(span: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b, lo, hi = span
        k = hi - lo
        entry = sim.entry_day[:, lo:hi].astype(np.int64)
        c = created[lo:hi]
        ns = entry.shape[0]
        # Draws are lead-major (k, ns) from this block's streams, used stage-major.
        offs = logging_delay_us(
            (k, ns),
            Stream(streams, "observe.stages.time", first_block=b),
            uniform_us=TIME_OF_DAY_US,
        ).T
        entered = entry >= 0
        true_us = np.where(entered, c[None, :] + entry * US_PER_DAY, -1)
        true_us += np.where(entry > 0, offs, 0)
        close = np.where(true_us[WON] >= 0, true_us[WON], true_us[LOST])
        close = np.where(close >= 0, close, end[lo:hi] - 1)
        out = delayed_logging(
            true_us.T,
            Stream(streams, "observe.stages.delay", first_block=b),
            scale,
            cap_us=close[:, None],
            valid=true_us.T > 0,
        ).T
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

    # Attribution: the recorded first-touch channel is sometimes another channel, and the
    # lead source is sometimes "unknown" or a raw (unnormalized) variant; both from one stream.
    p_attr = obs["attribution_noise"]
    channel, source = misattribute_jointly(
        [
            Misattribution(pop.channel, p_attr, n_categories=n_channels),
            Misattribution(np.zeros(n, dtype=np.int64), p_attr, confusion=SOURCE_CONFUSION),
        ],
        Stream(streams, "observe.attribution"),
    )
    first_channel = channel.astype(np.int32)
    source_noise = source.astype(np.int8)

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
        missing[col] = missing_mask(
            pop.n_accounts,
            miss_p * mult * (1.3 - 0.6 * size),
            Stream(streams, f"observe.enrichment.{col}"),
        )
    missing["seniority"] = missing_mask(
        pop.n_contacts, miss_p * 0.8, Stream(streams, "observe.enrichment.seniority")
    )

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
