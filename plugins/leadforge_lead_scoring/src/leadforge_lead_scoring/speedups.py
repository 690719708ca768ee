"""Faster equivalents of two core helpers, with identical output.

``pdraw``: the values of ``leadforge_core.rng.blocked_draw``; every block has its own named
stream and its own output slot, so drawing blocks in threads (numpy releases the GIL while
filling arrays) gives byte-identical results. ``make_ids``: the strings of
``leadforge_core.ids.make_ids`` built in one formatting pass (about twice as fast).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from leadforge_core.ids import ID_WIDTH
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


def make_ids(prefix: str, n: int) -> pl.Series:
    """``leadforge_core.ids.make_ids(prefix, n)``: ``{prefix}_{k:0{width}d}`` for k = 1..n.

    Zero padding comes from adding ``10**width`` and dropping the leading digit.
    """
    width = max(ID_WIDTH, len(str(n)) if n else ID_WIDTH)
    number = pl.int_range(1, n + 1, dtype=pl.Int64) + 10**width
    return pl.select(
        pl.format(prefix + "_{}", number.cast(pl.String).str.slice(1)).alias("id")
    ).to_series()
