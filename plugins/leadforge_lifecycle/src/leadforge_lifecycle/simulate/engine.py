"""The weekly loop: one step per calendar week, vectorized over all customers.

Within a week, in order: customers starting this week join; usage moves; open dunning episodes
recover or are written off (write-off forces churn); the churn decision (anniversary spike or
weekly hazard); renewals; expansion and downgrade; invoicing and payment; telemetry; champion
departures. Events are recorded as arrays per week and concatenated at the end.
"""

from __future__ import annotations

from collections import defaultdict

import attrs
import numpy as np

from leadforge_core.progress import Progress, phase
from leadforge_core.rng import RandomStreams
from leadforge_lifecycle.simulate import billing, expansion, hazards
from leadforge_lifecycle.simulate.draws import BlockDraws
from leadforge_lifecycle.simulate.telemetry import PeriodRows, Telemetry
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


class _Recorder:
    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = defaultdict(list)

    def add(self, **cols: np.ndarray | int | float) -> None:
        size = next(np.size(v) for v in cols.values() if np.ndim(v))
        for key, value in cols.items():
            self.parts[key].append(np.broadcast_to(np.asarray(value), (size,)).copy())

    def frame(self, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
        return {k: np.concatenate(self.parts[k]) if self.parts[k] else np.empty(0) for k in keys}


def centered_exp(x: np.ndarray) -> np.ndarray:
    """``exp(x)`` rescaled to population mean 1, so a profile's base rate stays the mean rate."""
    e = np.exp(x - x.max()) if x.size else x
    return e / e.mean() if x.size else e


def simulate(
    world: World,
    streams: RandomStreams,
    progress: Progress,
    *,
    dunning_weeks: int,
    period_weeks: int,
) -> SimResult:
    c = world.population.customers
    n, m, g = world.population.n, world.mechanism, world.graph
    s = m["signal_strength"]
    s_exp = s * m["expansion_signal"]  # how far latent adoption and depth decide expansion
    fit, adopt = c["product_fit"], c["adoption_velocity"]
    budget, org = c["budget_stability"], c["organizational_stability"]
    champ = c["champion_strength"] + 0.25 * world.population.reps["quality"][c["csm"]]
    draws = {
        k: BlockDraws(streams, f"simulation.{k}", n)
        for k in (
            "usage",
            "dunning",
            "churn",
            "renewal",
            "expansion",
            "downgrade",
            "payment",
            "champion",
        )
    }
    frailty = m["frailty_sd"] * BlockDraws(streams, "simulation.frailty", n).normal()
    telemetry = Telemetry(n, period_weeks, BlockDraws(streams, "simulation.telemetry", n))

    start = c["start_week"]
    active = np.zeros(n, dtype=bool)
    churn_week = np.full(n, -1, dtype=np.int64)
    churn_reason = np.full(n, -1, dtype=np.int64)
    mrr = c["initial_mrr"].astype(float).copy()
    seats = c["seats"].copy()
    depth = np.full(n, 0.1)
    users = 0.15 * seats
    term = c["term_months"].copy()
    next_renewal = hazards.term_weeks(term)
    counts = {k: np.zeros(n, dtype=np.int64) for k in ("renewal", "expansion", "downgrade")}
    episode = np.full(n, -1, dtype=np.int64)
    episode_start = np.full(n, -1, dtype=np.int64)
    n_episodes = 0
    champion_lost = np.zeros(n, dtype=bool)
    ev, inv, eps = _Recorder(), _Recorder(), _Recorder()

    depth_target = expansion.sigmoid(
        s
        * (
            g.weight("product_fit", "usage_depth") * fit
            + g.weight("champion_strength", "usage_depth") * champ
        )
        + 0.3
    )
    depth_rate = 0.06 * np.exp(0.4 * s * g.weight("adoption_velocity", "usage_depth") * adopt)
    user_rate = 0.1 * np.exp(0.3 * s * g.weight("adoption_velocity", "active_users") * adopt)
    fail_p = np.minimum(
        m["payment_failure"]
        * centered_exp(-s * g.weight("budget_stability", "payment_failure") * budget),
        0.9,
    )
    # Recovery leans on budget more gently than failure: most dunning episodes end paid.
    recover_p = np.minimum(
        m["weekly_recovery"]
        * centered_exp(0.5 * g.weight("budget_stability", "payment_recovery") * budget),
        0.95,
    )
    static_risk = np.log(
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
    )
    depart_p = CHAMPION_DEPARTURE * np.exp(
        -s * g.weight("organizational_stability", "champion_strength") * org
    )
    ticket_rate = 0.12 * np.exp(0.4 * g.weight("product_fit", "obs_support_tickets") * -fit)
    noise, missing = m["telemetry_noise"], m["missingness"]

    def uniform(name: str, mask: np.ndarray) -> np.ndarray:
        """Uniforms for the selected customers; 1.0 (never below a probability) elsewhere."""
        out = np.ones(n)
        out[mask] = draws[name].random_at(mask)
        return out

    def normal(name: str, mask: np.ndarray) -> np.ndarray:
        out = np.zeros(n)
        out[mask] = draws[name].normal_at(mask)
        return out

    def record(
        kind: str,
        idx: np.ndarray,
        week: int,
        before: np.ndarray,
        after: np.ndarray,
        term_new: np.ndarray | int = -1,
    ) -> None:
        if idx.size:
            ev.add(
                customer=idx,
                week=week,
                type=EVENT_TYPES.index(kind),
                mrr_before=before,
                mrr_after=after,
                term_new=term_new,
            )

    with phase(progress, "simulation", total=world.n_weeks, unit="weeks") as bar:
        for t in range(world.n_weeks):
            active |= start == t
            tenure = t - start
            # Usage moves toward its fit-driven level at an adoption-driven speed.
            target = np.where(
                champion_lost, depth_target * (1.0 - CHAMPION_USAGE_DROP), depth_target
            )
            depth = np.where(
                active,
                np.clip(
                    depth + depth_rate * (target - depth) + 0.02 * normal("usage", active), 0.0, 1.0
                ),
                depth,
            )
            users = np.where(
                active, users + user_rate * (seats * (0.2 + 0.75 * depth) - users), users
            )
            depth_z = np.clip((depth - 0.5) / 0.2, -2.0, 2.0)
            in_dunning = active & (episode >= 0)

            # Dunning: recovery, or write-off which forces churn.
            recovered, written_off = billing.dunning_outcome(
                t - episode_start, uniform("dunning", in_dunning), recover_p, dunning_weeks
            )
            recovered &= in_dunning
            written_off &= in_dunning
            for flag, outcome in (
                (recovered, EPISODE_RECOVERED),
                (written_off, EPISODE_WRITTEN_OFF),
            ):
                idx = np.flatnonzero(flag)
                if idx.size:
                    eps.add(episode=episode[idx], end_week=t, outcome=outcome)
            idx = np.flatnonzero(recovered)
            record("payment_recovered", idx, t, mrr[idx], mrr[idx])
            episode[recovered] = -1
            in_dunning &= ~recovered

            # Churn: anniversary renewal decision or weekly hazard.
            at_anniversary = active & (tenure == next_renewal)
            risk = (
                static_risk
                - s
                * (
                    0.5 * g.weight("usage_depth", "churn") * depth_z
                    - g.weight("champion_strength", "churn") * CHAMPION_LOSS * champion_lost
                )
                + g.weight("unrecovered_payment", "churn") * 1.5 * in_dunning
            )
            collapse = np.clip((DISENGAGED_DEPTH - depth) / 0.1, 0.0, 2.0)
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
            churns = exposed & (uniform("churn", exposed) < p_churn)
            churns |= written_off
            reason = np.where(written_off, 2, np.where(at_anniversary, 0, 1))
            idx = np.flatnonzero(churns)
            ended = idx[episode[idx] >= 0]
            if ended.size:
                eps.add(episode=episode[ended], end_week=t, outcome=EPISODE_WRITTEN_OFF)
            record("churn", idx, t, mrr[idx], np.zeros(idx.size))
            churn_week[idx], churn_reason[idx] = t, reason[idx]
            active &= ~churns
            episode[churns] = -1

            # Renewal at the anniversary; some annual customers move to a longer term.
            renew = at_anniversary & active
            annual = renew & (term == 12)
            upgrade = annual & (uniform("renewal", annual) < TERM_UPGRADE)
            term = np.where(upgrade, 24, term)
            idx = np.flatnonzero(renew)
            record("renewal", idx, t, mrr[idx], mrr[idx], term[idx])
            counts["renewal"] += renew
            next_renewal = np.where(renew, next_renewal + hazards.term_weeks(term), next_renewal)

            # Expansion and downgrade between anniversaries.
            movable = active & ~at_anniversary & (tenure >= expansion.SETTLE_WEEKS) & (episode < 0)
            p_exp = expansion.expansion_probability(
                m["weekly_expansion"],
                adopt * s_exp,
                depth_z * s_exp,
                np.minimum(users / seats, 1.2),
                g.weight("adoption_velocity", "expansion"),
                g.weight("usage_depth", "expansion"),
                g.weight("active_users", "expansion"),
            )
            ceiling = c["initial_mrr"] * expansion.CEILING_MULTIPLE
            grow = movable & (uniform("expansion", movable) < p_exp) & (mrr < ceiling)
            factor = expansion.expansion_factor(m["expansion_jump"], normal("expansion", grow))
            new_mrr = expansion.round_mrr(np.minimum(mrr * factor, ceiling))
            grow &= new_mrr > mrr  # a jump that rounds away is no expansion
            idx = np.flatnonzero(grow)
            record("expansion", idx, t, mrr[idx], new_mrr[idx])
            seats = np.where(grow, seats * new_mrr / mrr, seats)
            mrr = np.where(grow, new_mrr, mrr)
            counts["expansion"] += grow
            p_down = expansion.downgrade_probability(
                m["weekly_downgrade"],
                budget * s,
                depth_z * s,
                g.weight("budget_stability", "downgrade"),
                g.weight("usage_depth", "downgrade"),
            )
            steady = movable & ~grow
            shrink = steady & (uniform("downgrade", steady) < p_down) & (mrr > expansion.MRR_FLOOR)
            new_mrr = expansion.round_mrr(
                mrr * expansion.downgrade_factor(uniform("downgrade", shrink))
            )
            shrink &= new_mrr < mrr
            idx = np.flatnonzero(shrink)
            record("downgrade", idx, t, mrr[idx], new_mrr[idx])
            seats = np.where(shrink, seats * new_mrr / mrr, seats)
            mrr = np.where(shrink, new_mrr, mrr)
            counts["downgrade"] += shrink

            # Invoicing: a failed payment opens a dunning episode; open episodes absorb invoices.
            due = active & billing.invoice_due(tenure)
            billable = due & (episode < 0)
            fails = billable & (uniform("payment", billable) < fail_p)
            idx = np.flatnonzero(fails)
            episode[idx] = n_episodes + np.arange(idx.size)
            episode_start[idx] = t
            n_episodes += idx.size
            record("payment_failure", idx, t, mrr[idx], mrr[idx])
            idx = np.flatnonzero(due)
            if idx.size:
                inv.add(customer=idx, week=t, amount=mrr[idx], episode=episode[idx])

            telemetry.accumulate(active, users, depth)
            if (t + 1) % period_weeks == 0 or t == world.n_weeks - 1:
                nps_mean = 6.5 + 1.2 * s * (
                    g.weight("product_fit", "obs_nps_score") * fit
                    + g.weight("champion_strength", "obs_nps_score")
                    * (champ - CHAMPION_LOSS * champion_lost)
                )
                rate = (
                    ticket_rate
                    * np.exp(0.8 * g.weight("usage_depth", "obs_support_tickets") * (0.5 - depth))
                    * (np.sqrt(np.maximum(users, 1.0) / 10.0))
                )
                telemetry.emit(t // period_weeks, rate, nps_mean, noise, missing)

            champion_lost |= active & (uniform("champion", active) < depart_p)
            bar.advance()

    episode_ids = eps.frame(("episode", "end_week", "outcome"))
    episode_outcome = np.zeros(n_episodes, dtype=np.int64)
    episode_end = np.full(n_episodes, -1, dtype=np.int64)
    episode_outcome[episode_ids["episode"].astype(np.int64)] = episode_ids["outcome"]
    episode_end[episode_ids["episode"].astype(np.int64)] = episode_ids["end_week"]
    final = {
        "mrr": np.where(churn_week >= 0, 0.0, mrr),
        "last_mrr": mrr,
        "term_months": term,
        "next_renewal": next_renewal,
        "churn_week": churn_week,
        "churn_reason": churn_reason,
        "champion_lost": champion_lost,
        **{f"{k}_count": v for k, v in counts.items()},
    }
    return SimResult(
        events=ev.frame(("customer", "week", "type", "mrr_before", "mrr_after", "term_new")),
        invoices=inv.frame(("customer", "week", "amount", "episode")),
        episodes={"outcome": episode_outcome, "end_week": episode_end},
        health=telemetry.collect(),
        final=final,
    )
