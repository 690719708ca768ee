"""Stable, opaque, namespaced identifiers (``acct_000001``), built vectorized."""

from __future__ import annotations

import re

import attrs
import numpy as np
import polars as pl

__all__ = ["ID_WIDTH", "IdLookup", "ids_at", "ids_expr", "make_ids"]


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


@attrs.frozen
class IdLookup:
    """Where each id of a column sits, for ids ``prefix`` + a fixed number of digits.

    Ids made by :func:`make_ids` (in any order, with gaps) are located through their numbers:
    a string parse and an array lookup instead of a join on strings.

    Example:
        >>> lookup = IdLookup.of(pl.Series(["cust_000003", "cust_000001"]))
        >>> lookup.positions(pl.Series(["cust_000001", "cust_000002", "other"])).tolist()
        [1, -1, -1]
    """

    prefix: str
    width: int
    #: ``lookup[number]`` is the row of the id with that number (-1: no such id).
    lookup: np.ndarray

    @staticmethod
    def parse(col: pl.Series, prefix: str, width: int) -> np.ndarray:
        """The number of each value of ``col`` of the form (-1 for any other value)."""
        c = pl.col(col.name)
        first = c.str.slice(len(prefix), 1)
        # A first digit (no sign) and a successful integer cast: every character is a digit.
        fits = (
            (c.str.len_bytes() == width)
            & c.str.starts_with(prefix)
            & (first >= "0")
            & (first <= "9")
        )
        number = pl.when(fits).then(c.str.slice(len(prefix)).cast(pl.Int64, strict=False))
        return col.to_frame().select(number.fill_null(-1).alias("n"))["n"].to_numpy()

    @classmethod
    def of(cls, ids: pl.Series) -> IdLookup | None:
        """The lookup of ``ids``, or ``None`` when they do not all share one numbered layout,
        repeat, or are too sparse for a lookup array."""
        if ids.dtype != pl.String or ids.len() == 0 or ids.null_count():
            return None
        first = str(ids[0])
        namespace, sep, digits = first.rpartition("_")
        if not sep or not digits.isdigit():
            return None
        prefix, width = namespace + "_", len(first.encode())
        numbers = cls.parse(ids, prefix, width)
        top = int(numbers.max())
        if numbers.min() < 0 or top > 4 * numbers.size + 1_000_000:
            return None
        lookup = np.full(top + 1, -1, dtype=np.int64)
        lookup[numbers] = np.arange(numbers.size, dtype=np.int64)
        if int((lookup >= 0).sum()) != numbers.size:  # a repeated id
            return None
        return cls(prefix, width, lookup)

    def positions(self, col: pl.Series) -> np.ndarray:
        """Row of each value of ``col`` (-1 when it is no id of the table)."""
        n = self.parse(col, self.prefix, self.width)
        ok = (n >= 0) & (n < self.lookup.size)
        return np.where(ok, self.lookup[np.where(ok, n, 0)], -1)
