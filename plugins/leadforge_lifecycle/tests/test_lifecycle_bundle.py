"""End to end through the core: registration, CLI parameters, bundles, validation, exposure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from leadforge_lifecycle.params import WindowParams
from leadforge_lifecycle.snapshot.tasks import early_tasks

from leadforge_core.api import Generator, list_recipes
from leadforge_core.errors import ConfigError
from leadforge_core.pipeline import plan
from leadforge_core.plugins import PluginHost
from leadforge_core.validation.runner import validate_bundle

EARLY_TASKS = early_tasks(WindowParams())
RECIPE = "b2b_saas_ltv_v1"
STAMP = "2026-01-01T00:00:00Z"


def _generate(tmp: Path, name: str, **kw) -> Path:
    kw.setdefault("seed", 3)
    kw.setdefault("n_customers", 300)
    bundle = Generator.from_recipe(RECIPE, **kw).generate(timestamp=STAMP)
    return bundle.save(tmp / name)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("lifecycle")
    return {
        "public": _generate(tmp, "public", exposure_mode="student_public"),
        "instructor": _generate(tmp, "instructor", exposure_mode="research_instructor"),
    }


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_plugin_registers_scheme_and_recipe_through_its_entry_point() -> None:
    host = PluginHost(strict=True)
    host.load_entry_points()
    scheme, record = host.scheme("lifecycle")
    assert record.distribution == "leadforge-lifecycle"
    assert scheme.size_flags[0].path == "population.n_customers"
    listing = {r["id"]: r for r in list_recipes(host)}
    assert listing[RECIPE]["scheme"] == "lifecycle"


@pytest.mark.parametrize("mode", ["public", "instructor"])
def test_bundles_pass_core_and_scheme_validation(bundles, mode) -> None:
    report = validate_bundle(bundles[mode])
    assert report.ok, [str(f) for f in report.findings]
    assert "lifecycle.lifecycle_target_sums" in report.checks_run


def test_public_bundle_hides_truth_and_early_regime(bundles) -> None:
    pub, inst = bundles["public"], bundles["instructor"]
    assert sorted(p.name for p in (pub / "metadata").iterdir()) == ["public_summary.json"]
    assert {
        "graph.json",
        "graph.graphml",
        "mechanism_summary.json",
        "latent_registry.json",
        "world_spec.json",
        "provenance.json",
    } <= {p.name for p in (inst / "metadata").iterdir()}
    public_tasks = {p.name for p in (pub / "tasks").iterdir()}
    assert not public_tasks & set(EARLY_TASKS)
    assert set(EARLY_TASKS) <= {p.name for p in (inst / "tasks").iterdir()}
    text = " ".join(p.read_text() for p in pub.rglob("*") if p.suffix in (".json", ".md", ".csv"))
    family = json.loads((inst / "metadata" / "mechanism_summary.json").read_text())["motif_family"]
    for secret in ("product_fit", "champion_strength", "budget_stability", "motif_family", family):
        assert secret not in text
    subs = pl.read_parquet(pub / "tables" / "subscriptions.parquet")
    assert subs.columns == ["subscription_id", "customer_id", "plan_name", "subscription_start_at"]
    # Exposure monotonicity: every public file exists for instructors, public rows ⊆ instructor.
    for path in pub.rglob("*.parquet"):
        rel = path.relative_to(pub)
        assert (inst / rel).is_file(), rel
        if rel.parts[0] == "tables":
            assert pl.read_parquet(path).height <= pl.read_parquet(inst / rel).height


def test_manifest_is_lifecycle_only(bundles) -> None:
    manifest = json.loads((bundles["public"] / "manifest.json").read_text())
    assert manifest["scheme_details"]["observation_date"] == "2024-01-01"
    flat = json.dumps(manifest)
    for field in ("n_leads", "snapshot_day", "converted_within_90_days", "lead_id"):
        assert field not in flat


def test_same_seed_same_bytes_and_seed_matters(tmp_path) -> None:
    a = _digest(_generate(tmp_path, "a", exposure_mode="research_instructor"))
    b = _digest(_generate(tmp_path, "b", exposure_mode="research_instructor"))
    c = _digest(_generate(tmp_path, "c", exposure_mode="research_instructor", seed=4))
    assert a == b
    assert a["tables/invoices.parquet"] != c["tables/invoices.parquet"]


def test_calendar_parameters_are_reachable_and_validated() -> None:
    p = plan(
        RECIPE,
        sets=["calendar.observation_date=2023-06-05", "calendar.early_tenure_weeks=8"],
        params={"n_customers": 120},
    )
    assert str(p.config.params.calendar.observation_date) == "2023-06-05"
    assert p.config.params.population.n_customers == 120
    with pytest.raises(ConfigError, match="observation_date"):
        plan(RECIPE, sets=["calendar.observation_date=2021-01-04"])
    with pytest.raises(ConfigError, match="n_customers"):
        plan(RECIPE, params={"n_customers": 3.5})
    with pytest.raises(ConfigError):
        plan(RECIPE, motif="not_a_motif")


def test_motif_flag_and_difficulty_change_the_simulation(tmp_path) -> None:
    a = _generate(
        tmp_path,
        "a",
        exposure_mode="research_instructor",
        motif="payment_fragile",
        difficulty="intro",
    )
    b = _generate(
        tmp_path,
        "b",
        exposure_mode="research_instructor",
        motif="payment_fragile",
        difficulty="advanced",
    )
    ma = json.loads((a / "metadata" / "mechanism_summary.json").read_text())
    mb = json.loads((b / "metadata" / "mechanism_summary.json").read_text())
    assert ma["motif_family"] == mb["motif_family"] == "payment_fragile"
    assert ma["rates"]["payment_failure"] == pytest.approx(0.035 * 1.3)
    assert mb["rates"]["weekly_churn"] > ma["rates"]["weekly_churn"]
    churn = [
        pl.read_parquet(x / "tables" / "subscriptions.parquet")["churn_at"].is_not_null().mean()
        for x in (a, b)
    ]
    assert churn[1] > churn[0]
    feats = [pl.read_csv(x / "feature_dictionary.csv")["feature_name"].to_list() for x in (a, b)]
    assert "active_users_current" not in feats[0] and "active_users_current" in feats[1]
    assert "mrr_change_full_period" in feats[0]


def _tamper(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_scheme_checks_catch_broken_bundles(bundles, tmp_path) -> None:
    inst = _tamper(bundles["instructor"], tmp_path / "t")
    path = inst / "tasks" / "ltv_revenue_365d" / "train.parquet"
    frame = pl.read_parquet(path)
    frame.with_columns(pl.col("ltv_revenue_365d") * 0 - 1).write_parquet(path)
    report = validate_bundle(inst)
    checks = {f.check for f in report.findings}
    assert {"lifecycle_target_sums", "lifecycle_windows"} <= checks


def test_scheme_checks_catch_leaks_and_billing_errors(bundles, tmp_path) -> None:
    pub = _tamper(bundles["public"], tmp_path / "p")
    events = pub / "tables" / "subscription_events.parquet"
    frame = pl.read_parquet(events)
    frame.with_columns(pl.col("event_timestamp").dt.offset_by("400d")).write_parquet(events)
    invoices = pub / "tables" / "invoices.parquet"
    frame = pl.read_parquet(invoices)
    frame.with_columns(pl.col("amount_usd") + 1.0, ltv_revenue_90d=1.0).write_parquet(invoices)
    checks = {f.check for f in validate_bundle(pub).findings}
    assert {"lifecycle_cutoff", "lifecycle_billing", "lifecycle_targets"} <= checks


@pytest.mark.parametrize("difficulty", ["intro", "advanced"])
def test_every_difficulty_passes_core_contracts_and_probes(tmp_path, difficulty) -> None:
    path = _generate(
        tmp_path, "b", exposure_mode="student_public", difficulty=difficulty, n_customers=1500
    )
    report = validate_bundle(path)
    assert report.ok, [str(f) for f in report.findings]
    assert {"schema", "tasks", "leakage", "lifecycle.lifecycle_event_windows"} <= set(
        report.checks_run
    )


def test_event_before_its_customer_started_is_reported(bundles, tmp_path) -> None:
    inst = _tamper(bundles["instructor"], tmp_path / "w")
    path = inst / "tables" / "health_signals.parquet"
    frame = pl.read_parquet(path)
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 3)
        .then(pl.col("period_end").dt.offset_by("-3000d"))
        .otherwise(pl.col("period_end"))
        .alias("period_end")
    ).write_parquet(path)
    found = [f for f in validate_bundle(inst).findings if f.check == "lifecycle_event_windows"]
    assert [(f.message, f.location) for f in found] == [
        ("3 rows outside their customer's window", "health_signals.period_end")
    ]
