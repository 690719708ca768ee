"""The weekly lifecycle story on the core's step runner: one step per calendar week.

Within a week, in order: customers starting this week join; usage moves; open dunning episodes
recover or are written off (write-off forces churn); the churn decision (anniversary spike or
weekly hazard); renewals; expansion and downgrade; invoicing and payment; telemetry; champion
departures. Customers are simulated in fixed blocks (:func:`leadforge_core.simulate.run_steps`),
every customer drawing every week's uniforms whatever its state (common random numbers);
events are recorded per week and merged back into week order at the end.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import attrs
import numpy as np

from leadforge_core.executors import Executor
from leadforge_core.progress import Progress
from leadforge_core.rng import BLOCK_SIZE, RandomStreams, blocks
from leadforge_core.simulate import (
    Block,
    BlockDraws,
    EventRecorder,
    centered_exp,
    merge_blocks,
    run_steps,
    sigmoid,
)
from leadforge_lifecycle.simulate import billing, expansion, hazards
from leadforge_lifecycle.simulate.telemetry import PeriodRows, Telemetry, merge_periods
from leadforge_lifecycle.world.population import World

EVENT_TYPES = ("renewal", "expansion", "downgrade", "churn", "payment_failure", "payment_recovered")
#: Day offset of each event type inside its week (relative to the customer's weekly anchor).
#: MRR changes share the anchor with the invoice issued that week, which bills the new MRR.
EVENT_OFFSET_DAYS = {
    "renewal": 0.0,
    "expansion": 0.0,
    "downgrade": 0.0,
    "churn": 0.0,
    "payment_failure": 0.0,
    "payment_recovered": 2.0,
}
CHURN_REASONS = ("non_renewal", "mid_term_cancellation", "payment_write_off")
EPISODE_OPEN, EPISODE_RECOVERED, EPISODE_WRITTEN_OFF = 0, 1, 2
#: Weekly hazard that the customer's internal champion leaves, at average stability.
CHAMPION_DEPARTURE = 0.003
CHAMPION_LOSS = 1.5
#: Share of the usage level that goes away when the champion leaves.
CHAMPION_USAGE_DROP = 0.6
#: Usage collapse after onboarding: below this depth the weekly churn risk climbs steeply.
DISENGAGED_DEPTH = 0.25
DISENGAGED_RISK = 1.5  # added log-hazard per 0.1 of depth below the threshold (capped at 2x)
DISENGAGED_AFTER_WEEKS = 13
#: Chance a renewing annual customer moves to a 24-month term.
TERM_UPGRADE = 0.08


@attrs.define
class SimResult:
    events: dict[str, np.ndarray]
    invoices: dict[str, np.ndarray]
    episodes: dict[str, np.ndarray]
    health: PeriodRows
    final: dict[str, np.ndarray]


#: What the weekly loop records, per kind.
RECORDS = {
    "events": ("customer", "week", "type", "mrr_before", "mrr_after", "term_new"),
    "invoices": ("customer", "week", "amount", "episode"),
    "episodes": ("episode", "end_week", "outcome"),
}
#: Draw streams of the weekly loop (``simulation.<name>``, one per block).
STREAMS = ("usage", "dunning", "churn", "renewal", "expansion", "downgrade", "payment", "champion")


class _Customers:
    """State of one block of customers during the weekly loop (indices local to the block)."""

    def __init__(self, block: Block, model: CustomerLifecycle) -> None:
        sl = slice(block.start - model.offset, block.stop - model.offset)
        self.block = block
        self.x = {k: v[sl] for k, v in model.static.items()}
        n = block.size
        self.draws = {k: block.draws(f"simulation.{k}") for k in STREAMS}
        self.telemetry = Telemetry(n, model.period_weeks, block.draws("simulation.telemetry"))
        self.start = self.x["start_week"]
        self.active = np.zeros(n, dtype=bool)
        self.churn_week = np.full(n, -1, dtype=np.int64)
        self.churn_reason = np.full(n, -1, dtype=np.int64)
        self.mrr = self.x["initial_mrr"].astype(float).copy()
        self.seats = self.x["seats"].copy()
        self.depth = np.full(n, 0.1)
        self.users = 0.15 * self.seats
        self.term = self.x["term_months"].copy()
        self.next_renewal = hazards.term_weeks(self.term)
        self.counts = {
            k: np.zeros(n, dtype=np.int64) for k in ("renewal", "expansion", "downgrade")
        }
        self.episode = np.full(n, -1, dtype=np.int64)  # open dunning episode (block-local id)
        self.episode_start = np.full(n, -1, dtype=np.int64)
        self.n_episodes = 0
        self.champion_lost = np.zeros(n, dtype=bool)
        self.rec = EventRecorder(RECORDS)

    def record(
        self,
        kind: str,
        idx: np.ndarray,
        week: int,
        before: np.ndarray,
        after: np.ndarray,
        term_new: np.ndarray | int = -1,
    ) -> None:
        self.rec.add(
            "events",
            customer=idx,
            week=week,
            type=EVENT_TYPES.index(kind),
            mrr_before=before,
            mrr_after=after,
            term_new=term_new,
        )


class CustomerLifecycle:
    """The lifecycle story for :func:`leadforge_core.simulate.run_steps`: one step per week.

    Rates that are normalized over the population (``centered_exp``) are computed once for
    every customer before the blocks run, so a block's customers behave as in one big loop.

    Args:
        world: the sampled world.
        streams: the run's random streams (for the per-customer frailty).
        dunning_weeks: weeks an unpaid balance stays open before it is written off.
        period_weeks: weeks per health-telemetry period.
        block_size: customers per block (the frailty draw uses the runner's layout).
    """

    def __init__(
        self,
        world: World,
        streams: RandomStreams,
        dunning_weeks: int,
        period_weeks: int,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        c = world.population.customers
        n, m, g = world.population.n, world.mechanism, world.graph
        #: Global index of the first row of :attr:`static` (0 unless cut to one block).
        self.offset = 0
        self.m, self.g, self.n_weeks = m, g, world.n_weeks
        self.dunning_weeks, self.period_weeks = dunning_weeks, period_weeks
        s = m["signal_strength"]
        fit, adopt = c["product_fit"], c["adoption_velocity"]
        budget, org = c["budget_stability"], c["organizational_stability"]
        champ = c["champion_strength"] + 0.25 * world.population.reps["quality"][c["csm"]]
        normals = [
            BlockDraws(streams, "simulation.frailty", b, hi - lo).normal()
            for b, lo, hi in blocks(n, block_size)
        ]
        frailty = m["frailty_sd"] * (np.concatenate(normals) if normals else np.zeros(0))
        self.static: dict[str, np.ndarray] = {
            "start_week": c["start_week"],
            "initial_mrr": c["initial_mrr"],
            "seats": c["seats"],
            "term_months": c["term_months"],
            "fit": fit,
            "adopt": adopt,
            "budget": budget,
            "champ": champ,
            "depth_target": sigmoid(
                s
                * (
                    g.weight("product_fit", "usage_depth") * fit
                    + g.weight("champion_strength", "usage_depth") * champ
                )
                + 0.3
            ),
            "depth_rate": 0.06
            * np.exp(0.4 * s * g.weight("adoption_velocity", "usage_depth") * adopt),
            "user_rate": 0.1
            * np.exp(0.3 * s * g.weight("adoption_velocity", "active_users") * adopt),
            "fail_p": np.minimum(
                m["payment_failure"]
                * centered_exp(-s * g.weight("budget_stability", "payment_failure") * budget),
                0.9,
            ),
            # Recovery leans on budget more gently than failure: most dunning episodes end paid.
            "recover_p": np.minimum(
                m["weekly_recovery"]
                * centered_exp(0.5 * g.weight("budget_stability", "payment_recovery") * budget),
                0.95,
            ),
            "static_risk": np.log(
                centered_exp(
                    frailty
                    - s
                    * (
                        g.weight("product_fit", "churn") * fit
                        + g.weight("organizational_stability", "churn") * org
                        + g.weight("budget_stability", "churn") * budget
                        + g.weight("champion_strength", "churn") * champ
                    )
                )
            ),
            "depart_p": CHAMPION_DEPARTURE
            * np.exp(-s * g.weight("organizational_stability", "champion_strength") * org),
            "ticket_rate": 0.12
            * np.exp(0.4 * g.weight("product_fit", "obs_support_tickets") * -fit),
        }

    def for_block(self, block: Block) -> CustomerLifecycle:
        """The story of ``block`` alone: the same model with its rows only (what a worker gets)."""
        shard = copy.copy(self)
        sl = slice(block.start - self.offset, block.stop - self.offset)
        shard.static = {k: np.ascontiguousarray(v[sl]) for k, v in self.static.items()}
        shard.offset = block.start
        return shard

    def start(self, block: Block) -> _Customers:
        return _Customers(block, self)

    def step(self, st: _Customers, t: int) -> None:
        m, g, x, d = self.m, self.g, st.x, st.draws
        s = m["signal_strength"]
        s_exp = s * m["expansion_signal"]  # how far latent adoption and depth decide expansion
        st.active |= st.start == t
        active, tenure = st.active, t - st.start
        # Usage moves toward its fit-driven level at an adoption-driven speed.
        target = np.where(
            st.champion_lost, x["depth_target"] * (1.0 - CHAMPION_USAGE_DROP), x["depth_target"]
        )
        st.depth = np.where(
            active,
            np.clip(
                st.depth
                + x["depth_rate"] * (target - st.depth)
                + 0.02 * d["usage"].normal(),  # only active customers move
                0.0,
                1.0,
            ),
            st.depth,
        )
        st.users = np.where(
            active,
            st.users + x["user_rate"] * (st.seats * (0.2 + 0.75 * st.depth) - st.users),
            st.users,
        )
        depth_z = np.clip((st.depth - 0.5) / 0.2, -2.0, 2.0)
        in_dunning = active & (st.episode >= 0)

        # Dunning: recovery, or write-off which forces churn.
        recovered, written_off = billing.dunning_outcome(
            t - st.episode_start,
            d["dunning"].uniform_at(in_dunning),
            x["recover_p"],
            self.dunning_weeks,
        )
        recovered &= in_dunning
        written_off &= in_dunning
        for flag, outcome in ((recovered, EPISODE_RECOVERED), (written_off, EPISODE_WRITTEN_OFF)):
            idx = np.flatnonzero(flag)
            st.rec.add("episodes", episode=st.episode[idx], end_week=t, outcome=outcome)
        idx = np.flatnonzero(recovered)
        st.record("payment_recovered", idx, t, st.mrr[idx], st.mrr[idx])
        st.episode[recovered] = -1
        in_dunning &= ~recovered

        # Churn: anniversary renewal decision or weekly hazard.
        at_anniversary = active & (tenure == st.next_renewal)
        risk = (
            x["static_risk"]
            - s
            * (
                0.5 * g.weight("usage_depth", "churn") * depth_z
                - g.weight("champion_strength", "churn") * CHAMPION_LOSS * st.champion_lost
            )
            + g.weight("unrecovered_payment", "churn") * 1.5 * in_dunning
        )
        collapse = np.clip((DISENGAGED_DEPTH - st.depth) / 0.1, 0.0, 2.0)
        risk = risk + DISENGAGED_RISK * g.weight("usage_depth", "churn") * collapse * (
            tenure >= DISENGAGED_AFTER_WEEKS
        )
        p_churn = hazards.churn_probability(
            tenure,
            at_anniversary,
            risk,
            m["weekly_churn"],
            m["onboarding_multiplier"],
            m["renewal_churn"],
        )
        exposed = active & (tenure > 0)
        churns = exposed & (d["churn"].uniform_at(exposed) < p_churn)
        churns |= written_off
        reason = np.where(written_off, 2, np.where(at_anniversary, 0, 1))
        idx = np.flatnonzero(churns)
        ended = idx[st.episode[idx] >= 0]
        st.rec.add("episodes", episode=st.episode[ended], end_week=t, outcome=EPISODE_WRITTEN_OFF)
        st.record("churn", idx, t, st.mrr[idx], np.zeros(idx.size))
        st.churn_week[idx], st.churn_reason[idx] = t, reason[idx]
        active &= ~churns
        st.episode[churns] = -1

        # Renewal at the anniversary; some annual customers move to a longer term.
        renew = at_anniversary & active
        annual = renew & (st.term == 12)
        upgrade = annual & (d["renewal"].uniform_at(annual) < TERM_UPGRADE)
        st.term = np.where(upgrade, 24, st.term)
        idx = np.flatnonzero(renew)
        st.record("renewal", idx, t, st.mrr[idx], st.mrr[idx], st.term[idx])
        st.counts["renewal"] += renew
        st.next_renewal = np.where(
            renew, st.next_renewal + hazards.term_weeks(st.term), st.next_renewal
        )

        # Expansion and downgrade between anniversaries.
        mrr, seats = st.mrr, st.seats
        movable = active & ~at_anniversary & (tenure >= expansion.SETTLE_WEEKS) & (st.episode < 0)
        p_exp = expansion.expansion_probability(
            m["weekly_expansion"],
            x["adopt"] * s_exp,
            depth_z * s_exp,
            np.minimum(st.users / seats, 1.2),
            g.weight("adoption_velocity", "expansion"),
            g.weight("usage_depth", "expansion"),
            g.weight("active_users", "expansion"),
        )
        ceiling = x["initial_mrr"] * expansion.CEILING_MULTIPLE
        grow = movable & (d["expansion"].uniform_at(movable) < p_exp) & (mrr < ceiling)
        factor = expansion.expansion_factor(m["expansion_jump"], d["expansion"].normal_at(grow))
        new_mrr = expansion.round_mrr(np.minimum(mrr * factor, ceiling))
        grow &= new_mrr > mrr  # a jump that rounds away is no expansion
        idx = np.flatnonzero(grow)
        st.record("expansion", idx, t, mrr[idx], new_mrr[idx])
        seats = np.where(grow, seats * new_mrr / mrr, seats)
        mrr = np.where(grow, new_mrr, mrr)
        st.counts["expansion"] += grow
        p_down = expansion.downgrade_probability(
            m["weekly_downgrade"],
            x["budget"] * s,
            depth_z * s,
            g.weight("budget_stability", "downgrade"),
            g.weight("usage_depth", "downgrade"),
        )
        steady = movable & ~grow
        shrink = steady & (d["downgrade"].uniform_at(steady) < p_down) & (mrr > expansion.MRR_FLOOR)
        new_mrr = expansion.round_mrr(
            mrr * expansion.downgrade_factor(d["downgrade"].uniform_at(shrink))
        )
        shrink &= new_mrr < mrr
        idx = np.flatnonzero(shrink)
        st.record("downgrade", idx, t, mrr[idx], new_mrr[idx])
        seats = np.where(shrink, seats * new_mrr / mrr, seats)
        mrr = np.where(shrink, new_mrr, mrr)
        st.counts["downgrade"] += shrink
        st.mrr, st.seats = mrr, seats

        # Invoicing: a failed payment opens a dunning episode; open episodes absorb invoices.
        due = active & billing.invoice_due(tenure)
        billable = due & (st.episode < 0)
        fails = billable & (d["payment"].uniform_at(billable) < x["fail_p"])
        idx = np.flatnonzero(fails)
        st.episode[idx] = st.n_episodes + np.arange(idx.size)
        st.episode_start[idx] = t
        st.n_episodes += idx.size
        st.record("payment_failure", idx, t, mrr[idx], mrr[idx])
        idx = np.flatnonzero(due)
        st.rec.add("invoices", customer=idx, week=t, amount=mrr[idx], episode=st.episode[idx])

        st.telemetry.accumulate(active, st.users, st.depth)
        if (t + 1) % self.period_weeks == 0 or t == self.n_weeks - 1:
            nps_mean = 6.5 + 1.2 * s * (
                g.weight("product_fit", "obs_nps_score") * x["fit"]
                + g.weight("champion_strength", "obs_nps_score")
                * (x["champ"] - CHAMPION_LOSS * st.champion_lost)
            )
            rate = (
                x["ticket_rate"]
                * np.exp(0.8 * g.weight("usage_depth", "obs_support_tickets") * (0.5 - st.depth))
                * (np.sqrt(np.maximum(st.users, 1.0) / 10.0))
            )
            st.telemetry.emit(
                t // self.period_weeks, rate, nps_mean, m["telemetry_noise"], m["missingness"]
            )

        st.champion_lost |= active & (d["champion"].uniform_at(active) < x["depart_p"])

    def finish(self, st: _Customers) -> _Customers:
        st.x = {}  # inputs are not needed past the loop (nor sent back from a worker)
        return st


def _episode_ids(parts: list[_Customers]) -> list[np.ndarray]:
    """Global dunning-episode ids: episodes numbered in the order they open (week, customer).

    Within a block, local id ``k`` is the block's ``k``-th payment failure; returns, per block,
    the global id of each local id.
    """
    failure = EVENT_TYPES.index("payment_failure")
    calls, custs, sizes = [], [], []
    for p in parts:
        ev = p.rec.columns("events")
        sel = ev["type"] == failure
        calls.append(ev["_call"][sel])
        custs.append(ev["customer"][sel] + p.block.start)
        sizes.append(int(sel.sum()))
    order = np.lexsort((np.concatenate(custs), np.concatenate(calls)))
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return np.split(rank, np.cumsum(sizes)[:-1])


def simulate(
    world: World,
    streams: RandomStreams,
    progress: Progress,
    *,
    dunning_weeks: int,
    period_weeks: int,
    block_size: int = BLOCK_SIZE,
    workers: int = min(os.cpu_count() or 1, 4),
    order: list[int] | None = None,
    executor: Executor | None = None,
) -> SimResult:
    """Run the weekly loop for every customer; ``order``, ``workers`` (threads) and
    ``executor`` (worker processes, Dask: each block gets its customers' rows only) do not
    change the output."""
    n = world.population.n
    model = CustomerLifecycle(world, streams, dunning_weeks, period_weeks, block_size)
    parts = run_steps(
        model,
        n,
        world.n_weeks,
        streams,
        block_size=block_size,
        workers=workers,
        order=order,
        progress=progress,
        executor=executor,
    )
    starts = [p.block.start for p in parts]
    recs = [p.rec for p in parts]
    ids = _episode_ids(parts)
    n_episodes = sum(p.n_episodes for p in parts)

    flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
    base = np.cumsum([0, *[g.size for g in ids]])[:-1].astype(np.int64)

    def merged(kind: str, interleave: bool) -> dict[str, np.ndarray]:
        """``kind`` rows of every block, block-local episode ids made global (-1 stays -1)."""
        cols = merge_blocks(
            recs,
            kind,
            {"customer": starts} if "customer" in RECORDS[kind] else None,
            interleave_by="customer" if interleave else None,
            block_column="block",
        )
        ep = cols["episode"].astype(np.int64)
        glob = np.full(ep.size, -1, dtype=np.int64)
        has = ep >= 0
        glob[has] = flat[base[cols.pop("block")[has]] + ep[has]]
        cols["episode"] = glob
        return cols

    events = merge_blocks(recs, "events", {"customer": starts}, interleave_by="customer")
    invoices = merged("invoices", interleave=True)
    episodes = merged("episodes", interleave=False)
    episode_outcome = np.zeros(n_episodes, dtype=np.int64)
    episode_end = np.full(n_episodes, -1, dtype=np.int64)
    episode_outcome[episodes["episode"].astype(np.int64)] = episodes["outcome"]
    episode_end[episodes["episode"].astype(np.int64)] = episodes["end_week"]

    def cat(key: str) -> np.ndarray:
        return np.concatenate([getattr(p, key) for p in parts])

    final: dict[str, Any] = {
        "mrr": np.where(cat("churn_week") >= 0, 0.0, cat("mrr")),
        "last_mrr": cat("mrr"),
        "term_months": cat("term"),
        "next_renewal": cat("next_renewal"),
        "churn_week": cat("churn_week"),
        "churn_reason": cat("churn_reason"),
        "champion_lost": cat("champion_lost"),
        # Time-invariant log churn hazard of each customer (frailty and latent health): the
        # per-row truth of instructor task splits.
        "static_risk": np.asarray(model.static["static_risk"], dtype=np.float64),
        **{
            f"{k}_count": np.concatenate([p.counts[k] for p in parts])
            for k in ("renewal", "expansion", "downgrade")
        },
    }
    return SimResult(
        events=events,
        invoices=invoices,
        episodes={"outcome": episode_outcome, "end_week": episode_end},
        health=merge_periods([p.telemetry.collect() for p in parts], starts),
        final=final,
    )
