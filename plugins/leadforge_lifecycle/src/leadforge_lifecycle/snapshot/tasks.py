"""Task rows, targets and splits for the two observation regimes.

calendar: cutoff = observation_date; rows are customers active at that date ("score my
current book"). early: cutoff = start + early_tenure_weeks; rows are customers who reach that
tenure by the observation date (so every window is fully simulated). Each task's splits carry
only its own target.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from leadforge_core.bundle.model import TaskOutput, TaskSpec, TaskType
from leadforge_core.ids import make_ids
from leadforge_core.rng import RandomStreams
from leadforge_core.splits import SplitStrategy, assign_splits
from leadforge_lifecycle.params import LifecycleParams, WindowParams
from leadforge_lifecycle.publish.tables import to_us
from leadforge_lifecycle.recipe import LifecycleWorld
from leadforge_lifecycle.snapshot import targets
from leadforge_lifecycle.snapshot.catalog import EARLY_EXCLUDED, FEATURES, SECOND_TRAP, Feature
from leadforge_lifecycle.snapshot.features import customer_features

REGIMES = {"calendar": "", "early": "early_"}
ID_COLUMNS = ("row_id", "customer_id", "account_id", "snapshot_time")


#: Early-regime task names (instructor only), as an exposure pattern.
EARLY_TASK_PATTERN = "early_*"


def target_names(windows: WindowParams) -> dict[str, str]:
    """Target column → description (the task name of the calendar regime)."""
    out = {
        f"ltv_revenue_{w}d": f"paid or recovered invoice revenue in the {w} days after the "
        "cutoff (USD)"
        for w in windows.value_days
    }
    out[f"churned_within_{windows.churn_days}d"] = (
        f"1 if the customer churns within {windows.churn_days} days after the cutoff"
    )
    return out


def task_specs(windows: WindowParams) -> list[TaskSpec]:
    specs = []
    for regime, prefix in REGIMES.items():
        for target, desc in target_names(windows).items():
            kind = TaskType.BINARY if target.startswith("churned") else TaskType.REGRESSION
            specs.append(
                TaskSpec(
                    name=prefix + target,
                    task_type=kind,
                    targets=(target,),
                    row_unit="customer",
                    description=f"{desc}; {regime}-anchored cutoff",
                    id_columns=ID_COLUMNS,
                    key="customer_id",
                    anchor="snapshot_time",
                )
            )
    return specs


def early_tasks(windows: WindowParams) -> tuple[str, ...]:
    return tuple(s.name for s in task_specs(windows) if s.name.startswith("early_"))


def regime_rows(
    tables: dict[str, pl.DataFrame], params: LifecycleParams, regime: str
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Eligible customers with their cutoff, and counts of excluded customers."""
    cal = params.calendar
    obs = pl.lit(to_us(cal.observation_date)).cast(pl.Datetime("us"))
    subs = tables["subscriptions"].select("customer_id", "churn_at")
    frame = (
        tables["customers"]
        .select("customer_id", "account_id", "customer_start_at")
        .join(subs, on="customer_id", how="left", maintain_order="left")
    )
    if regime == "calendar":
        frame = frame.with_columns(obs.alias("cutoff"))
        started = pl.col("customer_start_at") <= pl.col("cutoff")
    else:
        frame = frame.with_columns(
            (pl.col("customer_start_at") + pl.duration(weeks=cal.early_tenure_weeks)).alias(
                "cutoff"
            )
        )
        started = pl.col("cutoff") <= obs
    alive = pl.col("churn_at").is_null() | (pl.col("churn_at") > pl.col("cutoff"))
    counts = frame.select(
        (~started).sum().alias("not_reached_cutoff"),
        (started & ~alive).sum().alias("churned_before_cutoff"),
    ).row(0, named=True)
    rows = frame.filter(started & alive).sort("customer_id").drop("churn_at")
    return rows, {k: int(v) for k, v in counts.items()}


