"""YAML loading with the source line of every key, so errors read ``file:line: key: msg``."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from leadforge_core.errors import ConfigError

#: ``{("params", "population", "n_leads"): 12}`` — 1-based line of each key.
LineMap = dict[tuple[str, ...], int]


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
    """Parse YAML text; raise :class:`ConfigError` ``source:line: malformed YAML: …``."""
    yaml = YAML(typ="rt", pure=True)
    try:
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
    lines: LineMap = {}
    return _plain(node, (), lines), lines


def load_yaml_file(path: Path, source: str | None = None) -> tuple[Any, LineMap]:
    """Read and parse a YAML file; unreadable files are a :class:`ConfigError`."""
    label = source or str(path)
    try:
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
