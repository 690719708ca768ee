"""The ``support_tickets`` scheme (customers, tickets, ticket events): will a ticket escalate
soon after its first response? Also the plugin's entry point (its two hooks are at the end)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import Any

import attrs
import leadforge_core as lf
import numpy as np
import polars as pl
from leadforge_core import asof, causal, observe, simulate
from leadforge_core.config.fields import float_field, int_field
from leadforge_core.ids import make_ids
from leadforge_core.rng import blocked_draw
from leadforge_core.splits import SplitConfig, assign_splits
from leadforge_core.validation import probes


@attrs.define
class TicketParams:
    n_customers: int = int_field(400, ge=10, le=1_000_000, help="customers")
    tickets_per_customer: float = float_field(5.0, gt=0.0, le=50.0, help="mean tickets each")
    horizon_days: int = int_field(180, ge=60, le=730, help="days simulated")
    window_days: int = int_field(14, ge=1, le=60, help="escalation window after first response")
    motif: str | None = None
    split: SplitConfig = attrs.Factory(SplitConfig)


@attrs.define
class Profile:  # one difficulty
    signal: float
    proxy_noise: float
    missing_area: float
    prevalence_band: list[float]


@attrs.define
class DeskWorld:
    company: str
    channels: dict[str, list[float]]  # channel: [share of tickets, log-speed of the answer]
    plans: dict[str, list[float]]  # plan: [share of customers, frustration shift]
    product_areas: dict[str, list[float]]  # area: [share of tickets, complexity shift]
    profiles: dict[str, Profile]
    nodes: list[causal.NodeSpec]  # the hidden causal graph
    edges: list[causal.EdgeSpec]


F, C, D, E, R = "frustration", "complexity", "reply_delay", "escalation", "resolution"
# fmt: off
MOTIFS = {m.name: m for m in (
    causal.MotifFamily("fed_up", "Fed-up customers escalate, whatever the issue.", {(F, E): 1.6}),
    causal.MotifFamily("hard_problems", "Hard issues escalate.", {(C, E): 1.8, (F, E): 0.6}),
    causal.MotifFamily("slow_desk", "Waiting drives escalations.", {(D, E): 2.5, (C, D): 1.5}),
)}
SCHEMA = causal.GraphSchema(
    categories=("customer_latent", "ticket_latent", "process_state", "outcome",
                "observable_feature_source"),  # in the order things happen
    sinks=("observable_feature_source",), required=(F, E, R), outcomes=("outcome",),
    min_causes=1, noisy=True, rules=causal.STANDARD_RULES,
)
# fmt: on


#: Event kinds of ``ticket_events`` (codes are positions).
KINDS = ("customer_followup", "agent_reply", "escalated", "resolved")
OPEN, ANSWERED, CLOSED = 0, 1, 2


@attrs.define
class TicketDays:
    """A :class:`~leadforge_core.simulate.StepModel` over tickets, one step per day."""

    graph: causal.CausalGraph
    world: dict[str, Any]
    signal: float

    def start(self, block: simulate.Block) -> dict[str, Any]:
        i, w = block.ids, self.world
        given = {F: w[F][w["customer"][i]], C: w["complexity"][i], D: w["speed"][i]}
        rng, n = block.draws("nodes").rng, block.size
        v = self.graph.execute(given, rng, n, shared_noise=frozenset({F}))  # F: per customer
        hour = block.draws("open_hour").uniform() * 24.0
        delay = np.clip(2.0 * np.exp(v[D] + 1.0), 0.1, 240.0)  # hours until the answer
        # fmt: off
        return {
            **v, "open_hour": hour, "delay_hours": delay, "open_day": w["open_day"][i], "status": np.full(n, OPEN),
            "answer_day": w["open_day"][i] + ((hour + delay) // 24).astype(np.int64), "draws": block.draws("days"),
            "p_chase": simulate.sigmoid(v["chasing"] - 2.0),
            "p_escalate": simulate.sigmoid(self.signal * v[E] - 3.6), "p_resolve": simulate.sigmoid(v[R] - 1.8),
            "events": simulate.EventRecorder({"event": ("ticket", "day", "code")}),
        }
        # fmt: on

    def step(self, s: dict[str, Any], t: int) -> None:
        u = s["draws"].uniform(3)  # the same draws every day: common random numbers
        waiting = (s["open_day"] < t) & (s["status"] != CLOSED)
        answered = s["status"] == ANSWERED
        exits = simulate.competing_exits(u[1], *(np.where(answered, s[p], 0.0) for p in ("p_escalate", "p_resolve")))
        chased = simulate.bernoulli(u[0], np.where(waiting, s["p_chase"], 0.0))
        replied = simulate.bernoulli(u[2], np.where(answered & (exits == simulate.STAY), 0.3, 0))
        closed = [np.flatnonzero(exits == k) for k in (0, 1)]
        for code, who in enumerate([chased, replied, *closed]):
            s["events"].add("event", ticket=who, day=t, code=code)
        s["status"][exits != simulate.STAY] = CLOSED
        s["status"][(s["answer_day"] == t) & (s["status"] == OPEN)] = ANSWERED

    def finish(self, s: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in s.items() if k not in ("p_chase", "draws")}


START, HOUR, PRIORITIES = dt.datetime(2025, 1, 6), 3_600_000_000, ("low", "normal", "high", "urgent")
COLUMNS = pl.read_csv(files(__package__) / "data" / "columns.csv").to_dicts()  # descriptions are package data
FEATURES = pl.read_csv(files(__package__) / "data" / "features.csv").to_dicts()


def table(name: str, text: str, ref: str | None = None) -> lf.TableSpec:
    specs = tuple(lf.ColumnSpec(c["column"], lf.DType(c["dtype"]), c["description"], c["column"] == "product_area")
                  for c in COLUMNS if c["table"] == name)  # fmt: skip
    keys = (lf.ForeignKey(f"{ref[:-1]}_id", ref, f"{ref[:-1]}_id"),) if ref else ()
    order = (("opened_at", "first_response_at"),) if name == "tickets" else ()
    return lf.TableSpec(name, text, specs, specs[0].name, keys, order)


def anchors(tickets: pl.DataFrame) -> asof.Anchors:  # each ticket is seen at its first response
    return asof.Anchors(tickets, "ticket_id", "first_response_at", start="opened_at")


def ticket_features(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Every ticket's point-in-time features, from full or public tables alike."""
    t = tables["tickets"]
    chasers = asof.count(where=pl.col("kind") == "customer_followup").cast(pl.Int64)
    seen = asof.as_of(tables["ticket_events"], anchors(t), "event_at").group_by("ticket_id")
    wait = (pl.col("first_response_at") - pl.col("opened_at")).dt.total_microseconds() / HOUR
    return (
        t.join(tables["customers"].select("customer_id", "plan"), on="customer_id")
        .join(seen.agg(chasers.alias("followups")).collect(), on="ticket_id", how="left")
        .sort("ticket_id")
        .with_columns(pl.col("followups").fill_null(0), snapshot_time="first_response_at", response_hours=wait)
    )


