"""Event-intensity emitters: who emits an event this step, and how many.

Each emitter maps per-entity uniforms (from :class:`~leadforge_core.simulate.draws.BlockDraws`,
one per entity and step) and per-entity intensities to events, so the events of an entity do
not depend on any other entity's intensity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Largest Poisson mean :func:`poisson_counts` accepts.
MAX_POISSON_MEAN = 700.0


def bernoulli(u: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """Indices of the entities whose uniform falls below their probability (at most one each)."""
    return np.flatnonzero(u < p)


def poisson_counts(u: np.ndarray, lam: np.ndarray | float) -> np.ndarray:
    """Poisson(``lam``) counts by inverting the CDF at ``u`` (one uniform per entity).

    Exact for means up to :data:`MAX_POISSON_MEAN` (``exp(-lam)`` must not underflow); the loop runs to the largest count drawn, only over the entities not
    yet placed.
    """
    u = np.asarray(u, dtype=np.float64)
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), u.shape)
    if np.any(lam < 0) or np.any(lam > MAX_POISSON_MEAN):
        raise ValueError(f"Poisson means must lie in [0, {MAX_POISSON_MEAN}]")
    counts = np.zeros(u.shape, dtype=np.int64)
    todo = np.flatnonzero(lam > 0)
    if not todo.size:
        return counts
    uu, ll = u.ravel()[todo], lam.ravel()[todo]
    pmf = np.exp(-ll)
    cdf = pmf.copy()
    k = 0
    while todo.size:
        left = uu >= cdf
        # Rounding can leave the CDF a hair below 1 far in the tail: stop there.
        left &= pmf > 0
        counts.ravel()[todo[~left]] = k
        todo, uu, ll, pmf, cdf = todo[left], uu[left], ll[left], pmf[left], cdf[left]
        k += 1
        pmf = pmf * ll / k
        cdf = cdf + pmf
    return counts


def recency_decay(t: int, scale: float, floor: float) -> np.float32:
    """Intensity multiplier ``floor + (1 - floor) * exp(-t / scale)`` at step ``t``.

    Starts at 1 and decays toward ``floor`` with e-folding time ``scale`` steps.
    """
    return np.float32(floor + (1.0 - floor) * math.exp(-t / scale))


def channel_multiplier(codes: np.ndarray, multipliers: Sequence[float]) -> np.ndarray:
    """Per-entity intensity multiplier of its channel (``multipliers[code]``, float32)."""
    return np.asarray(np.asarray(multipliers, dtype=np.float32)[codes])
