"""`leadforge evaluate`: baselines from task declarations, deterministic numbers, stable JSON,
the metrics hook, the oracle ceiling, the difficulty verdict and the CLI error contract."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

pytest.importorskip("sklearn")

from leadforge_core import Generator, hookimpl, plugins
from leadforge_core.cli.app import run
from leadforge_core.errors import RecipeError
from leadforge_core.evaluate import SCHEMA_VERSION, ExtraMetric, evaluate_bundle
from leadforge_core.evaluate import metrics as M
from leadforge_core.evaluate.audit import _rule_counts, best_rule, time_order
from leadforge_core.evaluate.sample import DEFAULT_MAX_FIT_ROWS, fit_sample
from leadforge_core.plugins import PluginHost, PluginRecord

SCHEMES = {
    "lead_scoring": ("leadforge_lead_scoring", "b2b_saas_procurement_v1", {"n_leads": 2500}),
    "lifecycle": ("leadforge_lifecycle", "b2b_saas_ltv_v1", {"n_customers": 1200}),
}
MODES = ("student_public", "research_instructor")
BINARY_KEYS = {"roc_auc", "pr_auc", "brier", "calibration_error", "calibration", "extra"}
REGRESSION_KEYS = {
    "spearman",
    "gini",
    "top_decile_capture",
    "calibration_error",
    "total_ratio",
    "rmse",
    "calibration",
    "extra",
}

SAMPLING_KEYS = {
    "sampled",
    "fit_rows",
    "available_fit_rows",
    "max_fit_rows",
    "method",
    "test_rows",
    "audit_rows",
}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """One small bundle per installed built-in scheme and mode (generated once)."""
    plugins.set_host(None)
    out: dict[tuple[str, str], Path] = {}
    root = tmp_path_factory.mktemp("eval")
    for scheme, (package, recipe, size) in SCHEMES.items():
        try:
            __import__(package)
        except ImportError:
            continue
        for mode in MODES:
            bundle = Generator.from_recipe(recipe, seed=3, exposure_mode=mode, **size).generate(
                timestamp="2026-01-01T00:00:00Z"
            )
            out[(scheme, mode)] = bundle.save(root / f"{scheme}_{mode}")
    return out


def _bundle(bundles: dict[tuple[str, str], Path], scheme: str, mode: str) -> Path:
    if (scheme, mode) not in bundles:
        pytest.skip(f"scheme {scheme} is not installed")
    return bundles[(scheme, mode)]


_REPORTS: dict[Path, dict[str, Any]] = {}


def _report(path: Path) -> dict[str, Any]:
    """The evaluation of an unchanged module bundle (computed once)."""
    if path not in _REPORTS:
        _REPORTS[path] = evaluate_bundle(path)
    return _REPORTS[path]


def _check_schema(report: dict[str, Any], task_names: list[str]) -> None:
    assert report["schema_version"] == SCHEMA_VERSION
    assert set(report) == {"schema_version", "bundle", "settings", "tasks", "verdict"}
    assert set(report["settings"]) == {"max_fit_rows"}
    assert set(report["bundle"]) == {
        "path",
        "scheme",
        "recipe",
        "seed",
        "exposure_mode",
        "difficulty",
        "difficulty_bands",
    }
    assert sorted(report["tasks"]) == sorted(task_names)
    assert set(report["verdict"]) == {"status", "outside", "giveaway_rules", "summary"}
    for task in report["tasks"].values():
        assert set(task) == {
            "task_type",
            "target",
            "primary",
            "features",
            "target_summary",
            "sampling",
            "models",
            "leakage_audit",
            "oracle",
            "verdict",
        }
        sampling = task["sampling"]
        assert set(sampling) == SAMPLING_KEYS
        rows = task["target_summary"]["rows"]
        assert sampling["available_fit_rows"] == rows["train"] + rows["valid"]
        assert sampling["test_rows"] == rows["test"]
        assert sampling["audit_rows"] == sum(rows.values())
        assert sampling["max_fit_rows"] == report["settings"]["max_fit_rows"]
        assert sampling["sampled"] == (sampling["fit_rows"] < sampling["available_fit_rows"])
        keys = BINARY_KEYS if task["task_type"] == "binary" else REGRESSION_KEYS
        expected_models = {"dummy", "linear", "hgb"} | (
            {"two_part"} if task["task_type"] == "regression" else set()
        )
        assert set(task["models"]) == {"without_traps", "with_traps"}
        for variant in task["models"].values():
            assert set(variant) == expected_models
            for m in variant.values():
                assert set(m) == keys
                assert len(m["calibration"]) == 10
                assert (
                    sum(r["rows"] for r in m["calibration"])
                    == task["target_summary"]["rows"]["test"]
                )
                for k in keys - {"calibration", "extra"}:
                    assert m[k] is None or isinstance(m[k], float), k
        audit = task["leakage_audit"]
        assert set(audit) == {
            "rules_target",
            "best_rule",
            "best_trap_rule",
            "split_strategy",
            "group_overlap",
            "declared_grouping",
            "time_order",
            "traps",
            "trap_effect",
        }
        assert audit["traps"], "both schemes declare a leakage trap"
        assert set(audit["trap_effect"]) == expected_models
        rule = audit["best_rule"]
        assert rule is None or (rule["recall"] >= 0.05 and 0.0 <= rule["precision"] <= 1.0)
        assert isinstance(task["oracle"]["available"], bool)
        v = task["verdict"]
        assert v["status"] in {"as declared", "outside declared bands", "no bands declared"}
        assert v["summary"] and all(isinstance(s, str) for s in v["summary"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_evaluate_every_declared_task_deterministically(
    bundles: dict[tuple[str, str], Path], scheme: str, mode: str
) -> None:
    path = _bundle(bundles, scheme, mode)
    first = _report(path)
    second = evaluate_bundle(path)
    assert first == second
    manifest = json.loads((path / "manifest.json").read_text())
    _check_schema(first, list(manifest["tasks"]))
    assert first["bundle"]["exposure_mode"] == mode
    # The trap is a real leak: the primary task's model gains from it.
    primary = next(t for t in first["tasks"].values() if t["primary"])
    assert primary["leakage_audit"]["trap_effect"]["hgb"]["gain"] > 0.01
    for task in first["tasks"].values():
        hgb = task["models"]["without_traps"]["hgb"]
        dummy = task["models"]["without_traps"]["dummy"]
        if task["task_type"] == "binary":
            assert dummy["roc_auc"] == 0.5
            assert hgb["roc_auc"] > 0.6  # real signal, learned from the features
        else:
            assert dummy["spearman"] is None  # a constant prediction ranks nothing
            assert hgb["spearman"] > 0.4
        assert isinstance(task["leakage_audit"]["trap_effect"]["hgb"]["gain"], float)
        if mode == "student_public":
            assert not task["oracle"]["available"]
            assert "public" in task["oracle"]["reason"]


def test_lead_scoring_verdict_checks_declared_bands(
    bundles: dict[tuple[str, str], Path],
) -> None:
    path = _bundle(bundles, "lead_scoring", "student_public")
    report = _report(path)
    task = report["tasks"]["converted_within_90_days"]
    checks = {c["metric"]: c for c in task["verdict"]["checks"]}
    assert {"prevalence", "roc_auc"} <= set(checks)
    lo, hi = checks["roc_auc"]["band"]
    measured = task["models"]["without_traps"]["hgb"]["roc_auc"]
    assert checks["roc_auc"]["measured"] == measured
    assert checks["roc_auc"]["status"] == (
        "within" if lo <= measured <= hi else "below" if measured < lo else "above"
    )
    assert report["bundle"]["difficulty_bands"]["converted_within_90_days"]["roc_auc"] == [lo, hi]
    assert task["leakage_audit"]["time_order"]["ordered"]  # the default split is temporal


def test_grouped_split_shares_no_declared_group(tmp_path: Path) -> None:
    pytest.importorskip("leadforge_lead_scoring")
    plugins.set_host(None)
    bundle = Generator.from_recipe(
        "b2b_saas_procurement_v1", seed=2, n_leads=2000, split={"strategy": "grouped"}
    ).generate(timestamp=0)
    task = evaluate_bundle(bundle.save(tmp_path / "g"))["tasks"]["converted_within_90_days"]
    audit = task["leakage_audit"]
    assert audit["split_strategy"] == "grouped" and audit["declared_grouping"] == "account_id"
    overlap = {g["key"]: g for g in audit["group_overlap"]}
    assert overlap["account_id"]["test_groups"] > 0
    assert overlap["account_id"]["shared_groups"] == 0
    assert not audit["time_order"]["ordered"]  # grouped rows span the whole window


def test_verdict_reports_a_band_that_does_not_hold(
    bundles: dict[tuple[str, str], Path], tmp_path: Path
) -> None:
    path = _bundle(bundles, "lead_scoring", "student_public")
    copy = tmp_path / "b"
    shutil.copytree(path, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["recipe"]["difficulty_bands"] = {"converted_within_90_days": {"roc_auc": [0.99, 1.0]}}
    (copy / "manifest.json").write_text(json.dumps(manifest))
    report = evaluate_bundle(copy)
    v = report["tasks"]["converted_within_90_days"]["verdict"]
    assert v["status"] == "outside declared bands"
    assert any("harder than declared" in s for s in v["summary"])
    assert report["verdict"]["outside"] == ["converted_within_90_days"]


TRUTH_COLUMNS = {
    "lead_scoring": {
        "true_engagement",
        "true_followup_speed",
        "true_demo_momentum",
        "true_committee_friction",
        "true_final_approval",
        "true_deal_propensity",
    },
    "lifecycle": {
        "true_product_fit",
        "true_adoption_velocity",
        "true_budget_stability",
        "true_champion_strength",
        "true_organizational_stability",
        "true_churn_risk",
    },
}


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_oracle_ceiling_in_instructor_bundles_only(
    bundles: dict[tuple[str, str], Path], scheme: str
) -> None:
    """Instructor splits carry the per-row truth (feature group hidden_truth); evaluate fits
    the ceiling on features + truth and reports its gap to every baseline. Public bundles
    carry no truth column and no ceiling."""
    truth = TRUTH_COLUMNS[scheme]
    public = _bundle(bundles, scheme, "student_public")
    for split in (public / "tasks").glob("*/*.parquet"):
        assert not truth & set(pl.read_parquet_schema(split)), split
    public_dictionary = pl.read_csv(public / "feature_dictionary.csv", infer_schema=False)
    assert "hidden_truth" not in public_dictionary["feature_group"].to_list()
    for task in _report(public)["tasks"].values():
        assert not task["oracle"]["available"] and task["features"]["hidden_truth"] == []

    path = _bundle(bundles, scheme, "research_instructor")
    dictionary = pl.read_csv(path / "feature_dictionary.csv", infer_schema=False)
    declared = dictionary.filter(pl.col("feature_group") == "hidden_truth")
    assert set(declared["feature_name"]) == truth
    assert set(declared["available_in_public_mode"]) == {"false"}
    report = _report(path)
    primary_seen = False
    for name, task in report["tasks"].items():
        split = pl.read_parquet(path / "tasks" / name / "test.parquet")
        assert truth <= set(split.columns)
        assert split.select(sorted(truth)).null_count().sum_horizontal().item() == 0
        oracle = task["oracle"]
        assert oracle["available"] and set(oracle["columns"]) == truth
        assert set(task["features"]["hidden_truth"]) == truth  # never a baseline input
        headline = "roc_auc" if task["task_type"] == "binary" else "spearman"
        for model, scores in task["models"]["without_traps"].items():
            if scores[headline] is None:
                continue
            gap = oracle["metrics"][headline] - scores[headline]
            assert oracle["gaps"][model] == pytest.approx(gap, abs=2e-6)
        assert oracle["gap"] == oracle["gaps"]["hgb"]
        if task["primary"]:
            primary_seen = True
            # The truth is informative: the ceiling stands above the default baseline.
            assert oracle["gaps"]["hgb"] > 0.0
    assert primary_seen
    # The baselines are the public ones: truth columns change nothing they see.
    public_report = _report(public)
    for name, task in public_report["tasks"].items():
        if name in report["tasks"]:
            assert task["models"] == report["tasks"][name]["models"]


def test_cli_json_and_out(bundles: dict[tuple[str, str], Path], tmp_path: Path, capsys) -> None:
    path = _bundle(bundles, "lifecycle", "student_public")
    out = tmp_path / "report"
    assert run(["evaluate", str(path), "--json", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((out / "evaluation.json").read_text())
    assert printed == _report(path)
    md = (out / "evaluation.md").read_text()
    assert md.startswith("# Evaluation of b2b_saas_ltv_v1")
    assert "## ltv_revenue_730d (regression)" in md and "two-part (ZILN)" in md
    assert run(["evaluate", str(path)]) == 0
    text = capsys.readouterr().out
    assert "churned_within_180d (binary, test split)" in text and "overall:" in text


def _one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    return lines[0]


def test_bad_bundle_path_is_one_line(tmp_path: Path, capsys) -> None:
    assert run(["evaluate", str(tmp_path / "nope")]) == 2
    assert "not a bundle folder" in _one_error_line(capsys)
    (tmp_path / "empty").mkdir()
    assert run(["evaluate", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "manifest.json: file is missing" in _one_error_line(capsys)
    assert not (tmp_path / "o").exists()


def test_corrupt_split_is_one_line(
    bundles: dict[tuple[str, str], Path], tmp_path: Path, capsys
) -> None:
    path = _bundle(bundles, "lead_scoring", "student_public")
    copy = tmp_path / "b"
    shutil.copytree(path, copy)
    (copy / "tasks" / "converted_within_90_days" / "test.parquet").write_bytes(b"not parquet")
    assert run(["evaluate", str(copy), "--json", "--out", str(tmp_path / "o")]) == 2
    line = _one_error_line(capsys)
    assert "tasks/converted_within_90_days/test.parquet: not readable as Parquet" in line
    assert not (tmp_path / "o").exists()


def test_missing_extra_is_one_line(
    bundles: dict[tuple[str, str], Path], monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    path = _bundle(bundles, "lifecycle", "student_public")
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now raises ImportError
    assert run(["evaluate", str(path)]) == 2
    line = _one_error_line(capsys)
    assert "scikit-learn" in line and "pip install 'leadforge-core[evaluate]'" in line


class MetricsPlugin:
    """A throwaway plugin adding a metric to binary tasks (or, when ``broken``, one that
    raises)."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken

    @hookimpl
    def leadforge_evaluation_metrics(self, task_type: str) -> list[ExtraMetric]:
        if task_type != "binary":
            return []

        def top_share(y: np.ndarray, pred: np.ndarray) -> float:
            if self.broken:
                raise ValueError("boom")
            top = np.argsort(-pred, kind="stable")[: max(1, y.size // 5)]
            return float(y[top].mean())

        return [ExtraMetric("precision_at_top_20pct", top_share, "positive rate of the top fifth")]


def _toy_bundle(host: PluginHost, tmp_path: Path) -> Path:
    bundle = Generator.from_recipe(
        "toy_shop_v1", host=host, n_customers=800, exposure_mode="research_instructor"
    ).generate(timestamp=0)
    return bundle.save(tmp_path / "toy")


def test_hook_leadforge_evaluation_metrics(toy_host: PluginHost, tmp_path: Path) -> None:
    path = _toy_bundle(toy_host, tmp_path)
    plain = evaluate_bundle(path, host=toy_host)["tasks"]["reorders_within_60_days"]
    assert plain["models"]["without_traps"]["hgb"]["extra"] == {}
    record = toy_host.register(MetricsPlugin(), PluginRecord("metrics", "leadforge-metrics", "0"))
    try:
        task = evaluate_bundle(path, host=toy_host)["tasks"]["reorders_within_60_days"]
    finally:
        toy_host.unregister(record)
    for variant in task["models"].values():
        for m in variant.values():
            assert set(m["extra"]) == {"precision_at_top_20pct"}
            assert 0.0 <= m["extra"]["precision_at_top_20pct"] <= 1.0
    test = pl.read_parquet(path / "tasks" / "reorders_within_60_days" / "test.parquet")
    y = test["reorders_within_60_days"].cast(pl.Float64).to_numpy()
    dummy = task["models"]["without_traps"]["dummy"]["extra"]["precision_at_top_20pct"]
    assert dummy == pytest.approx(y[: max(1, y.size // 5)].mean(), abs=1e-6)  # ties: row order
    # Built-in figures do not change when a plugin adds its own.
    strip = {k: v for k, v in task["models"]["without_traps"]["hgb"].items() if k != "extra"}
    base = plain["models"]["without_traps"]["hgb"]
    assert strip == {k: v for k, v in base.items() if k != "extra"}


def test_a_raising_plugin_metric_is_that_plugins_bug(
    toy_host: PluginHost, tmp_path: Path, capsys
) -> None:
    path = _toy_bundle(toy_host, tmp_path)
    record = toy_host.register(
        MetricsPlugin(broken=True), PluginRecord("metrics", "leadforge-metrics", "0.3")
    )
    try:
        assert run(["evaluate", str(path), "--out", str(tmp_path / "o")]) == 3
    finally:
        toy_host.unregister(record)
    line = _one_error_line(capsys)
    assert "plugin 'metrics' (distribution leadforge-metrics 0.3)" in line
    assert "evaluation metric 'precision_at_top_20pct'" in line and "ValueError: boom" in line
    assert not (tmp_path / "o").exists()


def test_recipe_difficulty_bands_reach_the_manifest(toy_host: PluginHost, tmp_path: Path) -> None:
    recipe = tmp_path / "banded.yaml"
    recipe.write_text(
        "extends: toy_shop_v1\nid: banded_v1\ndifficulty_bands:\n  intro:\n"
        "    reorders_within_60_days: {roc_auc: {min: 0.6, max: 0.9}}\n"
    )
    bundle = Generator.from_recipe(str(recipe), host=toy_host, difficulty="intro").generate(
        timestamp=0
    )
    assert bundle.manifest["recipe"]["difficulty_bands"] == {
        "reorders_within_60_days": {"roc_auc": [0.6, 0.9]}
    }
    other = Generator.from_recipe(str(recipe), host=toy_host, difficulty="advanced").generate(
        timestamp=0
    )
    assert "difficulty_bands" not in other.manifest["recipe"]
    recipe.write_text(
        "extends: toy_shop_v1\nid: banded_v1\ndifficulty_bands:\n  brutal:\n"
        "    reorders_within_60_days: {roc_auc: {min: 0.9, max: 0.6}}\n"
    )
    with pytest.raises(RecipeError, match="difficulty_bands"):
        Generator.from_recipe(str(recipe), host=toy_host)


def test_regression_metrics_on_known_values() -> None:
    y = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 10.0, 0.0, 5.0, 1.0, 4.0])
    assert M.normalized_gini(y, y) == pytest.approx(1.0)
    assert M.normalized_gini(y, -y) < 0
    assert M.normalized_gini(y, np.ones_like(y)) is None
    assert M.top_decile_capture(y, y) == pytest.approx(10.0 / y.sum())
    assert M.spearman(y, y) == pytest.approx(1.0)
    pred = np.arange(10.0)
    stats = pytest.importorskip("scipy.stats")
    assert M.spearman(y, pred) == pytest.approx(stats.spearmanr(y, pred).statistic)
    table = M.calibration_table(y, pred)
    assert [r["rows"] for r in table] == [1] * 10
    assert table[-1]["mean_observed"] == 4.0 and table[-1]["mean_predicted"] == 9.0


def test_binary_metrics_and_rules() -> None:
    y = np.array([0.0, 0.0, 1.0, 1.0])
    good = M.binary_metrics(y, np.array([0.1, 0.2, 0.8, 0.9]))
    assert good["roc_auc"] == 1.0 and good["pr_auc"] == 1.0
    assert good["brier"] == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)
    assert M.binary_metrics(np.zeros(4), np.full(4, 0.5))["roc_auc"] is None
    frame = pl.DataFrame({"stage": ["a", "a", "b", "b", "b", None], "n": [1, 2, 3, 4, 5, 6]})
    positive = np.array([False, False, True, True, False, True])
    rule = best_rule(frame, positive, ["stage", "n"])
    # Precision 1.0 at recall 1/3: n above its 90/95/99 % quantiles, or a missing stage; the
    # tie goes to the lowest rule text.
    assert rule == {
        "rule": "n >= 5.5",
        "precision": 1.0,
        "recall": pytest.approx(1 / 3),
        "support": 1,
        "base_rate": 0.5,
        "lift": 2.0,
    }
    order = time_order(
        {"train": frame.head(2), "valid": frame.slice(2, 2), "test": frame.tail(2)}, "n"
    )
    assert order["ordered"] and not order["single_time"]


def test_rule_counts_match_a_mask_per_rule() -> None:
    """The grouped / sorted rule counts equal counting each rule's mask row by row, for
    categoricals (more levels than kept, missing), booleans, integers with missing values,
    floats with -0.0 and 0.0, and times."""
    rng = np.random.default_rng(5)
    n = 3000
    frame = pl.DataFrame(
        {
            "cat": pl.Series(rng.choice([f"v{i}" for i in range(260)] + [None], n).tolist()),
            "flag": pl.Series(rng.random(n) < 0.3),
            "count": pl.Series(rng.integers(0, 9, n)).scatter(
                np.flatnonzero(rng.random(n) < 0.1), None
            ),
            "amount": pl.Series(np.round(rng.normal(size=n), 0)),
            "when": pl.Series(rng.integers(0, 10**6, n)).cast(pl.Datetime("us")),
        }
    )
    positive = rng.random(n) < 0.25
    for col in frame.columns:
        rules = _rule_counts(frame, col, positive)
        assert rules, col
        s = frame[col]
        if s.dtype in (pl.String, pl.Boolean):
            text = s.cast(pl.String)
            masks = {
                f"{col} == {v!r}": (text == v).fill_null(False).to_numpy()
                for v in text.drop_nulls().unique().to_list()
            }
            masks[f"{col} is missing"] = text.is_null().to_numpy()
        else:
            arr = s.cast(pl.Int64).cast(pl.Float64) if s.dtype.is_temporal() else s
            arr = arr.cast(pl.Float64).fill_null(np.nan).to_numpy()
            present = ~np.isnan(arr)
            masks = {f"{col} is missing": ~present}
            for q in np.quantile(arr[present], [0.01, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99]):
                masks[f"{col} >= {q:g}"] = present & (arr >= q)
                masks[f"{col} <= {q:g}"] = present & (arr <= q)
        for text_, hit, tp in rules:
            mask = masks[text_]
            assert (hit, tp) == (int(mask.sum()), int((mask & positive).sum())), text_
    assert sum(1 for r in _rule_counts(frame, "cat", positive) if "==" in r[0]) == 200


def test_fit_sample_is_stratified_fixed_and_named_by_task() -> None:
    y = (np.arange(10_000) % 5 == 0).astype(np.float64)  # prevalence 0.2
    everything = fit_sample(y, "binary", 0, seed=7, task="t")
    assert everything.rows is None and everything.fit_rows == 10_000
    assert fit_sample(y, "binary", None, 7, "t").rows is None
    assert fit_sample(y, "binary", 10_000, 7, "t").rows is None  # not above the limit
    s = fit_sample(y, "binary", 999, seed=7, task="t")
    assert s.sampled and s.fit_rows == 999 and s.available == 10_000
    assert s.rows is not None
    assert np.all(np.diff(s.rows) > 0)  # sorted, no repeats
    assert abs(int(y[s.rows].sum()) - 0.2 * 999) <= 1  # class shares kept
    again = fit_sample(y, "binary", 999, seed=7, task="t").rows
    assert again is not None and np.array_equal(s.rows, again)
    other_task = fit_sample(y, "binary", 999, seed=7, task="u").rows
    other_seed = fit_sample(y, "binary", 999, seed=8, task="t").rows
    assert other_task is not None and not np.array_equal(s.rows, other_task)
    assert other_seed is not None and not np.array_equal(s.rows, other_seed)
    value = np.where(np.arange(1000) % 4 == 0, 0.0, 5.0)  # regression: a quarter are zero
    r = fit_sample(value, "regression", 100, seed=1, task="ltv")
    assert r.rows is not None and int((value[r.rows] == 0).sum()) == 25
    with pytest.raises(ValueError, match="max_fit_rows"):
        fit_sample(y, "binary", -1, 7, "t")


def test_large_tasks_fit_on_a_stated_fixed_sample(
    bundles: dict[tuple[str, str], Path], capsys
) -> None:
    """Above max_fit_rows every model fits on the same fixed sample, said in the JSON and
    the text; scores stay on the whole test split; at or above the task's size nothing
    changes."""
    path = _bundle(bundles, "lead_scoring", "research_instructor")
    full = _report(path)
    task = full["tasks"]["converted_within_90_days"]
    assert full["settings"] == {"max_fit_rows": DEFAULT_MAX_FIT_ROWS}
    available = task["sampling"]["available_fit_rows"]
    assert not task["sampling"]["sampled"] and task["sampling"]["fit_rows"] == available
    assert evaluate_bundle(path, max_fit_rows=available) == {
        **full,
        "settings": {"max_fit_rows": available},
        "tasks": {
            name: {**t, "sampling": {**t["sampling"], "max_fit_rows": available}}
            for name, t in full["tasks"].items()
        },
    }
    unlimited = evaluate_bundle(path, max_fit_rows=0)
    assert unlimited["settings"] == {"max_fit_rows": None}
    assert unlimited["tasks"]["converted_within_90_days"]["models"] == task["models"]

    limit = available // 3
    small = evaluate_bundle(path, max_fit_rows=limit)
    _check_schema(small, list(full["tasks"]))
    st = small["tasks"]["converted_within_90_days"]
    assert st["sampling"]["sampled"] and st["sampling"]["fit_rows"] == limit
    assert st["sampling"]["test_rows"] == task["sampling"]["test_rows"]
    assert "evaluate.fit_sample.converted_within_90_days" in st["sampling"]["method"]
    assert st["models"] != task["models"]  # fitted on fewer rows
    assert all(r["rows"] for m in st["models"]["without_traps"].values() for r in m["calibration"])
    assert st["oracle"]["available"]  # the oracle is fitted on the same sample
    assert st["leakage_audit"]["best_rule"] == task["leakage_audit"]["best_rule"]  # all rows
    assert st["target_summary"] == task["target_summary"]
    assert evaluate_bundle(path, max_fit_rows=limit) == small  # deterministic

    assert run(["evaluate", str(path), "--json", "--max-fit-rows", str(limit)]) == 0
    assert json.loads(capsys.readouterr().out) == small
    assert run(["evaluate", str(path), "--max-fit-rows", str(limit)]) == 0
    text = capsys.readouterr().out
    assert f"fitted on a sample of {limit:,} of the {available:,} train + valid rows" in text
    assert run(["evaluate", str(path)]) == 0
    assert f"fitted on all {available:,} train + valid rows" in capsys.readouterr().out
    assert run(["evaluate", str(path), "--max-fit-rows", "-5"]) == 2
    err = capsys.readouterr().err
    assert "--max-fit-rows" in err and "Traceback" not in err
