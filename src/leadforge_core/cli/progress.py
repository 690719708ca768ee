"""A rich progress display on stderr: one line per phase with counts, elapsed time and ETA."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class _Handle:
    def __init__(self, bar: Progress, task: TaskID) -> None:
        self.bar = bar
        self.task = task

    def advance(self, n: int = 1) -> None:
        self.bar.advance(self.task, n)


class RichProgress:
    """Implements :class:`leadforge_core.progress.Progress` for the terminal."""

    def __init__(self, console: Console) -> None:
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def phase(self, name: str, total: int | None = None, unit: str = "") -> _Handle:
        task = self.bar.add_task(name, total=total if total is not None else 1, unit=unit)
        self.tasks[name] = task
        return _Handle(self.bar, task)

    def end_phase(self, name: str) -> None:
        task = self.tasks.get(name)
        if task is not None:
            total = self.bar.tasks[task].total or 1
            self.bar.update(task, completed=total)