TABLES = [
    table("customers", "One row per customer."),
    table("tickets", "One row per ticket.", "customers"),
    table("ticket_events", "Chasers, agent replies and closures.", "tickets"),
]


class SupportTickets(lf.Scheme):
    name, title = "support_tickets", "Support desk: tickets that escalate"
    params_model, recipe_model, motifs = TicketParams, DeskWorld, tuple(MOTIFS)
    size_flags = (lf.SizeFlag("n_customers", "n_customers", "number of customers"),)
    exposure = lf.ExposurePolicy(redact_columns={"customers": ("frustration",)})

    def table_specs(self) -> list[lf.TableSpec]:
        return TABLES

    def task_specs(self, params: TicketParams) -> list[lf.TaskSpec]:
        name, text = f"escalates_within_{params.window_days}d", "Escalates soon after the first answer"
        return [lf.TaskSpec(name, lf.TaskType.BINARY, (name,), "ticket", text, ("row_id", "ticket_id"))]

    def build_world(self, ctx: lf.RunContext) -> dict[str, Any]:
        p, w, st = ctx.params, ctx.recipe.world, ctx.streams
        out: dict[str, Any] = {"motif": p.motif or sorted(MOTIFS)[st.generator("motif").choice(3)]}
        draft = causal.GraphDraft.from_specs(w.nodes, w.edges)  # base graph, motif, rewiring
        draft.apply_motif(MOTIFS[out["motif"]])
        draft.rewire([causal.JitterEdges(0.15), causal.KeepOptionalEdges(0.7)], st.generator("world.graph"))
        out["graph"] = ctx.intervene(draft.build(SCHEMA))

        def draw(name: str, n: int, fn: Any = lambda r, k: r.random(k)) -> np.ndarray:
            return blocked_draw(st, name, n, fn)

        def pick(name: str, n: int, table: Mapping[str, list[float]]) -> tuple[Any, np.ndarray]:
            share, effect = np.array(list(table.values())).T
            codes = draw(name, n, lambda r, k: simulate.categorical(r, share / share.sum(), k))
            return codes, effect[codes]

        out["plan"], shift = pick("customers.plan", p.n_customers, w.plans)
        normal = draw("customers.frustration", p.n_customers, lambda r, k: r.normal(size=k))
        out["frustration"] = shift + normal
        lam = p.tickets_per_customer * np.exp(0.3 * out["frustration"])
        counts = simulate.poisson_counts(draw("customers.tickets", p.n_customers), lam)
        out["customer"] = customer = np.repeat(np.arange(p.n_customers), counts)
        out["channel"], out["speed"] = pick("tickets.channel", customer.size, w.channels)
        out["area"], out["complexity"] = pick("tickets.area", customer.size, w.product_areas)
        days = p.horizon_days - p.window_days - 10  # the last tickets' windows still fit
        arrive = lambda r, k: simulate.arrival_steps(r, days, k)  # noqa: E731
        out["open_day"] = draw("tickets.open_day", customer.size, arrive)
        return out

    def simulate(self, world: dict[str, Any], ctx: lf.RunContext) -> dict[str, Any]:
        model = TicketDays(world["graph"], world, ctx.recipe.world.profiles[ctx.difficulty].signal)
        n, days = world["customer"].size, ctx.params.horizon_days
        parts = simulate.run_steps(model, n, days, ctx.streams, progress=ctx.progress)
        starts = np.cumsum([0] + [x["status"].size for x in parts[:-1]])
        out = {k: np.concatenate([x[k] for x in parts]) for k in parts[0] if k != "events"}
        out["events"] = simulate.merge_blocks([x["events"] for x in parts], "event", offsets={"ticket": starts})
        return out

    def render(self, world: dict[str, Any], sim: dict[str, Any], ctx: lf.RunContext) -> lf.Rendered:
        p, w, st, ev = ctx.params, ctx.recipe.world, ctx.streams, sim["events"]
        prof, zero = w.profiles[ctx.difficulty], int(START.replace(tzinfo=dt.UTC).timestamp() * 1e6)

        def at(us: np.ndarray) -> pl.Series:  # microseconds since START
            return pl.Series(zero + np.rint(us).astype(np.int64)).cast(pl.Datetime("us"))

        def cat(names: Sequence[str], codes: np.ndarray) -> pl.Series:
            return pl.Series(np.array(list(names))[codes]).cast(pl.Categorical)

        ids, cids = make_ids("ticket", world["customer"].size), make_ids("cust", p.n_customers)
        opened = (world["open_day"] * 24 + sim["open_hour"]) * HOUR
        # observation: unrecorded areas, a noisy tone score, times of day
        # fmt: off
        area = cat(w.product_areas, world["area"])
        area = observe.missingness(area, prof.missing_area, observe.Stream(st, "area"))
        tone = observe.noisy_proxy(sim["obs_sentiment"], prof.proxy_noise, observe.Stream(st, "tone"))
        tod = observe.logging_delay_us(ev["day"].size, observe.Stream(st, "time"), uniform_us=24 * HOUR - 1)
        priority = np.digitize(sim["obs_priority"], [-0.6, 0.4, 1.3])
        tables = {
            "customers": pl.DataFrame({"customer_id": cids, "plan": cat(w.plans, world["plan"]),
                                       "frustration": world["frustration"]}),
            "tickets": pl.DataFrame({
                "ticket_id": ids, "customer_id": cids.gather(world["customer"]), "opened_at": at(opened),
                "channel": cat(w.channels, world["channel"]), "product_area": area,
                "priority": cat(PRIORITIES, priority), "sentiment_score": tone,
                "first_response_at": at(opened + sim["delay_hours"] * HOUR)}),
            "ticket_events": pl.DataFrame({
                "event_id": make_ids("event", ev["day"].size), "ticket_id": ids.gather(ev["ticket"]),
                "event_at": at(ev["day"] * 24 * HOUR + tod), "kind": cat(KINDS, ev["code"])}),
        }
        spec, end = self.task_specs(p)[0], START + dt.timedelta(days=p.horizon_days)
        label, window = spec.name, pl.duration(days=p.window_days)
        t, anchor = pl.col("event_at"), pl.col(asof.ANCHOR)  # label and trap look past the anchor, on purpose
        later = asof.with_anchors(tables["ticket_events"], anchors(tables["tickets"])).filter(t > anchor).collect()
        escalated = later.filter(t <= anchor + window, pl.col("kind") == "escalated")["ticket_id"].implode()
        late = (t - anchor).dt.total_microseconds() / HOUR  # the trap: a field the desk fills in once it is resolved
        trap = later.filter(pl.col("kind") == "resolved").select("ticket_id", resolution_hours=late)
        # per-row truth (instructor splits only): each day an answered ticket escalates (pe), else resolves (pr)
        pe, pr = sim["p_escalate"].astype(np.float64), np.minimum(sim["p_resolve"], 1.0 - sim["p_escalate"])
        truth = {"true_frustration": world[F][world["customer"]],
                 "true_escalation_probability": pe / (pe + pr) * (1 - (1 - pe - pr) ** p.window_days)}
        rows = ticket_features(tables).with_columns(**truth).filter(pl.col("snapshot_time") + window <= end)
        rows = rows.join(trap, on="ticket_id", how="left", maintain_order="left").with_columns(
            pl.Series("row_id", make_ids("row", rows.height)), pl.col("ticket_id").is_in(escalated).alias(label))
        task = rows.select(*(f["feature_name"] for f in FEATURES), label)
        split, details = assign_splits(task, p.split, st.generator("split"), time_col="snapshot_time", label_col=label)
        features = [lf.FeatureInfo(**f) for f in FEATURES]
        features.append(lf.FeatureInfo(label, "target", "bool", "ticket", spec.description, "ticket_events", "-"))
        details = {"snapshot_rule": "each ticket at its first response", "split": details,
                   "target_semantics": f"true if the ticket escalates within {p.window_days} days after it",
                   "leakage_policy": "features use only what is known at the first response, except the trap",
                   "leakage_traps": ["resolution_hours"]}
        # fmt: on
        splits = {s: task.filter(split == s) for s in ("train", "valid", "test")}
        return lf.Rendered(
            tables=tables,
            tasks={label: lf.TaskOutput(spec, splits, details)},
            features=features,
            truth={"graph.json": world["graph"].to_json(), "graph.graphml": world["graph"].to_graphml()},
            public_summary={"customers": p.n_customers, "tickets": ids.len()},
            card_sections=[
                lf.CardSection("Story", f"The help desk of {w.company}: {ids.len()} tickets."),
                lf.CardSection("Hidden world", MOTIFS[world["motif"]].story, instructor_only=True),
            ],
            manifest_extra={"horizon_end": end.isoformat(), "prevalence_band": prof.prevalence_band},
            instructor_manifest_extra={"motif_family": world["motif"]},
        )

    def snapshot_cut(self, rendered: lf.Rendered, ctx: lf.RunContext) -> dict[str, pl.DataFrame]:
        tickets = rendered.tables["tickets"]
        return asof.cut(rendered.tables, anchors(tickets), {"ticket_events": "event_at"})  # up to the answer

    def checks(self) -> Sequence[Any]:
        return CHECKS


# fmt: off
CHECKS = (
    probes.event_windows("ticket_windows", entity_table="tickets", key="ticket_id", start="opened_at",
                         events={"ticket_events": "event_at"}, anchor=probes.at_column("first_response_at"),
                         end=probes.fixed_moment(probes.scheme_detail("horizon_end"))),
    probes.prevalence_band(min_rows=500),
)
# fmt: on


@lf.hookimpl
def leadforge_register_schemes() -> list[type[lf.Scheme]]:
    return [SupportTickets]


@lf.hookimpl
def leadforge_register_recipes() -> list[Any]:
    return [files(__package__) / "recipes" / "support_desk_v1.yaml"]
