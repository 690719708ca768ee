"""The recipe header every scheme shares; the ``world:`` body is the scheme's own model."""

from __future__ import annotations

import re
from typing import Any

import attrs

from leadforge_core.exposure import ExposureMode

RECIPE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@attrs.define
class MetricBand:
    """The range a measured figure should fall in (``min <= value <= max``)."""

    min: float
    max: float


#: ``{difficulty: {task: {metric: band}}}``: what ``leadforge evaluate`` should measure on a
#: bundle of each difficulty (metric names as in its report: ``prevalence``, ``roc_auc``,
#: ``pr_auc``, ``spearman``, ``gini``, ...).
DifficultyBands = dict[str, dict[str, dict[str, MetricBand]]]


@attrs.define
class RecipeHeader:
    """Fields of a recipe file besides ``world``, ``defaults`` and ``extends``."""

    id: str
    scheme: str
    title: str
    primary_task: str
    description: str = ""
    version: str = "1"
    modes: list[ExposureMode] = attrs.Factory(
        lambda: [ExposureMode.STUDENT_PUBLIC, ExposureMode.RESEARCH_INSTRUCTOR]
    )
    difficulties: list[str] = attrs.Factory(lambda: ["intro", "intermediate", "advanced"])
    default_difficulty: str = "intermediate"
    difficulty_bands: DifficultyBands = attrs.Factory(dict)

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for level, tasks in self.difficulty_bands.items():
            if level not in self.difficulties:
                out.append((f"difficulty_bands.{level}", "not one of the recipe's difficulties"))
            for task, metrics in tasks.items():
                for metric, band in metrics.items():
                    if band.min > band.max:
                        out.append((f"difficulty_bands.{level}.{task}.{metric}", "min exceeds max"))
        if not RECIPE_ID.match(self.id):
            out.append(("id", "must be lower_snake_case letters, digits and _ (max 64)"))
        if self.default_difficulty not in self.difficulties:
            out.append(("default_difficulty", f"must be one of {', '.join(self.difficulties)}"))
        return out


@attrs.define
class Recipe:
    """A resolved recipe: header, run defaults (a config layer) and the structured world."""

    header: RecipeHeader
    defaults: dict[str, Any]
    world: Any
    raw: dict[str, Any]
    source: str
    origin: str  # distribution that registered it, or "path"
    content_hash: str
    #: ``{key path: "file:line"}`` for every key of the resolved recipe.
    locations: dict[tuple[str, ...], str] = attrs.field(factory=dict)

    def bands_for(self, difficulty: str) -> dict[str, dict[str, list[float]]]:
        """Declared bands of one difficulty as ``{task: {metric: [min, max]}}`` (JSON-ready)."""
        tasks = self.header.difficulty_bands.get(difficulty, {})
        return {
            task: {m: [b.min, b.max] for m, b in sorted(metrics.items())}
            for task, metrics in sorted(tasks.items())
        }

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def scheme(self) -> str:
        return self.header.scheme