def build_tasks(
    tables: dict[str, pl.DataFrame],
    params: LifecycleParams,
    recipe: LifecycleWorld,
    second_trap: bool,
    streams: RandomStreams,
    truth: pl.DataFrame | None = None,
) -> tuple[dict[str, TaskOutput], list[Feature]]:
    """Every task of both regimes, and the features used.

    ``truth`` (``customer_id`` and the ``true_*`` columns of :data:`catalog.TRUTH`) is joined
    to every split; the core drops those columns from public bundles.
    """
    used: list[Feature] = list(FEATURES) + ([SECOND_TRAP] if second_trap else [])
    outputs: dict[str, TaskOutput] = {}
    windows = params.windows
    specs = {s.name: s for s in task_specs(windows)}
    for regime, prefix in REGIMES.items():
        rows, excluded = regime_rows(tables, params, regime)
        feats = customer_features(tables, rows, recipe, second_trap)
        names = [f.name for f in used if not (regime == "early" and f.name in EARLY_EXCLUDED)]
        frame = feats.select(
            make_ids("row", rows.height).alias("row_id"),
            "customer_id",
            "account_id",
            pl.col("cutoff").alias("snapshot_time"),
            *names,
        )
        split, split_details = _split(frame, feats, params, regime, streams)
        constant = [
            c for c in names if frame.filter(split == "train")[c].drop_nulls().n_unique() <= 1
        ]
        frame = frame.drop(constant)
        if truth is not None:
            frame = frame.join(truth, on="customer_id", how="left", maintain_order="left")
        sums = targets.forward_values(tables["invoices"], rows, tuple(windows.value_days))
        values = {f"ltv_revenue_{w}d": sums[w] for w in windows.value_days}
        values[f"churned_within_{windows.churn_days}d"] = targets.churned_within(
            tables["subscriptions"], rows, windows.churn_days
        )
        for target, series in values.items():
            spec = specs[prefix + target]
            full = frame.with_columns(series.alias(target))
            outputs[spec.name] = TaskOutput(
                spec=spec,
                splits={s: full.filter(split == s) for s in ("train", "valid", "test")},
                details=_details(regime, target, params, excluded, split_details, constant),
            )
    return outputs, used


def _split(
    frame: pl.DataFrame,
    feats: pl.DataFrame,
    params: LifecycleParams,
    regime: str,
    streams: RandomStreams,
) -> tuple[pl.Series, dict[str, Any]]:
    """One split per regime, shared by its tasks (no label stratification)."""
    time_col = "customer_start_at" if regime == "calendar" else "snapshot_time"
    keyed = frame.select("row_id", "account_id", "snapshot_time").with_columns(
        feats["customer_start_at"]
    )
    split, details = assign_splits(
        keyed,
        params.split,
        streams.generator(f"split.{regime}"),
        time_col=time_col,
        group_col="account_id" if params.split.strategy is SplitStrategy.GROUPED else None,
    )
    if params.split.strategy is SplitStrategy.TEMPORAL and regime == "calendar":
        details["note"] = (
            "every calendar-regime row shares one cutoff, so the temporal split "
            "orders rows by customer start: later cohorts are tested"
        )
    return split, details


def _details(
    regime: str,
    target: str,
    params: LifecycleParams,
    excluded: dict[str, int],
    split: dict[str, Any],
    constant: list[str],
) -> dict[str, Any]:
    cal = params.calendar
    window = int(target.rsplit("_", 1)[1].rstrip("d"))
    if regime == "calendar":
        rule = (
            f"cutoff = observation_date ({cal.observation_date.isoformat()}); rows are "
            "customers started on or before it and not churned by it"
        )
    else:
        rule = (
            f"cutoff = customer_start_at + {cal.early_tenure_weeks} weeks; rows are customers "
            f"who reach that tenure by {cal.observation_date.isoformat()} without churning"
        )
    if target.startswith("churned"):
        semantics = f"1 if subscriptions.churn_at is in (cutoff, cutoff + {window} days]"
    else:
        semantics = (
            "sum of invoices.amount_usd with payment_status paid or recovered and "
            f"cutoff < invoice_date <= cutoff + {window} days; 0 when nothing is paid"
        )
    return {
        "regime": regime,
        "observation_date": cal.observation_date.isoformat(),
        "snapshot_rule": rule,
        "horizon_days": window,
        "target_semantics": semantics,
        "leakage_policy": (
            "features use only rows known at the cutoff (event_timestamp, "
            "invoice_date, period_end <= cutoff) except the flagged leakage traps"
        ),
        "excluded_rows": excluded,
        "dropped_constant_features": constant,
        "split": split,
    }
