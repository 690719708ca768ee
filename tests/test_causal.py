"""The core causal-graph engine: specs, schema rules, motifs, rewiring, execution, interventions."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadforge_core.causal import (
    AddConfounder,
    BypassMediator,
    CausalGraph,
    CutEdge,
    Do,
    EdgeSpec,
    GraphDraft,
    GraphSchema,
    JitterEdges,
    KeepOptionalEdges,
    MotifFamily,
    NodeSpec,
    Rewiring,
    ScaleEdge,
    Shift,
    SwapProxy,
    cut_edge,
    do,
    parse_intervention,
    parse_interventions,
    scale_edge,
    shift,
)
from leadforge_core.errors import ConfigError, SimulationError

CATEGORIES = ("root", "mid", "outcome", "proxy")
SCHEMA = GraphSchema(
    categories=CATEGORIES, sinks=("proxy",), outcomes=("outcome",), min_causes=1, noisy=True
)


@st.composite
def base_graphs(draw: st.DrawFn) -> tuple[list[NodeSpec], list[EdgeSpec]]:
    """A random valid base graph: categories rise with the node index, edges point forward,
    proxies are sinks and every outcome is fed by the root ``n0``."""
    n = draw(st.integers(3, 9))
    rest = draw(st.lists(st.sampled_from(CATEGORIES), min_size=n - 1, max_size=n - 1))
    cats = ["root", *sorted(rest, key=CATEGORIES.index)]
    nodes = [
        NodeSpec(f"n{i}", c, draw(st.floats(0.1, 2.0)), f"node {i}") for i, c in enumerate(cats)
    ]
    edges: dict[tuple[str, str], EdgeSpec] = {("n0", "n1"): EdgeSpec("n0", "n1", 0.8)}
    for j in range(1, n):
        if cats[j] == "outcome":
            edges["n0", f"n{j}"] = EdgeSpec("n0", f"n{j}", draw(st.floats(0.2, 2.0)))
        for i in range(j):
            if cats[i] == "proxy" or (f"n{i}", f"n{j}") in edges or not draw(st.booleans()):
                continue
            form = draw(st.sampled_from(("linear", "tanh", "threshold")))
            weight = draw(st.floats(-2.0, 2.0).filter(lambda w: abs(w) > 0.05))
            edges[f"n{i}", f"n{j}"] = EdgeSpec(
                f"n{i}", f"n{j}", weight, form, optional=draw(st.booleans())
            )
    # A product edge whose partner is another parent of the same target.
    for j in range(2, n):
        parents = [u for (u, v) in edges if v == f"n{j}"]
        if len(parents) >= 2 and draw(st.booleans()):
            u, partner = parents[0], parents[1]
            edges[u, f"n{j}"] = EdgeSpec(u, f"n{j}", 0.5, "product", partner)
            break
    return nodes, list(edges.values())


@st.composite
def rewirings(draw: st.DrawFn, nodes: list[NodeSpec], edges: list[EdgeSpec]) -> list[Rewiring]:
    mids = [x.name for x in nodes if x.category == "mid"]
    proxies = [e for e in edges if nodes[int(e.target[1:])].category == "proxy"]
    # A confounder feeds nodes no mediator bypass can remove.
    stable = [x.name for x in nodes[1:] if x.category != "mid"]
    targets = draw(st.lists(st.sampled_from(stable), max_size=3, unique=True)) if stable else []
    pool: list[Rewiring] = [
        JitterEdges(
            draw(st.floats(0.01, 0.5)),
            draw(st.sampled_from(("lognormal", "exp_normal"))),
            draw(st.sampled_from(("declared", "by_source"))),
        ),
        KeepOptionalEdges(draw(st.floats(0.0, 1.0))),
        AddConfounder(
            NodeSpec("conf", "root", 1.0),
            tuple(EdgeSpec("conf", t, 0.7) for t in targets),
            draw(st.floats(0.0, 1.0)),
        ),
    ]
    if mids:
        pool.append(BypassMediator(draw(st.sampled_from(mids)), draw(st.floats(0.0, 1.0))))
    if proxies:
        e = draw(st.sampled_from(proxies))
        pool.append(SwapProxy(e.key, EdgeSpec("n0", e.target, 0.4), draw(st.floats(0.0, 1.0))))
    return draw(st.lists(st.sampled_from(pool), max_size=5, unique=True))


def _draft_graph(draft: GraphDraft) -> nx.DiGraph:
    g = nx.DiGraph()
    for n in draft.nodes.values():
        g.add_node(n.name, category=n.category, noise=n.noise)
    for e in draft.edges.values():
        g.add_edge(e.source, e.target, weight=e.weight, form=e.form, partner=e.partner)
    return g


def _build(
    spec: tuple[list[NodeSpec], list[EdgeSpec]], ops: list[Rewiring], seed: int
) -> tuple[GraphDraft, CausalGraph | SimulationError]:
    draft = GraphDraft.from_specs(*spec)
    draft.rewire(ops, np.random.default_rng(seed))
    try:
        return draft, draft.build(SCHEMA)
    except SimulationError as exc:
        return draft, exc


@settings(max_examples=80, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_rewired_graphs_stay_acyclic_and_valid_or_are_rejected(data: Any, seed: int) -> None:
    spec = data.draw(base_graphs())
    ops = data.draw(rewirings(*spec))
    draft, built = _build(spec, ops, seed)
    g = _draft_graph(draft)
    assert nx.is_directed_acyclic_graph(g)
    rank = SCHEMA.rank
    assert all(rank[g.nodes[u]["category"]] <= rank[g.nodes[v]["category"]] for u, v in g.edges)
    problems = SCHEMA.problems(g)
    if isinstance(built, SimulationError):
        assert problems
        assert all(p in str(built) for p in problems)  # every problem is listed
    else:
        assert problems == [] and built.problems() == []
        assert set(built.nodes) == set(draft.nodes)
        assert set(built.edges) == set(draft.edges)
        for u, v in built.removed_edges:
            assert built.weight(u, v) == 0.0


@settings(max_examples=40, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_building_and_executing_are_deterministic_by_seed(data: Any, seed: int) -> None:
    spec = data.draw(base_graphs())
    ops = data.draw(rewirings(*spec))
    _, a = _build(spec, ops, seed)
    _, b = _build(spec, ops, seed)
    if isinstance(a, SimulationError):
        assert str(a) == str(b)
        return
    assert isinstance(b, CausalGraph)
    assert a.to_json() == b.to_json()
    assert a.to_graphml() == b.to_graphml()
    va = a.execute({}, np.random.default_rng(seed), 64)
    vb = b.execute({}, np.random.default_rng(seed), 64)
    assert all(np.array_equal(va[k], vb[k]) for k in va)
    other = a.execute({}, np.random.default_rng(seed + 1), 64)
    assert any(not np.array_equal(va[k], other[k]) for k in va)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_an_intervention_changes_only_causal_descendants(data: Any, seed: int) -> None:
    nodes, edges = data.draw(base_graphs())
    graph = CausalGraph(nodes, edges, SCHEMA)
    exo = {"n0": np.linspace(-1, 1, 50, dtype=np.float32)}
    natural = graph.execute(exo, np.random.default_rng(seed), 50)
    kind = data.draw(st.sampled_from(("do", "shift", "scale", "cut")))
    if kind in ("do", "shift"):
        node = data.draw(st.sampled_from(graph.nodes))
        value = data.draw(st.floats(0.5, 3.0))
        iv: Any = Do(node, value) if kind == "do" else Shift(node, value)
        touched = {node} | graph.descendants(node)
    else:
        u, v = data.draw(st.sampled_from(graph.edges))
        iv = ScaleEdge(u, v, data.draw(st.floats(1.5, 3.0))) if kind == "scale" else CutEdge(u, v)
        touched = {v} | graph.descendants(v)
    intervened = graph.intervene([iv])
    after = intervened.execute(exo, np.random.default_rng(seed), 50)
    for name in graph.nodes:
        if name not in touched:
            assert np.array_equal(after[name], natural[name]), name
    if kind == "shift":
        assert not np.array_equal(after[iv.node], natural[iv.node])
    if kind == "do":
        assert np.all(after[iv.node] == np.float32(iv.value))
    assert graph.interventions == () and intervened.natural is graph
    null = graph.intervene([shift(graph.nodes[0], 0.0), scale_edge(*graph.edges[0], 1.0)])
    again = null.execute(exo, np.random.default_rng(seed), 50)
    assert all(np.array_equal(again[k], natural[k]) for k in natural)


def _ivs() -> st.SearchStrategy[Any]:
    name = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
    num = st.floats(allow_nan=False, allow_infinity=False)
    return st.one_of(
        st.builds(Do, name, num),
        st.builds(Shift, name, num),
        st.builds(ScaleEdge, name, name, num),
        st.builds(CutEdge, name, name),
    )


@settings(max_examples=200, deadline=None)
@given(_ivs())
def test_canonical_strings_round_trip(iv: Any) -> None:
    text = str(iv)
    assert parse_intervention(text) == iv
    assert str(parse_intervention(text)) == text


def test_canonical_forms() -> None:
    assert str(do("engagement", 1.5)) == "do(engagement=1.5)"
    assert str(shift("engagement", 0.5)) == "shift(engagement=+0.5)"
    assert str(shift("engagement", -1)) == "shift(engagement=-1)"
    assert str(scale_edge("followup_speed", "deal_propensity", 2)) == (
        "scale(followup_speed->deal_propensity=2)"
    )
    assert str(cut_edge("usage_depth", "churn")) == "cut(usage_depth->churn)"
    assert parse_intervention(" shift( x = -0.25 ) ") == Shift("x", -0.25)
    assert parse_interventions(["cut(a->b)", do("x", 1)]) == (CutEdge("a", "b"), Do("x", 1.0))
    assert parse_interventions("do(x=2)") == (Do("x", 2.0),)
    assert parse_interventions(None) == parse_interventions([]) == ()
    with pytest.raises(ConfigError, match="finite"):
        parse_interventions([Shift("x", float("nan"))])


@pytest.mark.parametrize(
    "text",
    [
        "do(x)",
        "do(a->b=1)",
        "shift(x=abc)",
        "scale(x=2)",
        "scale(a->b)",
        "cut(a->b=1)",
        "cut(x)",
        "nudge(x=1)",
        "do(x=inf)",
        "do(x=nan)",
        "engagement+1",
        "",
    ],
)
def test_malformed_interventions_fail_with_one_line(text: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_intervention(text)
    assert "\n" not in str(exc.value)
    assert repr(text) in str(exc.value)


def _small() -> GraphDraft:
    return GraphDraft.from_specs(
        [
            NodeSpec("a", "root", 1.0),
            NodeSpec("m", "mid", 0.5),
            NodeSpec("b", "root", 1.0),
            NodeSpec("y", "outcome", 0.5),
            NodeSpec("p", "proxy", 0.5),
        ],
        [
            EdgeSpec("a", "m", 0.5),
            EdgeSpec("m", "y", 2.0),
            EdgeSpec("b", "y", 1.0, optional=True),
            EdgeSpec("a", "y", 1.0, "product", "b"),
            EdgeSpec("y", "p", 1.0),
        ],
    )


def g_notes(draft: GraphDraft) -> list[str]:
    return list(draft.rewiring)


def test_intervention_names_are_checked_against_this_world() -> None:
    draft = _small()
    draft.rewire(
        [BypassMediator("m", 1.0), SwapProxy(("y", "p"), EdgeSpec("a", "p", 0.4), 1.0)],
        np.random.default_rng(0),
    )
    assert g_notes(draft) == ["mediator m bypassed", "p measures a instead of y"]
    g = draft.build(SCHEMA)
    assert g.weight("a", "y") == 1.0 + 0.5 * 2.0  # bypass adds to the direct edge
    with pytest.raises(ConfigError, match="node m was removed by this world's rewiring"):
        g.intervene(["do(m=1)"])
    with pytest.raises(ConfigError, match="unknown node 'zz'"):
        g.intervene(["shift(zz=+1)"])
    with pytest.raises(ConfigError, match=r"edge y->p was removed by this world's rewiring"):
        g.intervene(["cut(y->p)"])
    with pytest.raises(ConfigError, match="edge p->y is not in this world's graph"):
        g.intervene(["scale(p->y=2)"])
    with pytest.raises(ConfigError, match="cannot set node y directly"):
        g.intervene(["do(y=1)"], node_targets=["a", "b"])
    with pytest.raises(ConfigError, match="edge b->y was cut by an earlier intervention"):
        g.intervene(["cut(b->y)", "scale(b->y=2)"])
    with pytest.raises(ConfigError, match="edge b->y is structural in this scheme"):
        g.intervene(["cut(b->y)"], edge_targets=[("a", "y")])
    assert g.intervene(["scale(a->y=2)"], edge_targets=[("a", "y")]).weight("a", "y") == 4.0
    cut = g.intervene(["cut(b->y)", "scale(a->y=3)"])
    assert cut.weight("b", "y") == 0.0 and cut.weight("a", "y") == 6.0
    assert g.weight("b", "y") == 1.0  # the natural graph is untouched
    assert cut.order == g.order
    # The product partner was cut, yet the partner is still executed before its target.
    values = cut.execute({}, np.random.default_rng(1), 10)
    assert set(values) == set(g.nodes)


def test_apply_node_for_values_a_scheme_draws_itself() -> None:
    g = _small().build(SCHEMA).intervene([do("a", 2), shift("a", 0.5), shift("b", -1)])
    x = np.zeros(4)
    assert np.array_equal(g.apply_node("a", x), np.full(4, 2.5))
    assert np.array_equal(g.apply_node("b", x), np.full(4, -1.0))
    assert g.apply_node("y", x) is x
    assert g.apply_node("a", np.zeros(3, dtype=np.float32)).dtype == np.float32


def test_validation_lists_every_problem() -> None:
    with pytest.raises(SimulationError) as exc:
        CausalGraph(
            [
                NodeSpec("a", "root", 0.0),
                NodeSpec("y", "outcome", 1.0),
                NodeSpec("p", "proxy", 1.0),
                NodeSpec("q", "weird", 1.0),
            ],
            [
                EdgeSpec("p", "a", 1.0),
                EdgeSpec("y", "a", 1.0),
                EdgeSpec("a", "y", 1.0, "product", "q"),
            ],
            GraphSchema(CATEGORIES, sinks=("proxy",), required=("a", "z"), noisy=True),
        )
    message = str(exc.value)
    for expected in (
        "graph has a cycle",
        "required node z missing",
        "node q has unknown category weird",
        "node a is noiseless",
        "edge p->a points back in time (proxy -> root)",
        "edge p->a leaves a proxy node",
        "edge a->y interacts with q, not a cause of y",
    ):
        assert expected in message
    assert "\n" not in message
    with pytest.raises(ValueError, match="edge form"):
        EdgeSpec("a", "b", 1.0, "quadratic")


def test_outcome_needs_k_causes() -> None:
    schema = GraphSchema(CATEGORIES, min_causes=3)
    draft = _small()
    draft.rewire([KeepOptionalEdges(0.0)], np.random.default_rng(0))  # drops b->y
    assert ("b", "y") in draft.removed_edges
    with pytest.raises(
        SimulationError,
        match=r"interacts with b, not a cause of y; outcome node y is orphaned \(needs at least 3 causes\)",
    ):
        draft.build(schema)


def test_motif_family_reweights_adds_removes_and_scales_noise() -> None:
    draft = _small()
    family = MotifFamily(
        "strong_mediator",
        "the mediator decides",
        {("m", "y"): 3.0, ("y", "p"): 0.0},
        [EdgeSpec("b", "m", 0.25)],
        {"m": 2.0},
    )
    draft.apply_motif(family, noise_scale=0.5)
    g = draft.build(SCHEMA)
    assert g.weight("m", "y") == 6.0
    assert g.weight("y", "p") == 0.0 and ("y", "p") in g.removed_edges
    assert g.weight("b", "m") == 0.25
    assert g.node("m").noise == 0.5 and g.node("a").noise == 0.5
    assert g.graph["motif_family"] == "strong_mediator"
    data = g.to_json()
    assert data["attributes"]["story"] == "the mediator decides"
    assert {(e["source"], e["target"]) for e in data["edges"]} == set(g.edges)
    assert (
        next(e for e in data["edges"] if e["target"] == "y" and e["source"] == "m")["base_weight"]
        == 2.0
    )
    assert "<graphml" in g.to_graphml()


def test_jitter_orders_and_kinds_draw_as_documented() -> None:
    draft = _small()
    keys = draft.edge_keys("by_source")
    assert keys == [("a", "m"), ("a", "y"), ("m", "y"), ("b", "y"), ("y", "p")]
    before = {k: e.weight for k, e in draft.edges.items()}
    draft.rewire([JitterEdges(0.2, "lognormal", "by_source")], np.random.default_rng(3))
    rng = np.random.default_rng(3)
    for k in keys:
        assert draft.edges[k].weight == float(before[k] * rng.lognormal(0.0, 0.2))
    draft = _small()
    draft.rewire([JitterEdges(0.2, "exp_normal", "declared")], np.random.default_rng(3))
    eps = np.random.default_rng(3).normal(0.0, 0.2, size=5)
    for k, e in zip(before, eps, strict=True):
        assert draft.edges[k].weight == before[k] * float(np.exp(e))


def test_execute_applies_forms_and_edge_scale() -> None:
    g = CausalGraph(
        [NodeSpec("a", "root", 1e-6), NodeSpec("b", "root", 1e-6), NodeSpec("y", "outcome", 1e-6)],
        [EdgeSpec("a", "y", 2.0, "threshold"), EdgeSpec("b", "y", 1.0, "product", "a")],
        SCHEMA,
    )
    exo = {"a": np.array([0.0, 1.0], np.float32), "b": np.array([3.0, 3.0], np.float32)}
    y = g.execute(exo, np.random.default_rng(0), 2, {"product": 0.5})["y"]
    np.testing.assert_allclose(y, [2.0 * -0.6 + 0.0, 2.0 * 1.4 + 0.5 * 3.0], atol=1e-4)
    shared = g.execute(exo, np.random.default_rng(0), 2, shared_noise=frozenset({"a"}))
    assert np.array_equal(shared["a"], exo["a"])


def test_pipeline_refuses_interventions_a_scheme_never_applies(toy_host: Any) -> None:
    from leadforge_core.api import Generator

    gen = Generator.from_recipe("toy_shop_v1", host=toy_host, interventions=["shift(loyalty=+1)"])
    assert gen.plan.interventions == (Shift("loyalty", 1.0),)
    with pytest.raises(SimulationError, match=r"did not apply the requested interventions"):
        gen.generate(timestamp=0)
    plain = Generator.from_recipe("toy_shop_v1", host=toy_host).generate(timestamp=0)
    assert "interventions" not in plain.manifest


def test_interventions_are_parsed_when_the_run_is_planned(toy_host: Any) -> None:
    from leadforge_core.api import Generator

    with pytest.raises(ConfigError, match=r"intervention 'shift\(loyalty\)'"):
        Generator.from_recipe("toy_shop_v1", host=toy_host, interventions=["shift(loyalty)"])
    with pytest.raises(ConfigError, match="expected an intervention object"):
        Generator.from_recipe("toy_shop_v1", host=toy_host, interventions=[42])


def test_run_context_intervene_marks_the_interventions_applied(toy_host: Any) -> None:
    from leadforge_core.api import Generator

    graph = _small().build(SCHEMA)
    ctx = Generator.from_recipe("toy_shop_v1", host=toy_host).plan.context()
    assert ctx.intervene(graph) is graph and ctx.interventions_applied
    ctx = Generator.from_recipe(
        "toy_shop_v1", host=toy_host, interventions=["cut(b->y)"]
    ).plan.context()
    assert not ctx.interventions_applied
    out = ctx.intervene(graph)
    assert ctx.interventions_applied and out.weight("b", "y") == 0.0
    assert out.interventions == (CutEdge("b", "y"),)


def test_the_toolkit_examples_run() -> None:
    """The examples of docs/toolkit.md's causal-graph section run as written, in order."""
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "toolkit.md").read_text()
    section = text.split("## Causal graph (`leadforge_core.causal`)", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) >= 5
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, "docs/toolkit.md", "exec"), namespace)
    assert namespace["graph"].problems() == []
    assert namespace["bundle"].manifest["interventions"] == ["shift(deal_propensity=+1)"]
