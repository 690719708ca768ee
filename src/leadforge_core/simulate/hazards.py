"""Link functions and competing per-step hazards.

A step's exits (lost, advance; churn, renew, …) are decided from **one** uniform per entity:
exit ``k`` takes the band ``[p_0 + … + p_{k-1}, p_0 + … + p_k)`` of ``[0, 1)``, cut off at 1,
so earlier exits have priority when the probabilities add up to more than one and an entity
leaves by at most one exit per step.
"""

from __future__ import annotations

import numpy as np

#: Exit code of an entity that takes no exit this step.
STAY = -1


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))``; keeps the input's float dtype."""
    x = np.asarray(x)
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=x.dtype if x.dtype.kind == "f" else None)


def centered_exp(x: np.ndarray) -> np.ndarray:
    """``exp(x)`` rescaled to population mean 1, so a base rate times it keeps its mean.

    The maximum is subtracted first (overflow-safe); an empty input is returned unchanged.
    """
    x = np.asarray(x)
    if not x.size:
        return x
    e = np.exp(x - x.max())
    return np.asarray(e / e.mean())


def capped_rate(base: float, log_effect: np.ndarray, cap: float) -> np.ndarray:
    """Proportional per-step probability ``min(base * exp(log_effect), cap)``."""
    return np.asarray(np.minimum(base * np.exp(log_effect), cap))


def competing_exits(u: np.ndarray, *probs: np.ndarray) -> np.ndarray:
    """Which of several competing exits each entity takes this step, from one uniform.

    Args:
        u: one uniform on ``[0, 1)`` per entity.
        *probs: per-entity probability of each exit, in priority order.

    Returns:
        int8 array: the index of the exit taken, or :data:`STAY`.
    """
    u = np.asarray(u)
    taken = np.zeros(u.shape, dtype=np.int8)
    cum: np.ndarray | None = None
    for p in probs:
        cum = p if cum is None else cum + p
        taken += u >= cum  # number of band ends at or below u
    taken[taken == len(probs)] = STAY
    return taken
