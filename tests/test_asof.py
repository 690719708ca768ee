"""Point-in-time API: nothing after a row's anchor reaches its features or the snapshot cut."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadforge_core import asof

DAY = asof.DAY_US
EPOCH = 1_700_000_000_000_000  # µs
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ts(us: list[int]) -> pl.Series:
    return pl.Series([EPOCH + u for u in us], dtype=pl.Int64).cast(pl.Datetime("us"))


def _anchors(starts: list[int], spans: list[int | None], positional: bool) -> asof.Anchors:
    n = len(starts)
    anchor = [None if s is None else EPOCH + st + s for st, s in zip(starts, spans, strict=True)]
    frame = pl.DataFrame(
        {
            "k": list(range(n)) if positional else [f"k{i}" for i in range(n)],
            "start": _ts(starts),
            "anchor": pl.Series(anchor, dtype=pl.Int64).cast(pl.Datetime("us")),
        }
    )
    return asof.Anchors(frame, "k", "anchor", start="start", positional=positional)


def _events(rows: list[tuple[int, int, int, int, int]], positional: bool) -> pl.DataFrame:
    k, t, v, c, r = (list(x) for x in zip(*rows, strict=True)) if rows else ([], [], [], [], [])
    return pl.DataFrame(
        {
            "k": pl.Series(k, dtype=pl.Int64)
            if positional
            else pl.Series([f"k{i}" for i in k], dtype=pl.String),
            "t": _ts(t),
            "v": pl.Series(v, dtype=pl.Int64),
            "cat": pl.Series([f"c{x}" for x in c], dtype=pl.String),
            "rank": pl.Series(r, dtype=pl.Int64),
            "settled": _ts([x + 3 * DAY for x in t]),
        }
    )


def features(events: pl.DataFrame, anchors: asof.Anchors) -> pl.DataFrame:
    """Every aggregation of the API, one row per key with known events."""
    week = asof.last_days(7)
    return (
        asof.as_of(events, anchors, "t", order_by=["k", "t", "v", "rank"])
        .group_by("k")
        .agg(
            asof.count().alias("n"),
            asof.count(week, "t").alias("n_last_7d"),
            asof.count(asof.first_days(7), "t").alias("n_first_7d"),
            asof.count(asof.first_days(7, after_days=7), "t").alias("n_days_7_14"),
            asof.count(where=pl.col("v") > 5).alias("n_big"),
            asof.count(where=asof.known("settled")).alias("n_settled"),
            asof.total("v").alias("sum_v"),
            asof.total("v", week, "t").alias("sum_v_7d"),
            asof.mean("v", asof.last_days(14), "t").alias("mean_v_14d"),
            asof.n_distinct("cat").alias("n_cat"),
            asof.recency("t").alias("recency"),
            asof.days_from_start("t").alias("first_after_start"),
            asof.last_value("v").alias("last_v"),
            asof.last_value("cat", where=pl.col("v") > 5).alias("last_big_cat"),
            asof.stage_as_of(pl.col("rank"), time="t").alias("stage_last"),
            asof.stage_as_of(pl.col("rank")).alias("stage_max"),
        )
        .sort("k")
        .collect()
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[int], list[int | None], list[tuple[int, ...]], bool]:
    n = draw(st.integers(1, 6))
    starts = draw(st.lists(st.integers(0, 30 * DAY), min_size=n, max_size=n))
    spans = draw(st.lists(st.one_of(st.none(), st.integers(0, 40 * DAY)), min_size=n, max_size=n))
    t = st.integers(-2 * DAY, 80 * DAY)
    row = st.tuples(
        st.integers(0, n - 1), t, st.integers(0, 9), st.integers(0, 3), st.integers(0, 4)
    )
    rows = draw(st.lists(row, max_size=40))
    return starts, spans, rows, draw(st.booleans())


def _after(rows: list[tuple[int, ...]], starts: list[int], spans: list[int | None]) -> list[bool]:
    """Which events are after their key's anchor (or have no anchor)."""
    out = []
    for k, t, *_ in rows:
        span = spans[k]
        out.append(span is None or t > starts[k] + span)
    return out


