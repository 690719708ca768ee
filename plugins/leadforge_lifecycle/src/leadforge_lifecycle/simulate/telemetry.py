"""Health telemetry: weekly usage accumulated into fixed calendar periods.

One ``health_signals`` row per customer and period of ``health_period_weeks`` weeks in which the
customer was active (default 4 weeks; a weekly grain multiplies the table by four for little
extra signal). NPS is surveyed once per quarter: in the period that crosses a 13-week boundary.
"""

from __future__ import annotations

import attrs
import numpy as np

from leadforge_core.observe import missing_mask
from leadforge_core.simulate import BlockDraws, interleave_order

NPS_EVERY_WEEKS = 13


@attrs.define
class PeriodRows:
    period: np.ndarray
    customer: np.ndarray
    active_users: np.ndarray  # float with NaN for missing
    feature_depth_score: np.ndarray
    support_tickets: np.ndarray
    nps_score: np.ndarray
    mean_users: np.ndarray  # true (noise-free) mean active users, for truth and traps


class Telemetry:
    """Usage accumulators and period readings of one block of customers."""

    def __init__(self, n: int, period_weeks: int, draws: BlockDraws) -> None:
        self.period_weeks = period_weeks
        self.draws = draws
        self.weeks = np.zeros(n)
        self.users = np.zeros(n)
        self.depth = np.zeros(n)
        self.rows: list[PeriodRows] = []

    def accumulate(self, active: np.ndarray, users: np.ndarray, depth: np.ndarray) -> None:
        self.weeks += active
        self.users += np.where(active, users, 0.0)
        self.depth += np.where(active, depth, 0.0)

    def emit(
        self,
        period: int,
        ticket_rate: np.ndarray,
        nps_mean: np.ndarray,
        noise: float,
        missingness: float,
    ) -> None:
        """Close a period: draw the readings and reset the accumulators."""
        z_users, z_depth, z_nps = self.draws.normal(), self.draws.normal(), self.draws.normal()
        n = self.draws.size
        missing = [missing_mask(n, missingness, self.draws.rng) for _ in range(4)]
        weeks = self.weeks
        tickets = self.draws.poisson(np.where(weeks > 0, ticket_rate * weeks, 0.0))
        idx = np.flatnonzero(weeks > 0)
        mean_users = self.users[idx] / weeks[idx]
        mean_depth = self.depth[idx] / weeks[idx]
        users = np.maximum(np.rint(mean_users * np.exp(noise * z_users[idx])), 0.0)
        depth = np.clip(np.rint(100.0 * mean_depth + 100.0 * noise * z_depth[idx]), 0.0, 100.0)
        start, stop = period * self.period_weeks, (period + 1) * self.period_weeks
        surveyed = (stop - 1) // NPS_EVERY_WEEKS > (start - 1) // NPS_EVERY_WEEKS
        nps = np.clip(np.rint(nps_mean[idx] + (1.2 + 3.0 * noise) * z_nps[idx]), 0.0, 10.0)
        if not surveyed:
            nps = np.full(idx.size, np.nan)

        def blank(values: np.ndarray, k: int) -> np.ndarray:
            return np.where(missing[k][idx], np.nan, values)

        self.rows.append(
            PeriodRows(
                period=np.full(idx.size, period, dtype=np.int64),
                customer=idx,
                active_users=blank(users, 0),
                feature_depth_score=blank(depth, 1),
                support_tickets=blank(tickets[idx].astype(float), 2),
                nps_score=blank(nps, 3),
                mean_users=mean_users,
            )
        )
        self.weeks[:] = 0.0
        self.users[:] = 0.0
        self.depth[:] = 0.0

    def collect(self) -> PeriodRows:
        return _concat(self.rows)


def _concat(rows: list[PeriodRows]) -> PeriodRows:
    return PeriodRows(
        **{
            f.name: np.concatenate([getattr(r, f.name) for r in rows])
            for f in attrs.fields(PeriodRows)
        }
    )


def merge_periods(parts: list[PeriodRows], starts: list[int]) -> PeriodRows:
    """The blocks' rows (customer indices local to each block) as one table ordered by period
    and then customer, with global customer indices."""
    shifted = [
        attrs.evolve(p, customer=p.customer + lo) for p, lo in zip(parts, starts, strict=True)
    ]
    rows = _concat(shifted)
    order = interleave_order(rows.period, rows.customer)
    return PeriodRows(**{f.name: getattr(rows, f.name)[order] for f in attrs.fields(PeriodRows)})
