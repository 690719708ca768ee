"""Progress reporting protocol: schemes report phases and steps, the CLI draws them.

A phase counts steps of one unit: the core's step runner counts **blocks** of entities as
they finish (on this process, on worker processes or on a Dask cluster: the calling process
sees each block's result arrive and advances the phase then), and the bundle writer counts
**rows** as each Parquet file or part is written, noting which table they belong to.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from leadforge_core.memory import release_memory

__all__ = ["NullProgress", "Phase", "Progress", "note", "phase"]


class Phase(Protocol):
    """One running phase of a :class:`Progress`: call ``advance`` as steps complete.

    A handle may also have ``note(text)``, a short status shown next to the phase (the table
    being written); callers use :func:`note`, which skips handles without it.
    """

    def advance(self, n: int = 1) -> None: ...


class Progress(Protocol):
    """Receives phase starts and step counts; must never affect results."""

    def phase(self, name: str, total: int | None = None, unit: str = "") -> Phase:
        """Start a phase (``world``, ``simulation``, …); returns a handle to advance."""
        ...

    def end_phase(self, name: str) -> None: ...


class _NullPhase:
    def advance(self, n: int = 1) -> None:
        return None

    def note(self, text: str) -> None:
        return None


def note(handle: Phase, text: str) -> None:
    """Show ``text`` next to a running phase, when the handle supports it (``note(text)``).

    The writer uses it to name the table whose rows were just written; a :class:`Progress`
    whose handles have no ``note`` simply shows none.
    """
    method = getattr(handle, "note", None)
    if callable(method):
        method(text)


class NullProgress:
    """Progress that goes nowhere (API use, ``--quiet``)."""

    def phase(self, name: str, total: int | None = None, unit: str = "") -> Phase:
        return _NullPhase()

    def end_phase(self, name: str) -> None:
        return None


@contextmanager
def phase(
    progress: Progress, name: str, total: int | None = None, unit: str = ""
) -> Iterator[Phase]:
    """Report one phase of work (a context manager yielding a :class:`Phase`).

    ``with phase(ctx.progress, "simulation", total=90, unit="days") as p: p.advance()``: the
    CLI shows a bar named ``name`` counting ``total`` steps of ``unit`` (a spinner when
    ``total`` is ``None``); call ``p.advance(n)`` as steps complete. The phase ends when the
    block exits, also on an exception.

    Args:
        progress: where to report (``ctx.progress`` in a scheme; any :class:`Progress`).
        name: the phase's name (``"simulation"``, ``"features"``…).
        total: number of steps, or ``None`` when unknown.
        unit: what a step is (``"days"``, ``"blocks"``).

    A phase's intermediates die at its end, so free heap pages are returned to the OS there
    (see :mod:`leadforge_core.memory`).
    """
    handle = progress.phase(name, total, unit)
    try:
        yield handle
    finally:
        release_memory()
        progress.end_phase(name)


class PhaseClock:
    """A :class:`Progress` that records the wall-clock seconds of each phase and forwards
    every call to ``inner``.

    ``seconds`` maps phase names, in the order they first started, to their total seconds
    (a phase started again adds to its total); a phase still open when read is not counted.
    """

    def __init__(self, inner: Progress | None = None) -> None:
        self.inner: Progress = inner if inner is not None else NullProgress()
        self.seconds: dict[str, float] = {}
        self._open: dict[str, float] = {}

    def phase(self, name: str, total: int | None = None, unit: str = "") -> Phase:
        self.seconds.setdefault(name, 0.0)
        self._open[name] = time.perf_counter()
        return self.inner.phase(name, total, unit)

    def end_phase(self, name: str) -> None:
        started = self._open.pop(name, None)
        if started is not None:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
        self.inner.end_phase(name)
