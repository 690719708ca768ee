"""Point-in-time features: what a table showed about each row at that row's anchor.

A task row (a lead, a customer) has an *anchor*, the moment its features are taken, and
optionally a *start* (lead creation, contract start). :class:`Anchors` holds them.
:func:`as_of` is the one place where the cutoff ``event_time <= anchor`` is applied: task
features aggregate its output with the expressions below, and the public snapshot cut
(:func:`cut`) keeps exactly the rows it keeps, so features rebuilt from a public bundle equal
the task columns.

Example::

    import datetime as dt
    import polars as pl
    from leadforge_core import asof

    leads = pl.DataFrame({
        "lead_id": ["a", "b"],
        "created": [dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 5)],
    })
    anchors = asof.Anchors(
        leads.with_columns((pl.col("created") + pl.duration(days=30)).alias("snapshot")),
        key="lead_id", anchor="snapshot", start="created",
    )
    touches = pl.DataFrame({
        "lead_id": ["a", "a", "b"],
        "ts": [dt.datetime(2025, 1, 2), dt.datetime(2025, 3, 1), dt.datetime(2025, 1, 6)],
    })
    feats = (
        asof.as_of(touches, anchors, "ts")
        .group_by("lead_id")
        .agg(asof.count().alias("n_touches"), asof.recency("ts").alias("days_since_touch"))
        .collect()
    )  # the March touch of lead a is after its anchor and counts nowhere

All expressions work on whole columns with polars; none loops over rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs
import polars as pl

#: Microseconds per day.
DAY_US = 86_400_000_000
#: Column that :func:`as_of` attaches with each event's anchor.
ANCHOR = "__anchor"
#: Column that :func:`as_of` attaches with each event's start time (when anchors have one).
START = "__start"


def _cutoff(time: pl.Expr, anchor: pl.Expr) -> pl.Expr:
    """THE point-in-time rule: an event is known at the anchor iff ``time <= anchor``.

    Null on either side is unknown (the row is dropped by :func:`as_of`).
    """
    return time <= anchor


@attrs.frozen
class Anchors:
    """Each row's anchor (and optional start time), keyed like the event tables.

    Arguments:
        frame: one row per key with the anchor column (and the start column when given).
            A null anchor matches no event.
        key: the key column shared with the event tables (``lead_id``, ``customer_id``).
        anchor: the anchor column (datetime).
        start: the entity start column (datetime), for windows relative to the start.
        positional: the keys of the event tables are row positions in ``frame`` (integers
            ``0..frame.height-1``); anchors are then gathered instead of joined, which is
            several times faster on large tables.
    """

    frame: pl.DataFrame
    key: str
    anchor: str
    start: str | None = None
    positional: bool = False
    #: One anchor for every row (see :meth:`constant`); ``key`` is then unused.
    is_constant: bool = attrs.field(default=False, kw_only=True)

    @classmethod
    def constant(cls, at: dt.datetime | pl.Expr) -> Anchors:
        """One anchor for every row (a calendar cutoff such as an observation date).

        Arguments:
            at: the cutoff, a datetime or a polars datetime expression (e.g. a literal).
        Returns:
            Anchors that attach ``at`` to every event row.
        """
        value = at if isinstance(at, pl.Expr) else pl.lit(at, dtype=pl.Datetime("us"))
        return cls(pl.select(value.alias(ANCHOR)), "", ANCHOR, is_constant=True)


@attrs.frozen
class Window:
    """A time window of events, relative to the anchor or to the entity start.

    ``relative_to="anchor"``: ``anchor - days < time`` (together with the cutoff, the last
    ``days`` days up to and including the anchor). ``relative_to="start"``:
    ``start + offset_days <= time < start + offset_days + days`` (e.g. days 0-7 of a lead).
    """

    days: int
    relative_to: str = "anchor"
    offset_days: int = 0

    def __attrs_post_init__(self) -> None:
        if self.relative_to not in ("anchor", "start"):
            raise ValueError(f"relative_to must be 'anchor' or 'start', got {self.relative_to!r}")
        if self.days <= 0:
            raise ValueError(f"window days must be positive, got {self.days}")

    def contains(self, time: str) -> pl.Expr:
        """Boolean expression: ``time`` lies in the window (on :func:`as_of` output)."""
        t = pl.col(time)
        if self.relative_to == "anchor":
            return t > pl.col(ANCHOR) - pl.duration(days=self.days)
        lo = pl.col(START) + pl.duration(days=self.offset_days)
        return (t >= lo) & (t < lo + pl.duration(days=self.days))


def last_days(days: int) -> Window:
    """The ``days`` days up to the anchor: ``anchor - days < time <= anchor``."""
    return Window(days, "anchor")


def first_days(days: int, after_days: int = 0) -> Window:
    """Days ``after_days`` to ``after_days + days`` after the entity start (end exclusive)."""
    return Window(days, "start", after_days)


def with_anchors(events: pl.DataFrame | pl.LazyFrame, anchors: Anchors) -> pl.LazyFrame:
    """``events`` with the :data:`ANCHOR` (and :data:`START`) columns attached, NO cutoff.

    Only for what is meant to look past the anchor: targets and documented leakage traps.
    Rows whose key has no anchor are dropped (inner semantics, input order kept).
    """
    lazy = events.lazy()
    if anchors.is_constant:
        at = anchors.frame[anchors.anchor]
        return lazy.with_columns(pl.lit(at.item(), dtype=at.dtype).alias(ANCHOR))
    cols = [pl.col(anchors.anchor).alias(ANCHOR)]
    if anchors.start is not None:
        cols.append(pl.col(anchors.start).alias(START))
    if anchors.positional:
        frame = events.collect() if isinstance(events, pl.LazyFrame) else events
        pos = frame[anchors.key]
        attached = anchors.frame.select(cols)
        return frame.with_columns(*(attached[c].gather(pos) for c in attached.columns)).lazy()
    right = anchors.frame.lazy().select(pl.col(anchors.key), *cols)
    return lazy.join(right, on=anchors.key, how="inner", maintain_order="left")


def as_of(
    events: pl.DataFrame | pl.LazyFrame,
    anchors: Anchors,
    time: str,
    *,
    window: Window | None = None,
    order_by: Sequence[str] | None = None,
    mark: str | None = None,
    attach: bool = True,
) -> pl.LazyFrame:
    """The rows of ``events`` known at their row's anchor (``events[time] <= anchor``).

    Every point-in-time feature and the public snapshot cut go through this function.

    Arguments:
        events: an event table holding ``anchors.key`` (not needed for constant anchors)
            and the timestamp column ``time``.
        anchors: each key's anchor (see :class:`Anchors`).
        time: the column that says when a row became known.
        window: keep only rows in this window as well (e.g. :func:`last_days`).
        order_by: sort the kept rows by these columns (so :func:`last_value` is the latest).
        mark: instead of dropping rows, keep them all and add this boolean column, true for
            the rows the cutoff (and window) keeps; a null time or anchor counts as false.
        attach: keep the attached :data:`ANCHOR` / :data:`START` columns (for the
            aggregation expressions); ``False`` returns the table's own columns only.
    Returns:
        A lazy frame in the input order (or ``order_by`` order).
    """
    frame = with_anchors(events, anchors)
    keep = _cutoff(pl.col(time), pl.col(ANCHOR))
    if window is not None:
        keep = keep & window.contains(time)
    if mark is not None:
        frame = frame.with_columns(keep.fill_null(False).alias(mark))
    else:
        frame = frame.filter(keep)
    if order_by:
        frame = frame.sort(list(order_by), maintain_order=True)
    if not attach:
        frame = frame.drop(ANCHOR, START, strict=False)
    return frame


def known(time: str) -> pl.Expr:
    """Boolean expression on :func:`as_of` output: ``time`` (another timestamp of the row,
    e.g. when an invoice was settled) is at or before the anchor. Null time gives null."""
    return _cutoff(pl.col(time), pl.col(ANCHOR))


def cut(
    tables: Mapping[str, pl.DataFrame], anchors: Anchors, times: Mapping[str, str]
) -> dict[str, pl.DataFrame]:
    """The snapshot cut: each table of ``times`` reduced to the rows :func:`as_of` keeps.

    Arguments:
        tables: the tables; those not named in ``times`` are returned unchanged.
        anchors: each key's anchor.
        times: ``{table: timestamp column}``.
    Returns:
        A new dict of tables, every cut table in its input row order.
    """
    out = dict(tables)
    plans = [as_of(tables[name], anchors, ts, attach=False) for name, ts in times.items()]
    for name, frame in zip(times, pl.collect_all(plans), strict=True):
        out[name] = frame
    return out


def keep_masks(
    tables: Mapping[str, pl.DataFrame], anchors: Anchors, times: Mapping[str, str]
) -> dict[str, pl.Series]:
    """For each table of ``times``, the boolean row mask of the rows :func:`cut` keeps."""
    plans = [
        as_of(tables[name], anchors, ts, mark="keep", attach=False).select("keep")
        for name, ts in times.items()
    ]
    return {name: f["keep"] for name, f in zip(times, pl.collect_all(plans), strict=True)}


# ---- aggregation expressions (use inside ``group_by(key).agg`` on as_of output) ----------


def _where(
    expr: pl.Expr, window: Window | None, time: str | None, where: pl.Expr | None
) -> pl.Expr:
    cond = _condition(window, time, where)
    return expr if cond is None else expr.filter(cond)


def _condition(window: Window | None, time: str | None, where: pl.Expr | None) -> pl.Expr | None:
    cond = where
    if window is not None:
        if time is None:
            raise ValueError("a window needs the event time column")
        inside = window.contains(time)
        cond = inside if cond is None else cond & inside
    return cond


def count(
    window: Window | None = None, time: str | None = None, where: pl.Expr | None = None
) -> pl.Expr:
    """Number of known events (in ``window`` of column ``time``, satisfying ``where``)."""
    cond = _condition(window, time, where)
    return pl.len() if cond is None else cond.sum()


def _column(column: str | pl.Expr) -> pl.Expr:
    return pl.col(column) if isinstance(column, str) else column


def _in_order(expr: pl.Expr, agg: pl.Expr) -> pl.Expr:
    """``agg`` (an aggregation of ``pl.element()``) over each group's values gathered in
    table order, so a group is never split across threads (polars' series kernel; it may
    differ from polars' group-by kernel in the last bit, but never from run to run)."""
    return expr.implode().list.eval(agg).list.first()


def total(
    column: str | pl.Expr,
    window: Window | None = None,
    time: str | None = None,
    where: pl.Expr | None = None,
    *,
    ordered: bool = True,
) -> pl.Expr:
    """Sum of ``column`` over known events (optionally in a window / filtered); 0 if none.

    With ``ordered`` (the default) each group's values are gathered in table order and
    summed by polars' own kernel, so a float result does not depend on how polars splits a
    large group across threads. ``ordered=False`` is polars' plain (faster) group sum, exact
    for integer columns, whose sums do not depend on the order.
    """
    values = _where(_column(column), window, time, where)
    return _in_order(values, pl.element().sum()) if ordered else values.sum()


def mean(
    column: str | pl.Expr,
    window: Window | None = None,
    time: str | None = None,
    where: pl.Expr | None = None,
) -> pl.Expr:
    """Mean of ``column`` over known events (nulls ignored; null when there are none).

    Like :func:`total`, computed over each group's rows in table order (thread-independent).
    """
    return _in_order(_where(_column(column), window, time, where), pl.element().mean())


def n_distinct(column: str, where: pl.Expr | None = None) -> pl.Expr:
    """Number of distinct non-null values of ``column`` among known events."""
    return _where(pl.col(column), None, None, where).drop_nulls().n_unique()


def _days(expr: pl.Expr, decimals: int | None) -> pl.Expr:
    days = expr.dt.total_microseconds() / DAY_US
    return days if decimals is None else days.round(decimals)


def recency(time: str, decimals: int | None = 3, where: pl.Expr | None = None) -> pl.Expr:
    """Days from the last known event to the anchor (null when there is none)."""
    last = _where(pl.col(time), None, None, where).max()
    return _days(pl.col(ANCHOR).first() - last, decimals)


def days_from_start(time: str, decimals: int | None = 3, where: pl.Expr | None = None) -> pl.Expr:
    """Days from the entity start to its first known event (null when there is none)."""
    first = _where(pl.col(time), None, None, where).min()
    return _days(first - pl.col(START).first(), decimals)


def days_since(time_expr: pl.Expr, decimals: int | None = 3) -> pl.Expr:
    """Days from ``time_expr`` (an aggregate, e.g. the latest entry) to the anchor."""
    return _days(pl.col(ANCHOR).first() - time_expr, decimals)


def last_value(column: str, where: pl.Expr | None = None) -> pl.Expr:
    """The latest known value of ``column`` (rows ordered with ``as_of(order_by=...)``)."""
    return _where(pl.col(column), None, None, where).last()


def stage_as_of(rank: pl.Expr, time: str | None = None) -> pl.Expr:
    """Rank of the stage / status in force at the anchor: the last transition ``<= anchor``.

    Arguments:
        rank: the integer rank of each transition's stage (e.g. its funnel position).
        time: the transition time column. When given, the last transition by (time, rank);
            when ``None`` the stages only move forward, so the highest rank entered (faster).
    Returns:
        An integer expression; map it back to stage names in the caller.
    """
    if time is None:
        return rank.max()
    return rank.sort_by([pl.col(time), rank]).last()


__all__ = [
    "ANCHOR",
    "DAY_US",
    "START",
    "Anchors",
    "Window",
    "as_of",
    "count",
    "cut",
    "days_from_start",
    "days_since",
    "first_days",
    "keep_masks",
    "known",
    "last_days",
    "last_value",
    "mean",
    "n_distinct",
    "recency",
    "stage_as_of",
    "total",
    "with_anchors",
]
