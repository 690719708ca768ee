"""Deep merge of nested settings that remembers which source set each key.

Mappings merge key by key; anything else (scalars, lists) replaces what was there. ``owners``
maps every key path to the source that set it last, so an error can point at the right file
and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")
Path = tuple[str, ...]


def deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


def mark(value: Any, path: Path, owners: dict[Path, T], owner: T) -> None:
    """Record ``owner`` for ``path`` and every key path nested inside ``value``."""
    if path:
        owners[path] = owner
    if isinstance(value, dict):
        for k, v in value.items():
            mark(v, (*path, k), owners, owner)


def deep_merge(
    base: dict[str, Any], top: Mapping[str, Any], owners: dict[Path, T], owner: T, path: Path = ()
) -> None:
    """Merge ``top`` into ``base`` in place, updating ``owners``."""
    for key, value in top.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            owners[here] = owner
            deep_merge(base[key], value, owners, owner, here)
        else:
            base[key] = deep_copy(value)
            for stale in [k for k in owners if k[: len(here)] == here]:
                del owners[stale]
            mark(value, here, owners, owner)
