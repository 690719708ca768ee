"""Forward-only stage machines with entry days and dwell time.

Stages are numbered ``0 … n_stages - 1``; stages from ``first_terminal`` on are absorbing
(won, lost, churned). Entities only move forward: a move to a lower stage is an error, and the
day an entity enters a stage is recorded once, so entry days are monotone along the path.
Only open entities are tracked step by step (:attr:`StageMachine.open`), which keeps the loop
cost proportional to the funnel that is still moving.
"""

from __future__ import annotations

import numpy as np

#: Entry day of a stage the entity never entered.
NEVER = -1


class StageMachine:
    """Stage, entry day per stage and open-entity index of one block of entities.

    Args:
        n: entities in the block.
        n_stages: number of stages.
        first_terminal: index of the first absorbing stage.
        start_day: day every entity enters stage 0.
    """

    def __init__(self, n: int, n_stages: int, first_terminal: int, start_day: int = 0) -> None:
        if not 0 < first_terminal <= n_stages:
            raise ValueError("first_terminal must lie in 1 .. n_stages")
        self.first_terminal = first_terminal
        self.stage = np.zeros(n, dtype=np.int8)
        self.entry = np.full((n_stages, n), NEVER, dtype=np.int16)
        self.entry[0] = start_day
        self.current_entry = np.full(n, start_day, dtype=np.int16)
        self.open = np.arange(n)

    @property
    def open_stage(self) -> np.ndarray:
        """Stage of each open entity (aligned with :attr:`open`)."""
        return self.stage[self.open]

    def dwell(self, t: int) -> np.ndarray:
        """Days each open entity has spent in its current stage at step ``t`` (float32)."""
        return (t - self.current_entry[self.open]).astype(np.float32)

    def move(self, new_stage: np.ndarray, t: int, current: np.ndarray | None = None) -> np.ndarray:
        """Apply this step's stages of the open entities; returns the indices that moved.

        Args:
            new_stage: stage of each open entity after step ``t`` (aligned with :attr:`open`).
            t: the step (day) of the moves; recorded as the entry day of the new stage.
            current: :attr:`open_stage` if the caller already holds it (saves a gather).
        """
        old = self.open_stage if current is None else current
        new = np.asarray(new_stage, dtype=np.int8)
        if np.any(new < old):
            raise ValueError("stage machines only move forward")
        ch = new != old
        moved: np.ndarray = self.open[ch]
        self.entry[new[ch], moved] = t
        self.current_entry[moved] = t
        self.stage[moved] = new[ch]
        self.open = self.open[new < self.first_terminal]
        return moved

    def closed_day(self, horizon: int) -> np.ndarray:
        """Day each entity entered its absorbing stage; ``horizon`` while still open (int16)."""
        terminal = self.entry[self.first_terminal :]
        done = self.stage >= self.first_terminal
        return np.where(done, terminal.max(axis=0), horizon).astype(np.int16)
