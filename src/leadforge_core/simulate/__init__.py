"""Vectorized simulation blocks shared by schemes.

- :mod:`~leadforge_core.simulate.draws` — CRN-safe per-entity draws per ``(seed, name, block)``.
- :mod:`~leadforge_core.simulate.runner` — the loop over blocks and steps.
- :mod:`~leadforge_core.simulate.hazards` — ``sigmoid``, ``centered_exp``, competing exits.
- :mod:`~leadforge_core.simulate.stages` — forward-only stage machines with entry days.
- :mod:`~leadforge_core.simulate.emitters` — Bernoulli and Poisson event emission, decay.
- :mod:`~leadforge_core.simulate.arrivals` — seasonal arrival processes.
- :mod:`~leadforge_core.simulate.recorder` — columns per event kind.

Thinning what happens into what is recorded is the job of the observation operators
(:mod:`leadforge_core.observe`), which draw from a block's generator (``BlockDraws.rng``).
"""

from __future__ import annotations

from leadforge_core.simulate.arrivals import (
    arrival_steps,
    calendar_months,
    categorical,
    seasonal_weights,
)
from leadforge_core.simulate.draws import BlockDraws
from leadforge_core.simulate.emitters import (
    bernoulli,
    channel_multiplier,
    poisson_counts,
    recency_decay,
)
from leadforge_core.simulate.hazards import (
    STAY,
    capped_rate,
    centered_exp,
    competing_exits,
    sigmoid,
)
from leadforge_core.simulate.recorder import EventRecorder, interleave_order, merge_blocks
from leadforge_core.simulate.runner import Block, StepModel, run_steps
from leadforge_core.simulate.stages import NEVER, StageMachine

__all__ = [
    "NEVER",
    "STAY",
    "Block",
    "BlockDraws",
    "EventRecorder",
    "StageMachine",
    "StepModel",
    "arrival_steps",
    "bernoulli",
    "calendar_months",
    "capped_rate",
    "categorical",
    "centered_exp",
    "channel_multiplier",
    "competing_exits",
    "interleave_order",
    "merge_blocks",
    "poisson_counts",
    "recency_decay",
    "run_steps",
    "seasonal_weights",
    "sigmoid",
]
