"""The hidden graph: acyclic, constrained, and it drives the generated data."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from leadforge_lead_scoring.world.graph import SCHEMA, build_graph
from leadforge_lead_scoring.world.motifs import CATEGORY_RANK, MOTIF_FAMILIES
from worlds import context

from leadforge_core.causal import CausalGraph, cut_edge, scale_edge
from leadforge_core.errors import SimulationError
from leadforge_core.rng import RandomStreams

FAMILIES = sorted(MOTIF_FAMILIES)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    family=st.sampled_from(FAMILIES),
    confounding=st.floats(0.0, 2.0),
    noise=st.floats(0.1, 2.0),
)
def test_sampled_graphs_are_valid_dags(
    seed: int, family: str, confounding: float, noise: float
) -> None:
    cg = build_graph(family, RandomStreams(seed).generator("g"), confounding, noise)
    g = cg.nx
    assert nx.is_directed_acyclic_graph(g)
    assert cg.problems() == []
    for u, v in g.edges:
        assert CATEGORY_RANK[g.nodes[u]["category"]] <= CATEGORY_RANK[g.nodes[v]["category"]]
    assert all(d["noise"] > 0 for _, d in g.nodes(data=True))
    assert g.in_degree("deal_propensity") >= 2
    assert cg.graph["motif_family"] == family


def validate_graph(g: nx.DiGraph) -> None:
    problems = SCHEMA.problems(g)
    if problems:
        raise SimulationError("; ".join(problems))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), family=st.sampled_from(FAMILIES))
def test_forbidden_edges_are_rejected(seed: int, family: str) -> None:
    g = build_graph(family, RandomStreams(seed).generator("g"), 0.5).nx
    validate_graph(g)
    back = g.copy()
    back.add_edge("deal_propensity", "engagement", weight=1.0, form="linear", partner="")
    with pytest.raises(SimulationError, match=r"cycle|back in time"):
        validate_graph(back)
    leaky = g.copy()
    leaky.add_edge("lead_score_proxy", "deal_propensity", weight=1.0, form="linear", partner="")
    with pytest.raises(SimulationError):
        validate_graph(leaky)
    orphan = g.copy()
    orphan.remove_edges_from(list(orphan.in_edges("deal_propensity")))
    with pytest.raises(SimulationError, match="orphaned"):
        validate_graph(orphan)
    silent = g.copy()
    silent.nodes["engagement"]["noise"] = 0.0
    with pytest.raises(SimulationError, match="noiseless"):
        validate_graph(silent)


def test_unknown_family_lists_valid_ones() -> None:
    with pytest.raises(SimulationError, match="fit_dominant"):
        build_graph("nope", RandomStreams(1).generator("g"), 0.2)


def test_execute_follows_edges() -> None:
    g = build_graph("intent_dominant", RandomStreams(3).generator("g"), 0.0)
    assert isinstance(g, CausalGraph)
    n = 500
    exo = {"contact_intent": np.linspace(-2, 2, n).astype(np.float32)}
    base = g.execute(exo, RandomStreams(1).generator("x"), n)
    weaker = g.intervene([scale_edge("contact_intent", "engagement", 0.1)])
    changed = weaker.execute(exo, RandomStreams(1).generator("x"), n)
    assert (
        np.corrcoef(base["engagement"], exo["contact_intent"])[0, 1]
        > np.corrcoef(changed["engagement"], exo["contact_intent"])[0, 1]
    )


def _render(graph_edit: str | None) -> dict[str, object]:
    scheme, ctx = context(motif="fit_dominant")
    world = scheme.build_world(ctx)
    if graph_edit is not None:
        world.graph = world.graph.intervene([cut_edge(graph_edit, "deal_propensity")])
    sim = scheme.simulate(world, ctx)
    return scheme.render(world, sim, ctx).tables  # type: ignore[no-any-return]


def test_removing_an_edge_changes_the_data() -> None:
    base = _render(None)
    again = _render(None)
    cut = _render("account_fit")
    assert all(base[k].equals(again[k]) for k in base)  # type: ignore[attr-defined]
    assert not base["leads"].equals(cut["leads"])  # type: ignore[attr-defined]
    assert not base["opportunities"].equals(cut["opportunities"])  # type: ignore[attr-defined]


def test_graph_json_round_trip_names_every_edge() -> None:
    g = build_graph("demo_trial_mediated", RandomStreams(5).generator("g"), 0.4)
    data = g.to_json()
    assert {(e["source"], e["target"]) for e in data["edges"]} == set(g.edges)
    assert {n["id"] for n in data["nodes"]} == set(g.nodes)
    assert data["attributes"]["motif_family"] == "demo_trial_mediated"
