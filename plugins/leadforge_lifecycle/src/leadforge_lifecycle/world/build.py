"""Assemble a world: motif, hidden graph, compiled mechanism rates and population."""

from __future__ import annotations

import datetime as dt
import math

from leadforge_core.errors import SimulationError
from leadforge_core.scheme import RunContext
from leadforge_lifecycle.params import LifecycleParams, Motif
from leadforge_lifecycle.recipe import LifecycleWorld
from leadforge_lifecycle.world.graph import EDGE_TARGETS, LATENTS, NODE_TARGETS, build_graph
from leadforge_lifecycle.world.population import World, compile_mechanism, sample_population


def horizon_end(params: LifecycleParams) -> dt.date:
    return params.calendar.observation_date + dt.timedelta(days=params.windows.horizon_days)


def build_world(ctx: RunContext) -> World:
    params: LifecycleParams = ctx.params
    recipe: LifecycleWorld = ctx.recipe.world
    if ctx.difficulty not in recipe.difficulty:
        raise SimulationError(
            f"recipe {ctx.recipe.id} has no difficulty profile {ctx.difficulty!r}"
        )
    profile = recipe.difficulty[ctx.difficulty]
    if params.motif is not None:
        motif = params.motif
    else:
        options = sorted(recipe.motifs)
        motif = Motif(options[int(ctx.streams.generator("world.motif").integers(len(options)))])
    graph = ctx.intervene(
        build_graph(motif, ctx.streams.generator("world.graph")),
        node_targets=NODE_TARGETS,
        edge_targets=EDGE_TARGETS,
    )
    mechanism = compile_mechanism(profile, motif)
    cal = params.calendar
    population = sample_population(
        ctx.streams,
        recipe,
        params.population.n_customers,
        cal.acquisition_weeks,
        params.population.customers_per_csm,
        mechanism["mrr_sigma"],
    )
    for name in LATENTS:
        population.customers[name] = graph.apply_node(name, population.customers[name])
    n_weeks = math.ceil((horizon_end(params) - cal.acquisition_start).days / 7) + 1
    return World(
        population=population,
        graph=graph,
        mechanism=mechanism,
        profile_name=ctx.difficulty,
        sim_start=cal.acquisition_start,
        n_weeks=n_weeks,
        motif=motif,
    )
