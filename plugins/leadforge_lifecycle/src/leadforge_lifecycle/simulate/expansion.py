"""Usage growth, expansion and downgrade: how MRR moves between renewals."""

from __future__ import annotations

import numpy as np

#: An account's MRR never grows past this multiple of its signing MRR (size ceiling).
CEILING_MULTIPLE = 12.0
MRR_FLOOR = 100.0
#: Weeks after signing before expansion or downgrade can happen.
SETTLE_WEEKS = 8


def expansion_probability(
    base: float,
    adoption: np.ndarray,
    depth_z: np.ndarray,
    utilisation: np.ndarray,
    w_adoption: float,
    w_depth: float,
    w_users: float,
) -> np.ndarray:
    """Seat pressure (utilisation near the seat count), depth and adoption drive expansion."""
    x = w_adoption * adoption + w_depth * depth_z + w_users * 4.0 * (utilisation - 0.75)
    return np.minimum(base * np.exp(x), 0.5)


def downgrade_probability(
    base: float, budget: np.ndarray, depth_z: np.ndarray, w_budget: float, w_depth: float
) -> np.ndarray:
    return np.minimum(base * np.exp(-w_budget * budget - w_depth * depth_z), 0.5)


#: Spread of the log of the log-jump: most expansions add a few seats, a few roll the product
#: out to a new department (the heavy tail of forward value).
JUMP_SPREAD = 0.8


def expansion_factor(jump: float, z: np.ndarray) -> np.ndarray:
    """Multiplicative MRR jump ``exp(jump * exp(JUMP_SPREAD * z))``: median ``exp(jump)``."""
    return np.exp(jump * np.exp(JUMP_SPREAD * z))


def downgrade_factor(u: np.ndarray) -> np.ndarray:
    return np.exp(-(0.15 + 0.25 * u))


def round_mrr(mrr: np.ndarray) -> np.ndarray:
    return np.maximum(np.round(mrr / 10.0) * 10.0, MRR_FLOOR)
