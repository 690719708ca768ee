"""Per-block random draws for the weekly loop.

Each block of customers owns one generator per purpose. A draw covers either every customer of
the block or the customers selected by a mask (``*_at``); either way a block's stream depends
only on its own customers, never on other blocks or on the order blocks are processed in.
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

    def random_at(self, mask: np.ndarray) -> np.ndarray:
        """One uniform per selected customer, in index order."""
        return np.concatenate(
            [g.random(int(np.count_nonzero(mask[start:stop]))) for g, start, stop in self._spans]
        )

    def normal_at(self, mask: np.ndarray) -> np.ndarray:
        return np.concatenate(
            [
                g.standard_normal(int(np.count_nonzero(mask[start:stop])))
                for g, start, stop in self._spans
            ]
        )
