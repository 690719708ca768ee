"""The near-deterministic categorical check flags real extremes, not sampling noise."""

from __future__ import annotations

import polars as pl

from leadforge_core.validation.features import near_deterministic, wilson_interval


def _rows(value: str, n: int, positives: int) -> pl.DataFrame:
    return pl.DataFrame({"c": [value] * n, "y": [True] * positives + [False] * (n - positives)})


def test_only_values_whose_whole_interval_is_extreme_are_flagged() -> None:
    train = pl.concat(
        [
            _rows("rare_low", 60, 1),  # 1.7 %, but a 5 % value often looks like this
            _rows("never", 400, 0),  # interval 0-0.010: decided
            _rows("always", 400, 400),  # interval 0.990-1: decided
            _rows("low_but_unsure", 250, 4),  # 1.6 %, interval reaches 4 %
            _rows("small", 49, 0),  # under the minimum count
            _rows("ordinary", 500, 120),
        ]
    )
    flagged = near_deterministic(train, "c", "y")
    assert flagged["c"].to_list() == ["always", "never"]
    never = flagged.row(1, named=True)
    assert never["n"] == 400 and never["rate"] == 0.0
    assert 0.0 <= never["low"] < never["high"] < 0.02


def test_wilson_interval_on_numbers_and_expressions() -> None:
    low, high = wilson_interval(0.95, 60.0)
    assert 0.86 < low < 0.87 and 0.98 < high < 0.99  # 57 of 60 is not proof of >= 95 %
    low, _ = wilson_interval(1.0, 100.0)
    assert 0.96 < low < 0.97  # 100 of 100 is
    frame = pl.DataFrame({"rate": [0.95, 1.0], "n": [60.0, 100.0]})
    lows = frame.select(wilson_interval(pl.col("rate"), pl.col("n"))[0]).to_series().to_list()
    assert abs(lows[0] - wilson_interval(0.95, 60.0)[0]) < 1e-12
    assert abs(lows[1] - wilson_interval(1.0, 100.0)[0]) < 1e-12
