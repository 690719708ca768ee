"""Interventions on the lifecycle world: null ones reproduce it, real ones act causally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from leadforge_lifecycle.params import Motif
from leadforge_lifecycle.world.graph import build_graph

from leadforge_core.api import Generator
from leadforge_core.errors import ConfigError

RECIPE = "b2b_saas_ltv_v1"
N = 800
STAMP = "2026-01-01T00:00:00Z"


def _gen(mode: str = "research_instructor", interventions: Any = (), **kw: Any) -> Any:
    kw.setdefault("seed", 3)
    kw.setdefault("n_customers", N)
    return Generator.from_recipe(
        RECIPE, exposure_mode=mode, interventions=interventions, **kw
    ).generate(timestamp=STAMP)


def _files(root: Path, under: str) -> dict[str, bytes]:
    files = sorted(p for p in (root / under).rglob("*") if p.is_file())
    assert files
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


@pytest.mark.parametrize("mode", ["research_instructor", "student_public"])
def test_a_null_intervention_reproduces_the_world(tmp_path: Path, mode: str) -> None:
    base = _gen(mode).save(tmp_path / "base")
    null = _gen(
        mode,
        ["scale(usage_depth->churn=1)", "shift(product_fit=+0)", "shift(obs_nps_score=+0)"],
    ).save(tmp_path / "null")
    for folder in ("tables", "tasks"):
        assert _files(base, folder) == _files(null, folder)
    before = json.loads((base / "manifest.json").read_text())
    after = json.loads((null / "manifest.json").read_text())
    recorded = after.pop("interventions")
    assert "interventions" not in before and after == before
    if mode == "student_public":
        assert recorded == "withheld"
        assert "usage_depth" not in (null / "manifest.json").read_text()
    else:
        assert recorded == [
            "scale(usage_depth->churn=1)",
            "shift(product_fit=+0)",
            "shift(obs_nps_score=+0)",
        ]


def _outcomes(bundle: Any) -> dict[str, Any]:
    subs = bundle.tables["subscriptions"].select("subscription_id", "churn_at", "churn_reason")
    targets = {
        (task, split): frame.select(list(bundle.tasks[task].spec.targets))
        for task, out in bundle.tasks.items()
        for split, frame in out.splits.items()
    }
    return {"subs": subs, "events": bundle.tables["subscription_events"], **targets}


def test_an_observable_off_every_path_to_churn_leaves_outcomes_alone() -> None:
    base = _gen()
    nps = _gen(interventions=["do(obs_nps_score=9)"])
    a, b = _outcomes(base), _outcomes(nps)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].equals(b[key]), key
    scores = nps.tables["health_signals"]["nps_score"].drop_nulls()
    assert scores.len() > 0 and set(scores.unique().to_list()) == {9}
    assert base.tables["health_signals"]["nps_score"].drop_nulls().n_unique() > 1
    # Missing readings stay missing.
    assert (
        nps.tables["health_signals"]["nps_score"].null_count()
        == base.tables["health_signals"]["nps_score"].null_count()
    )


def _churned(bundle: Any) -> int:
    return int(bundle.tables["subscriptions"]["churn_at"].is_not_null().sum())


def test_cutting_a_churn_driver_moves_churn_the_expected_way() -> None:
    base = _churned(_gen())
    # Low usage raises churn risk: without the edge, disengaged customers stop churning more.
    cut = _churned(_gen(interventions=["cut(usage_depth->churn)"]))
    stronger = _churned(_gen(interventions=["scale(usage_depth->churn=2)"]))
    assert cut < base < stronger


def test_node_interventions_reach_the_drawn_latents() -> None:
    base = _gen()
    fit = _gen(interventions=["shift(product_fit=+1.5)"])
    assert _churned(fit) < _churned(base)
    registry = fit.truth["latent_registry.json"]["product_fit"]
    assert registry["mean"] == pytest.approx(
        base.truth["latent_registry.json"]["product_fit"]["mean"] + 1.5, abs=1e-6
    )
    assert fit.tables["accounts"].equals(base.tables["accounts"])


def test_removing_an_edge_changes_the_data() -> None:
    base = _gen()
    cut = _gen(interventions=["cut(budget_stability->payment_failure)"])
    assert not base.tables["invoices"].equals(cut.tables["invoices"])
    weights = cut.truth["mechanism_summary.json"]["edge_weights"]
    assert "budget_stability->payment_failure" not in weights


@pytest.mark.parametrize(
    ("interventions", "message"),
    [
        (["do(usage_depth=0.9)"], "cannot set node usage_depth directly"),
        (["shift(nope=+1)"], "unknown node 'nope'"),
        (["cut(obs_nps_score->churn)"], "is not in this world's graph"),
        (["cut(mrr->revenue)"], "edge mrr->revenue is structural in this scheme"),
    ],
)
def test_bad_interventions_fail_with_one_clear_line(interventions: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        _gen(interventions=interventions, n_customers=100)
    assert "\n" not in str(exc.value)


def test_an_optional_edge_absent_from_this_world_is_named_as_such() -> None:
    seed = next(
        s
        for s in range(100)
        if build_graph(Motif.PAYMENT_FRAGILE, np.random.default_rng(s)).edge(
            "champion_strength", "usage_depth"
        )
        is None
    )
    graph = build_graph(Motif.PAYMENT_FRAGILE, np.random.default_rng(seed))
    with pytest.raises(ConfigError, match="optional edge absent in this world"):
        graph.intervene(["scale(champion_strength->usage_depth=2)"])


def _sim_digest(world: Any, ctx: Any) -> list[bytes]:
    import attrs
    from leadforge_lifecycle.scheme import LifecycleScheme

    sim = LifecycleScheme().simulate(world, ctx)
    arrays = [*sim.events.values(), *sim.invoices.values(), *sim.final.values()]
    arrays += [getattr(sim.health, f.name) for f in attrs.fields(type(sim.health))]
    return [np.ascontiguousarray(a).tobytes() for a in arrays]


def test_every_mechanism_edge_moves_the_simulation_and_identities_are_refused() -> None:
    from leadforge_lifecycle.world.build import build_world
    from leadforge_lifecycle.world.graph import EDGE_TARGETS, STRUCTURAL_EDGES
    from lifecycle_support import make_ctx

    ctx = make_ctx(seed=11, n=300)
    world = build_world(ctx)
    natural = world.graph
    base = _sim_digest(world, ctx)
    present = [e for e in EDGE_TARGETS if natural.edge(*e) is not None]
    assert len(present) >= len(EDGE_TARGETS) - 4  # at most the four optional edges are absent
    for source, target in present:
        world.graph = natural.intervene([f"scale({source}->{target}=3)"])
        assert _sim_digest(world, ctx) != base, f"{source}->{target} changes nothing"
    for source, target in sorted(STRUCTURAL_EDGES):
        with pytest.raises(ConfigError, match="is structural in this scheme"):
            natural.intervene([f"cut({source}->{target})"], edge_targets=EDGE_TARGETS)
