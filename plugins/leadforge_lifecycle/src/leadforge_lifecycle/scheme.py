"""The ``lifecycle`` scheme: customers → weekly subscription simulation → customer snapshots."""

from __future__ import annotations

from typing import Any

import polars as pl

from leadforge_core.bundle.model import Rendered, TableSpec, TaskSpec
from leadforge_core.errors import ConfigError
from leadforge_core.ids import make_ids
from leadforge_core.scheme import RunContext, Scheme, SizeFlag
from leadforge_lifecycle import checks as lifecycle_checks
from leadforge_lifecycle.params import LifecycleParams, Motif
from leadforge_lifecycle.publish import card, cut, metadata
from leadforge_lifecycle.publish.specs import TABLE_SPECS
from leadforge_lifecycle.publish.tables import build_tables
from leadforge_lifecycle.recipe import LifecycleWorld
from leadforge_lifecycle.simulate.engine import SimResult, simulate
from leadforge_lifecycle.snapshot.catalog import TRUTH, feature_infos
from leadforge_lifecycle.snapshot.tasks import build_tasks, early_tasks, target_names, task_specs
from leadforge_lifecycle.world.build import build_world, horizon_end
from leadforge_lifecycle.world.graph import measure_observables
from leadforge_lifecycle.world.population import World


def truth_frame(world: World, sim: SimResult) -> pl.DataFrame:
    """Per-customer hidden truth (``customer_id`` and the ``true_*`` columns of ``TRUTH``):
    the true latents of the population and the simulated static churn hazard."""
    c = world.population.customers
    values = {
        name: c[name.removeprefix("true_")] for name in TRUTH if name.removeprefix("true_") in c
    }
    values["true_churn_risk"] = sim.final["static_risk"]
    return pl.DataFrame(
        [make_ids("cust", world.population.n).alias("customer_id")]
        + [pl.Series(name, values[name], dtype=pl.Float64) for name in TRUTH]
    )


class LifecycleScheme(Scheme):
    """The built-in ``lifecycle`` scheme. A vertical derives its own scheme from it by
    subclassing (set a new ``name`` and ``derived_from = "lifecycle"``) and overriding a
    stage method (:meth:`build_world`, :meth:`simulate`, :meth:`render`) around a call to
    ``super()``; its vocabulary (plans, segments, events) comes from the recipe's ``world:``
    section."""

    name = "lifecycle"
    title = "Customer lifecycle and predictive lifetime value (pLTV)"
    params_model = LifecycleParams
    recipe_model = LifecycleWorld
    size_flags = (SizeFlag("n_customers", "population.n_customers", "customers to simulate"),)
    motifs = tuple(str(m) for m in Motif)
    # Bytes per customer in an instructor bundle, from 4k- and 20k-customer bundles (866 and
    # 918; the per-row hidden truth of every task split is most of the growth; docs/scale.md).
    bytes_per_unit = {"population.n_customers": 950.0}
    exposure = cut.EXPOSURE

    def table_specs(self) -> list[TableSpec]:
        return list(TABLE_SPECS)

    def task_specs(self, params: LifecycleParams) -> list[TaskSpec]:
        return task_specs(params.windows)

    def complete_params(self, params: Any, recipe: Any, difficulty: str) -> Any:
        world: LifecycleWorld = recipe.world
        if difficulty not in world.difficulty:
            raise ConfigError(f"recipe {recipe.id} has no profile {difficulty!r}", key="difficulty")
        if params.motif is not None and params.motif not in world.motifs:
            enabled = ", ".join(str(m) for m in world.motifs)
            raise ConfigError(
                f"{params.motif} is not enabled by recipe {recipe.id} (enabled: {enabled})",
                key="motif",
            )
        return params

    def build_world(self, ctx: RunContext) -> World:
        return build_world(ctx)

    def simulate(self, world: World, ctx: RunContext) -> SimResult:
        cal = ctx.params.calendar
        sim = simulate(
            world,
            ctx.streams,
            ctx.progress,
            dunning_weeks=cal.dunning_weeks,
            period_weeks=cal.health_period_weeks,
            executor=ctx.executor,
        )
        measure_observables(world.graph, sim.health)
        return sim

    def render(self, world: World, sim: SimResult, ctx: RunContext) -> Rendered:
        params: LifecycleParams = ctx.params
        recipe: LifecycleWorld = ctx.recipe.world
        second_trap = bool(world.mechanism["second_trap"])
        tables = build_tables(
            world, sim, recipe, horizon_end(params), params.calendar.health_period_weeks
        )
        tasks, used = build_tasks(
            tables,
            params,
            recipe,
            second_trap,
            ctx.streams,
            # Public bundles never carry the truth columns (the core drops them): skip them.
            truth_frame(world, sim) if not ctx.mode.is_public else None,
        )
        return Rendered(
            tables=tables,
            tasks=tasks,
            features=feature_infos(used, target_names(params.windows)),
            truth=metadata.truth(world, sim, tables, ctx),
            public_summary=metadata.public_summary(params, tables, ctx.difficulty),
            card_sections=card.card_sections(recipe, params, world, second_trap),
            manifest_extra=metadata.public_facts(params),
            instructor_manifest_extra={
                "motif_family": str(world.motif),
                "instructor_only_tasks": list(early_tasks(params.windows)),
            },
        )

    def snapshot_cut(self, rendered: Rendered, ctx: RunContext) -> dict[str, pl.DataFrame]:
        return cut.snapshot_cut(rendered.tables, ctx.params.calendar.observation_date)

    def inspect_summary(self, view: Any) -> dict[str, Any]:
        return lifecycle_checks.inspect_summary(view)
