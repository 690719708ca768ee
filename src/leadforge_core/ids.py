"""Stable, opaque, namespaced identifiers (``acct_000001``), built vectorized."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

ID_WIDTH = 6
_PREFIX = re.compile(r"^[a-z][a-z0-9]*$")


def make_ids(prefix: str, n: int, start: int = 1, width: int = ID_WIDTH) -> pl.Series:
    """``n`` ids ``{prefix}_{k:0{width}d}`` for ``k = start .. start+n-1``.

    Widths grow past ``width`` digits only when the count needs it, so ids stay unique and
    sort in creation order within one bundle. Zero padding comes from adding ``10**width`` and
    dropping the leading digit: one vectorized formatting pass.
    """
    if not _PREFIX.match(prefix):
        raise ValueError(f"invalid id prefix {prefix!r}")
    width = max(width, len(str(start + n - 1)) if n else width)
    number = pl.int_range(start, start + n, dtype=pl.Int64) + 10**width
    return pl.select(
        pl.format(prefix + "_{}", number.cast(pl.String).str.slice(1)).alias("id")
    ).to_series()


def ids_at(prefix: str, positions: np.ndarray, n: int, width: int = ID_WIDTH) -> pl.Series:
    """``make_ids(prefix, n)[positions]`` without formatting the ids that are not kept."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"invalid id prefix {prefix!r}")
    width = max(width, len(str(n)) if n else width)
    number = pl.Series(np.asarray(positions, dtype=np.int64) + (1 + 10**width))
    return pl.select(
        pl.format(prefix + "_{}", number.cast(pl.String).str.slice(1)).alias("id")
    ).to_series()


def ids_expr(prefix: str, index: pl.Expr, width: int) -> pl.Expr:
    """Expression form of :func:`make_ids` over an integer column (``index`` is 1-based)."""
    return pl.lit(prefix + "_") + index.cast(pl.String).str.zfill(width)
