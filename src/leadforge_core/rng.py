"""Named, order-independent random streams derived from one root seed.

Every random draw in leadforge comes from ``RandomStreams(seed)``. A stream is identified by
a name (``"population.accounts"``) and, for entities generated in fixed-size blocks, a block
index. The stream for ``(seed, name, block)`` is the same whatever else was drawn before and
whichever process draws it, so output never depends on processing order or parallelism.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["BLOCK_SIZE", "RandomStreams", "blocked_draw", "blocks"]


#: Default number of entities per block: large enough to keep numpy vectorized, small enough
#: to split work across processes.
BLOCK_SIZE = 65_536


def _name_words(name: str) -> tuple[int, ...]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class RandomStreams:
    """Factory of independent numpy generators keyed by name (and block index)."""

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = seed

    def seed_sequence(self, name: str, block: int | None = None) -> np.random.SeedSequence:
        key = _name_words(name) + ((block + 1,) if block is not None else (0,))
        return np.random.SeedSequence(entropy=self.seed, spawn_key=key)

    def generator(self, name: str, block: int | None = None) -> np.random.Generator:
        """A fresh generator for ``name`` (and ``block``); calling twice gives equal streams."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(name, block)))

    def child(self, name: str) -> RandomStreams:
        """Streams namespaced under ``name`` (a derived integer seed, stable across runs)."""
        state = self.seed_sequence(f"child:{name}").generate_state(2, dtype=np.uint32)
        return RandomStreams(int(state[0]) << 32 | int(state[1]))


def blocks(n: int, block_size: int = BLOCK_SIZE) -> Iterator[tuple[int, int, int]]:
    """Yield ``(block_index, start, stop)`` covering ``range(n)`` in fixed-size blocks."""
    for index, start in enumerate(range(0, n, block_size)):
        yield index, start, min(start + block_size, n)


def blocked_draw(
    streams: RandomStreams,
    name: str,
    n: int,
    draw: Callable[[np.random.Generator, int], np.ndarray],
    block_size: int = BLOCK_SIZE,
    order: list[int] | None = None,
    workers: int = 2,
) -> np.ndarray:
    """Draw ``n`` values block by block, each block from its own stream and into its own slot.

    ``draw(rng, size)`` returns an array of ``size`` values drawn from ``rng``. Neither
    ``order`` (a permutation of block indices) nor ``workers`` (threads; numpy releases the
    GIL while filling arrays) changes the output.
    """
    spans = list(blocks(n, block_size))
    if not spans:
        return np.asarray(draw(streams.generator(name, 0), 0))

    def one(i: int) -> np.ndarray:
        index, start, stop = spans[i]
        return np.asarray(draw(streams.generator(name, index), stop - start))

    sequence = order if order is not None else list(range(len(spans)))
    if workers > 1 and len(spans) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = dict(zip(sequence, pool.map(one, sequence), strict=True))
    else:
        results = {i: one(i) for i in sequence}
    return np.concatenate([results[i] for i in range(len(spans))])
