"""Lazy polars aggregations shared by the core's and the schemes' report sections.

Every function scans Parquet lazily, selects only the columns it needs and returns a handful of
numbers, so building a report of a million-row bundle never holds a whole table in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import polars as pl

from leadforge_core.bundle.layout import split_file, table_file
from leadforge_core.bundle.model import SPLITS
from leadforge_core.validation.view import BundleView

__all__ = [
    "MISSING",
    "OTHER",
    "category_counts",
    "counts_by_period",
    "distinct_per_value",
    "mean_by_period",
    "quantiles",
    "rate_by_category",
    "scan_table",
    "scan_task",
    "table_columns",
]


#: Label of the bar that sums every category past ``top`` in :func:`category_counts`.
OTHER = "(other)"
#: Label of null values in :func:`category_counts` and :func:`rate_by_category`.
MISSING = "(missing)"


def scan_table(view: BundleView, name: str) -> pl.LazyFrame:
    """A lazy scan of ``tables/<name>.parquet`` (or of its parts when written as a dataset).

    Raises:
        BundleReadError: the table is not in the bundle.
    """
    return view.scan_parquet(table_file(name))


def table_columns(view: BundleView, name: str) -> set[str]:
    """Column names of a table as recorded in the manifest (empty when absent)."""
    entry = view.manifest.get("tables", {}).get(name, {})
    return {str(c.get("name")) for c in entry.get("columns", []) if isinstance(c, dict)}


def scan_task(view: BundleView, task: str, splits: Sequence[str] = SPLITS) -> pl.LazyFrame:
    """All rows of a task's splits, with a ``split`` column naming where each row came from."""
    frames = []
    for split in splits:
        scan = view.scan_parquet(split_file(task, split))
        frames.append(scan.with_columns(split=pl.lit(split)))
    return pl.concat(frames, how="vertical_relaxed")


def _label(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def counts_by_period(
    lf: pl.LazyFrame, time_col: str, every: str = "1w"
) -> tuple[list[str], list[float]]:
    """Rows per calendar period of ``time_col`` (``"1w"`` weeks from Monday, ``"1mo"`` months).

    Periods without rows between the first and last are included with a count of zero.

    Returns:
        (period start labels ``YYYY-MM-DD``, counts)
    """
    frame = (
        lf.select(pl.col(time_col).dt.truncate(every).alias("period"))
        .drop_nulls()
        .group_by("period")
        .len()
        .sort("period")
        .collect()
    )
    if frame.is_empty():
        return [], []
    first, last = frame["period"].min(), frame["period"].max()
    assert isinstance(first, date) and isinstance(last, date)
    full = pl.DataFrame({"period": pl.datetime_range(first, last, every, eager=True)}).cast(
        {"period": frame.schema["period"]}
    )
    filled = full.join(frame, on="period", how="left").with_columns(pl.col("len").fill_null(0))
    return [_label(v) for v in filled["period"]], [float(v) for v in filled["len"]]


def mean_by_period(
    lf: pl.LazyFrame,
    time_col: str,
    value: pl.Expr,
    every: str = "1mo",
    min_rows: int = 1,
) -> tuple[list[str], list[float | None], list[int]]:
    """Mean of ``value`` per calendar period of ``time_col`` (a rate when ``value`` is 0/1).

    Periods with fewer than ``min_rows`` rows get ``None`` (drawn as a gap).

    Returns:
        (period start labels, means, rows per period)
    """
    frame = (
        lf.select(pl.col(time_col).dt.truncate(every).alias("period"), value.alias("value"))
        .drop_nulls("period")
        .group_by("period")
        .agg(pl.col("value").cast(pl.Float64).mean().alias("mean"), pl.len().alias("n"))
        .sort("period")
        .collect()
    )
    means = [
        (float(m) if m is not None and n >= min_rows else None)
        for m, n in zip(frame["mean"], frame["n"], strict=True)
    ]
    return [_label(v) for v in frame["period"]], means, [int(n) for n in frame["n"]]


def category_counts(lf: pl.LazyFrame, col: str, top: int = 12) -> tuple[list[str], list[float]]:
    """Rows per value of ``col``, largest first; values past ``top`` are summed as ``(other)``.

    Ties are broken by value so the order is stable.
    """
    frame = (
        lf.select(pl.col(col).cast(pl.String).fill_null(MISSING).alias("value"))
        .group_by("value")
        .len()
        .sort(["len", "value"], descending=[True, False])
        .collect()
    )
    labels = [str(v) for v in frame["value"]]
    counts = [float(v) for v in frame["len"]]
    if len(labels) > top:
        labels, counts = [*labels[: top - 1], OTHER], [*counts[: top - 1], sum(counts[top - 1 :])]
    return labels, counts


def rate_by_category(
    lf: pl.LazyFrame, col: str, value: pl.Expr, top: int = 12
) -> tuple[list[str], list[float], list[int]]:
    """Mean of ``value`` per value of ``col`` for the ``top`` most frequent values.

    Returns:
        (values, means, rows per value), most frequent value first.
    """
    frame = (
        lf.select(
            pl.col(col).cast(pl.String).fill_null(MISSING).alias("key"),
            value.cast(pl.Float64).alias("value"),
        )
        .group_by("key")
        .agg(pl.col("value").mean().alias("mean"), pl.len().alias("n"))
        .sort(["n", "key"], descending=[True, False])
        .head(top)
        .collect()
    )
    return (
        [str(v) for v in frame["key"]],
        [float("nan") if v is None else float(v) for v in frame["mean"]],
        [int(v) for v in frame["n"]],
    )


def distinct_per_value(
    lf: pl.LazyFrame, key_col: str, id_col: str, order: Sequence[str]
) -> list[float]:
    """Distinct ``id_col`` per value of ``key_col``, in ``order`` (0 for absent values).

    Used for funnels: leads that ever reached each stage.
    """
    frame = (
        lf.select(pl.col(key_col).cast(pl.String).alias("key"), pl.col(id_col))
        .group_by("key")
        .agg(pl.col(id_col).n_unique().alias("n"))
        .collect()
    )
    found = dict(zip(frame["key"], frame["n"], strict=True))
    return [float(found.get(k, 0)) for k in order]


def quantiles(lf: pl.LazyFrame, col: str, qs: Sequence[float]) -> list[float | None]:
    """Quantiles of one numeric column (nearest-rank, nulls ignored)."""
    frame = lf.select(
        [
            pl.col(col).cast(pl.Float64).quantile(q, "nearest").alias(f"q{i}")
            for i, q in enumerate(qs)
        ]
    ).collect()
    return [None if v is None else float(v) for v in frame.row(0)]
