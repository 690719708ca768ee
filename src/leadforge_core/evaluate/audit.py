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


def _rules_of(frame: pl.DataFrame, col: str, y: np.ndarray) -> list[tuple[str, np.ndarray]]:
    s = frame[col]
    if s.dtype == pl.Boolean or is_categorical(s.dtype):
        text = s.cast(pl.String)
        values = (
            text.drop_nulls().value_counts(sort=True).sort(["count", col], descending=[True, False])
        )[col].to_list()[:MAX_VALUES]
        rules = [(f"{col} == {v!r}", (text == v).fill_null(False).to_numpy()) for v in values]
        if text.null_count():
            rules.append((f"{col} is missing", text.is_null().to_numpy()))
        return rules
    if not (s.dtype.is_numeric() or s.dtype.is_temporal()):
        return []
    num = (s.cast(pl.Int64) if s.dtype.is_temporal() else s).cast(pl.Float64)
    arr = num.fill_null(np.nan).to_numpy()
    present = ~np.isnan(arr)
    if not present.any():
        return []
    qs = sorted({float(q) for q in np.quantile(arr[present], QUANTILES)})
    out: list[tuple[str, np.ndarray]] = []
    with np.errstate(invalid="ignore"):
        for q in qs:
            out.append((f"{col} >= {q:g}", present & (arr >= q)))
            out.append((f"{col} <= {q:g}", present & (arr <= q)))
    if not present.all():
        out.append((f"{col} is missing", ~present))
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
        for text, mask in _rules_of(frame, col, positive):
            hit = int(mask.sum())
            if hit == 0:
                continue
            tp = int((mask & positive).sum())
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
    fit = pl.concat([splits["train"].select(key), splits["valid"].select(key)])
    seen = set(fit[key].drop_nulls().to_list())
    test = splits["test"][key]
    groups = set(test.drop_nulls().to_list())
    shared = groups & seen
    rows = int(test.is_in(list(shared)).sum()) if shared else 0
    return {
        "key": key,
        "test_groups": len(groups),
        "shared_groups": len(shared),
        "shared_group_share": len(shared) / len(groups) if groups else 0.0,
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
