"""A second vertical is a data-only recipe file that generates a valid bundle."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from leadforge_core.api import Generator
from leadforge_core.validation.runner import validate_bundle

VERTICAL = Path(__file__).resolve().parents[3] / "recipes" / "b2b_saas_cybersecurity_v1.yaml"


def test_second_vertical_generates_and_validates(tmp_path: Path) -> None:
    for mode in ("student_public", "research_instructor"):
        bundle = Generator.from_recipe(VERTICAL, seed=3, n_leads=2500, exposure_mode=mode).generate(
            timestamp=0
        )
        path = bundle.save(tmp_path / mode)
        report = validate_bundle(path)
        assert report.ok, [str(f) for f in report.findings]
    leads = pl.read_parquet(tmp_path / "research_instructor" / "tables" / "leads.parquet")
    assert "security_review" in set(leads["current_stage"])
    channels = set(leads["first_touch_channel"])
    assert "free_posture_scan" in channels and "webinar" not in channels
    card = (tmp_path / "student_public" / "dataset_card.md").read_text()
    assert "Stratoguard" in card and "Ledgerline" not in card


@pytest.mark.parametrize("recipe", ["b2b_saas_procurement_v1", str(VERTICAL)])
@pytest.mark.parametrize("difficulty", ["intro", "advanced"])
def test_shipped_recipes_pass_every_core_contract_and_probe(
    tmp_path: Path, recipe: str, difficulty: str
) -> None:
    bundle = Generator.from_recipe(
        recipe, seed=5, n_leads=2000, exposure_mode="student_public", difficulty=difficulty
    ).generate(timestamp=0)
    report = validate_bundle(bundle.save(tmp_path / "b"))
    assert report.ok, [str(f) for f in report.findings]
    assert {"schema", "tasks", "leakage", "lead_scoring.join_reconstruction"} <= set(
        report.checks_run
    )
    card = (tmp_path / "b" / "dataset_card.md").read_text()
    assert "Split strategy: temporal." in card
