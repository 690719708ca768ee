"""YAML loading with the source line of every key, so errors read ``file:line: key: msg``.

Loading is bounded so a hostile file fails fast instead of hanging: at most
:data:`MAX_BYTES` of text, :data:`MAX_ALIASES` alias references, :data:`MAX_DEPTH` levels of
nesting (also after aliases are expanded) and :data:`MAX_ALIAS_VALUES` values added by
expanding aliases (a "billion laughs" document is refused after reading its events once).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from leadforge_core.errors import ConfigError

#: ``{("params", "population", "n_leads"): 12}`` — 1-based line of each key.
LineMap = dict[tuple[str, ...], int]

#: Largest YAML text accepted (1 MiB).
MAX_BYTES = 1 << 20
#: Most alias references (``*name``) in one document.
MAX_ALIASES = 100
#: Deepest nesting of mappings and sequences, in the text and after alias expansion.
MAX_DEPTH = 64
#: Most values that expanding aliases may add to a document.
MAX_ALIAS_VALUES = 10_000


_BRACKETS = re.compile(r"[\[\]{}]")


_INDENT = re.compile(r"^[ \t?-]*", re.MULTILINE)


def _flow_depth_guard(text: str, source: str) -> int:
    """Refuse absurd bracket nesting before the YAML scanner (whose look-ahead over nested
    flow collections is quadratic) sees it. Brackets inside strings count too, so the bound
    is generous: four times :data:`MAX_DEPTH`.

    Returns the deepest bracket nesting seen (an upper bound of the flow nesting)."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
        if depth > 4 * MAX_DEPTH:
            line = text.count("\n", 0, m.start()) + 1
            raise ConfigError(f"{source}:{line}: YAML is nested more than {MAX_DEPTH} levels deep")
    return deepest


def _needs_scan(text: str, flow_depth: int) -> bool:
    """Whether the event scan of :func:`_scan` can find anything to refuse.

    Without a ``*`` there is no alias to count or expand. Block nesting needs indentation: a
    collection nested in another starts at a greater column, except a sequence inside a
    mapping, which may share its key's column, so a document whose lines start their content
    (after spaces and ``-``/``?`` indicators) at column ``c`` or less nests at most
    ``2 * (c + 1)`` block levels, plus its flow nesting."""
    if "*" in text:
        return True
    column = max((len(m.group()) for m in _INDENT.finditer(text)), default=0)
    return 2 * (column + 1) + flow_depth > MAX_DEPTH


def _scan(text: str, source: str) -> int | None:
    """Walk the event stream once (cheap, no expansion): bound aliases and nesting, and refuse
    an alias used inside the collection it names (a recursive document).

    Returns the 1-based line of the first alias, if any.
    """
    aliases = 0
    first: int | None = None
    open_anchors: list[str | None] = []
    for event in YAML(typ="rt", pure=True).parse(text):
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent):
            aliases += 1
            first = first or line
            if aliases > MAX_ALIASES:
                raise ConfigError(
                    f"{source}:{line}: YAML uses too many aliases (more than {MAX_ALIASES} "
                    "alias references)"
                )
            if event.anchor in open_anchors:
                raise ConfigError(
                    f"{source}:{line}: YAML alias *{event.anchor} refers to itself (a recursive "
                    "document)"
                )
        elif isinstance(event, MappingStartEvent | SequenceStartEvent):
            open_anchors.append(event.anchor)
            if len(open_anchors) > MAX_DEPTH:
                raise ConfigError(
                    f"{source}:{line}: YAML is nested more than {MAX_DEPTH} levels deep"
                )
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            open_anchors.pop()
    return first


def _children(node: Any) -> list[Any]:
    return list(node.values()) if isinstance(node, dict) else list(node)


def _check_expansion(root: Any, source: str, alias_line: int) -> None:
    """Refuse documents whose aliases expand to too many values, too deep, or into a cycle.

    Shared (aliased) nodes are visited once, so this is linear in the document, not in its
    expansion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    where = f"{source}:{alias_line}"
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        kids = [c for c in _children(node) if isinstance(c, dict | list)]
        if done:
            size[key] = 1 + (len(_children(node)) - len(kids)) + sum(size[id(c)] for c in kids)
            depth[key] = 1 + max((depth[id(c)] for c in kids), default=0)
            on_path.discard(key)
            if depth[key] > MAX_DEPTH:
                raise ConfigError(
                    f"{where}: YAML aliases nest the document more than {MAX_DEPTH} levels deep"
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise ConfigError(f"{where}: YAML alias refers to itself (a recursive document)")
        on_path.add(key)
        distinct += 1 + len(_children(node)) - len(kids)
        stack.append((node, True))
        for child in kids:
            if id(child) in on_path:
                raise ConfigError(f"{where}: YAML alias refers to itself (a recursive document)")
            if id(child) not in size:
                stack.append((child, False))
    total = size.get(id(root), 0)
    if total - distinct > MAX_ALIAS_VALUES:
        raise ConfigError(
            f"{where}: YAML uses too many aliases (they would expand the document by "
            f"{total - distinct:,} values; at most {MAX_ALIAS_VALUES:,} are allowed)"
        )


def _plain(node: Any, path: tuple[str, ...], lines: LineMap) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            skey = str(key)
            try:
                line = node.lc.key(key)[0] + 1
            except (KeyError, TypeError, AttributeError):
                line = getattr(node.lc, "line", 0) + 1
            lines[(*path, skey)] = line
            out[skey] = _plain(value, (*path, skey), lines)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            with contextlib.suppress(KeyError, TypeError, AttributeError):
                lines[(*path, str(i))] = node.lc.item(i)[0] + 1
            items.append(_plain(value, (*path, str(i)), lines))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, dt.datetime | dt.date):
        return node
    return node


def parse_yaml(text: str, source: str) -> tuple[Any, LineMap]:
    """Parse YAML text; raise :class:`ConfigError` ``source:line: malformed YAML: …``.

    The text is bounded (see the module docstring) before anything is expanded.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8")) > MAX_BYTES:
        raise ConfigError(f"{source}: YAML file is larger than {MAX_BYTES >> 20} MiB")
    yaml = YAML(typ="rt", pure=True)
    flow_depth = _flow_depth_guard(text, source)
    try:
        alias_line = _scan(text, source) if _needs_scan(text, flow_depth) else None
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = (exc.problem or exc.context or "syntax error").strip()
        ctx = exc.context_mark
        if (
            exc.problem
            and exc.context
            and ctx is not None
            and mark is not None
            and ctx.line != mark.line
        ):
            problem += f" ({exc.context.strip()} started at line {ctx.line + 1})"
        raise ConfigError(f"{source}{line}: malformed YAML: {problem}") from None
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        raise ConfigError(f"{source}: malformed YAML: {first}") from None
    if alias_line is not None and isinstance(node, dict | list):
        _check_expansion(node, source, alias_line)
    lines: LineMap = {}
    return _plain(node, (), lines), lines


def load_yaml_file(path: Path, source: str | None = None) -> tuple[Any, LineMap]:
    """Read and parse a YAML file; unreadable files are a :class:`ConfigError`."""
    label = source or str(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{label}: YAML file is larger than {MAX_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{label}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{label}: is a directory, not a YAML file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not a UTF-8 text file") from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot be read ({exc.strerror})") from None
    return parse_yaml(text, label)
