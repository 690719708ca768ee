"""Feature checks: dictionary coverage, zero variance, near-deterministic categorical values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import polars as pl

from leadforge_core.bundle import layout
from leadforge_core.validation.findings import Finding
from leadforge_core.validation.view import BundleReadError, BundleView

#: A categorical value seen at least this often must not (almost) decide a binary label:
#: its positive rate must not lie, with 95 % confidence (Wilson interval), outside the bounds.
MIN_COUNT = 50
RATE_BOUNDS = (0.02, 0.98)
Z = 1.96
NON_FEATURE_GROUPS = {"identifier", "target"}
#: Feature-dictionary group of per-row hidden truth (true latents, simulated probabilities):
#: instructor-only task columns that are never model inputs (``leadforge evaluate`` uses them
#: for its oracle ceiling only).
TRUTH_GROUP = "hidden_truth"


T = TypeVar("T", float, pl.Expr)


def wilson_interval(rate: T, n: T, z: float = Z) -> tuple[T, T]:
    """Wilson score interval of a proportion ``rate`` observed over ``n`` trials; works on
    numbers and on polars expressions alike. Checks use it so that a small sample's noise
    is not mistaken for an extreme rate."""
    denom = 1 + z**2 / n
    center = (rate + z**2 / (2 * n)) / denom
    half = z * (rate * (1 - rate) / n + z**2 / (4 * n**2)) ** 0.5 / denom
    return center - half, center + half


def near_deterministic(train: pl.DataFrame, col: str, label: str) -> pl.DataFrame:
    """Values of ``col`` whose positive rate is outside ``RATE_BOUNDS`` beyond sampling noise.

    A point estimate alone would flag a rare value by chance (1 positive in 60 rows is 1.7 %
    although the value may convert at 5 %), so the whole Wilson interval must lie outside.
    Columns: the value, ``n``, ``rate``, ``low``, ``high``.
    """
    low, high = wilson_interval(pl.col("rate"), pl.col("n"))
    return (
        train.group_by(pl.col(col).cast(pl.String))
        .agg(
            pl.len().cast(pl.Float64).alias("n"),
            pl.col(label).cast(pl.Float64).mean().alias("rate"),
        )
        .with_columns(low.clip(0.0, 1.0).alias("low"), high.clip(0.0, 1.0).alias("high"))
        .filter(
            (pl.col("n") >= MIN_COUNT)
            & ((pl.col("high") < RATE_BOUNDS[0]) | (pl.col("low") > RATE_BOUNDS[1]))
        )
        .with_columns(pl.col("n").cast(pl.Int64))
        .sort(col, nulls_last=True)
    )


def feature_checks(view: BundleView) -> Iterator[Finding]:
    try:
        dictionary = view.feature_dictionary()
    except BundleReadError as exc:
        yield Finding("features", exc.message, exc.location)
        return
    missing_cols = [c for c in layout.FEATURE_COLUMNS if c not in dictionary.columns]
    if missing_cols:
        yield Finding(
            "features",
            f"dictionary lacks columns {', '.join(missing_cols)}",
            layout.FEATURE_DICTIONARY,
        )
        return
    groups = dict(zip(dictionary["feature_name"], dictionary["feature_group"], strict=True))
    traps = set(dictionary.filter(pl.col("leakage_risk") == "true")["feature_name"])
    if view.mode.is_public:
        hidden = dictionary.filter(
            (pl.col("feature_group") == TRUTH_GROUP)
            | (pl.col("available_in_public_mode").cast(pl.String).str.to_lowercase() == "false")
        )["feature_name"]
        if hidden.len():
            yield Finding(
                "features",
                f"public bundle documents instructor-only columns: {', '.join(hidden.to_list())}",
                layout.FEATURE_DICTIONARY,
            )
    for task in view.task_names():
        try:
            train = view.task_split(task, "train")
            tm = view.task_manifest(task)
        except BundleReadError as exc:
            yield Finding("features", exc.message, exc.location)
            continue
        rel = layout.split_file(task, "train")
        targets = [t for t in tm.get("targets", []) if t in train.columns]
        for col in train.columns:
            if col not in groups:
                yield Finding("features", f"column {col!r} is not in the feature dictionary", rel)
        features = [
            c for c in train.columns if groups.get(c) not in NON_FEATURE_GROUPS and c not in targets
        ]
        if train.height > 1:
            for col in features:
                if train[col].drop_nulls().n_unique() <= 1:
                    yield Finding("features", f"feature {col!r} has zero variance in train", rel)
        if tm.get("task_type") != "binary" or len(targets) != 1:
            continue
        label = targets[0]
        for col in features:
            if col in traps:
                continue
            dtype = train.schema[col]
            if not (
                dtype == pl.String
                or dtype == pl.Boolean
                or isinstance(dtype, pl.Categorical | pl.Enum)
            ):
                continue
            for value, n, rate, low, high in near_deterministic(train, col, label).iter_rows():
                yield Finding(
                    "features",
                    f"{col}={value!r} (n={n}) almost decides {label} (positive rate {rate:.3f}, "
                    f"95% interval {low:.3f}-{high:.3f})",
                    rel,
                )
