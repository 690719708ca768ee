"""Interventions on the lead-scoring world: null ones reproduce it, real ones act causally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from leadforge_lead_scoring.world.graph import build_graph
from worlds import RECIPE, context, generate

from leadforge_core.api import Generator
from leadforge_core.causal import shift
from leadforge_core.errors import ConfigError
from leadforge_core.progress import NullProgress

N = 2000


def _files(root: Path, under: str) -> dict[str, bytes]:
    files = sorted(p for p in (root / under).rglob("*") if p.is_file())
    assert files
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def _manifest(root: Path) -> dict[str, Any]:
    return json.loads((root / "manifest.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("mode", ["research_instructor", "student_public"])
def test_a_null_intervention_reproduces_the_world(tmp_path: Path, mode: str) -> None:
    base = generate(mode, n_leads=N).save(tmp_path / "base")
    null = generate(
        mode,
        n_leads=N,
        interventions=["scale(followup_speed->deal_propensity=1)", shift("engagement", 0.0)],
    ).save(tmp_path / "null")
    for folder in ("tables", "tasks"):
        assert _files(base, folder) == _files(null, folder)
    before, after = _manifest(base), _manifest(null)
    assert "interventions" not in before
    recorded = after.pop("interventions")
    assert after == before
    if mode == "student_public":
        assert recorded == "withheld"
        text = (null / "manifest.json").read_text()
        assert "followup_speed" not in text and "deal_propensity" not in text
        assert not (null / "metadata" / "graph.json").exists()
    else:
        assert recorded == ["scale(followup_speed->deal_propensity=1)", "shift(engagement=+0)"]


def test_an_intervention_off_every_path_to_the_outcome_leaves_outcomes_alone() -> None:
    base = generate("research_instructor", n_leads=N)
    proxy = generate("research_instructor", n_leads=N, interventions=["do(lead_score_proxy=2.5)"])
    outcome_cols = ["lead_id", "converted_within_90_days", "conversion_timestamp"]
    assert (
        base.tables["leads"].select(outcome_cols).equals(proxy.tables["leads"].select(outcome_cols))
    )
    for table in ("opportunities", "customers", "subscriptions", "lead_stage_history"):
        assert base.tables[table].equals(proxy.tables[table]), table
    for split, frame in base.tasks["converted_within_90_days"].splits.items():
        other = proxy.tasks["converted_within_90_days"].splits[split]
        assert frame["converted_within_90_days"].equals(other["converted_within_90_days"])
    # ...but the proxy it set did change: the marketing lead score moved.
    assert not base.tables["leads"]["lead_score"].equals(proxy.tables["leads"]["lead_score"])


def _conversion_rate(bundle: Any) -> float:
    return float(bundle.tables["leads"]["converted_within_90_days"].cast(pl.Float64).mean())


def test_raising_a_driver_of_conversion_raises_conversion() -> None:
    base = _conversion_rate(generate("research_instructor", n_leads=N))
    up = _conversion_rate(
        generate("research_instructor", n_leads=N, interventions=["shift(deal_propensity=+1)"])
    )
    down = _conversion_rate(
        generate("research_instructor", n_leads=N, interventions=["shift(deal_propensity=-1)"])
    )
    assert down < base < up
    assert up - base > 0.02


def test_removing_an_edge_changes_the_data_and_is_recorded() -> None:
    base = generate("research_instructor", n_leads=N)
    cut = generate(
        "research_instructor", n_leads=N, interventions=["cut(account_fit->deal_propensity)"]
    )
    assert not base.tables["leads"].equals(cut.tables["leads"])
    assert not base.tables["opportunities"].equals(cut.tables["opportunities"])
    assert cut.manifest["interventions"] == ["cut(account_fit->deal_propensity)"]
    edges = {(e["source"], e["target"]) for e in cut.truth["graph.json"]["edges"]}
    assert ("account_fit", "deal_propensity") not in edges
    assert ("account_fit", "deal_propensity") in {
        (e["source"], e["target"]) for e in base.truth["graph.json"]["edges"]
    }


@pytest.mark.parametrize(
    ("interventions", "message"),
    [
        (["shift(not_a_node=+1)"], "unknown node 'not_a_node'"),
        (["cut(lead_score_proxy->deal_propensity)"], "is not in this world's graph"),
        (["scale(engagement->demo_momentum)"], "scale takes source->target=factor"),
    ],
)
def test_bad_interventions_fail_before_anything_is_simulated(
    interventions: list[str], message: str
) -> None:
    progress = PhaseLog()
    with pytest.raises(ConfigError, match=message) as exc:
        Generator.from_recipe(RECIPE, n_leads=300, interventions=interventions).generate(
            progress=progress
        )
    assert "\n" not in str(exc.value)
    assert "simulation" not in progress.started


class PhaseLog(NullProgress):
    """Remembers which pipeline phases started."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def phase(self, name: str, total: int | None = None, unit: str = "") -> Any:
        self.started.append(name)
        return super().phase(name, total, unit)


def test_a_node_removed_by_rewiring_is_named_as_such() -> None:
    seed = next(
        s
        for s in range(100)
        if "lead_quality" not in build_graph("fit_dominant", np.random.default_rng(s), 0.5)
    )
    graph = build_graph("fit_dominant", np.random.default_rng(seed), 0.5)
    with pytest.raises(ConfigError, match="node lead_quality was removed by this world's rewiring"):
        graph.intervene(["do(lead_quality=1)"])


def test_drivers_are_standardized_with_the_natural_worlds_moments() -> None:
    """A shift survives standardization: the hazards see the driver moved by delta / sd."""
    means = {}
    for label, interventions in (("natural", []), ("shifted", ["shift(deal_propensity=+1)"])):
        scheme, ctx = context(n_leads=1500, interventions=interventions)
        world = scheme.build_world(ctx)
        means[label] = float(np.mean(scheme.simulate(world, ctx).nodes["deal_propensity"]))
    assert abs(means["natural"]) < 1e-4
    assert means["shifted"] > 0.3
