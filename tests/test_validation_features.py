"""The near-deterministic categorical check flags real extremes, not sampling noise."""

from __future__ import annotations

import polars as pl

from leadforge_core.validation.features import near_deterministic


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
