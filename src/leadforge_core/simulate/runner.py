"""The step runner: the loop over fixed blocks of entities and over simulation steps.

A scheme describes one block's story as a :class:`StepModel` — ``start`` builds the block's
state, ``step`` advances it by one step, ``finish`` returns its results — and
:func:`run_steps` runs it for every block, each with its own random streams, optionally on
threads, and returns the results in block order. Neither the order blocks run in nor the
number of threads changes the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
import numpy as np

from leadforge_core.progress import NullProgress, Progress, phase
from leadforge_core.rng import BLOCK_SIZE, RandomStreams, blocks
from leadforge_core.simulate.draws import BlockDraws

if TYPE_CHECKING:
    from leadforge_core.executors import Executor

S = TypeVar("S")
R_co = TypeVar("R_co", covariant=True)
R = TypeVar("R")


@attrs.frozen
class Block:
    """One fixed block of entities: index, global ``[start, stop)`` range and its streams."""

    index: int
    start: int
    stop: int
    streams: RandomStreams

    @property
    def size(self) -> int:
        """Number of entities in the block."""
        return self.stop - self.start

    @property
    def ids(self) -> np.ndarray:
        """Global indices of the block's entities."""
        return np.arange(self.start, self.stop)

    def draws(self, name: str) -> BlockDraws:
        """The block's CRN-safe draws for stream ``name``."""
        return BlockDraws(self.streams, name, self.index, self.size)


class StepModel(Protocol[S, R_co]):
    """A scheme's per-block story for :func:`run_steps`.

    A model may also define ``for_block(block) -> StepModel``: the model a worker process
    needs for ``block`` alone (population-wide arrays cut to the block's rows). The runner
    calls it in the calling process, just before shipping the block, when blocks run on an
    out-of-process executor; the returned model must give the same results for that block.
    """

    def start(self, block: Block) -> S:
        """Build the state of ``block`` before step 0."""
        ...

    def step(self, state: S, t: int) -> None:
        """Advance ``state`` by step ``t`` (in place)."""
        ...

    def finish(self, state: S) -> R_co:
        """The block's results after the last step."""
        ...


def run_steps(
    model: StepModel[S, R],
    n: int,
    n_steps: int,
    streams: RandomStreams,
    *,
    block_size: int = BLOCK_SIZE,
    workers: int = 1,
    order: Sequence[int] | None = None,
    progress: Progress | None = None,
    phase_name: str = "simulation",
    executor: Executor | None = None,
) -> list[R]:
    """Run ``model`` for ``n_steps`` steps over ``n`` entities in blocks of ``block_size``.

    Args:
        model: the per-block story.
        n: number of entities.
        n_steps: number of steps (days, weeks).
        streams: the run's random streams (each block draws from its own block index).
        block_size: entities per block.
        workers: threads running blocks (numpy releases the GIL in its array loops).
        order: a permutation of block indices to run them in (results are unchanged).
        progress: receives a ``phase_name`` phase counting blocks, advanced by one as each
            block finishes (on a worker: as its result reaches this process).
        phase_name: name of the progress phase.
        executor: where blocks run; an out-of-process one (worker processes, Dask) receives
            per block only the block (index, range, seed) and ``model.for_block(block)``.
            ``None`` or a serial executor runs them here (on ``workers`` threads).

    Returns:
        One ``finish`` result per block, in block order (empty when ``n`` is 0).
    """
    spans = [Block(b, lo, hi, streams) for b, lo, hi in blocks(n, block_size)]
    todo = list(order) if order is not None else list(range(len(spans)))
    if sorted(todo) != list(range(len(spans))):
        raise ValueError("order must be a permutation of the block indices")
    results: list[R | None] = [None] * len(spans)
    threads = max(1, min(workers, len(todo)))
    with phase(progress or NullProgress(), phase_name, len(spans), "blocks") as bar:
        if executor is not None and not executor.in_process:
            # Shipped in block order (unit i is block i, as errors name it); results come back
            # in that order whatever the workers' timing.
            units = (_BlockSteps(_for_block(model, b), b, n_steps) for b in spans)
            done = executor.map(
                _run_block,
                units,
                what=f"{phase_name} block",
                on_done=lambda _: bar.advance(),
            )
            results[:] = done
        elif threads == 1:
            for i in todo:
                state = model.start(spans[i])
                for t in range(n_steps):
                    model.step(state, t)
                results[i] = model.finish(state)
                bar.advance()
        else:

            def one(i: int) -> tuple[int, R]:
                state = model.start(spans[i])
                for t in range(n_steps):
                    model.step(state, t)
                return i, model.finish(state)

            with ThreadPoolExecutor(max_workers=threads) as pool:
                futures = [pool.submit(one, i) for i in todo]
                # Counted as each block finishes; a failure is raised in ``todo`` order below.
                for fut in as_completed(futures):
                    if fut.exception() is None:
                        i, res = fut.result()
                        results[i] = res
                        bar.advance()
                for fut in futures:
                    fut.result()
    return [r for r in results if r is not None]


def _for_block(model: Any, block: Block) -> Any:
    shard = getattr(model, "for_block", None)
    return shard(block) if callable(shard) else model


@attrs.frozen
class _BlockSteps(Generic[S, R]):
    """One block's whole run, as shipped to a worker."""

    model: StepModel[S, R]
    block: Block
    n_steps: int


def _run_block(unit: _BlockSteps[S, R]) -> R:
    state = unit.model.start(unit.block)
    for t in range(unit.n_steps):
        unit.model.step(state, t)
    return unit.model.finish(state)
