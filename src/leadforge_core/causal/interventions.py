"""Interventions on a causal graph, and their canonical string form.

Four kinds, each with a canonical string that :func:`parse_intervention` reads back:

=====================================  =========================================
``Do("engagement", 1.5)``              ``do(engagement=1.5)``: set the node
``Shift("engagement", 0.5)``           ``shift(engagement=+0.5)``: add to the node
``ScaleEdge("a", "b", 2.0)``           ``scale(a->b=2)``: multiply the edge weight
``CutEdge("a", "b")``                  ``cut(a->b)``: remove the edge
=====================================  =========================================

Node interventions are applied after the node's structural value is computed, so the world
consumes the same random draws with and without them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import attrs
import numpy as np

from leadforge_core.errors import ConfigError

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATTERN = re.compile(
    rf"^\s*(?P<kind>[a-z_]+)\s*\(\s*(?P<a>{_NAME})\s*(?:->\s*(?P<b>{_NAME})\s*)?"
    r"(?:=\s*(?P<value>[^)\s]+)\s*)?\)\s*$"
)
_FORMS = "do(node=value), shift(node=+delta), scale(source->target=factor) or cut(source->target)"


def format_number(x: float) -> str:
    """Shortest text that reads back to ``x`` (``2`` rather than ``2.0``)."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x)) if x != 0 or math.copysign(1.0, x) > 0 else "-0"
    return repr(x)


def _finite(value: float, what: str) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise ConfigError(f"intervention {what}: value must be a finite number, got {value!r}")
    return v


@attrs.frozen
class Do:
    """Set ``node`` to ``value`` for every entity (after its structural value is drawn)."""

    node: str
    value: float = attrs.field(converter=float)

    def __str__(self) -> str:
        return f"do({self.node}={format_number(self.value)})"

    def apply(self, values: np.ndarray) -> np.ndarray:
        """``values`` replaced by the set value (same dtype for float arrays)."""
        out = np.asarray(values)
        dtype = out.dtype if np.issubdtype(out.dtype, np.floating) else np.float64
        return np.full(out.shape, self.value, dtype=dtype)


@attrs.frozen
class Shift:
    """Add ``delta`` to ``node`` for every entity."""

    node: str
    delta: float = attrs.field(converter=float)

    def __str__(self) -> str:
        text = format_number(self.delta)
        return f"shift({self.node}={text if text.startswith('-') else '+' + text})"

    def apply(self, values: np.ndarray) -> np.ndarray:
        """``values + delta`` (same dtype for float arrays)."""
        out = np.asarray(values)
        if np.issubdtype(out.dtype, np.floating):
            return np.asarray(out + out.dtype.type(self.delta))
        return np.asarray(out.astype(np.float64) + self.delta)


@attrs.frozen
class ScaleEdge:
    """Multiply the weight of ``source -> target`` by ``factor``."""

    source: str
    target: str
    factor: float = attrs.field(converter=float)

    def __str__(self) -> str:
        return f"scale({self.source}->{self.target}={format_number(self.factor)})"


@attrs.frozen
class CutEdge:
    """Remove ``source -> target`` (its weight becomes 0)."""

    source: str
    target: str

    def __str__(self) -> str:
        return f"cut({self.source}->{self.target})"


#: An intervention on a node's values (:func:`do` or :func:`shift`).
NodeIntervention = Do | Shift
#: An intervention on an edge's weight (:func:`scale_edge` or :func:`cut_edge`).
EdgeIntervention = ScaleEdge | CutEdge
#: Any intervention ``CausalGraph.intervene`` and ``Generator.from_recipe`` accept.
Intervention = Do | Shift | ScaleEdge | CutEdge


def do(node: str, value: float) -> Do:
    """``do(node=value)``: set a node."""
    return Do(node, value)


def shift(node: str, delta: float) -> Shift:
    """``shift(node=+delta)``: move a node by ``delta``."""
    return Shift(node, delta)


def scale_edge(source: str, target: str, factor: float) -> ScaleEdge:
    """``scale(source->target=factor)``: multiply an edge's weight."""
    return ScaleEdge(source, target, factor)


def cut_edge(source: str, target: str) -> CutEdge:
    """``cut(source->target)``: remove an edge."""
    return CutEdge(source, target)


def parse_intervention(text: str) -> Intervention:
    """Read one canonical string (``do(x=1)``, ``shift(x=+0.5)``, ``scale(a->b=2)``,
    ``cut(a->b)``); raise :class:`~leadforge_core.errors.ConfigError` when it is malformed."""
    m = _PATTERN.match(text) if isinstance(text, str) else None
    if m is None:
        raise ConfigError(f"intervention {text!r}: expected {_FORMS}")
    kind, a, b, raw = m["kind"], m["a"], m["b"], m["value"]
    value: float | None = None
    if raw is not None:
        try:
            value = _finite(float(raw), repr(text))
        except ValueError:
            raise ConfigError(f"intervention {text!r}: {raw!r} is not a number") from None
    if kind in ("do", "shift"):
        if b is not None or value is None:
            raise ConfigError(f"intervention {text!r}: {kind} takes node=value (e.g. {kind}(x=1))")
        return Do(a, value) if kind == "do" else Shift(a, value)
    if kind in ("scale", "cut"):
        if b is None:
            raise ConfigError(f"intervention {text!r}: {kind} takes an edge source->target")
        if kind == "cut":
            if value is not None:
                raise ConfigError(f"intervention {text!r}: cut takes no value")
            return CutEdge(a, b)
        if value is None:
            raise ConfigError(f"intervention {text!r}: scale takes source->target=factor")
        return ScaleEdge(a, b, value)
    raise ConfigError(f"intervention {text!r}: unknown kind {kind!r}; expected {_FORMS}")


def parse_interventions(
    items: Iterable[Intervention | str] | None,
) -> tuple[Intervention, ...]:
    """Interventions from objects or canonical strings, in order; checks values are finite.
    ``None`` and an empty list mean none."""
    if items is None:
        return ()
    if isinstance(items, str):
        items = [items]
    out: list[Intervention] = []
    for item in items:
        if isinstance(item, str):
            out.append(parse_intervention(item))
        elif isinstance(item, Do | Shift | ScaleEdge | CutEdge):
            number = (
                item.value
                if isinstance(item, Do)
                else item.delta
                if isinstance(item, Shift)
                else item.factor
                if isinstance(item, ScaleEdge)
                else 0.0
            )
            _finite(number, f"{item}")
            out.append(item)
        else:
            raise ConfigError(
                f"intervention {item!r}: expected an intervention object or a string like {_FORMS}"
            )
    return tuple(out)
