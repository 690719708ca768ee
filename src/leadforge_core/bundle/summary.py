"""Per-split statistics for task manifests: prevalence for binary targets, a distribution
summary (zero share, mean, quantiles) for regression targets."""

from __future__ import annotations

from typing import Any

import polars as pl

from leadforge_core.bundle.model import TaskOutput, TaskType

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


def _round(value: Any) -> Any:
    return round(float(value), 6) if value is not None else None


def target_summary(frame: pl.DataFrame, target: str, task_type: TaskType) -> dict[str, Any]:
    col = frame[target]
    rows = frame.height
    if task_type is TaskType.BINARY:
        positives = int(col.cast(pl.Int64).sum()) if rows else 0
        return {
            "rows": rows,
            "positives": positives,
            "prevalence": _round(positives / rows) if rows else None,
        }
    values = col.cast(pl.Float64).drop_nulls()
    if values.len() == 0:
        return {"rows": rows}
    out: dict[str, Any] = {
        "rows": rows,
        "mean": _round(values.mean()),
        "std": _round(values.std()),
        "zero_share": _round((values == 0).mean()),
        "min": _round(values.min()),
        "max": _round(values.max()),
        "sum": _round(values.sum()),
    }
    out["quantiles"] = {
        f"p{int(q * 100)}": _round(values.quantile(q, "nearest")) for q in QUANTILES
    }
    return out


def split_summaries(task: TaskOutput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split, frame in task.splits.items():
        per_target = {
            t: target_summary(frame, t, task.spec.task_type)
            for t in task.spec.targets
            if t in frame.columns
        }
        entry: dict[str, Any] = {"rows": frame.height}
        if len(per_target) == 1:
            entry.update(next(iter(per_target.values())))
        else:
            entry["targets"] = per_target
        out[split] = entry
    return out
