"""Train / valid / test assignment shared by every scheme: temporal, grouped or random."""

from __future__ import annotations

import enum
from typing import Any

import attrs
import numpy as np
import polars as pl

from leadforge_core.config.fields import float_field

__all__ = ["SplitConfig", "SplitStrategy", "assign_splits"]


class SplitStrategy(enum.StrEnum):
    """How rows are assigned to train, valid and test: by time, by whole groups, or at
    random (stratified on a binary label)."""

    TEMPORAL = "temporal"  # by a time column: train earliest, test latest
    GROUPED = "grouped"  # by a group column: no group in two splits
    RANDOM = "random"  # stratified on the label when there is one


@attrs.define
class SplitConfig:
    """How task rows are split; ratios must sum to 1."""

    strategy: SplitStrategy = SplitStrategy.TEMPORAL
    train: float = float_field(0.70, gt=0.0, lt=1.0, help="share of rows in train")
    valid: float = float_field(0.15, gt=0.0, lt=1.0, help="share of rows in valid")
    test: float = float_field(0.15, gt=0.0, lt=1.0, help="share of rows in test")

    def ratios(self) -> tuple[float, float, float]:
        return (self.train, self.valid, self.test)

    def problems(self) -> list[tuple[str, str]]:
        total = self.train + self.valid + self.test
        if abs(total - 1.0) > 1e-9:
            return [("train", f"split ratios must sum to 1 (train+valid+test = {total:g})")]
        return []


def _cut_points(n: int, ratios: tuple[float, float, float]) -> tuple[int, int]:
    a = round(n * ratios[0])
    b = round(n * (ratios[0] + ratios[1]))
    return a, b


def assign_splits(
    frame: pl.DataFrame,
    config: SplitConfig,
    rng: np.random.Generator,
    *,
    time_col: str,
    group_col: str | None = None,
    label_col: str | None = None,
    id_col: str = "row_id",
) -> tuple[pl.Series, dict[str, Any]]:
    """Return a ``split`` column aligned with ``frame`` and the details for the task manifest.

    Temporal sorts by ``(time_col, id_col)`` so ties are broken deterministically; grouped
    shuffles whole groups and fills train, valid, test in turn; random stratifies on
    ``label_col`` (binary) when given.

    Args:
        frame: the task rows.
        config: the run's split parameters (strategy and ratios).
        rng: the generator of the split (``ctx.streams.generator("...split")``).
        time_col: the snapshot-time column (temporal strategy).
        group_col: the column whose values stay in one split (grouped strategy).
        label_col: a binary label to stratify on (random strategy).
        id_col: the row id column, breaking ties of ``time_col``.

    Returns:
        ``(split, details)``: a string Series of ``"train"``, ``"valid"``, ``"test"`` and the
        dict to store, unchanged, as ``TaskOutput.details["split"]``: ``strategy``,
        ``ratios`` (``train``, ``valid``, ``test``) and ``stratified`` (bool), plus
        ``time_column`` and ``cutoffs`` (``train_until``, ``valid_from``, ``test_from``) for
        a temporal split, ``group_column`` for a grouped one, ``stratify_on`` for a random
        one stratified on a label.
    """
    n = frame.height
    split = np.empty(n, dtype=object)
    details: dict[str, Any] = {
        "strategy": str(config.strategy),
        "ratios": dict(zip(("train", "valid", "test"), config.ratios(), strict=True)),
    }
    if config.strategy is SplitStrategy.TEMPORAL:
        order = frame.select(pl.arg_sort_by([time_col, id_col])).to_series().to_numpy()
        a, b = _cut_points(n, config.ratios())
        names = np.array(["train"] * a + ["valid"] * (b - a) + ["test"] * (n - b), dtype=object)
        split[order] = names
        times = frame[time_col].to_numpy()[order]
        if n and 0 < a < n and b < n:
            details["cutoffs"] = {
                "train_until": str(times[a - 1]),
                "valid_from": str(times[a]) if a < n else None,
                "test_from": str(times[b]),
            }
        details["time_column"] = time_col
        details["stratified"] = False
    elif config.strategy is SplitStrategy.GROUPED:
        if group_col is None:
            raise ValueError("grouped split needs a group column")
        groups = frame.group_by(group_col).len().sort(group_col)
        perm = rng.permutation(groups.height)
        sizes = groups["len"].to_numpy()[perm]
        cum = np.cumsum(sizes)
        a, b = _cut_points(n, config.ratios())
        labels = np.where(cum <= a, "train", np.where(cum <= b, "valid", "test"))
        # Ensure valid and test are never empty when there are enough groups.
        mapping = pl.DataFrame({group_col: groups[group_col].to_numpy()[perm], "split": labels})
        split = (
            frame.select(group_col)
            .join(mapping, on=group_col, how="left", maintain_order="left")["split"]
            .to_numpy()
        )
        details["group_column"] = group_col
        details["stratified"] = False
    else:
        keys = frame[label_col].to_numpy() if label_col is not None else np.zeros(n)
        for value in np.unique(keys):
            idx = np.flatnonzero(keys == value)
            idx = idx[rng.permutation(idx.size)]
            a, b = _cut_points(idx.size, config.ratios())
            split[idx[:a]] = "train"
            split[idx[a:b]] = "valid"
            split[idx[b:]] = "test"
        details["stratified"] = label_col is not None
        if label_col is not None:
            details["stratify_on"] = label_col
    return pl.Series("split", split, dtype=pl.String), details
