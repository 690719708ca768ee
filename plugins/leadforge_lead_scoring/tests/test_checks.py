"""Scheme checks catch tampered bundles and never raise."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
from leadforge_lead_scoring.checks import CHECKS
from leadforge_lead_scoring.scheme import LeadScoringScheme

from leadforge_core.validation.view import BundleView


def _run(path: Path) -> list[str]:
    view = BundleView(path)
    return [f.check for check in CHECKS for f in check(view)]


def test_clean_bundles_have_no_scheme_findings(bundles: dict[str, Path]) -> None:
    for path in bundles.values():
        assert _run(path) == []


def test_public_event_after_anchor_is_reported(bundles: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "b"
    shutil.copytree(bundles["student_public"], path)
    file = path / "tables" / "touches.parquet"
    touches = pl.read_parquet(file)
    touches = touches.with_columns(
        pl.when(pl.int_range(pl.len()) < 5)
        .then(pl.col("touch_timestamp") + pl.duration(days=40))
        .otherwise(pl.col("touch_timestamp"))
    )
    touches.write_parquet(file)
    assert "snapshot_safety" in _run(path)


def test_public_opportunity_opened_after_anchor_is_reported(
    bundles: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "b"
    shutil.copytree(bundles["student_public"], path)
    file = path / "tables" / "opportunities.parquet"
    opp = pl.read_parquet(file)
    opp.with_columns(
        pl.when(pl.int_range(pl.len()) < 2)
        .then(pl.col("created_at") + pl.duration(days=45))
        .otherwise(pl.col("created_at"))
    ).write_parquet(file)
    view = BundleView(path)
    found = [(f.check, f.location) for check in CHECKS for f in check(view)]
    assert ("snapshot_safety", "opportunities.created_at") in found


def test_illegal_stage_sequence_is_reported(bundles: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "b"
    shutil.copytree(bundles["research_instructor"], path)
    file = path / "tables" / "lead_stage_history.parquet"
    h = pl.read_parquet(file)
    h = h.with_columns(
        pl.when(pl.col("stage") == "sal")
        .then(pl.lit("negotiation"))
        .otherwise(pl.col("stage"))
        .alias("stage")
    )
    h.write_parquet(file)
    assert "stage_sequence" in _run(path)


def test_label_leak_is_reported(bundles: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "b"
    shutil.copytree(bundles["student_public"], path)
    ins = pl.read_parquet(bundles["research_instructor"] / "tables" / "leads.parquet")
    file = path / "tables" / "leads.parquet"
    leads = pl.read_parquet(file).join(
        ins.select("lead_id", pl.col("converted_within_90_days").alias("crm_flag")), on="lead_id"
    )
    leads.write_parquet(file)
    assert "join_reconstruction" in _run(path)


def test_missing_and_corrupt_files_become_findings(
    bundles: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "b"
    shutil.copytree(bundles["student_public"], path)
    (path / "tables" / "touches.parquet").write_bytes(b"not parquet")
    (path / "tables" / "leads.parquet").unlink()
    findings = _run(path)
    assert findings
    assert LeadScoringScheme().inspect_summary(BundleView(path))["error"]


def test_the_toolkit_probe_examples_run(bundles: dict[str, Path]) -> None:
    """The examples of docs/toolkit.md's checks-and-probes section run as written, in order,
    and find nothing in a clean lead-scoring bundle."""
    import re
    from typing import Any

    text = (Path(__file__).parents[3] / "docs" / "toolkit.md").read_text()
    section = text.split("## Checks and probes (leadforge_core.validation.probes)", 1)[1]
    blocks = re.findall(r"```python\n(.*?)```", section.split("\n## ", 1)[0], flags=re.S)
    assert len(blocks) == 4
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, "docs/toolkit.md", "exec"), namespace)
    view = BundleView(bundles["student_public"])
    for name in ("band", "windows", "probe"):
        assert list(namespace[name](view)) == [], name
    assert callable(namespace["cutoff"])
    (leak,) = namespace["probes"].leaking_features(
        namespace["train"], "converted", "binary", ["lead_score"]
    )
    assert leak.reason == "ROC AUC 1.0000"
