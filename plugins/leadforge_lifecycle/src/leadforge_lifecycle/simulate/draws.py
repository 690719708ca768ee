"""Per-block random draws for the weekly loop.

Each block of customers owns one generator per purpose; every week it draws one value per
customer of the block (active or not), so a customer's stream never depends on the state of
other customers or on the order blocks are processed in.
"""

from __future__ import annotations

import numpy as np

from leadforge_core.rng import RandomStreams, blocks


class BlockDraws:
    def __init__(self, streams: RandomStreams, name: str, n: int) -> None:
        self._spans = [(streams.generator(name, b), start, stop) for b, start, stop in blocks(n)]

    def random(self) -> np.ndarray:
        return np.concatenate([g.random(stop - start) for g, start, stop in self._spans])

    def normal(self) -> np.ndarray:
        return np.concatenate([g.standard_normal(stop - start) for g, start, stop in self._spans])

    def poisson(self, lam: np.ndarray) -> np.ndarray:
        return np.concatenate([g.poisson(lam[start:stop]) for g, start, stop in self._spans])
