"""Range and cross-field checks on structured config models, reported by dotted key."""

from __future__ import annotations

from typing import Any

import attrs


def check(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Return ``(dotted_key, message)`` for every bound or ``problems()`` rule ``obj`` breaks.

    A model may define ``problems(self) -> list[tuple[str, str]]`` for cross-field rules; its
    keys are relative to the model.
    """
    out: list[tuple[str, str]] = []
    if not attrs.has(type(obj)):
        return out
    for field in attrs.fields(type(obj)):
        key = f"{prefix}{field.name}"
        value = getattr(obj, field.name)
        meta = field.metadata
        if attrs.has(type(value)):
            out += check(value, key + ".")
            continue
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            if "ge" in meta and value < meta["ge"]:
                out.append((key, f"must be >= {meta['ge']}, got {value}"))
            if "gt" in meta and value <= meta["gt"]:
                out.append((key, f"must be > {meta['gt']}, got {value}"))
            if "le" in meta and value > meta["le"]:
                out.append((key, f"must be <= {meta['le']}, got {value}"))
            if "lt" in meta and value >= meta["lt"]:
                out.append((key, f"must be < {meta['lt']}, got {value}"))
        if isinstance(value, str) and meta.get("choices") and value not in meta["choices"]:
            out.append((key, f"must be one of {', '.join(meta['choices'])}, got {value!r}"))
    problems = getattr(obj, "problems", None)
    if callable(problems):
        out += [(f"{prefix}{k}", m) for k, m in problems()]
    return out
