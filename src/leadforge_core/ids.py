"""Stable, opaque, namespaced identifiers (``acct_000001``), built vectorized."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

__all__ = ["ID_WIDTH", "ids_at", "ids_expr", "make_ids"]


#: Digits of the number part of an id (``acct_000001``); more only when the count needs it.
ID_WIDTH = 6
_PREFIX = re.compile(r"^[a-z][a-z0-9]*$")


def make_ids(prefix: str, n: int, start: int = 1, width: int = ID_WIDTH) -> pl.Series:
    """``n`` ids ``{prefix}_{k:0{width}d}`` for ``k = start .. start+n-1``.

    Widths grow past ``width`` digits only when the count needs it, so ids stay unique and
    sort in creation order within one bundle.
    """
    width = _width(prefix, start + n - 1 if n else 0, width)
    return _format(prefix, pl.int_range(start, start + n, dtype=pl.Int64), width)


def ids_at(prefix: str, positions: np.ndarray, n: int, width: int = ID_WIDTH) -> pl.Series:
    """``make_ids(prefix, n)[positions]`` without formatting the ids that are not kept."""
    number = pl.lit(pl.Series(np.asarray(positions, dtype=np.int64))) + 1
    return _format(prefix, number, _width(prefix, n, width))


def _width(prefix: str, largest: int, width: int) -> int:
    if not _PREFIX.match(prefix):
        raise ValueError(f"invalid id prefix {prefix!r}")
    return max(width, len(str(largest)))


def _format(prefix: str, number: pl.Expr, width: int) -> pl.Series:
    """Zero padding comes from adding ``10**width`` and dropping the leading digit: one
    vectorized formatting pass."""
    padded = (number + 10**width).cast(pl.String).str.slice(1)
    return pl.select(pl.format(prefix + "_{}", padded).alias("id")).to_series()


def ids_expr(prefix: str, index: pl.Expr, width: int) -> pl.Expr:
    """Expression form of :func:`make_ids` over an integer column (``index`` is 1-based)."""
    return pl.lit(prefix + "_") + index.cast(pl.String).str.zfill(width)
