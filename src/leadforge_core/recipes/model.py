"""The recipe header every scheme shares; the ``world:`` body is the scheme's own model."""

from __future__ import annotations

import re
from typing import Any

import attrs

from leadforge_core.exposure import ExposureMode

RECIPE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


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

    def problems(self) -> list[tuple[str, str]]:
        out = []
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

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def scheme(self) -> str:
        return self.header.scheme
