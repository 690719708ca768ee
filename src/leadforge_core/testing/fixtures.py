"""Plugin hosts for tests, and small comparisons the conformance suite is built from."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from leadforge_core import plugins
from leadforge_core.plugins import PluginHost, PluginRecord


def _record(plugin: object) -> PluginRecord:
    name = str(getattr(plugin, "__name__", type(plugin).__name__)).split(".")[0]
    return PluginRecord(name, name.replace("_", "-"), "dev")


@contextmanager
def throwaway_host(
    *plugins_: object | tuple[object, PluginRecord], strict: bool = True, install: bool = True
) -> Iterator[PluginHost]:
    """A plugin host holding the core's built-ins and ``plugins_`` only, without installing
    anything: register a plugin module straight from its source tree.

    Args:
        plugins_: plugin objects (modules with ``@hookimpl`` functions), or ``(plugin,
            PluginRecord(name, distribution, version))`` pairs to control the names shown.
            A bare module is recorded under its top-level package name, version ``dev``.
        strict: a plugin that fails to register is an error instead of a warning.
        install: make it the process-wide host (what the CLI and API use) while the block
            runs; the previous host is restored afterwards.

    Yields:
        The host.
    """
    host = PluginHost(strict=strict)
    for item in plugins_:
        plugin, record = item if isinstance(item, tuple) else (item, _record(item))
        host.register(plugin, record)
    previous = plugins._HOST
    if install:
        plugins.set_host(host)
    try:
        yield host
    finally:
        if install:
            plugins.set_host(previous)


def entry_point_host(strict: bool = False) -> PluginHost:
    """A fresh host loaded from the installed ``leadforge`` entry points (what the CLI sees).

    Args:
        strict: any plugin load failure is an error (by default a warning, as on the CLI).

    Returns:
        The host (not installed process-wide).
    """
    host = PluginHost(strict=strict)
    host.load_entry_points()
    return host


def file_digests(root: str | Path) -> dict[str, str]:
    """The sha256 of every file under ``root``, by path relative to it (``/`` separators).

    Args:
        root: a folder, for example a saved bundle.

    Returns:
        ``{relative path: hex digest}``, sorted by path.
    """
    base = Path(root)
    return {
        p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }


def frames_equal(
    left: pl.DataFrame, right: pl.DataFrame, on: Sequence[str], columns: Sequence[str]
) -> list[str]:
    """Columns whose values differ between two frames matched on the key columns ``on``.

    Rows of ``left`` whose key is missing from ``right`` are reported as well. Nulls compare
    equal to nulls; categorical columns are compared as strings.

    Args:
        left: the frame under test.
        right: the reference.
        on: key columns present in both.
        columns: value columns to compare (present in both).

    Returns:
        One message per differing column (empty when every value matches).
    """

    def plain(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(*on, *columns).with_columns(
            pl.col(pl.Categorical, pl.Enum).cast(pl.String)
        )

    joined = plain(left).join(plain(right), on=list(on), how="left", suffix="__ref")
    out: list[str] = []
    missing = left.height - left.join(right.select(on), on=list(on), how="semi").height
    if missing:
        out.append(f"{missing} rows of the first frame have no match by {', '.join(on)}")
    for col in columns:
        differ = joined.filter(~pl.col(col).eq_missing(pl.col(f"{col}__ref"))).height
        if differ:
            out.append(f"{col}: {differ} rows differ")
    return out
