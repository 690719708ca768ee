"""Event-intensity emitters: who emits an event this step, and how many.

Each emitter maps per-entity uniforms (from :class:`~leadforge_core.simulate.draws.BlockDraws`,
one per entity and step) and per-entity intensities to events, so the events of an entity do
not depend on any other entity's intensity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Means above this are inverted over a window around the mean instead of counting up from 0.
LARGE_POISSON_MEAN = 100.0
#: Cells (entities x window width) the large-mean inversion handles at once.
_WINDOW_CELLS = 4_000_000


def bernoulli(u: np.ndarray, p: np.ndarray | float) -> np.ndarray:
    """Indices of the entities whose uniform falls below their probability (at most one each)."""
    return np.flatnonzero(u < p)


def poisson_counts(u: np.ndarray, lam: np.ndarray | float) -> np.ndarray:
    """Poisson(``lam``) counts by inverting the CDF at ``u`` (one uniform per entity).

    The count is the smallest ``k`` with ``F(k) > u``. Means up to
    :data:`LARGE_POISSON_MEAN` count up from 0 (the loop runs to the largest count drawn, only
    over the entities not yet placed); larger means sum the probabilities over a window of ten
    standard deviations either side of the mean (the mass outside is below 1e-20).

    Raises:
        ValueError: a mean is negative or not finite.
    """
    u = np.asarray(u, dtype=np.float64)
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), u.shape)
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError("Poisson means must be finite and non-negative")
    counts = np.zeros(u.shape, dtype=np.int64)
    flat_u, flat_lam, flat_counts = u.ravel(), lam.ravel(), counts.ravel()
    large = np.flatnonzero(flat_lam > LARGE_POISSON_MEAN)
    if large.size:
        flat_counts[large] = _poisson_window(flat_u[large], flat_lam[large])
    todo = np.flatnonzero((flat_lam > 0) & (flat_lam <= LARGE_POISSON_MEAN))
    if not todo.size:
        return counts
    uu, ll = flat_u[todo], flat_lam[todo]
    pmf = np.exp(-ll)
    cdf = pmf.copy()
    k = 0
    while todo.size:
        left = uu >= cdf
        # Rounding can leave the CDF a hair below 1 far in the tail: stop there.
        left &= pmf > 0
        flat_counts[todo[~left]] = k
        todo, uu, ll, pmf, cdf = todo[left], uu[left], ll[left], pmf[left], cdf[left]
        k += 1
        pmf = pmf * ll / k
        cdf = cdf + pmf
    return counts


def _log_factorial(n: np.ndarray) -> np.ndarray:
    """``log(n!)`` by Stirling's series; accurate to about 1e-15 for ``n >= 30``."""
    m = n + 1.0
    return np.asarray(
        (m - 0.5) * np.log(m)
        - m
        + 0.5 * math.log(2.0 * math.pi)
        + 1.0 / (12.0 * m)
        - 1.0 / (360.0 * m**3)
        + 1.0 / (1260.0 * m**5)
    )


def _poisson_window(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Inverse Poisson CDF for large means over a window around each mean."""
    sd = np.sqrt(lam)
    lo = np.floor(lam - 10.0 * sd - 10.0)
    lo = np.where(lo < 30.0, 0.0, lo)  # near 0 start exactly at 0 (log p(0) = -lam)
    width = int(np.max(np.ceil(lam + 10.0 * sd + 10.0) - lo)) + 1
    out = np.empty(u.size, dtype=np.int64)
    step = max(1, _WINDOW_CELLS // width)
    ks = np.arange(width, dtype=np.float64)
    for start in range(0, u.size, step):
        sl = slice(start, start + step)
        ll, base = lam[sl, None], lo[sl, None]
        k = base + ks  # counts of the window, one row per entity
        log_first = np.where(base > 0, base * np.log(ll) - ll - _log_factorial(base), -ll)
        steps = np.log(ll) - np.log(k[:, 1:])  # log p(k) - log p(k - 1)
        log_p = np.concatenate([log_first, log_first + np.cumsum(steps, axis=1)], axis=1)
        cdf = np.cumsum(np.exp(log_p), axis=1)
        cdf /= cdf[:, -1:]  # the window holds all but 1e-20 of the mass: cancel rounding
        below = np.sum(cdf <= u[sl, None], axis=1)
        out[sl] = lo[sl].astype(np.int64) + np.minimum(below, width - 1)
    return out


def recency_decay(t: int, scale: float, floor: float) -> np.float32:
    """Intensity multiplier ``floor + (1 - floor) * exp(-t / scale)`` at step ``t``.

    Starts at 1 and decays toward ``floor`` with e-folding time ``scale`` steps.
    """
    return np.float32(floor + (1.0 - floor) * math.exp(-t / scale))


def channel_multiplier(codes: np.ndarray, multipliers: Sequence[float]) -> np.ndarray:
    """Per-entity intensity multiplier of its channel (``multipliers[code]``, float32)."""
    return np.asarray(np.asarray(multipliers, dtype=np.float32)[codes])