@SETTINGS
@given(world=worlds(), data=st.data())
def test_events_after_the_anchor_change_no_feature(world, data) -> None:  # type: ignore[no-untyped-def]
    starts, spans, rows, positional = world
    anchors = _anchors(starts, spans, positional)
    before = features(_events(rows, positional), anchors)
    after = _after(rows, starts, spans)
    n = len(starts)
    # Remove some post-anchor events, change the others, and add new post-anchor events.
    changed = []
    for row, late in zip(rows, after, strict=True):
        if not late:
            changed.append(row)
        elif data.draw(st.booleans()):
            k, t = row[0], row[1]
            changed.append(
                (
                    k,
                    t + data.draw(st.integers(0, DAY)),
                    *data.draw(st.tuples(st.integers(0, 9), st.integers(0, 3), st.integers(0, 4))),
                )
            )
    for k in range(n):
        if spans[k] is not None and data.draw(st.booleans()):
            t = starts[k] + spans[k] + data.draw(st.integers(1, 30 * DAY))
            changed.append((k, t, data.draw(st.integers(0, 9)), 0, data.draw(st.integers(0, 4))))
    order = data.draw(st.permutations(range(len(changed))))
    changed = [changed[i] for i in order]
    again = features(_events(changed, positional), anchors)
    assert again.equals(before)


@SETTINGS
@given(world=worlds())
def test_cut_keeps_exactly_the_events_known_at_the_anchor(world) -> None:  # type: ignore[no-untyped-def]
    starts, spans, rows, positional = world
    anchors = _anchors(starts, spans, positional)
    events = _events(rows, positional).with_row_index("row")
    kept = asof.cut({"e": events, "other": events}, anchors, {"e": "t"})
    assert kept["other"] is events
    expected = [i for i, late in enumerate(_after(rows, starts, spans)) if not late]
    assert kept["e"]["row"].to_list() == expected
    assert kept["e"].columns == events.columns
    mask = asof.keep_masks({"e": events}, anchors, {"e": "t"})["e"]
    assert mask.to_list() == [not late for late in _after(rows, starts, spans)]
    # The features see exactly the cut: computing them on the cut changes nothing.
    assert features(kept["e"].drop("row"), anchors).equals(features(events.drop("row"), anchors))


@SETTINGS
@given(world=worlds())
def test_positional_anchors_equal_joined_anchors(world) -> None:  # type: ignore[no-untyped-def]
    starts, spans, rows, _ = world
    by_pos = features(_events(rows, True), _anchors(starts, spans, True))
    by_key = features(_events(rows, False), _anchors(starts, spans, False))
    assert by_pos.with_columns(pl.format("k{}", "k").alias("k")).equals(by_key)


def test_windows_and_recency_on_known_values() -> None:
    anchors = _anchors([0], [10 * DAY], positional=False)
    events = _events(
        [
            (0, 1 * DAY, 1, 0, 0),
            (0, 4 * DAY, 2, 1, 1),
            (0, 9 * DAY, 3, 1, 3),
            (0, 11 * DAY, 9, 2, 4),
        ],
        positional=False,
    )
    row = features(events, anchors).row(0, named=True)
    assert row["n"] == 3  # the day-11 event is after the anchor (day 10)
    assert row["n_last_7d"] == 2  # days 4 and 9 are in (3, 10]
    assert row["n_first_7d"] == 2 and row["n_days_7_14"] == 1
    assert row["sum_v"] == 6 and row["sum_v_7d"] == 5
    assert row["recency"] == 1.0 and row["first_after_start"] == 1.0
    assert row["last_v"] == 3 and row["stage_last"] == 3 and row["stage_max"] == 3
    assert row["n_cat"] == 2
    assert row["n_settled"] == 2  # settled 3 days after: days 4 and 7 are known, day 12 not


def test_last_transition_differs_from_highest_when_stages_go_back() -> None:
    anchors = _anchors([0], [10 * DAY], positional=True)
    events = _events([(0, 1 * DAY, 0, 0, 3), (0, 5 * DAY, 0, 0, 1)], positional=True)
    row = features(events, anchors).row(0, named=True)
    assert row["stage_last"] == 1 and row["stage_max"] == 3


