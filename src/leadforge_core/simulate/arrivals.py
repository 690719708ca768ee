"""Seasonal arrival processes: when entities enter the world over an acquisition window.

An arrival process is a probability per step of the window (month and weekday weights for a
daily window, flat for a weekly one); each entity draws its arrival step from it with one
uniform (inverse CDF), so an entity's arrival does not depend on other entities.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np


def calendar_months(start: dt.date, n_days: int) -> np.ndarray:
    """Calendar month (0 = January) of each day of a window starting at ``start``."""
    days = np.datetime64(start.isoformat(), "D") + np.arange(n_days)
    return (days.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)


def seasonal_weights(
    start: dt.date,
    n_days: int,
    month_weights: Sequence[float],
    weekday_weights: Sequence[float],
) -> np.ndarray:
    """Arrival probability of each day of the window: month weight times weekday weight, normalized.

    Args:
        start: first day of the window.
        n_days: length of the window in days.
        month_weights: 12 weights, January first.
        weekday_weights: 7 weights, Monday first.
    """
    if len(month_weights) != 12 or len(weekday_weights) != 7:
        raise ValueError("need 12 month weights and 7 weekday weights")
    weekday = (start.weekday() + np.arange(n_days)) % 7
    p = (
        np.asarray(weekday_weights, dtype=np.float64)[weekday]
        * np.asarray(month_weights, dtype=np.float64)[calendar_months(start, n_days)]
    )
    return np.asarray(p / p.sum())


def categorical(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """``size`` codes drawn from probabilities ``p`` by inverse CDF of one uniform each (int32)."""
    return (
        np.searchsorted(np.cumsum(p), rng.random(size), side="right")
        .clip(0, p.size - 1)
        .astype(np.int32)
    )


def arrival_steps(
    rng: np.random.Generator, n_steps: int, size: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """Arrival step (``0 … n_steps - 1``) of ``size`` entities (int64).

    Args:
        rng: the block's generator.
        n_steps: length of the acquisition window in steps.
        size: entities to place.
        weights: probability of each step (e.g. :func:`seasonal_weights`); flat when omitted.
    """
    if weights is None:
        return rng.integers(0, n_steps, size)
    if weights.size != n_steps:
        raise ValueError("one weight per step of the window")
    return categorical(rng, weights, size).astype(np.int64)
