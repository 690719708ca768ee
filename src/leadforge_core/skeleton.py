"""Skeletons of new plugins: ``leadforge new-plugin NAME --kind recipe|scheme``.

A skeleton is a complete distribution (``pyproject.toml`` with the ``leadforge`` entry point,
a package, a recipe, tests and a README) that installs, registers, generates, validates and
passes its own tests as written. ``recipe`` is a data-only vertical of the lead-scoring scheme
(a recipe that ``extends:`` ``b2b_saas_procurement_v1``); ``scheme`` is a small scheme of its
own built on the toolkit (causal graph, simulation blocks, point-in-time features, probes),
written only against leadforge-core's public API.
"""

from __future__ import annotations

import keyword
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from leadforge_core import __version__
from leadforge_core.bundle.writer import staging
from leadforge_core.errors import ConfigError

__all__ = ["KINDS", "PluginNames", "new_plugin", "plugin_names"]

#: The kinds of skeleton ``new_plugin`` writes.
KINDS = ("recipe", "scheme")

_NAME = re.compile(r"^[a-z][a-z0-9]*([_-][a-z0-9]+)*$")
_RESERVED = {"core", "lead_scoring", "lifecycle"}
_TOKEN = re.compile(r"\{\{(\w+)\}\}")


class PluginNames(dict[str, str]):
    """The names derived from a plugin name (``corner-shop``): ``name``, ``module``
    (``leadforge_corner_shop``), ``dist`` (``leadforge-corner-shop``), ``recipe_id``
    (``corner_shop_v1``), ``class_name`` (``CornerShop``), ``title`` (``Corner Shop``) and
    ``core_version``."""


def plugin_names(name: str) -> PluginNames:
    """Check a plugin name and derive the package, distribution and recipe names from it.

    Args:
        name: lowercase words joined by ``_`` or ``-`` (``retail``, ``corner-shop``); a
            leading ``leadforge-``/``leadforge_`` is dropped.

    Returns:
        The derived names (see :class:`PluginNames`).

    Raises:
        ConfigError: the name is not a valid Python identifier / distribution name once
            normalized, or is one of leadforge's own (``core``, ``lead_scoring``, ...).
    """
    raw = name.strip()
    base = re.sub(r"^leadforge[-_]", "", raw)
    if not _NAME.match(base) or len(base) > 40:
        raise ConfigError(
            f"plugin name {raw!r} must be lowercase letters and digits, words joined by '_' "
            "or '-', starting with a letter (at most 40 characters)"
        )
    snake = base.replace("-", "_")
    if keyword.iskeyword(snake) or snake in _RESERVED:
        raise ConfigError(f"plugin name {raw!r} is reserved; choose another")
    words = snake.split("_")
    return PluginNames(
        name=snake,
        module=f"leadforge_{snake}",
        dist=f"leadforge-{snake.replace('_', '-')}",
        recipe_id=f"{snake}_v1",
        class_name="".join(w.capitalize() for w in words),
        title=" ".join(w.capitalize() for w in words),
        core_version=__version__.split("+")[0],
    )


def _render(text: str, names: PluginNames) -> str:
    return _TOKEN.sub(lambda m: names[m.group(1)], text)


def _walk(folder: Traversable, rel: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    out: list[tuple[tuple[str, ...], str]] = []
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.is_dir():
            if item.name != "__pycache__":
                out += _walk(item, (*rel, item.name))
        elif item.name.endswith(".tmpl"):
            out.append(((*rel, item.name.removesuffix(".tmpl")), item.read_text("utf-8")))
    return out


def _path_part(part: str, names: PluginNames) -> str:
    """``__module__`` and ``__recipe_id__`` in file and folder names become the real names."""
    return part.replace("__module__", names["module"]).replace("__recipe_id__", names["recipe_id"])


def new_plugin(name: str, kind: str, out: str | Path | None = None) -> Path:
    """Write the skeleton of a new plugin into ``out`` (default ``./leadforge-NAME``).

    Args:
        name: the plugin name (see :func:`plugin_names`).
        kind: ``"recipe"`` (a vertical of lead scoring, data only) or ``"scheme"`` (a scheme
            of its own on the toolkit).
        out: the folder to create; it must not exist or be empty. Files are written to a
            temporary folder renamed into place, so a failure leaves nothing behind.

    Returns:
        The folder written.

    Raises:
        ConfigError: an invalid name or kind, or a non-empty target folder.
    """
    if kind not in KINDS:
        raise ConfigError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}")
    names = plugin_names(name)
    target = Path(out) if out is not None else Path(names["dist"])
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"--out {target} is not an empty folder; choose a new one")
    with staging(target, force=True) as tmp:
        for rel, text in _walk(files("leadforge_core") / "templates" / kind):
            path = tmp.joinpath(*(_path_part(p, names) for p in rel))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_render(text, names), encoding="utf-8")
    return target
