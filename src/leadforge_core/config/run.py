"""Resolve every layer into the settings of one run: seed, mode, difficulty and typed params."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

from leadforge_core.config.fields import int_field
from leadforge_core.config.layers import Layer, merge
from leadforge_core.config.structure import structure_strict, unstructure
from leadforge_core.errors import ConfigError
from leadforge_core.exposure import ExposureMode
from leadforge_core.recipes.model import Recipe
from leadforge_core.scheme import Scheme

DEFAULT_SEED = 42


@attrs.define
class RunSettings:
    seed: int = int_field(DEFAULT_SEED, ge=0, le=2**63 - 1, help="root random seed")
    mode: ExposureMode = ExposureMode.STUDENT_PUBLIC
    difficulty: str | None = None


@attrs.define
class ResolvedConfig:
    """The fully resolved configuration recorded in the manifest."""

    seed: int
    mode: ExposureMode
    difficulty: str
    params: Any

    def to_dict(self, hidden: Sequence[str] = ()) -> dict[str, Any]:
        params = unstructure(self.params)
        for key in hidden:
            if isinstance(params, dict) and params.get(key) is not None:
                params[key] = "withheld"
        return {
            "seed": self.seed,
            "mode": str(self.mode),
            "difficulty": self.difficulty,
            "params": params,
        }


def _fail(problems: list[tuple[str, str]], where: Any) -> None:
    if problems:
        key, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{where(key)}: {message}{more}")


def resolve(scheme: type[Scheme], recipe: Recipe, layers: Sequence[Layer]) -> ResolvedConfig:
    """Merge ``layers`` (lowest precedence first) and structure them strictly."""
    merged = merge(layers)
    data = dict(merged.data)
    params_data = data.pop("params", {}) or {}
    settings, problems = structure_strict(data, RunSettings)
    _fail(problems, merged.where)
    assert settings is not None
    params, problems = structure_strict(params_data, scheme.params_model, "params")
    _fail(problems, merged.where)
    difficulty = settings.difficulty or recipe.header.default_difficulty
    if difficulty not in recipe.header.difficulties:
        raise ConfigError(
            f"{merged.where('difficulty') if settings.difficulty else 'difficulty'}: unknown "
            f"difficulty {difficulty!r} for recipe {recipe.id} (choose from "
            f"{', '.join(recipe.header.difficulties)})"
        )
    if settings.mode not in recipe.header.modes:
        raise ConfigError(f"recipe {recipe.id} does not support mode {settings.mode}")
    motif = getattr(params, "motif", None)
    if motif is not None and scheme.motifs and motif not in scheme.motifs:
        raise ConfigError(
            f"{merged.where('params.motif')}: unknown motif {motif!r} (choose from "
            f"{', '.join(scheme.motifs)})"
        )
    return ResolvedConfig(settings.seed, settings.mode, difficulty, params)
