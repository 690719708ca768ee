"""Resolve every layer into the settings of one run: seed, mode, difficulty and typed params."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs

from leadforge_core.config.fields import int_field
from leadforge_core.config.layers import Layer, Merged, merge
from leadforge_core.config.structure import structure_strict, unstructure
from leadforge_core.errors import ConfigError
from leadforge_core.exposure import ExposureMode
from leadforge_core.plugins import plugin_code
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
    """The fully resolved configuration recorded in the manifest.

    ``sources`` remembers which layer set each key, so a later error about a value (raised
    by a scheme's ``complete_params``) can point at the line that set it.
    """

    seed: int
    mode: ExposureMode
    difficulty: str
    params: Any
    sources: Merged | None = attrs.field(default=None, eq=False, repr=False)

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

    def locate_error(self, exc: ConfigError) -> ConfigError:
        """Attach the source of ``exc.key`` to a scheme's :class:`ConfigError`.

        ``exc.key`` is a parameter key (``population.n_stores``, optionally ``params.``-
        prefixed) or a run setting (``seed``, ``mode``, ``difficulty``). Errors without a key
        are returned unchanged.
        """
        if not exc.key or self.sources is None:
            return exc
        parts = [p for p in exc.key.split(".") if p]
        if parts and parts[0] not in ("params", *RUN_SETTINGS):
            parts.insert(0, "params")
        located = ConfigError(self.sources.explain(".".join(parts), exc.message))
        located.key = exc.key
        return located


#: Run settings besides ``params``.
RUN_SETTINGS = ("seed", "mode", "difficulty")

_LINE = re.compile(r"^(?P<file>.*?):(?P<line>\d+): ")


def order_problems(problems: list[str]) -> list[str]:
    """Problems by file and line (those without a line keep their order, last); no repeats."""

    def key(item: tuple[int, str]) -> tuple[int, str, int, int]:
        index, text = item
        m = _LINE.match(text)
        return (0, m["file"], int(m["line"]), index) if m else (1, "", 0, index)

    unique = list(dict.fromkeys(problems))
    return [text for _, text in sorted(enumerate(unique), key=key)]


@attrs.define
class CheckedLayers:
    """Layers merged and structured: every problem found, and what could be structured."""

    problems: list[str]
    merged: Merged
    settings: RunSettings | None
    params: Any


def check_layers(scheme: type[Scheme], layers: Sequence[Layer]) -> CheckedLayers:
    """Merge ``layers`` and structure the run settings and the scheme's parameters, collecting
    every problem (the layers' own, then type, key and bound errors) as
    ``file:line: dotted.key: message``."""
    problems: list[str] = [p for layer in layers for p in layer.problems]
    merged = merge(layers)
    data = dict(merged.data)
    params_data = data.pop("params", {}) or {}
    settings, found = structure_strict(data, RunSettings)
    problems += [f"{merged.where(k)}: {m}" for k, m in found]
    with plugin_code(scheme, "params_model"):
        params, found = structure_strict(params_data, scheme.params_model, "params")
    problems += [f"{merged.where(k)}: {m}" for k, m in found]
    return CheckedLayers(problems, merged, settings, params)


def resolve(scheme: type[Scheme], recipe: Recipe, layers: Sequence[Layer]) -> ResolvedConfig:
    """Merge ``layers`` (lowest precedence first) and structure them strictly.

    Every problem of every layer is collected and raised together as one
    :class:`ConfigError` (``file:line: dotted.key: message`` per line).
    """
    checked = check_layers(scheme, layers)
    problems, merged, settings, params = (
        checked.problems,
        checked.merged,
        checked.settings,
        checked.params,
    )
    difficulty = recipe.header.default_difficulty
    if settings is not None:
        difficulty = settings.difficulty or difficulty
        if difficulty not in recipe.header.difficulties:
            problems.append(
                f"{merged.where('difficulty') if settings.difficulty else 'difficulty'}: unknown "
                f"difficulty {difficulty!r} for recipe {recipe.id} (choose from "
                f"{', '.join(recipe.header.difficulties)})"
            )
        if settings.mode not in recipe.header.modes:
            problems.append(
                f"{merged.where('mode')}: recipe {recipe.id} does not support mode {settings.mode}"
            )
    motif = getattr(params, "motif", None)
    if motif is not None and scheme.motifs and motif not in scheme.motifs:
        problems.append(
            f"{merged.where('params.motif')}: unknown motif {motif!r} (choose from "
            f"{', '.join(scheme.motifs)})"
        )
    if problems or settings is None or params is None:
        raise ConfigError.of(order_problems(problems))
    return ResolvedConfig(settings.seed, settings.mode, difficulty, params, merged)
