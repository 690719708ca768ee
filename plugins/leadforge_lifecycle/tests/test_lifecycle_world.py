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
from leadforge_lifecycle.world.graph import EDGES, NODE_CATEGORY, SCHEMA, build_graph
from lifecycle_support import make_ctx

from leadforge_core.causal import cut_edge, scale_edge
from leadforge_core.errors import SimulationError
from leadforge_core.progress import NullProgress
from leadforge_core.rng import RandomStreams


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(list(Motif)), st.integers(0, 2**32 - 1))
def test_every_sampled_graph_is_a_valid_dag(motif: Motif, seed: int) -> None:
    graph = build_graph(motif, np.random.default_rng(seed))
    assert nx.is_directed_acyclic_graph(graph.nx)
    assert graph.problems() == []
    assert graph.weight("usage_depth", "churn") > 0
    assert graph.to_json()["attributes"]["motif_family"] == motif
    for u, v in graph.removed_edges:
        assert graph.edge(u, v) is None
        assert any(s == u and t == v and optional for s, t, _, optional in EDGES)
    data = graph.to_json()
    assert {(e["source"], e["target"]) for e in data["removed_edges"]} == set(graph.removed_edges)
    assert all(n["description"] for n in data["nodes"])
    if graph.removed_edges:
        assert data["rewiring"][0].startswith("optional edges absent: ")


def test_validation_rejects_a_cycle_and_a_caused_latent() -> None:
    graph = build_graph(Motif.PAYMENT_FRAGILE, np.random.default_rng(0)).nx.copy()
    graph.add_edge("churn", "product_fit", weight=1.0, form="linear")
    problems = SCHEMA.problems(graph)
    assert "graph has a cycle" in problems
    assert "latent product_fit has a parent" in problems
    assert "edge churn->product_fit points back in time (outcome -> customer_latent)" in problems


def test_an_orphaned_outcome_is_rejected_on_construction() -> None:
    from leadforge_core.causal import EdgeSpec, GraphDraft, NodeSpec

    draft = GraphDraft.from_specs(
        [NodeSpec(n, c) for n, c in NODE_CATEGORY.items()],
        [EdgeSpec(s, t, w) for s, t, w, _ in EDGES if t != "revenue"],
    )
    with pytest.raises(SimulationError, match="outcome node revenue is orphaned"):
        draft.build(SCHEMA)


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
    natural = world.graph
    world.graph = natural.intervene([cut_edge("usage_depth", "churn")])
    assert _churned(world, ctx) != base
    world.graph = natural.intervene([scale_edge("unrecovered_payment", "churn", 6.0)])
    assert _churned(world, ctx) != base
