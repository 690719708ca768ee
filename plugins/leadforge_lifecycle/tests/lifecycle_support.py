"""Test support: a RunContext built from the packaged recipe, and a direct stage runner."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from typing import Any

import attrs
from leadforge_lifecycle.params import LifecycleParams
from leadforge_lifecycle.recipe import LifecycleWorld
from leadforge_lifecycle.scheme import LifecycleScheme
from ruamel.yaml import YAML

from leadforge_core.config.structure import structure_strict
from leadforge_core.exposure import ExposureMode
from leadforge_core.recipes.model import Recipe, RecipeHeader
from leadforge_core.rng import RandomStreams
from leadforge_core.scheme import RunContext

HEADER_KEYS = {f.name for f in attrs.fields(RecipeHeader)}


def load_recipe() -> Recipe:
    path = files("leadforge_lifecycle") / "recipes" / "b2b_saas_ltv_v1.yaml"
    text = path.read_text(encoding="utf-8")
    raw = YAML(typ="safe").load(text)
    header, problems = structure_strict({k: raw[k] for k in HEADER_KEYS if k in raw}, RecipeHeader)
    assert not problems, problems
    world, problems = structure_strict(raw["world"], LifecycleWorld)
    assert not problems, problems
    return Recipe(
        header=header,
        defaults=raw.get("defaults", {}),
        world=world,
        raw=raw,
        source=str(path),
        origin="leadforge-lifecycle",
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


RECIPE = load_recipe()


def make_ctx(
    seed: int = 7,
    n: int = 400,
    mode: ExposureMode = ExposureMode.RESEARCH_INSTRUCTOR,
    difficulty: str = "intermediate",
    **calendar: Any,
) -> RunContext:
    data: dict[str, Any] = {"population": {"n_customers": n}}
    if calendar:
        data["calendar"] = calendar
    params, problems = structure_strict(data, LifecycleParams)
    assert not problems, problems
    params = LifecycleScheme().complete_params(params, RECIPE, difficulty)
    return RunContext(
        seed=seed,
        mode=mode,
        difficulty=difficulty,
        params=params,
        recipe=RECIPE,
        streams=RandomStreams(seed),
    )


def run(ctx: RunContext) -> Any:
    scheme = LifecycleScheme()
    world = scheme.build_world(ctx)
    sim = scheme.simulate(world, ctx)
    rendered = scheme.render(world, sim, ctx)
    return scheme, world, sim, rendered
