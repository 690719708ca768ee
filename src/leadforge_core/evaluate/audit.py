"""Leakage audit of one task: single-feature rules, group overlap and time order of splits."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import polars as pl

from leadforge_core.evaluate.models import is_categorical

#: A rule must catch at least this share of the positive rows to count.
MIN_RECALL = 0.05
QUANTILES = (0.01, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99)
MAX_VALUES = 200


def _rule_counts(frame: pl.DataFrame, col: str, positive: np.ndarray) -> list[tuple[str, int, int]]:
    """Every candidate rule on ``col`` as ``(text, rows it selects, positive rows it selects)``.

    Counts come from one grouped pass (categoricals, booleans) or one sort with binary search
    at the quantiles (numbers, times), never from a mask per rule.
    """
    s = frame[col]
    pos = np.asarray(positive, dtype=bool)
    if s.dtype == pl.Boolean or is_categorical(s.dtype):
        text = s.cast(pl.String)
        table = pl.DataFrame([text.alias("value"), pl.Series("positive", pos)])
        counts = (
            table.drop_nulls("value")
            .group_by("value")
            .agg(pl.len().alias("rows"), pl.col("positive").cast(pl.Int64).sum().alias("tp"))
            .sort(["rows", "value"], descending=[True, False])
            .head(MAX_VALUES)
        )
        rules = [
            (f"{col} == {v!r}", int(n), int(tp))
            for v, n, tp in zip(
                counts["value"].to_list(),
                counts["rows"].to_list(),
                counts["tp"].to_list(),
                strict=True,
            )
        ]
        missing = text.is_null().to_numpy()
        if missing.any():
            rules.append((f"{col} is missing", int(missing.sum()), int(pos[missing].sum())))
        return rules
    if not (s.dtype.is_numeric() or s.dtype.is_temporal()):
        return []
    num = (s.cast(pl.Int64) if s.dtype.is_temporal() else s).cast(pl.Float64)
    arr = num.fill_null(np.nan).to_numpy()
    present = ~np.isnan(arr)
    if not present.any():
        return []
    values = arr[present]
    # Quantiles of the values in row order: with -0.0 and 0.0 both present, which one a
    # quantile returns depends on the order.
    qs = sorted({float(q) for q in np.quantile(values, QUANTILES)})
    ordered = np.sort(values)
    on_positive = np.sort(arr[present & pos])
    n, total = ordered.size, on_positive.size
    out: list[tuple[str, int, int]] = []
    for q in qs:
        # Rows with value < q and <= q, among all present rows and among the positive ones.
        below, upto = np.searchsorted(ordered, q, side="left"), np.searchsorted(ordered, q, "right")
        pos_below = np.searchsorted(on_positive, q, side="left")
        pos_upto = np.searchsorted(on_positive, q, side="right")
        out.append((f"{col} >= {q:g}", n - int(below), total - int(pos_below)))
        out.append((f"{col} <= {q:g}", int(upto), int(pos_upto)))
    if not present.all():
        out.append((f"{col} is missing", int((~present).sum()), int(pos[~present].sum())))
    return out


def best_rule(
    frame: pl.DataFrame, positive: np.ndarray, columns: list[str]
) -> dict[str, Any] | None:
    """The single-column rule (``col == value``, ``col >= q``, ``col <= q`` at quantiles,
    ``col is missing``) with the highest precision among rules catching at least
    ``MIN_RECALL`` of the positives; ties go to the higher recall, then the rule text."""
    n_pos = int(positive.sum())
    if n_pos == 0:
        return None
    base = n_pos / max(1, positive.size)
    best: tuple[float, float, str, int] | None = None
    for col in columns:
        for text, hit, tp in _rule_counts(frame, col, positive):
            if hit == 0:
                continue
            recall = tp / n_pos
            if recall < MIN_RECALL:
                continue
            key = (tp / hit, recall, text, hit)
            if (
                best is None
                or (key[0], key[1]) > (best[0], best[1])
                or ((key[0], key[1]) == (best[0], best[1]) and text < best[2])
            ):
                best = key
    if best is None:
        return None
    precision, recall, text, support = best
    return {
        "rule": text,
        "precision": precision,
        "recall": recall,
        "support": support,
        "base_rate": base,
        "lift": precision / base if base > 0 else None,
    }


def group_overlap(splits: dict[str, pl.DataFrame], key: str) -> dict[str, Any]:
    """How many test groups (``key`` values) also appear in train or valid, and the share of
    test rows that belong to them."""
    seen = pl.concat([splits["train"][key], splits["valid"][key]]).drop_nulls().unique()
    test = splits["test"][key]
    groups = test.drop_nulls().unique()
    n_groups = groups.len()
    shared = int(groups.is_in(seen.implode()).sum()) if n_groups else 0
    rows = int(test.is_in(seen.implode()).fill_null(False).sum()) if shared else 0
    return {
        "key": key,
        "test_groups": n_groups,
        "shared_groups": shared,
        "shared_group_share": shared / n_groups if n_groups else 0.0,
        "test_row_share": rows / splits["test"].height if splits["test"].height else 0.0,
    }


def time_order(splits: dict[str, pl.DataFrame], column: str) -> dict[str, Any]:
    """First and last ``column`` value per split; ``ordered`` when train ends before valid
    starts and valid before test (never when every row shares one time: ``single_time``)."""
    ranges: dict[str, list[str | None]] = {}
    bounds = []
    for name in ("train", "valid", "test"):
        s = splits[name][column]
        lo, hi = s.min(), s.max()
        ranges[name] = [None if lo is None else str(lo), None if hi is None else str(hi)]
        bounds.append((lo, hi))
    ordered = all(
        a[1] is not None and b[0] is not None and a[1] <= b[0]  # type: ignore[operator]
        for a, b in itertools.pairwise(bounds)
    )
    single = len({v for pair in bounds for v in pair if v is not None}) <= 1
    return {
        "column": column,
        "ranges": ranges,
        "ordered": ordered and not single,
        "single_time": single,
    }
