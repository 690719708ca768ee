"""Split strategies: temporal by creation, grouped by account, stratified random."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from worlds import RECIPE

from leadforge_core.api import Generator


def _splits(strategy: str) -> tuple[dict[str, pl.DataFrame], dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        override = Path(tmp) / "split.yaml"
        override.write_text(f"params:\n  split:\n    strategy: {strategy}\n")
        gen = Generator.from_recipe(
            RECIPE, seed=4, n_leads=2500, override=override, exposure_mode="student_public"
        )
    bundle = gen.generate(timestamp=0)
    return bundle.tasks["converted_within_90_days"].splits, bundle.task_manifests[
        "converted_within_90_days"
    ]


def test_temporal_split_orders_by_snapshot_time() -> None:
    sp, tm = _splits("temporal")
    assert sp["train"]["snapshot_time"].max() <= sp["valid"]["snapshot_time"].min()
    assert sp["valid"]["snapshot_time"].max() <= sp["test"]["snapshot_time"].min()
    assert tm["split"]["strategy"] == "temporal" and "cutoffs" in tm["split"]


def test_grouped_split_keeps_accounts_together() -> None:
    sp, tm = _splits("grouped")
    accounts = [set(sp[s]["account_id"]) for s in ("train", "valid", "test")]
    assert not (accounts[0] & accounts[1] or accounts[0] & accounts[2] or accounts[1] & accounts[2])
    assert tm["grouping"] == "account_id"


def test_random_split_is_stratified() -> None:
    sp, _ = _splits("random")
    rates = [sp[s]["converted_within_90_days"].mean() for s in ("train", "valid", "test")]
    assert max(rates) - min(rates) < 0.02  # type: ignore[operator]
