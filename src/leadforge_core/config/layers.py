"""Configuration layers and their precedence.

scheme defaults < recipe ``defaults:`` < ``--override`` file < ``--set`` < explicit flags /
API arguments. Each layer remembers where every key came from, so a bad value is reported at
the line that set it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from leadforge_core.config.merge import deep_merge
from leadforge_core.config.yamlio import load_yaml_file, parse_yaml
from leadforge_core.errors import ConfigError

#: Keys a layer may set at its top level.
RUN_KEYS = ("seed", "mode", "difficulty", "params")


@attrs.define
class Layer:
    """One source of settings: ``{seed?, mode?, difficulty?, params?: {...}}``.

    ``locations`` maps a key path (in ``data``) to ``file:line``; ``key_prefix`` is how the
    keys are spelled in that file (``defaults.`` inside a recipe); ``kind`` names the layer in
    messages (``"the override file"``); ``problems`` holds ``file:line: key: message`` lines
    found while loading it (their keys are left out of ``data``), reported with the others.
    """

    name: str
    data: dict[str, Any]
    locations: dict[tuple[str, ...], str] = attrs.field(factory=dict)
    key_prefix: tuple[str, ...] = ()
    kind: str = "a configuration layer"
    problems: list[str] = attrs.field(factory=list)

    def locate(self, path: tuple[str, ...]) -> str:
        for cut in range(len(path), 0, -1):
            where = self.locations.get(path[:cut])
            if where is not None:
                return where
        return self.name

    def spell(self, path: tuple[str, ...]) -> str:
        return ".".join((*self.key_prefix, *path))


def override_layer(path: Path) -> Layer:
    """Load an ``--override`` YAML file as a layer (top-level keys checked here)."""
    data, lines = load_yaml_file(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the override file must be a mapping of settings")
    locations = {key: f"{path}:{line}" for key, line in lines.items()}
    layer = Layer(name=str(path), data=data, locations=locations, kind="the override file")
    layer.problems = top_level_problems(layer, drop=True)
    return layer


def top_level_problems(layer: Layer, *, drop: bool = False) -> list[str]:
    """Every unknown top-level key and a non-mapping ``params``, as ``file:line: key: msg``.

    With ``drop`` the offending keys are removed from ``layer.data`` so the rest of the layer
    can still be checked.
    """
    problems = []
    for key in list(layer.data):
        if key not in RUN_KEYS:
            problems.append(
                f"{layer.locate((key,))}: {layer.spell((key,))}: unknown key "
                f"(expected {', '.join(RUN_KEYS)})"
            )
            if drop:
                del layer.data[key]
    params = layer.data.get("params")
    if params is not None and not isinstance(params, dict):
        problems.append(
            f"{layer.locate(('params',))}: {layer.spell(('params',))}: expected a mapping"
        )
        if drop:
            del layer.data["params"]
    return problems


def set_layer(assignments: Iterable[str]) -> Layer:
    """``--set population.n_leads=500`` → a layer over ``params``; values parse as YAML
    scalars (``500`` is an int, ``"500"`` a string). Every malformed assignment is reported
    in one :class:`ConfigError`."""
    params: dict[str, Any] = {}
    problems: list[str] = []
    for item in assignments:
        try:
            _assign(params, item)
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError.of(problems)
    return Layer(name="--set", data={"params": params} if params else {}, kind="--set")


def _assign(params: dict[str, Any], item: str) -> None:
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {item!r}: expected key=value")
    parts = tuple(p for p in key.split(".") if p)
    if parts and parts[0] == "params":
        parts = parts[1:]
    if not parts or any(not p.replace("_", "").isalnum() for p in parts):
        raise ConfigError(f"--set {item!r}: invalid key {key!r}")
    value, _ = parse_yaml(raw, f"--set {key}") if raw.strip() else (None, {})
    node = params
    for p in parts[:-1]:
        child = node.setdefault(p, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {item!r}: {'.'.join(parts)} conflicts with another --set")
        node = child
    node[parts[-1]] = value


@attrs.define
class Merged:
    """The merged settings and which layer set each key."""

    data: dict[str, Any]
    origin: dict[tuple[str, ...], Layer]

    def where(self, dotted: str) -> str:
        """``file:line: spelled.key`` for an error at ``dotted`` (a path in the merged data)."""
        path = tuple(p for p in dotted.split(".") if p)
        for cut in range(len(path), 0, -1):
            layer = self.origin.get(path[:cut])
            if layer is not None:
                return f"{layer.locate(path)}: {layer.spell(path)}"
        return f"config: {dotted}"

    def explain(self, dotted: str, message: str) -> str:
        """``file:line: spelled.key: message (set by <layer>)`` for a value at ``dotted``.

        A value no layer set is the scheme's default and is reported as such.
        """
        path = tuple(p for p in dotted.split(".") if p)
        layer = self.origin.get(path)
        if layer is not None:
            return f"{layer.locate(path)}: {layer.spell(path)}: {message} (set by {layer.kind})"
        return f"{dotted}: {message} (the scheme's default value; no layer sets it)"


def merge(layers: Iterable[Layer]) -> Merged:
    data: dict[str, Any] = {}
    origin: dict[tuple[str, ...], Layer] = {}
    for layer in layers:
        deep_merge(data, layer.data, origin, layer)
    return Merged(data, origin)
