"""Threaded block draws: the same values as ``leadforge_core.rng.blocked_draw``, faster.

Every block has its own named stream and its own output slot, so drawing blocks in threads
(numpy releases the GIL while filling arrays) gives byte-identical results.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from leadforge_core.rng import BLOCK_SIZE, RandomStreams, blocked_draw, blocks

WORKERS = 2


def pdraw(
    streams: RandomStreams,
    name: str,
    n: int,
    draw: Callable[[np.random.Generator, int], np.ndarray],
) -> np.ndarray:
    """``blocked_draw(streams, name, n, draw)`` with blocks drawn concurrently."""
    spans = list(blocks(n, BLOCK_SIZE))
    if len(spans) < 2:
        return blocked_draw(streams, name, n, draw)

    def one(span: tuple[int, int, int]) -> np.ndarray:
        index, start, stop = span
        return np.asarray(draw(streams.generator(name, index), stop - start))

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return np.concatenate(list(pool.map(one, spans)))
