"""Observation operators: how a CRM records a simulated world imperfectly.

Each operator takes the values it degrades (a numpy column, a polars column or table), its
parameters, and a *source* of randomness: a :class:`Stream` (a named stream of
:class:`~leadforge_core.rng.RandomStreams`, block-indexed over rows, so the draw for a row
depends only on the seed, the name and the row's block) or, where a scheme draws several
columns from one stream in sequence, a ``numpy.random.Generator``. The same source gives the
same output; every operator with rate 0 changes nothing.

=========================  =====================================================
operator                   effect
=========================  =====================================================
:func:`missingness`        null a value with probability p (:func:`missing_mask`)
:func:`misattribute`       replace a category with probability p (uniformly or by
                           a confusion distribution)
:func:`delayed_logging`    add a random logging delay to timestamps, optionally
                           capped (:func:`logging_delay_us`)
:func:`partial_visibility` keep a row with probability p (:func:`visible_mask`)
:func:`sparse_logs`        drop an event with probability p (:func:`logged_mask`)
:func:`noisy_proxy`        a noisy, rescaled score measuring a latent
:func:`duplicate_records`  duplicate a low share of rows with fresh ids
=========================  =====================================================

Example::

    import numpy as np
    from leadforge_core.observe import Stream, missing_mask, noisy_proxy
    from leadforge_core.rng import RandomStreams

    streams = RandomStreams(7)
    gone = missing_mask(1000, 0.1, Stream(streams, "observe.industry"))  # ~100 True
    score = noisy_proxy(np.zeros(1000), 0.5, Stream(streams, "observe.score"))  # 1..99
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs
import numpy as np
import polars as pl

from leadforge_core.ids import make_ids
from leadforge_core.rng import BLOCK_SIZE, RandomStreams, blocked_draw, blocks

#: Microseconds per day.
DAY_US = 86_400_000_000

Draw = Callable[[np.random.Generator, int], np.ndarray]


@attrs.frozen
class Stream:
    """A block-indexed named stream: rows ``[b*block_size, (b+1)*block_size)`` draw from
    ``streams.generator(name, first_block + b)``.

    Arguments:
        streams: the run's random streams.
        name: the stream name (e.g. ``"observe.sessions.visible"``).
        block_size: rows per block (the core's :data:`~leadforge_core.rng.BLOCK_SIZE`).
        first_block: block index of the first row, to draw one block of a larger table.
    """

    streams: RandomStreams
    name: str
    block_size: int = BLOCK_SIZE
    first_block: int = 0

    def draw(self, n: int, draw: Draw) -> np.ndarray:
        """``draw(rng, k)`` for each block of ``n`` rows, concatenated along the first axis."""
        if self.first_block == 0:
            return blocked_draw(self.streams, self.name, n, draw, self.block_size)
        parts = [
            np.asarray(draw(self.streams.generator(self.name, self.first_block + b), hi - lo))
            for b, lo, hi in blocks(n, self.block_size)
        ]
        if not parts:
            return np.asarray(draw(self.streams.generator(self.name, self.first_block), 0))
        return np.concatenate(parts)


#: Where an operator draws: a block-indexed :class:`Stream`, or one generator drawn in order.
Source = Stream | np.random.Generator


def _draw(source: Source, n: int, draw: Draw) -> np.ndarray:
    if isinstance(source, Stream):
        return source.draw(n, draw)
    return np.asarray(draw(source, n))


def _rate(p: float | np.ndarray, n: int, name: str = "p") -> np.ndarray | float:
    arr = np.asarray(p, dtype=np.float64)
    if arr.ndim and arr.shape != (n,):
        raise ValueError(f"{name} must be a number or one value per row ({n}), got {arr.shape}")
    if np.any((arr < 0) | (arr > 1)):
        raise ValueError(f"{name} must lie in [0, 1]")
    return arr if arr.ndim else float(arr)


def _uniform(source: Source, n: int) -> np.ndarray:
    return _draw(source, n, lambda r, k: r.random(k))


# ---- missingness ------------------------------------------------------------------------


def missing_mask(n: int, p: float | np.ndarray, source: Source) -> np.ndarray:
    """Which of ``n`` rows lose their value: true with probability ``p`` (per row if an array).

    Arguments:
        n: number of rows.
        p: the missing rate, a number or one rate per row.
        source: where to draw (one uniform per row).
    Returns:
        A boolean array of length ``n``.
    """
    rate = _rate(p, n)
    return _uniform(source, n) < rate


def apply_missing(column: pl.Series, mask: np.ndarray) -> pl.Series:
    """``column`` with the rows of ``mask`` set to null (dtype and name kept)."""
    out = pl.select(pl.when(pl.Series(mask)).then(None).otherwise(column)).to_series()
    return out.alias(column.name)


def missingness(column: pl.Series, p: float | np.ndarray, source: Source) -> pl.Series:
    """Null each value of ``column`` with probability ``p`` (:func:`missing_mask`)."""
    return apply_missing(column, missing_mask(column.len(), p, source))


# ---- misattribution ---------------------------------------------------------------------


@attrs.frozen
class Misattribution:
    """One categorical column to misattribute (see :func:`misattribute`).

    ``codes``: the true category codes (integers). ``p``: replacement probability (number or
    per row). Exactly one of ``n_categories`` (replacement drawn uniformly from
    ``0..n_categories-1``, which may equal the true code) and ``confusion`` (a matrix whose
    row ``c`` is the distribution of the recorded code when true code ``c`` is replaced;
    rows are normalized) must be given.
    """

    codes: np.ndarray
    p: float | np.ndarray
    n_categories: int | None = None
    confusion: np.ndarray | None = None

    def __attrs_post_init__(self) -> None:
        if (self.n_categories is None) == (self.confusion is None):
            raise ValueError("give exactly one of n_categories and confusion")
        if self.n_categories is not None and self.n_categories < 1:
            raise ValueError("n_categories must be at least 1")
        if self.confusion is not None:
            c = np.asarray(self.confusion, dtype=np.float64)
            if c.ndim != 2 or np.any(c < 0) or np.any(c.sum(axis=1) <= 0):
                raise ValueError("confusion must be a 2-D matrix of non-negative rows")

    @property
    def columns(self) -> int:
        """Random columns drawn per row: a uniform, plus the uniform replacement code."""
        return 2 if self.n_categories is not None else 1

    def draw(self, rng: np.random.Generator, k: int) -> list[np.ndarray]:
        out: list[np.ndarray] = [rng.random(k)]
        if self.n_categories is not None:
            out.append(rng.integers(0, self.n_categories, k))
        return out

    def apply(self, draws: np.ndarray) -> np.ndarray:
        codes = np.asarray(self.codes, dtype=np.int64)
        rate = _rate(self.p, codes.size)
        u = draws[:, 0]
        if self.n_categories is not None:
            return np.where(u < rate, draws[:, 1].astype(np.int64), codes)
        conf = np.asarray(self.confusion, dtype=np.float64)
        cum = np.cumsum(conf / conf.sum(axis=1, keepdims=True), axis=1)
        cum[:, -1] = 1.0
        # One uniform decides both: u < p * F_c(j) picks the j-th recorded category.
        thresholds = np.asarray(rate).reshape(-1, 1) * cum[codes]
        picked = (u[:, None] >= thresholds).sum(axis=1)
        return np.where(picked < conf.shape[1], picked, codes)


def misattribute_jointly(columns: Sequence[Misattribution], source: Source) -> list[np.ndarray]:
    """Misattribute several columns of the same rows from one stream.

    Per block, the draws of each column are taken in order from the block's generator
    (uniform, then for uniform replacement the replacement code), so the recorded values of
    one column do not depend on how many rows another has.

    Returns:
        The recorded codes (int64) of each column, in order.
    """
    if not columns:
        return []
    n = np.asarray(columns[0].codes).size
    if any(np.asarray(c.codes).size != n for c in columns):
        raise ValueError("jointly misattributed columns must have the same rows")

    def draw(rng: np.random.Generator, k: int) -> np.ndarray:
        return np.stack([d for c in columns for d in c.draw(rng, k)], axis=1).astype(np.float64)

    draws = _draw(source, n, draw).reshape(n, -1)
    out = []
    start = 0
    for c in columns:
        out.append(c.apply(draws[:, start : start + c.columns]))
        start += c.columns
    return out


def misattribute(
    codes: np.ndarray,
    p: float | np.ndarray,
    source: Source,
    *,
    n_categories: int | None = None,
    confusion: np.ndarray | None = None,
) -> np.ndarray:
    """Record each category code wrongly with probability ``p``.

    Arguments:
        codes: true integer category codes.
        p: replacement probability (number or one per row).
        source: where to draw.
        n_categories: replace by a code drawn uniformly from ``0..n_categories-1``.
        confusion: or replace by a code drawn from row ``codes[i]`` of this matrix (one
            uniform per row decides both whether and by what).
    Returns:
        The recorded codes (int64).
    """
    spec = Misattribution(codes, p, n_categories=n_categories, confusion=confusion)
    return misattribute_jointly([spec], source)[0]


# ---- delayed logging --------------------------------------------------------------------


def logging_delay_us(
    shape: int | tuple[int, int],
    source: Source,
    *,
    mean_days: float | None = None,
    uniform_us: int | None = None,
) -> np.ndarray:
    """Random logging delays in whole microseconds.

    Arguments:
        shape: ``n`` rows, or ``(n, m)`` for ``m`` timestamps per row (drawn row-major).
        source: where to draw.
        mean_days: exponential delays with this mean in days (0: no delay, nothing drawn).
        uniform_us: or delays uniform on ``[0, uniform_us)`` (e.g. a time of day).
    Returns:
        An int64 array of ``shape``.
    """
    if (mean_days is None) == (uniform_us is None):
        raise ValueError("give exactly one of mean_days and uniform_us")
    n, m = (shape, None) if isinstance(shape, int) else shape
    size: Callable[[int], int | tuple[int, int]] = (
        (lambda k: k) if m is None else (lambda k: (k, m))
    )
    if mean_days is not None:
        if mean_days < 0:
            raise ValueError("mean_days must be non-negative")
        if mean_days == 0:
            return np.zeros(shape, dtype=np.int64)
        scale = mean_days
        return _draw(
            source, n, lambda r, k: (r.exponential(scale, size(k)) * DAY_US).astype(np.int64)
        )
    width = int(uniform_us or 0)
    if width < 0:
        raise ValueError("uniform_us must be non-negative")
    return _draw(source, n, lambda r, k: (r.random(size(k)) * width).astype(np.int64))


def delayed_logging(
    timestamps_us: np.ndarray,
    source: Source,
    mean_days: float,
    *,
    cap_us: np.ndarray | None = None,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Timestamps as logged: each true time plus an exponential delay (mean ``mean_days``).

    Arguments:
        timestamps_us: true times (int64 µs), shape ``(n,)`` or ``(n, m)``.
        source: where to draw (delays are drawn for every entry, valid or not).
        mean_days: mean delay in days.
        cap_us: a logged time never passes this bound (broadcast against the timestamps,
            e.g. the close of the deal).
        valid: entries that are delayed; the others are returned unchanged.
    Returns:
        The logged times (int64 µs), same shape.
    """
    ts = np.asarray(timestamps_us, dtype=np.int64)
    shape: int | tuple[int, int] = ts.shape[0] if ts.ndim == 1 else (ts.shape[0], ts.shape[1])
    out = ts + logging_delay_us(shape, source, mean_days=mean_days)
    if cap_us is not None:
        out = np.minimum(out, cap_us)
    return out if valid is None else np.where(valid, out, ts)


def delay_column(
    table: pl.DataFrame, column: str, mean_days: float, source: Source
) -> pl.DataFrame:
    """``table`` with the datetime ``column`` delayed (:func:`delayed_logging`, µs)."""
    col = table[column]
    us = col.cast(pl.Datetime("us")).dt.epoch("us").to_numpy()
    logged = pl.Series(column, delayed_logging(us, source, mean_days)).cast(pl.Datetime("us"))
    return table.with_columns(logged.cast(col.dtype))


# ---- partial visibility and sparse logs -------------------------------------------------


def visible_mask(n: int, p: float | np.ndarray, source: Source) -> np.ndarray:
    """Which of ``n`` rows are seen: true with probability ``p``."""
    return _uniform(source, n) < _rate(p, n)


def logged_mask(n: int, p: float | np.ndarray, source: Source) -> np.ndarray:
    """Which of ``n`` events are logged: each is dropped with probability ``p``."""
    keep = 1.0 - np.asarray(_rate(p, n), dtype=np.float64)
    return _uniform(source, n) < (keep if keep.ndim else float(keep))


def partial_visibility(table: pl.DataFrame, p: float | np.ndarray, source: Source) -> pl.DataFrame:
    """The rows of ``table`` that are seen, each kept with probability ``p`` (order kept)."""
    return table.filter(pl.Series(visible_mask(table.height, p, source)))


def sparse_logs(table: pl.DataFrame, p: float | np.ndarray, source: Source) -> pl.DataFrame:
    """The events of ``table`` that were logged, each dropped with probability ``p``."""
    return table.filter(pl.Series(logged_mask(table.height, p, source)))


# ---- proxy scores -----------------------------------------------------------------------


def noisy_proxy(
    latent: np.ndarray,
    noise: float,
    source: Source,
    *,
    scale: float = 100.0,
    low: int = 1,
    high: int = 99,
) -> np.ndarray:
    """A recorded score measuring ``latent`` with noise: ``round(scale * logistic(latent +
    noise * z))`` clipped to ``[low, high]``, ``z`` standard normal (one per row).

    With ``noise = 0`` the score is a monotone function of the latent.

    Returns:
        int64 scores.
    """
    lat = np.asarray(latent, dtype=np.float64)
    if noise < 0:
        raise ValueError("noise must be non-negative")
    z = _draw(source, lat.size, lambda r, k: r.standard_normal(k))
    raw = scale / (1 + np.exp(-(lat + noise * z)))
    return np.clip(np.rint(raw), low, high).astype(np.int64)


# ---- duplicate records ------------------------------------------------------------------


def duplicate_records(
    table: pl.DataFrame,
    p: float,
    source: Source,
    *,
    id_column: str,
    id_prefix: str,
    time_column: str | None = None,
    max_delay_days: float = 0.0,
    duplicate_of: str | None = None,
) -> pl.DataFrame:
    """``table`` plus a second record of a share ``p`` of its rows, with fresh ids.

    Arguments:
        table: the records (one id per row).
        p: probability that a row is recorded twice.
        source: where to draw (two uniforms per row: whether, and the delay).
        id_column: the id column; copies get ids ``{id_prefix}_{k}`` numbered after the
            table's rows (``k = height+1, ...``), so they never collide with ``make_ids``
            ids of the originals.
        id_prefix: prefix of the copies' ids.
        time_column: a datetime column of the copies shifted by a uniform delay in
            ``[0, max_delay_days)`` (a duplicate is entered later).
        duplicate_of: name of a column holding, on copies, the id of the original (null on
            originals); omitted when ``None`` (the public view of a messy CRM).
    Returns:
        The originals in order, then the copies in the order of their originals.
    """
    if table.schema[id_column] != pl.String:
        raise ValueError(f"duplicate_records needs string ids in {id_column!r}")
    rate = _rate(p, table.height)
    draws = _draw(source, table.height, lambda r, k: np.stack([r.random(k), r.random(k)], axis=1))
    draws = draws.reshape(table.height, 2)
    picked = np.flatnonzero(draws[:, 0] < rate)
    copies = table[picked]
    copies = copies.with_columns(
        make_ids(id_prefix, picked.size, start=table.height + 1).alias(id_column)
    )
    if time_column is not None and max_delay_days > 0:
        shift = pl.Series((draws[picked, 1] * max_delay_days * DAY_US).astype(np.int64))
        copies = copies.with_columns(
            (pl.col(time_column) + pl.duration(microseconds=pl.lit(shift))).alias(time_column)
        )
    if duplicate_of is not None:
        originals = table[id_column]
        copies = copies.with_columns(originals.gather(picked).alias(duplicate_of))
        table = table.with_columns(pl.lit(None, dtype=originals.dtype).alias(duplicate_of))
    return pl.concat([table, copies], how="vertical")


__all__ = [
    "DAY_US",
    "Misattribution",
    "Source",
    "Stream",
    "apply_missing",
    "delay_column",
    "delayed_logging",
    "duplicate_records",
    "logged_mask",
    "logging_delay_us",
    "misattribute",
    "misattribute_jointly",
    "missing_mask",
    "missingness",
    "noisy_proxy",
    "partial_visibility",
    "sparse_logs",
    "visible_mask",
]
