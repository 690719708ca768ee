"""Finding and resolving recipes: by id (plugins, ``LEADFORGE_RECIPE_PATH``) or by path.

A path recipe may ``extends:`` a registered recipe: mappings merge key by key, everything else
is replaced. The resolved recipe is structured strictly (header by the core, ``world`` by the
scheme's model) and hashed, and the hash goes into the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import attrs

from leadforge_core.config.layers import Layer, top_level_problems
from leadforge_core.config.merge import deep_copy, deep_merge, mark
from leadforge_core.config.run import check_layers
from leadforge_core.config.run import order_problems as _order
from leadforge_core.config.structure import structure_strict
from leadforge_core.config.yamlio import LineMap, load_yaml_file, parse_yaml
from leadforge_core.errors import ConfigError, PluginError, RecipeError
from leadforge_core.exposure import ExposureMode
from leadforge_core.plugins import PluginHost, RecipeSource, plugin_code
from leadforge_core.recipes.model import RECIPE_ID, Recipe, RecipeHeader

TOP_KEYS = {f.name for f in attrs.fields(RecipeHeader)} | {"defaults", "world", "extends"}


@attrs.define
class RecipeFile:
    """One parsed recipe file (before ``extends`` is applied)."""

    data: dict[str, Any]
    lines: LineMap
    label: str  # file path or distribution:file, used in messages
    origin: str  # distribution name or "path"

    @property
    def id(self) -> str | None:
        value = self.data.get("id")
        return value if isinstance(value, str) else None


def _parse(text: str, label: str, origin: str) -> RecipeFile:
    data, lines = parse_yaml(text, label)
    if not isinstance(data, dict):
        raise RecipeError(f"{label}:1: a recipe must be a mapping")
    return RecipeFile(data, lines, label, origin)


def _load_path(path: Path) -> RecipeFile:
    if not path.exists():
        raise RecipeError(f"recipe file not found: {path}")
    if path.is_dir():
        raise RecipeError(f"recipe path is a directory, not a YAML file: {path}")
    data, lines = load_yaml_file(path)
    if not isinstance(data, dict):
        raise RecipeError(f"{path}:1: a recipe must be a mapping")
    return RecipeFile(data, lines, str(path), "path")


#: A top-level ``id:`` line, read without parsing the file.
_ID_LINE = re.compile(r"""^id:[ \t]*["']?([a-z][a-z0-9_]*)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)


def recipe_path_folders() -> list[Path]:
    raw = os.environ.get("LEADFORGE_RECIPE_PATH", "")
    return [Path(p) for p in raw.split(os.pathsep) if p.strip()]


class RecipeCatalog:
    """All recipes reachable by id: plugin package data first, then recipe-path folders."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self._files: dict[str, RecipeFile] | None = None
        self.problems: list[str] = []

    def files(self) -> dict[str, RecipeFile]:
        if self._files is None:
            self._files = {}
            for source in self.host.recipe_files:
                self._add_plugin_file(source)
            for folder in recipe_path_folders():
                if not folder.is_dir():
                    continue
                for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                    try:
                        self._add(_load_path(path))
                    except (RecipeError, ConfigError) as exc:
                        self.problems.append(str(exc))
        return self._files

    def _quick_find(self, ref: str) -> RecipeFile | None:
        """The plugin recipe ``ref`` parsed alone, when the top-level ``id:`` lines of the
        plugin files show which file it is (generating one recipe need not parse every
        installed one). ``None`` whenever that is not certain; :meth:`files` then decides."""
        for source in self.host.recipe_files:
            try:
                found = _ID_LINE.findall(source.read_text())
            except (OSError, UnicodeDecodeError):
                return None
            if len(found) != 1:
                return None
            if found[0] == ref:
                try:
                    rf = _parse(source.read_text(), source.label, source.plugin.distribution)
                except (OSError, RecipeError, ConfigError):
                    return None
                return rf if rf.id == ref else None
        return None

    def _add_plugin_file(self, source: RecipeSource) -> None:
        try:
            rf = _parse(source.read_text(), source.label, source.plugin.distribution)
        except (OSError, RecipeError, ConfigError) as exc:
            message = f"recipe {source.label} cannot be read: {exc}"
            source.plugin.errors.append(message)
            self.problems.append(message)
            return
        if self._add(rf) and rf.id:
            source.plugin.recipes.append(rf.id)

    def _add(self, rf: RecipeFile) -> bool:
        assert self._files is not None
        rid = rf.id
        if rid is None or not RECIPE_ID.match(rid):
            self.problems.append(f"{rf.label}: recipe has no valid id; skipped")
            return False
        if rid in self._files:
            self.problems.append(
                f"recipe '{rid}' from {rf.label} duplicates {self._files[rid].label}; skipped"
            )
            return False
        self._files[rid] = rf
        return True

    def ids(self) -> list[str]:
        return sorted(self.files())

    def listing(self) -> list[dict[str, Any]]:
        """One summary per recipe id, with ``extends:`` applied (a data-only recipe shows the
        scheme, primary task, modes and difficulties it inherits). A recipe whose chain cannot
        be resolved is listed as written, and the reason is added to :attr:`problems`."""
        out = []
        for rid, rf in sorted(self.files().items()):
            try:
                data, _ = self._apply_extends(rf, [])
            except RecipeError as exc:
                self.problems.append(f"recipe '{rid}': {exc}")
                data = rf.data
            out.append(
                {
                    "id": rid,
                    "scheme": data.get("scheme"),
                    "title": data.get("title"),
                    "primary_task": data.get("primary_task"),
                    "modes": data.get("modes", [str(m) for m in ExposureMode]),
                    "difficulties": data.get("difficulties", ["intro", "intermediate", "advanced"]),
                    "plugin": rf.origin,
                    "source": rf.label,
                    "extends": rf.data.get("extends"),
                }
            )
        return out

    # -- resolution ------------------------------------------------------------------------
    def resolve(self, ref: str) -> Recipe:
        """Resolve a recipe id or path into a structured :class:`Recipe`."""
        rf = self._find(ref)
        data, lines_of = self._apply_extends(rf, [])
        return self._structure(rf, data, lines_of)

    def _find(self, ref: str) -> RecipeFile:
        if _looks_like_path(ref):
            return _load_path(Path(ref))
        if not RECIPE_ID.match(ref):
            raise RecipeError(
                f"invalid recipe id {ref!r}: ids are lower_snake_case (give a path ending in "
                ".yaml to load a file)"
            )
        if self._files is None and (quick := self._quick_find(ref)) is not None:
            return quick
        files = self.files()
        if ref not in files:
            known = ", ".join(sorted(files)) or "none installed"
            raise RecipeError(f"unknown recipe '{ref}' (available: {known})")
        return files[ref]

    def _apply_extends(
        self, rf: RecipeFile, chain: list[str]
    ) -> tuple[dict[str, Any], dict[tuple[str, ...], RecipeFile]]:
        here = rf.label
        if here in chain:
            raise RecipeError(f"recipe extends cycle: {' -> '.join([*chain, here])}")
        parent_ref = rf.data.get("extends")
        owners: dict[tuple[str, ...], RecipeFile] = {}
        if parent_ref is None:
            mark(rf.data, (), owners, rf)
            return deep_copy(rf.data), owners
        if not isinstance(parent_ref, str):
            line = rf.lines.get(("extends",), 1)
            raise RecipeError(f"{rf.label}:{line}: extends: expected a recipe id")
        try:
            parent = self._find(parent_ref)
        except RecipeError as exc:
            line = rf.lines.get(("extends",), 1)
            raise RecipeError(f"{rf.label}:{line}: extends: {exc}") from None
        base, owners = self._apply_extends(parent, [*chain, here])
        child = {k: v for k, v in rf.data.items() if k != "extends"}
        deep_merge(base, child, owners, rf)
        base.pop("extends", None)
        return base, owners

    def _structure(
        self, rf: RecipeFile, data: dict[str, Any], owners: dict[tuple[str, ...], RecipeFile]
    ) -> Recipe:
        def where(dotted: str) -> str:
            path = tuple(p for p in dotted.split(".") if p)
            for cut in range(len(path), 0, -1):
                owner = owners.get(path[:cut])
                if owner is not None:
                    line = owner.lines.get(path[:cut])
                    return f"{owner.label}:{line}" if line else owner.label
            return rf.label

        problems = [f"{where(key)}: {key}: unknown key" for key in data if key not in TOP_KEYS]
        header_data = {
            k: v for k, v in data.items() if k in TOP_KEYS - {"defaults", "world", "extends"}
        }
        header, found = structure_strict(header_data, RecipeHeader)
        problems += [f"{where(key)}: {key}: {msg}" for key, msg in found]
        locations: dict[tuple[str, ...], str] = {}
        for path, owner in owners.items():
            line = owner.lines.get(path)
            locations[path] = f"{owner.label}:{line}" if line else owner.label
        defaults = data.get("defaults") or {}
        if not isinstance(defaults, dict):
            problems.append(f"{where('defaults')}: defaults: expected a mapping")
            defaults = {}
        world = None
        layer = _defaults_layer(rf.label, defaults, locations)
        scheme_name = data.get("scheme")
        if isinstance(scheme_name, str):  # checked even when other header fields are wrong
            try:
                scheme_cls, record = self.host.scheme(scheme_name)
            except PluginError as exc:
                problems.append(f"{where('scheme')}: scheme: {exc}")
                problems += layer.problems
            else:
                with plugin_code(record, "recipe_model"):
                    world, found = structure_strict(
                        data.get("world", {}), scheme_cls.recipe_model, "world"
                    )
                problems += [f"{where(key)}: {key}: {msg}" for key, msg in found]
                problems += check_layers(scheme_cls, [layer]).problems
        else:
            problems += layer.problems
        if problems or header is None or world is None:
            raise RecipeError.of(_order(problems))
        recipe = Recipe(
            header=header,
            defaults=defaults,
            world=world,
            raw=data,
            source=rf.label,
            origin=rf.origin,
            content_hash=content_hash(data),
            locations=locations,
        )
        return recipe


def defaults_layer(recipe: Recipe) -> Layer:
    """The recipe's ``defaults:`` as a config layer whose keys point into the recipe file(s)."""
    return _defaults_layer(recipe.source, recipe.defaults, recipe.locations)


def _defaults_layer(
    source: str, defaults: dict[str, Any], recipe_locations: dict[tuple[str, ...], str]
) -> Layer:
    locations = {
        p[1:]: loc for p, loc in recipe_locations.items() if p[:1] == ("defaults",) and len(p) > 1
    }
    layer = Layer(
        name=f"recipe {source}",
        data=dict(defaults),
        locations=locations,
        key_prefix=("defaults",),
        kind="the recipe",
    )
    layer.problems = top_level_problems(layer, drop=True)
    return layer


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or "\\" in ref or ref.endswith((".yaml", ".yml")) or ref.startswith(".")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def content_hash(data: dict[str, Any]) -> str:
    """sha256 of the resolved recipe as canonical JSON (key order and formatting ignored)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
