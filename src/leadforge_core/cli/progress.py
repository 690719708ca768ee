"""The progress display on stderr: one line per phase with counts, elapsed time and ETA.

On a terminal it is a live rich display: a phase with a total (the simulation's blocks, the
rows being written) has a bar, ``done/total unit``, a note (the table being written) and an
ETA; a phase without one has a spinner. Anywhere else (a pipe, a file, a dumb terminal) it
prints one plain line per finished phase and no control characters.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text


class _Count(ProgressColumn):
    """``done/total unit`` with thousands separators; nothing for a phase without a total."""

    def render(self, task: Task) -> Text:
        if not task.fields.get("counted") or task.total is None:
            return Text("")
        unit = task.fields.get("unit", "")
        done = f"{int(task.completed):,}/{int(task.total):,}"
        return Text(f"{done} {unit}".rstrip(), style="progress.download")


class _Remaining(ProgressColumn):
    """``ETA h:mm:ss`` while a counted phase runs; nothing otherwise."""

    def __init__(self, table_column: Column | None = None) -> None:
        super().__init__(table_column=table_column)
        self._inner = TimeRemainingColumn()

    def render(self, task: Task) -> Text:
        if not task.fields.get("counted") or task.finished:
            return Text("")
        return Text("ETA ") + self._inner.render(task)


#: Characters of a phase's note (the table being written) on the live display.
NOTE_WIDTH = 40


def _fit(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, its first word shortened (a long table or
    task name) so that the counts after it stay whole."""
    if len(text) <= width:
        return text
    head, _, tail = text.partition(" ")
    room = width - len(tail) - 2
    if room < 4:
        return text[: width - 1] + "…"
    return f"{head[:room]}… {tail}"


class _Handle:
    def __init__(self, bar: Progress, task: TaskID) -> None:
        self.bar = bar
        self.task = task

    def advance(self, n: int = 1) -> None:
        self.bar.advance(self.task, n)

    def note(self, text: str) -> None:
        self.bar.update(self.task, note=_fit(text, NOTE_WIDTH))


class _PlainHandle:
    def __init__(self) -> None:
        self.done = 0
        self.started = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self.done += n

    def note(self, text: str) -> None:
        return None


class RichProgress:
    """Implements :class:`leadforge_core.progress.Progress` for the terminal (or a log).

    Args:
        console: where to draw (stderr); live only when it is an interactive terminal.
        live: force the live display on or off (default: the console decides).
    """

    def __init__(self, console: Console, *, live: bool | None = None) -> None:
        self.console = console
        self.live = console.is_terminal and not console.is_dumb_terminal if live is None else live
        # Fixed widths, so the lines do not shift as counts grow and notes come and go.
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(bar_width=30),
            _Count(table_column=Column(min_width=26, no_wrap=True)),
            TextColumn(
                "{task.fields[note]}",
                style="dim",
                table_column=Column(width=NOTE_WIDTH, no_wrap=True, overflow="ellipsis"),
            ),
            TimeElapsedColumn(),
            _Remaining(table_column=Column(min_width=12, no_wrap=True)),
            console=console,
            transient=False,
            disable=not self.live,
        )
        self.tasks: dict[str, TaskID] = {}
        self.plain: dict[str, tuple[_PlainHandle, int | None, str]] = {}

    def __enter__(self) -> RichProgress:
        if self.live:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bar.stop()

    def phase(self, name: str, total: int | None = None, unit: str = "") -> _Handle | _PlainHandle:
        if not self.live:
            handle = _PlainHandle()
            self.plain[name] = (handle, total, unit)
            return handle
        task = self.bar.add_task(name, total=total, unit=unit, note="", counted=total is not None)
        self.tasks[name] = task
        return _Handle(self.bar, task)

    def end_phase(self, name: str) -> None:
        if not self.live:
            entry = self.plain.pop(name, None)
            if entry is not None:
                self._print_plain(name, *entry)
            return
        task = self.tasks.get(name)
        if task is not None:
            state = self.bar.tasks[task]
            total = state.total if state.total is not None else 1
            self.bar.update(task, total=total, completed=total, note="")

    def _print_plain(self, name: str, handle: _PlainHandle, total: int | None, unit: str) -> None:
        seconds = time.perf_counter() - handle.started
        count = f"{handle.done:,}/{total:,} {unit}".rstrip() if total is not None else ""
        line = f"{name:<12} {count:<24} {seconds:.1f} s" if count else f"{name:<12} {seconds:.1f} s"
        self.console.print(line, markup=False, highlight=False, soft_wrap=True)
