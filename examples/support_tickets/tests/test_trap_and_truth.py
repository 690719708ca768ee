"""The scheme's leakage trap and per-row hidden truth, and what ``leadforge evaluate`` makes of them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from leadforge_core import ExposureMode, Generator, WorldBundle
from leadforge_core.validation.runner import validate_bundle

TASK, TRAP = "escalates_within_14d", "resolution_hours"
TRUTH = ["true_frustration", "true_escalation_probability"]
MODES = (ExposureMode.STUDENT_PUBLIC, ExposureMode.RESEARCH_INSTRUCTOR)
Bundles = dict[ExposureMode, tuple[WorldBundle, Path]]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Bundles:
    out: Bundles = {}
    for mode in MODES:
        gen = Generator.from_recipe("support_desk_v1", seed=5, n_customers=600, exposure_mode=mode)
        bundle = gen.generate(timestamp=0)
        out[mode] = (bundle, bundle.save(tmp_path_factory.mktemp(str(mode)) / "bundle"))
    return out


def rows(bundle: WorldBundle) -> pl.DataFrame:
    frame: pl.DataFrame = pl.concat(list(bundle.tasks[TASK].splits.values()))
    return frame


@pytest.mark.parametrize("mode", MODES, ids=str)
def test_the_trap_is_declared_and_published(bundles: Bundles, mode: ExposureMode) -> None:
    bundle, path = bundles[mode]
    info = {f.feature_name: f for f in bundle.features}
    assert info[TRAP].leakage_risk and info[TRAP].feature_group == "leakage_trap"
    assert info[TRAP].available_in_public_mode
    assert [f.feature_name for f in bundle.features if f.leakage_risk] == [TRAP]
    written = pl.read_csv(path / "feature_dictionary.csv").filter(pl.col("feature_name") == TRAP)
    assert written["leakage_risk"].to_list() == [True]
    assert all(TRAP in frame.columns for frame in bundle.tasks[TASK].splits.values())
    assert bundle.tasks[TASK].details["leakage_traps"] == [TRAP]
    assert f"`{TRAP}`" in bundle.card  # listed among the card's deliberate traps


def test_the_trap_looks_past_the_anchor(bundles: Bundles) -> None:
    public, _ = bundles[ExposureMode.STUDENT_PUBLIC]
    task = rows(public)
    # written when a ticket is resolved, which is after its first response: the public events
    # (cut at each ticket's first response) cannot reproduce it
    assert public.tables["ticket_events"].filter(pl.col("kind") == "resolved").height == 0
    assert task[TRAP].drop_nulls().min() > 0  # type: ignore[operator]
    assert task[TRAP].null_count() < task.height // 2
    # an escalated ticket is never resolved: the trap gives the label away
    assert task.filter(pl.col(TASK))[TRAP].null_count() == task.filter(pl.col(TASK)).height
    # the same values in both modes
    instructor, _ = bundles[ExposureMode.RESEARCH_INSTRUCTOR]
    both = task.join(rows(instructor), on="row_id", suffix="_i")
    assert both.height == task.height and both[TRAP].equals(both[f"{TRAP}_i"])


def test_instructor_splits_carry_the_truth_public_ones_do_not(bundles: Bundles) -> None:
    public, public_path = bundles[ExposureMode.STUDENT_PUBLIC]
    instructor, path = bundles[ExposureMode.RESEARCH_INSTRUCTOR]
    for split, frame in instructor.tasks[TASK].splits.items():
        assert set(TRUTH) <= set(frame.columns), split
        assert not set(TRUTH) & set(public.tasks[TASK].splits[split].columns), split
        on_disk = pl.read_parquet(path / "tasks" / TASK / f"{split}.parquet")
        assert set(TRUTH) <= set(on_disk.columns)
        assert not set(TRUTH) & set(pl.read_parquet(public_path / "tasks" / TASK / f"{split}.parquet").columns)
    info = {f.feature_name: f for f in instructor.features}
    assert all(info[c].feature_group == "hidden_truth" and not info[c].available_in_public_mode for c in TRUTH)
    assert not set(TRUTH) & {f.feature_name for f in public.features}
    assert not set(TRUTH) & set(pl.read_csv(public_path / "feature_dictionary.csv")["feature_name"])


def test_the_truth_is_the_hidden_state(bundles: Bundles) -> None:
    instructor, _ = bundles[ExposureMode.RESEARCH_INSTRUCTOR]
    task = rows(instructor)
    latent = task.join(instructor.tables["customers"], on="customer_id")
    assert latent["true_frustration"].equals(latent["frustration"], check_names=False)
    p = task["true_escalation_probability"]
    assert p.dtype == pl.Float64 and p.min() >= 0.0 and p.max() <= 1.0  # type: ignore[operator]
    # the simulated probability is calibrated: its mean is the escalation rate
    rate, mean = task[TASK].mean(), p.mean()
    assert abs(float(mean) - float(rate)) < 0.03  # type: ignore[arg-type]


def test_validate_passes_and_exempts_only_the_declared_trap(bundles: Bundles) -> None:
    for _, path in bundles.values():
        report = validate_bundle(path)
        assert "leakage" in report.checks_run
        assert report.ok, "; ".join(str(f) for f in report.findings)


def test_evaluate_reports_the_trap_lesson_and_the_oracle(bundles: Bundles) -> None:
    pytest.importorskip("sklearn")
    from leadforge_core.evaluate import evaluate_bundle

    scores = {mode: evaluate_bundle(path)["tasks"][TASK] for mode, (_, path) in bundles.items()}
    public, instructor = scores[ExposureMode.STUDENT_PUBLIC], scores[ExposureMode.RESEARCH_INSTRUCTOR]
    for task in (public, instructor):
        assert task["features"]["traps"] == [TRAP] and task["leakage_audit"]["traps"] == [TRAP]
        lesson = task["leakage_audit"]["trap_effect"]["hgb"]
        assert lesson["gain"] > 0.05, lesson
        assert task["leakage_audit"]["best_trap_rule"] is not None
    assert public["features"]["hidden_truth"] == [] and not public["oracle"]["available"]
    oracle = instructor["oracle"]
    assert oracle["available"] and sorted(oracle["columns"]) == sorted(TRUTH)
    assert instructor["features"]["hidden_truth"] == TRUTH
    hgb = instructor["models"]["without_traps"]["hgb"]["roc_auc"]
    assert oracle["metrics"]["roc_auc"] > hgb and oracle["gap"] > 0.02, (oracle, hgb)
    # the baselines never see the truth: both modes score the same
    assert public["models"] == instructor["models"]
