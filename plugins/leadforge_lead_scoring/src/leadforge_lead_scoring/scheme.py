"""The ``lead_scoring`` scheme: wires world → simulation → observation → tables → task."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import polars as pl

from leadforge_core.bundle.model import Rendered, TableSpec, TaskSpec
from leadforge_core.causal import CausalGraph
from leadforge_core.errors import ConfigError
from leadforge_core.progress import phase
from leadforge_core.scheme import RunContext, Scheme, SizeFlag
from leadforge_lead_scoring.checks import inspect_extras
from leadforge_lead_scoring.observe.crm import observe
from leadforge_lead_scoring.params import LeadScoringParams
from leadforge_lead_scoring.publish.cut import CutPlan, apply_cut, cut_tables, plan_cut
from leadforge_lead_scoring.publish.metadata import card_sections, public_summary, truth_files
from leadforge_lead_scoring.publish.specs import EXPOSURE, TABLE_SPECS
from leadforge_lead_scoring.publish.tables import build_tables, stringify
from leadforge_lead_scoring.recipe import STAGE_KEYS, LeadScoringWorld, Profile
from leadforge_lead_scoring.simulate import engine
from leadforge_lead_scoring.simulate.mechanisms import LOST, WON, Mechanisms, compile_mechanisms
from leadforge_lead_scoring.snapshot.features import compute_features
from leadforge_lead_scoring.snapshot.task import TASK, TASK_SPEC, build_task, feature_infos
from leadforge_lead_scoring.world.graph import build_graph
from leadforge_lead_scoring.world.motifs import MOTIF_FAMILIES
from leadforge_lead_scoring.world.population import US_PER_DAY, Population, build_population


@attrs.define
class World:
    pop: Population
    graph: CausalGraph
    profile: Profile
    mechanisms: Mechanisms


def stage_order(world: LeadScoringWorld) -> list[str]:
    return [world.stages[k] for k in STAGE_KEYS]


class LeadScoringScheme(Scheme):
    """The built-in ``lead_scoring`` scheme. A vertical derives its own scheme from it by
    subclassing (set a new ``name`` and ``derived_from = "lead_scoring"``) and overriding
    :meth:`world_graph` or :meth:`mechanisms`; its vocabulary (stages, channels, industries)
    comes from the recipe's ``world:`` section."""

    name = "lead_scoring"
    title = "B2B lead scoring: daily funnel simulation and 90-day conversion"
    params_model = LeadScoringParams
    recipe_model = LeadScoringWorld
    size_flags = (
        SizeFlag("n_leads", "population.n_leads", "number of leads (default from the recipe)"),
        SizeFlag("n_accounts", "population.n_accounts", "number of accounts (default: derived)"),
        SizeFlag("n_contacts", "population.n_contacts", "number of contacts (default: derived)"),
    )
    motifs = tuple(MOTIF_FAMILIES)
    # Bytes per unit in an instructor bundle: leads from the 1M-lead bundle (186.7 MB) plus
    # the per-row hidden truth of the task split (+12 B per lead at 20k leads), accounts and
    # contacts from 20k-lead bundles with each raised alone (docs/scale.md).
    bytes_per_unit = {
        "population.n_leads": 200.0,
        "population.n_accounts": 12.0,
        "population.n_contacts": 7.0,
    }
    exposure = EXPOSURE
    #: Public cut planned during render, keyed to the rendered tables it belongs to.
    _cut: tuple[dict[str, pl.DataFrame], CutPlan] | None = None

    def table_specs(self) -> list[TableSpec]:
        return list(TABLE_SPECS)

    def task_specs(self, params: Any) -> list[TaskSpec]:
        return [TASK_SPEC]

    def complete_params(self, params: Any, recipe: Any, difficulty: str) -> Any:
        pop = params.population
        sizing = recipe.world.sizing
        n_l = pop.n_leads
        n_c = pop.n_contacts or max(1, round(n_l / sizing.leads_per_contact))
        n_a = pop.n_accounts or max(1, round(n_l / sizing.leads_per_account))
        if pop.n_contacts is None and pop.n_accounts is not None:
            n_c = max(n_c, n_a)
        if pop.n_accounts is None and pop.n_contacts is not None:
            n_a = min(n_a, n_c)
        if n_a > n_c:
            raise ConfigError(
                f"n_accounts ({n_a}) exceeds n_contacts ({n_c}); every account needs at least "
                "one contact",
                key="population.n_accounts"
                if pop.n_accounts is not None
                else "population.n_contacts",
            )
        if n_c > n_l:
            raise ConfigError(
                f"n_contacts ({n_c}) exceeds n_leads ({n_l}); every contact needs at least one "
                "lead",
                key="population.n_contacts" if pop.n_contacts is not None else "population.n_leads",
            )
        motifs = recipe.world.motifs
        if params.motif is not None and params.motif not in motifs:
            raise ConfigError(
                f"unknown motif {params.motif!r} for recipe {recipe.id} "
                f"(choose from {', '.join(motifs)})",
                key="motif",
            )
        if difficulty not in recipe.world.difficulties:
            raise ConfigError(
                f"recipe {recipe.id} has no profile {difficulty!r} "
                f"(profiles: {', '.join(recipe.world.difficulties)})",
                key="difficulty",
            )
        return attrs.evolve(params, population=attrs.evolve(pop, n_accounts=n_a, n_contacts=n_c))

    # -- override points for schemes derived from this one ------------------------------
    def world_graph(self, motif: str, rng: np.random.Generator, profile: Profile) -> CausalGraph:
        """Override point: the world's hidden causal graph for ``motif`` (before the run's
        interventions). Draw only from ``rng``. Default: the five-motif funnel graph with
        the profile's confounding and latent noise."""
        return build_graph(motif, rng, profile.confounding, profile.latent_noise)

    def mechanisms(self, profile: Profile, graph: CausalGraph, horizon_days: int) -> Mechanisms:
        """Override point: the simulation's rates and coefficients compiled from the
        difficulty ``profile`` and the world's ``graph`` (for example scale a rate with
        ``attrs.evolve`` on ``super().mechanisms(...)``)."""
        return compile_mechanisms(profile, graph, horizon_days)

    def build_world(self, ctx: RunContext) -> World:
        w: LeadScoringWorld = ctx.recipe.world
        params = ctx.params
        if params.population.n_accounts is None or params.population.n_contacts is None:
            params = self.complete_params(params, ctx.recipe, ctx.difficulty)
            ctx.params = params
        profile = w.difficulties[ctx.difficulty]
        rng = ctx.streams.generator("world.graph")
        motif = params.motif or w.motifs[int(rng.integers(len(w.motifs)))]
        graph = ctx.intervene(self.world_graph(motif, rng, profile))
        noise = {n: float(d["noise"]) for n, d in graph.nx.nodes(data=True)}
        noise.setdefault("budget_shock", 1.0)
        pop = build_population(
            params, w, ctx.streams, noise, profile.duplicate_rate, profile.researcher_share
        )
        mech = self.mechanisms(profile, graph, params.horizon_days)
        return World(pop=pop, graph=graph, profile=profile, mechanisms=mech)

    def simulate(self, world: World, ctx: RunContext) -> engine.SimResult:
        return engine.run(
            world.mechanisms,
            ctx.recipe.world,
            world.pop,
            world.graph,
            ctx.streams,
            ctx.progress,
            executor=ctx.executor,
        )

    def render(self, world: World, sim: engine.SimResult, ctx: RunContext) -> Rendered:
        w: LeadScoringWorld = ctx.recipe.world
        params = ctx.params
        with phase(ctx.progress, "observation"):
            ob = observe(
                sim,
                world.pop,
                world.mechanisms.observation,
                ctx.streams,
                params.horizon_days,
                len(w.channels),
            )
        anchor_us = world.pop.lead_created_us + params.snapshot_day * US_PER_DAY
        with phase(ctx.progress, "tables"):
            # A public bundle only ever shows events up to each lead's anchor: its event
            # tables are rendered cut (snapshot_cut then sets the as-of stages).
            tables, extra = build_tables(
                w,
                world.pop,
                sim,
                ob,
                sim.nodes,
                ctx.streams,
                world.mechanisms.observation["proxy_noise"],
                world.mechanisms.pricing_signal,
                cut_at=anchor_us if ctx.mode.is_public else None,
            )
        # What the task needs from the observation layer; then free it (the largest arrays
        # of a million-lead world) before features and id strings are built.
        trap = np.bincount(ob.touch_lead, minlength=world.pop.n_leads)
        logged = ob.stage_logged_us
        closed_us = np.where(logged[WON] >= 0, logged[WON], logged[LOST])
        closed_us = np.where(closed_us >= 0, closed_us, np.iinfo(np.int64).max)
        # Task rows: leads still open at their anchor.
        open_rows = closed_us > anchor_us
        del ob, logged, closed_us
        with phase(ctx.progress, "features"):
            feats = compute_features(
                tables,
                params.snapshot_day,
                stage_order(w),
                w.activity_outcomes[0].name,
                rows=open_rows,
            )
            ids = extra["ids"]
            # The public cut is planned here, on integer keys, and applied by snapshot_cut to
            # exactly these tables (published once, then dropped).
            cut = (
                plan_cut(tables, params.snapshot_day, stage_order(w))
                if ctx.mode.is_public
                else None
            )
            tables = {name: stringify(frame, ids) for name, frame in tables.items()}
            self._cut = (tables, cut) if cut is not None else None
            feats = stringify(feats, ids)
            task = build_task(
                feats,
                trap,
                extra["won"],
                open_rows,
                params,
                ctx.streams.generator("task.splits"),
                # Public bundles never carry the truth columns (the core drops them): skip them.
                sim.nodes if not ctx.mode.is_public else {},
            )
        n_rows = sum(f.height for f in task.splits.values())
        return Rendered(
            tables=tables,
            tasks={TASK: task},
            features=feature_infos(),
            truth=truth_files(world, sim, ctx),
            public_summary=public_summary(tables, n_rows, ctx),
            card_sections=card_sections(world, ctx),
            manifest_extra={
                "snapshot_day": params.snapshot_day,
                "horizon_days": params.horizon_days,
                "stages": stage_order(w),
                "prevalence_band": [
                    world.profile.prevalence.min,
                    world.profile.prevalence.max,
                ],
            },
            instructor_manifest_extra={
                "motif_family": world.graph.graph["motif_family"],
                "rewiring": ";".join(world.graph.rewiring),
            },
        )

    def snapshot_cut(self, rendered: Rendered, ctx: RunContext) -> dict[str, pl.DataFrame]:
        planned = getattr(self, "_cut", None)
        self._cut = None
        if planned is not None and planned[0] is rendered.tables:
            return apply_cut(rendered.tables, planned[1])
        w = ctx.recipe.world
        return cut_tables(rendered.tables, ctx.params.snapshot_day, stage_order(w), w.stages["sql"])

    def inspect_summary(self, view: Any) -> dict[str, Any]:
        return inspect_extras(view)


__all__ = ["US_PER_DAY", "LeadScoringScheme", "Mechanisms", "World"]
