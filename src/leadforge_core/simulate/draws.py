"""Block-indexed per-entity random numbers that are safe for common random numbers (CRN).

A :class:`BlockDraws` is the random source of one block of entities for one purpose: its
generator is ``RandomStreams.generator(name, block)``, and every call draws one value (or one
row of values) for **every** entity of the block, whatever their state. Entity ``i``'s draw in
the ``k``-th call therefore depends only on ``(seed, name, block, k)`` and its position in the
block — never on how many other entities were open, active or selected. That is what lets a
world re-run under an intervention differ only through causal paths, and what lets blocks run
on separate workers.

Select after drawing, never before: ``draws.uniform()[mask]`` (or :meth:`BlockDraws.uniform_at`)
rather than drawing ``mask.sum()`` values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from leadforge_core.rng import RandomStreams
from leadforge_core.simulate.emitters import poisson_counts

Float = type[np.float32] | type[np.float64]


class BlockDraws:
    """Full-block draws for one ``(seed, name, block)`` stream.

    Args:
        streams: the run's random streams.
        name: stream name (``"simulate.leads"``); distinct purposes use distinct names.
        block: block index (the stream is the same whichever order blocks run in).
        size: number of entities in the block; every draw returns ``size`` values per row.
    """

    def __init__(self, streams: RandomStreams, name: str, block: int, size: int) -> None:
        self.name = name
        self.block = block
        self.size = size
        self.rng = streams.generator(name, block)

    def uniform(self, rows: int | None = None, dtype: Float = np.float64) -> np.ndarray:
        """Uniforms on ``[0, 1)``: shape ``(size,)``, or ``(rows, size)`` when ``rows`` is given."""
        shape: Any = self.size if rows is None else (rows, self.size)
        return np.asarray(self.rng.random(shape, dtype=dtype))

    def normal(self, rows: int | None = None, dtype: Float = np.float64) -> np.ndarray:
        """Standard normals, shaped like :meth:`uniform`."""
        shape: Any = self.size if rows is None else (rows, self.size)
        return np.asarray(self.rng.standard_normal(shape, dtype=dtype))

    def integers(self, low: int, high: int) -> np.ndarray:
        """One integer in ``[low, high)`` per entity (int64)."""
        return self.rng.integers(low, high, self.size)

    def uniform_at(self, mask: np.ndarray, fill: float = 1.0) -> np.ndarray:
        """A full draw with ``fill`` outside ``mask``.

        With the default ``fill=1.0`` an unselected entity never falls below a probability,
        so ``draws.uniform_at(mask) < p`` is ``False`` outside ``mask``.
        """
        return np.where(mask, self.uniform(), fill)

    def normal_at(self, mask: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Standard normals for the entities in ``mask``, ``fill`` elsewhere.

        Two uniforms are drawn for every entity and turned into a normal (Box-Muller) only
        inside ``mask``: as CRN-safe as a full draw, and cheap when the mask is sparse.
        """
        u = self.uniform(2)
        idx = np.flatnonzero(mask)
        out = np.full(self.size, fill, dtype=np.float64)
        out[idx] = np.sqrt(-2.0 * np.log1p(-u[0, idx])) * np.cos(2.0 * np.pi * u[1, idx])
        return out

    def poisson(self, lam: np.ndarray) -> np.ndarray:
        """Poisson counts with per-entity means ``lam`` from one uniform each (inverse CDF).

        numpy's own Poisson sampler consumes a variable number of values per entity, which
        would let one entity's mean shift every later entity's draw; inverting the CDF of one
        uniform per entity keeps draws aligned.
        """
        return poisson_counts(self.uniform(), lam)
