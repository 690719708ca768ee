"""The fintech vertical: the lead-scoring scheme with its recipe, feature, check, command and
format — each checked through the public API, and the recipe against the conformance suite."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from leadforge_core import Generator, asof
from leadforge_core.cli.app import run
from leadforge_core.testing import SchemeConformance

RECIPE = "b2b_fintech_payments_v1"


class TestFintechRecipe(SchemeConformance):
    recipe = RECIPE
    params = {"n_leads": 1500}
    plugin = "fintech"  # judge this plugin's hooks, not the lead-scoring plugin's


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for mode in ("student_public", "research_instructor"):
        path = tmp_path_factory.mktemp(mode) / "bundle"
        gen = Generator.from_recipe(RECIPE, seed=5, n_leads=1500, exposure_mode=mode)
        gen.generate(timestamp=0).save(path)
        out[mode] = path
    return out


def test_feature_counts_connected_activities_before_the_anchor(bundles: dict[str, Path]) -> None:
    root = bundles["research_instructor"]
    acts = pl.read_parquet(root / "tables" / "sales_activities.parquet")
    task = root / "tasks" / "converted_within_90_days"
    rows = pl.concat([pl.read_parquet(task / f"{s}.parquet") for s in ("train", "valid", "test")])
    anchors = asof.Anchors(rows.select("lead_id", "snapshot_time"), "lead_id", "snapshot_time")
    expected = (
        asof.as_of(acts, anchors, "activity_timestamp", window=asof.last_days(7))
        .filter(pl.col("activity_outcome").cast(pl.String) == "connected")
        .group_by("lead_id")
        .agg(asof.count().cast(pl.Int64).alias("n"))
        .collect()
    )
    got = rows.join(expected, on="lead_id", how="left").with_columns(pl.col("n").fill_null(0))
    assert got["connected_activities_last_7d"].to_list() == got["n"].to_list()
    assert got["n"].sum() > 0
    public = pl.read_parquet(
        bundles["student_public"] / "tasks" / "converted_within_90_days" / "train.parquet"
    )
    instructor = pl.read_parquet(task / "train.parquet")
    assert public["connected_activities_last_7d"].equals(instructor["connected_activities_last_7d"])


def test_check_runs_and_catches_a_contract_outside_the_band(
    bundles: dict[str, Path], tmp_path: Path
) -> None:
    from leadforge_core.validation.runner import validate_bundle

    report = validate_bundle(bundles["research_instructor"])
    assert report.ok and "fintech.acv_band" in report.checks_run
    from leadforge_core.validation.view import BundleView

    from leadforge_fintech_leads.plugin import _acv_band

    view = BundleView(
        bundles["research_instructor"],
        {"tables/opportunities.parquet": pl.DataFrame({"estimated_acv": [29_000.0, 40_000.0]})},
    )
    findings = list(_acv_band(view))
    assert len(findings) == 1 and "1 opportunities outside" in findings[0].message


def test_command_and_export(
    bundles: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["fintech-pipeline", str(bundles["student_public"])]) == 0
    out = capsys.readouterr().out
    assert "first_touch_channel" in out and "organic_search" in out
    assert (
        run(
            [
                "export",
                str(bundles["student_public"]),
                "--format",
                "jsonl",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 0
    )
    train = pl.read_ndjson(tmp_path / "x" / "tasks" / "converted_within_90_days" / "train.jsonl")
    assert "connected_activities_last_7d" in train.columns and train.height > 0
