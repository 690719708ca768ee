"""Work units for the executor tests: module-level, so worker processes can import them."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import numpy as np

from leadforge_core.rng import RandomStreams
from leadforge_core.simulate import Block
from leadforge_core.simulate.runner import _run_block


def draw_block(unit: tuple[int, int, int]) -> np.ndarray:
    """``(seed, block, size)`` → that block's uniforms of stream ``test.units``."""
    seed, block, size = unit
    return RandomStreams(seed).generator("test.units", block).random(size)


def kill_at(unit: tuple[int, int]) -> int:
    """``(index, target)``: the worker running unit ``target`` kills itself (SIGKILL)."""
    index, target = unit
    if index == target:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return index


def fail_at(unit: tuple[int, int]) -> int:
    """``(index, target)``: unit ``target`` raises ``ValueError``."""
    index, target = unit
    if index == target:
        raise ValueError(f"unit {index} failed")
    return index


def where(unit: int) -> int:
    """The pid of the process running the unit."""
    time.sleep(0.05)
    return os.getpid()


class Walk:
    """A random walk per entity, for ``run_steps`` (picklable: no closures)."""

    def start(self, block: Block) -> dict[str, Any]:
        return {"x": np.zeros(block.size), "d": block.draws("test.walk"), "b": block}

    def step(self, state: dict[str, Any], t: int) -> None:
        state["x"] += state["d"].normal() * (1 + t)

    def finish(self, state: dict[str, Any]) -> np.ndarray:
        return state["x"] + state["b"].ids


#: The block that :func:`run_block_or_die` dies in.
DIE_IN_BLOCK = 3


def run_block_or_die(unit: Any) -> Any:
    """Stands in for the runner's ``_run_block``: the worker running block
    :data:`DIE_IN_BLOCK` dies half-way through its steps (SIGKILL, as the out-of-memory
    killer does); every other block runs as usual."""
    if unit.block.index != DIE_IN_BLOCK:
        return _run_block(unit)
    state = unit.model.start(unit.block)
    for t in range(unit.n_steps // 2):
        unit.model.step(state, t)
    time.sleep(0.5)  # long enough for the scheduler to hear of the blocks finished before
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def nap(unit: tuple[int, float]) -> int:
    """``(index, seconds)``: sleep, then return the index."""
    index, seconds = unit
    time.sleep(seconds)
    return index


class Napping:
    """A ``run_steps`` model whose blocks take ``seconds`` each (picklable)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def start(self, block: Block) -> int:
        return block.index

    def step(self, state: int, t: int) -> None:
        time.sleep(self.seconds)

    def finish(self, state: int) -> int:
        return state
