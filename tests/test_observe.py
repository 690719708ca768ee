"""Observation operators: deterministic by seed, rates respected, no change at rate 0."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from leadforge_core import observe as ob
from leadforge_core.ids import make_ids
from leadforge_core.rng import RandomStreams

N = 40_000


def stream(name: str, seed: int = 3, **kw: int) -> ob.Stream:
    return ob.Stream(RandomStreams(seed), name, **kw)


def _close(share: float, p: float, n: int = N) -> None:
    """``share`` is within 5 standard errors of ``p``."""
    assert abs(share - p) <= 5 * np.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-12, (share, p)


def test_streams_are_block_indexed_and_seeded() -> None:
    a = ob.missing_mask(3000, 0.3, stream("m", block_size=1000))
    b = ob.missing_mask(3000, 0.3, stream("m", block_size=1000))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, ob.missing_mask(3000, 0.3, stream("m", seed=4, block_size=1000)))
    assert not np.array_equal(a, ob.missing_mask(3000, 0.3, stream("n", block_size=1000)))
    # Block 2 alone, drawn with first_block=2, equals rows 2000..3000 of the whole draw.
    tail = ob.missing_mask(1000, 0.3, stream("m", block_size=1000, first_block=2))
    assert np.array_equal(tail, a[2000:])
    # A generator source draws in sequence: two calls differ, a fresh generator repeats.
    g = RandomStreams(3).generator("g")
    first, second = ob.missing_mask(50, 0.5, g), ob.missing_mask(50, 0.5, g)
    assert not np.array_equal(first, second)
    assert np.array_equal(first, ob.missing_mask(50, 0.5, RandomStreams(3).generator("g")))


def test_missingness_rate_per_row_rates_and_zero() -> None:
    _close(ob.missing_mask(N, 0.12, stream("m")).mean(), 0.12)
    rates = np.where(np.arange(N) % 2 == 0, 0.05, 0.4)
    mask = ob.missing_mask(N, rates, stream("m"))
    _close(mask[::2].mean(), 0.05, N // 2)
    _close(mask[1::2].mean(), 0.4, N // 2)
    col = pl.Series("x", np.arange(N))
    assert ob.missingness(col, 0.0, stream("m")).equals(col)
    out = ob.missingness(col, 0.25, stream("m"))
    assert out.name == "x" and out.dtype == col.dtype
    _close(out.null_count() / N, 0.25)
    kept = out.is_not_null()
    assert out.filter(kept).equals(col.filter(kept))
    with pytest.raises(ValueError):
        ob.missing_mask(10, 1.5, stream("m"))
    with pytest.raises(ValueError):
        ob.missing_mask(10, np.zeros(3), stream("m"))


def test_uniform_misattribution() -> None:
    codes = np.arange(N) % 5
    assert np.array_equal(ob.misattribute(codes, 0.0, stream("a"), n_categories=5), codes)
    out = ob.misattribute(codes, 0.3, stream("a"), n_categories=5)
    assert out.min() >= 0 and out.max() <= 4
    # A uniform replacement equals the truth one time in five.
    _close((out != codes).mean(), 0.3 * 0.8)
    assert np.array_equal(out, ob.misattribute(codes, 0.3, stream("a"), n_categories=5))


def test_confusion_misattribution_follows_the_distribution() -> None:
    codes = np.arange(N) % 2
    confusion = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 2.0]])  # rows normalized inside
    out = ob.misattribute(codes, 1.0, stream("c"), confusion=confusion)
    zero, one = out[codes == 0], out[codes == 1]
    _close((zero == 1).mean(), 0.25, N // 2)
    _close((zero == 2).mean(), 0.75, N // 2)
    _close((one == 0).mean(), 0.5, N // 2)
    assert not (one == 1).any()
    partly = ob.misattribute(codes, 0.2, stream("c"), confusion=confusion)
    _close((partly != codes).mean(), 0.2)
    with pytest.raises(ValueError):
        ob.misattribute(codes, 0.2, stream("c"))
    with pytest.raises(ValueError):
        ob.misattribute(codes, 0.2, stream("c"), n_categories=2, confusion=confusion)


def test_joint_misattribution_columns_are_independent_of_each_other() -> None:
    codes = np.arange(N) % 3
    a, b = ob.misattribute_jointly(
        [
            ob.Misattribution(codes, 0.3, n_categories=3),
            ob.Misattribution(np.zeros(N, dtype=np.int64), 0.3, confusion=np.array([[0, 1, 1]])),
        ],
        stream("j"),
    )
    alone = ob.misattribute(codes, 0.3, stream("j"), n_categories=3)
    assert np.array_equal(a, alone)  # the first column draws first in each block
    _close((b > 0).mean(), 0.3)
    # The two columns use different uniforms: their replacements are uncorrelated.
    corr = np.corrcoef(a != codes, b > 0)[0, 1]
    assert abs(corr) < 0.03


def test_delayed_logging_mean_cap_and_validity() -> None:
    ts = np.arange(N, dtype=np.int64) * 1_000_000
    logged = ob.delayed_logging(ts, stream("d"), 2.0)
    delay_days = (logged - ts) / ob.DAY_US
    assert (delay_days >= 0).all()
    assert abs(delay_days.mean() - 2.0) < 5 * 2.0 / np.sqrt(N)
    assert np.array_equal(ob.delayed_logging(ts, stream("d"), 0.0), ts)
    cap = ts + ob.DAY_US
    capped = ob.delayed_logging(ts, stream("d"), 2.0, cap_us=cap)
    assert (capped <= cap).all() and np.array_equal(capped, np.minimum(logged, cap))
    valid = np.arange(N) % 2 == 0
    part = ob.delayed_logging(ts, stream("d"), 2.0, valid=valid)
    assert np.array_equal(part[~valid], ts[~valid]) and np.array_equal(part[valid], logged[valid])
    grid = ob.delayed_logging(ts.reshape(-1, 4), stream("d"), 2.0)
    assert grid.shape == (N // 4, 4) and (grid >= ts.reshape(-1, 4)).all()
    tod = ob.logging_delay_us(N, stream("t"), uniform_us=ob.DAY_US)
    assert tod.min() >= 0 and tod.max() < ob.DAY_US
    frame = pl.DataFrame({"t": pl.Series(ts).cast(pl.Datetime("us"))})
    out = ob.delay_column(frame, "t", 2.0, stream("d"))
    assert out["t"].dtype == pl.Datetime("us")
    assert np.array_equal(out["t"].dt.epoch("us").to_numpy(), logged)


def test_visibility_and_sparse_logs() -> None:
    table = pl.DataFrame({"i": np.arange(N)})
    assert ob.partial_visibility(table, 1.0, stream("v")).equals(table)
    assert ob.sparse_logs(table, 0.0, stream("s")).equals(table)
    seen = ob.partial_visibility(table, 0.7, stream("v"))
    _close(seen.height / N, 0.7)
    assert seen["i"].is_sorted()
    logged = ob.sparse_logs(table, 0.15, stream("s"))
    _close(logged.height / N, 0.85)
    assert np.array_equal(
        ob.logged_mask(N, 0.15, stream("s")), ob.visible_mask(N, 1 - 0.15, stream("s"))
    )


def test_noisy_proxy() -> None:
    latent = np.linspace(-3, 3, N)
    clean = ob.noisy_proxy(latent, 0.0, stream("p"))
    assert clean.dtype == np.int64 and clean.min() >= 1 and clean.max() <= 99
    assert (np.diff(clean) >= 0).all()  # noise 0: a monotone function of the latent
    noisy = ob.noisy_proxy(latent, 1.0, stream("p"))
    assert not np.array_equal(noisy, clean)
    r_clean = np.corrcoef(latent, clean)[0, 1]
    r_noisy = np.corrcoef(latent, noisy)[0, 1]
    assert 0.3 < r_noisy < r_clean
    assert np.array_equal(noisy, ob.noisy_proxy(latent, 1.0, stream("p")))
    wide = ob.noisy_proxy(latent, 0.0, stream("p"), scale=1000, low=0, high=1000)
    assert wide.max() > 900


def test_duplicate_records() -> None:
    n = 20_000
    table = pl.DataFrame(
        {
            "id": make_ids("lead", n),
            "at": pl.Series(np.arange(n) * 1_000_000).cast(pl.Datetime("us")),
            "v": np.arange(n),
        }
    )
    assert ob.duplicate_records(table, 0.0, stream("x"), id_column="id", id_prefix="lead").equals(
        table
    )
    out = ob.duplicate_records(
        table,
        0.05,
        stream("x"),
        id_column="id",
        id_prefix="lead",
        time_column="at",
        max_delay_days=3,
        duplicate_of="dup_of",
    )
    copies = out.slice(n)
    _close(copies.height / n, 0.05, n)
    assert out["id"].is_unique().all()
    assert out.slice(0, n).drop("dup_of").equals(table)
    orig = table.join(copies, left_on="id", right_on="dup_of", suffix="_c")
    assert orig.height == copies.height
    assert (orig["v"] == orig["v_c"]).all()
    shift = (orig["at_c"] - orig["at"]).dt.total_microseconds()
    assert shift.min() >= 0 and shift.max() < 3 * ob.DAY_US
    with pytest.raises(ValueError):
        ob.duplicate_records(
            table.with_row_index("n"), 0.1, stream("x"), id_column="n", id_prefix="a"
        )
