"""The example lead-scoring vertical (``examples/fintech_leads``), installed as a user would:
its recipe, task feature, check, command and export format each come through a hook, and
all of them are gone once it is uninstalled."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from test_examples import (
    EXAMPLES,
    assert_own_tests_pass,
    assert_public_core_only,
    cli,
    install,
)

VERTICAL = EXAMPLES / "fintech_leads"
RECIPE = "b2b_fintech_payments_v1"
HOOKS = {
    "leadforge_register_recipes",
    "leadforge_task_features",
    "leadforge_register_checks",
    "leadforge_register_commands",
    "leadforge_register_exporters",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(VERTICAL, tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="module")
def bundles(site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bundles")
    paths = {}
    for mode in ("student_public", "research_instructor"):
        paths[mode] = out / mode
        args = ("generate", "-r", RECIPE, "--seed", "4", "--n-leads", "1500", "--mode", mode)
        cli(*args, "--out", str(paths[mode]), site=site)
    return paths


def test_vertical_uses_only_the_public_core() -> None:
    assert_public_core_only(VERTICAL)


def test_plugins_lists_the_vertical_and_its_hooks(site: Path) -> None:
    listing = json.loads(cli("plugins", "--json", site=site).stdout)
    mine = [p for p in listing["plugins"] if p["distribution"] == "leadforge-fintech-leads"]
    assert len(mine) == 1 and mine[0]["status"] == "loaded", listing
    assert {
        h if h.startswith("leadforge_") else f"leadforge_{h}" for h in mine[0]["hooks"]
    } >= HOOKS
    assert mine[0]["recipes"] == [RECIPE]


@pytest.mark.parametrize("mode", ["student_public", "research_instructor"])
def test_generate_inspect_validate_command_export(
    site: Path, bundles: dict[str, Path], mode: str, tmp_path: Path
) -> None:
    bundle = bundles[mode]
    manifest = json.loads((bundle / "manifest.json").read_text())
    contributors = {p["distribution"]: p for p in manifest["generator"]["plugins"]}
    assert contributors["leadforge-fintech-leads"]["task_features"] == [
        "connected_activities_last_7d"
    ]
    assert "lead_scoring" in cli("inspect", str(bundle), site=site).stdout
    report = json.loads(cli("validate", str(bundle), "--json", site=site).stdout)
    assert report["ok"] and "fintech.acv_band" in report["checks_run"], report
    out = cli("fintech-pipeline", str(bundle), site=site).stdout
    assert "first_touch_channel" in out and "organic_search" in out
    cli("export", str(bundle), "--format", "jsonl", "--out", str(tmp_path / "x"), site=site)
    train = pl.read_ndjson(tmp_path / "x" / "tasks" / "converted_within_90_days" / "train.jsonl")
    assert "connected_activities_last_7d" in train.columns and train.height > 0
    features = pl.read_csv(bundle / "feature_dictionary.csv")
    assert "connected_activities_last_7d" in features["feature_name"].to_list()
    assert "connected_activities_last_7d" in (bundle / "dataset_card.md").read_text()


def test_vertical_passes_its_own_tests_and_the_conformance_suite(site: Path) -> None:
    assert_own_tests_pass(VERTICAL, site)


def test_after_uninstalling_everything_it_added_is_gone(
    site: Path, bundles: dict[str, Path], tmp_path: Path
) -> None:
    listing = json.loads(cli("plugins", "--json", site=None).stdout)
    assert all(p["distribution"] != "leadforge-fintech-leads" for p in listing["plugins"])
    assert RECIPE not in cli("list-recipes", site=None).stdout
    gone = cli("fintech-pipeline", str(bundles["student_public"]), site=None, check=False)
    assert gone.returncode == 2 and "Traceback" not in gone.stderr
    fmt = cli("export", str(bundles["student_public"]), "--format", "jsonl", "--out",
              str(tmp_path / "y"), site=None, check=False)  # fmt: skip
    assert fmt.returncode == 2 and "jsonl" in fmt.stderr and not (tmp_path / "y").exists()
    report = json.loads(cli("validate", str(bundles["student_public"]), "--json", site=None).stdout)
    assert report["ok"], report
    assert "fintech.acv_band" not in report["checks_run"]
    assert [s["check"] for s in report["checks_skipped"]] == ["fintech.*"]
    assert "leadforge-fintech-leads" in report["checks_skipped"][0]["reason"]
