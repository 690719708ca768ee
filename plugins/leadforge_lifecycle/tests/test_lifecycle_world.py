"""The hidden graph: valid by construction, motif-shaped, and actually driving the simulation."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from leadforge_lifecycle.params import Motif
from leadforge_lifecycle.simulate.engine import EVENT_TYPES, simulate
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


def _rows(sim, keep: np.ndarray) -> dict[str, np.ndarray]:
    ev = sim.events
    sel = keep[ev["customer"].astype(np.int64)]
    out = {f"ev.{k}": v[sel] for k, v in ev.items()}
    inv = sim.invoices
    sel = keep[inv["customer"].astype(np.int64)]
    out |= {f"inv.{k}": v[sel] for k, v in inv.items() if k != "episode"}
    h = sim.health
    sel = keep[h.customer]
    out |= {"health.users": h.active_users[sel], "health.tickets": h.support_tickets[sel]}
    out |= {f"final.{k}": v[keep] for k, v in sim.final.items()}
    return out


def test_a_customers_history_does_not_depend_on_other_customers() -> None:
    """Common random numbers: moving other customers' start weeks leaves every remaining
    customer's events, invoices, telemetry and final state unchanged."""
    ctx = make_ctx(seed=4, n=700)
    world = build_world(ctx)

    def run():
        return simulate(
            world,
            RandomStreams(ctx.seed),
            NullProgress(),
            dunning_weeks=12,
            period_weeks=4,
            block_size=256,
        )

    base = run()
    moved = np.zeros(world.population.n, dtype=bool)
    moved[::5] = True
    start = world.population.customers["start_week"]
    start[moved] = (start[moved] + 9) % max(int(start.max()), 1)
    other = run()
    a, b = _rows(base, ~moved), _rows(other, ~moved)
    for key in a:
        assert np.array_equal(a[key], b[key], equal_nan=True), key
    assert not np.array_equal(base.final["churn_week"], other.final["churn_week"])


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 1000), block_size=st.sampled_from([97, 300]))
def test_block_order_and_threads_do_not_change_the_weekly_loop(seed: int, block_size: int) -> None:
    ctx = make_ctx(seed=seed, n=450)
    world = build_world(ctx)
    kw = {"dunning_weeks": 12, "period_weeks": 4, "block_size": block_size}
    ref = simulate(world, RandomStreams(seed), NullProgress(), **kw)
    n_blocks = -(-world.population.n // block_size)
    got = simulate(
        world,
        RandomStreams(seed),
        NullProgress(),
        **kw,
        workers=2,
        order=list(reversed(range(n_blocks))),
    )
    for part in ("events", "invoices", "final"):
        for k, v in getattr(ref, part).items():
            assert np.array_equal(v, getattr(got, part)[k]), (part, k)
    assert np.array_equal(ref.health.customer, got.health.customer)
    # Events come back in week order; dunning episodes are numbered in the order they open.
    assert np.all(np.diff(ref.events["week"]) >= 0)
    fail = ref.events["type"] == EVENT_TYPES.index("payment_failure")
    opened = np.lexsort((ref.events["customer"][fail], ref.events["week"][fail]))
    assert np.array_equal(opened, np.arange(opened.size))
    inv = ref.invoices
    has = inv["episode"] >= 0
    owner = ref.events["customer"][fail]
    assert np.array_equal(owner[inv["episode"][has].astype(np.int64)], inv["customer"][has])
    assert ref.episodes["outcome"].size == int(fail.sum())