def test_constant_anchor_and_null_anchor() -> None:
    events = _events([(0, 0, 1, 0, 0), (0, 5 * DAY, 1, 0, 0)], positional=False)
    cutoff = asof.Anchors.constant(dt.datetime(2023, 11, 16))
    kept = asof.as_of(events, cutoff, "t", attach=False).collect()
    assert kept.height == int((events["t"] <= dt.datetime(2023, 11, 16)).sum())
    assert asof.as_of(events, _anchors([0], [None], False), "t").collect().height == 0


def test_with_anchors_sees_the_future_but_as_of_does_not() -> None:
    anchors = _anchors([0], [DAY], positional=False)
    events = _events([(0, 0, 1, 0, 0), (0, 3 * DAY, 1, 0, 0)], positional=False)
    assert asof.with_anchors(events, anchors).collect().height == 2
    assert asof.as_of(events, anchors, "t").collect().height == 1


def test_bad_windows_are_rejected() -> None:
    with pytest.raises(ValueError):
        asof.last_days(0)
    with pytest.raises(ValueError):
        asof.Window(3, "later")
    with pytest.raises(ValueError):
        asof.count(asof.last_days(3))


def test_float_sums_and_means_do_not_depend_on_threads() -> None:
    """A few large groups over a many-chunk table: polars splits such groups across threads,
    which reorders a plain float sum; total/mean gather each group in table order."""
    import numpy as np

    rng = np.random.default_rng(0)
    parts = []
    for _ in range(8):
        n = 40_000
        parts.append(
            pl.DataFrame(
                {
                    "k": pl.Series(rng.integers(0, 4, n), dtype=pl.Int64),
                    "t": _ts(list(rng.integers(0, 5 * DAY, n))),
                    "v": rng.random(n) * 1e3,
                }
            )
        )
    events = pl.concat(parts, rechunk=False)
    anchors = _anchors([0] * 4, [10 * DAY] * 4, positional=True)

    def run() -> tuple[list[float], list[float]]:
        out = (
            asof.as_of(events, anchors, "t")
            .group_by("k")
            .agg(asof.total("v").alias("s"), asof.mean("v").alias("m"))
            .sort("k")
            .collect()
        )
        return out["s"].to_list(), out["m"].to_list()

    first = run()
    assert all(run() == first for _ in range(6))
    expected = events.group_by("k").agg(pl.col("v").sum()).sort("k")["v"].to_numpy()
    assert np.allclose(first[0], expected)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 4),
            st.one_of(st.none(), st.sampled_from([-0.0, 0.0, 1.5, -2.25, 1e-3, 7.0])),
            st.one_of(st.none(), st.integers(-5, 5)),
        ),
        max_size=30,
    )
)
def test_total_and_mean_agree_with_polars(rows) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    frame = pl.DataFrame(rows, schema={"k": pl.Int64, "f": pl.Float64, "i": pl.Int64}, orient="row")
    ours = frame.group_by("k").agg(
        asof.total("f").alias("tf"),
        asof.total("i").alias("ti"),
        asof.mean("f").alias("mf"),
        asof.total("f", where=pl.col("i") > 0).alias("tw"),
    )
    theirs = frame.group_by("k").agg(
        pl.col("f").sum().alias("tf"),
        pl.col("i").sum().alias("ti"),
        pl.col("f").mean().alias("mf"),
        pl.col("f").filter(pl.col("i") > 0).sum().alias("tw"),
    )
    ours, theirs = ours.sort("k"), theirs.sort("k")
    assert ours.schema == theirs.schema
    # Same values (the summation order of a group may differ from polars' in the last bit);
    # nulls and empty groups agree exactly.
    for col in ("tf", "mf", "tw"):
        a = ours[col].fill_null(np.nan).to_numpy()
        b = theirs[col].fill_null(np.nan).to_numpy()
        assert np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True), col
    assert ours["ti"].equals(theirs["ti"])
