"""Target windows are parameters: task names, targets, checks and exposure follow them."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from leadforge_core.api import Generator
from leadforge_core.errors import ConfigError
from leadforge_core.validation.runner import validate_bundle

RECIPE = "b2b_saas_ltv_v1"


@pytest.mark.parametrize("mode", ["student_public", "research_instructor"])
def test_custom_windows_shape_the_tasks(tmp_path: Path, mode: str) -> None:
    gen = Generator.from_recipe(
        RECIPE,
        seed=3,
        exposure_mode=mode,
        n_customers=400,
        sets=["windows.value_days=[30, 120]", "windows.churn_days=60"],
    )
    bundle = gen.generate(timestamp=0)
    calendar = {"ltv_revenue_30d", "ltv_revenue_120d", "churned_within_60d"}
    expected = calendar | (
        {f"early_{t}" for t in calendar} if mode == "research_instructor" else set()
    )
    assert set(bundle.tasks) == expected
    train = bundle.tasks["ltv_revenue_120d"].splits["train"]
    assert "ltv_revenue_120d" in train.columns and "ltv_revenue_30d" not in train.columns
    both = (
        bundle.tasks["ltv_revenue_30d"]
        .splits["train"]
        .join(train.select("customer_id", "ltv_revenue_120d"), on="customer_id")
    )
    assert both.filter(pl.col("ltv_revenue_30d") > pl.col("ltv_revenue_120d") + 0.01).height == 0
    bundle.save(tmp_path / "b")
    report = validate_bundle(tmp_path / "b")
    assert report.ok, [str(f) for f in report.findings]


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("windows.value_days=[365, 90]", "windows.value_days: windows must be strictly increasing"),
        ("windows.value_days=[]", "windows.value_days: needs at least one window"),
        ("windows.value_days=[3]", "windows.value_days: each window must be within 7..1825 days"),
        ("windows.churn_days=0", "windows.churn_days: must be >= 7"),
        ("windows.value_days=[90.5]", "expected an integer"),
    ],
)
def test_bad_windows_are_rejected(setting: str, fragment: str) -> None:
    with pytest.raises(
        ConfigError, match=fragment.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")
    ):
        Generator.from_recipe(RECIPE, sets=[setting])
