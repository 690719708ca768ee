"""Task checks: every split present, ids unique across splits, manifests agree with files and
carry the details every scheme must provide (see :mod:`leadforge_core.validation.contracts`)."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from leadforge_core.bundle import layout
from leadforge_core.bundle.model import SPLITS
from leadforge_core.validation.contracts import task_details_problems
from leadforge_core.validation.findings import Finding
from leadforge_core.validation.view import BundleReadError, BundleView


def task_checks(view: BundleView) -> Iterator[Finding]:
    for task in view.task_names():
        try:
            tm = view.task_manifest(task)
        except BundleReadError as exc:
            yield Finding("tasks", exc.message, exc.location)
            continue
        for problem in task_details_problems(tm, core_keys=True):
            yield Finding("tasks", f"task manifest {problem}", layout.task_manifest_file(task))
        frames: list[pl.DataFrame] = []
        for split in SPLITS:
            rel = layout.split_file(task, split)
            try:
                frame = view.task_split(task, split)
            except BundleReadError as exc:
                yield Finding("tasks", exc.message, exc.location)
                continue
            frames.append(frame.select("row_id") if "row_id" in frame.columns else pl.DataFrame())
            expected = (tm.get("splits") or {}).get(split, {}).get("rows")
            if expected != frame.height:
                yield Finding("tasks", f"{frame.height} rows, task manifest says {expected}", rel)
            for target in tm.get("targets", []):
                if target not in frame.columns:
                    yield Finding("tasks", f"target column {target!r} is missing", rel)
            if "row_id" not in frame.columns:
                yield Finding("tasks", "row_id column is missing", rel)
        ids = (
            pl.concat([f for f in frames if f.width], how="vertical")
            if any(f.width for f in frames)
            else None
        )
        if ids is not None and ids.height != ids["row_id"].n_unique():
            yield Finding(
                "tasks", "row_id values repeat across splits", f"{layout.TASKS_DIR}/{task}"
            )
