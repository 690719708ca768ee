"""The hidden graph: valid by construction, motif-shaped, and actually driving the simulation."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from leadforge_lifecycle.params import Motif
from leadforge_lifecycle.simulate.engine import simulate
from leadforge_lifecycle.world.build import build_world
from leadforge_lifecycle.world.graph import build_graph, validate_graph
from lifecycle_support import make_ctx

from leadforge_core.progress import NullProgress
from leadforge_core.rng import RandomStreams


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(list(Motif)), st.integers(0, 2**32 - 1))
def test_every_sampled_graph_is_a_valid_dag(motif: Motif, seed: int) -> None:
    graph = build_graph(motif, np.random.default_rng(seed))
    assert nx.is_directed_acyclic_graph(graph.graph)
    assert graph.weight("usage_depth", "churn") > 0
    assert graph.to_json()["motif_family"] == motif


def test_validation_rejects_a_cycle() -> None:
    graph = build_graph(Motif.PAYMENT_FRAGILE, np.random.default_rng(0)).graph.copy()
    graph.add_edge("churn", "product_fit", weight=1.0)
    with pytest.raises(ValueError):
        validate_graph(graph)


def test_motif_emphasis_shows_in_edge_weights() -> None:
    rng = np.random.default_rng
    fragile = build_graph(Motif.PAYMENT_FRAGILE, rng(1))
    product = build_graph(Motif.PRODUCT_LED_RETENTION, rng(1))
    edge = ("budget_stability", "payment_failure")
    assert fragile.weight(*edge) > product.weight(*edge)


def _churned(world, ctx) -> int:
    sim = simulate(world, RandomStreams(ctx.seed), NullProgress(), dunning_weeks=12, period_weeks=4)
    return int((sim.final["churn_week"] >= 0).sum())


def test_the_graph_drives_the_simulation() -> None:
    ctx = make_ctx(seed=5, n=600)
    world = build_world(ctx)
    base = _churned(world, ctx)
    assert _churned(world, ctx) == base  # deterministic given the world
    world.graph.graph.remove_edge("usage_depth", "churn")
    assert _churned(world, ctx) != base
    world.graph.graph["unrecovered_payment"]["churn"]["weight"] = 6.0
    assert _churned(world, ctx) != base
