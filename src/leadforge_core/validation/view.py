"""Read-only, lazy view of a bundle on disk, used by validation, inspect and scheme checks.

Every accessor raises :class:`BundleReadError` (never a library exception) when a file is
missing or unreadable, so checks can turn it into a finding.

Tables and splits are addressed by their single-file path (``tables/leads.parquet``) whether
they are written as one file or as a Parquet dataset (``tables/leads/part-*.parquet``, see
:mod:`leadforge_core.bundle.layout`); the view reads either form.
"""

from __future__ import annotations

import json
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from leadforge_core.bundle import layout
from leadforge_core.exposure import ExposureMode

__all__ = ["BundleReadError", "BundleView"]


class BundleReadError(Exception):
    """A bundle file is missing, corrupt or not what the manifest says."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


class BundleView:
    """Read-only, lazy view of the bundle folder at ``path``: the manifest, tables, task
    splits, task manifests, feature dictionary and metadata, each read once on first use.

    Checks, report sections and ``inspect_summary`` receive one. Reading a missing or broken
    file raises :class:`BundleReadError` (a check wrapped by ``named_check`` turns it into a
    finding).

    Args:
        path: the bundle folder.
        preload: frames known to be the content of some of the bundle's Parquet files, keyed
            by their bundle-relative path with forward slashes — ``"tables/<table>.parquet"``
            for tables and ``"tasks/<task>/<split>.parquet"`` for task splits (``split`` being
            ``train``, ``valid`` or ``test``). ``leadforge generate`` passes the frames it has
            just written, sparing a re-read; file hashes are still checked against the
            manifest. Other keys are never looked up.
    """

    def __init__(self, path: str | Path, preload: dict[str, pl.DataFrame] | None = None) -> None:
        self.path = Path(path)
        self._tables: dict[str, pl.DataFrame] = dict(preload or {})
        # Checks may run on several threads: each file is read once, by the first asker.
        self._guard = threading.Lock()
        self._reading: dict[str, threading.Lock] = {}

    def read_json(self, rel: str) -> Any:
        """The parsed JSON file at bundle-relative path ``rel``."""
        file = self.path / rel
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BundleReadError(rel, "file is missing") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BundleReadError(rel, f"not valid JSON ({exc})") from None
        except OSError as exc:
            raise BundleReadError(rel, f"cannot be read ({exc.strerror})") from None

    def parquet_files(self, rel: str) -> list[Path]:
        """The files holding ``rel``: the file itself, or the sorted parts of its dataset
        folder; empty when neither exists."""
        file = self.path / rel
        if file.is_file():
            return [file]
        folder = self.path / layout.dataset_dir(rel)
        if rel.endswith(".parquet") and folder.is_dir():
            return sorted(folder.glob(f"{layout.PART_PREFIX}*.parquet"))
        return []

    def exists(self, rel: str) -> bool:
        """Whether the table or split ``rel`` is on disk (as a file or a dataset folder)."""
        return rel in self._tables or bool(self.parquet_files(rel))

    def location(self, rel: str) -> str:
        """Where ``rel`` lives, for messages: the file, or its dataset folder."""
        if (self.path / layout.dataset_dir(rel)).is_dir() and not (self.path / rel).is_file():
            return layout.dataset_dir(rel)
        return rel

    def read_parquet(self, rel: str) -> pl.DataFrame:
        """The whole table or split ``rel`` (a preloaded frame if given, else read once and
        cached); parts are read in order."""
        if rel in self._tables:
            return self._tables[rel]
        with self._guard:
            lock = self._reading.setdefault(rel, threading.Lock())
        with lock:
            if rel in self._tables:  # read by another thread meanwhile
                return self._tables[rel]
            files = self.parquet_files(rel)
            if not files:
                raise BundleReadError(rel, "file is missing")
            try:
                frame = pl.read_parquet(files[0] if len(files) == 1 else files)
            except Exception as exc:  # polars/pyarrow raise many types for corrupt files
                raise BundleReadError(
                    self.location(rel), f"not readable as Parquet ({_first_line(exc)})"
                ) from None
            self._tables[rel] = frame
            return frame

    def scan_parquet(self, rel: str) -> pl.LazyFrame:
        """A lazy scan of ``rel`` over its file or parts (the cached frame when loaded), so a
        check can stream a big table instead of loading it whole. Errors in the data itself
        surface when the query is collected."""
        if rel in self._tables:
            return self._tables[rel].lazy()
        files = self.parquet_files(rel)
        if not files:
            raise BundleReadError(rel, "file is missing")
        try:
            return pl.scan_parquet(files[0] if len(files) == 1 else files)
        except Exception as exc:
            raise BundleReadError(
                self.location(rel), f"not readable as Parquet ({_first_line(exc)})"
            ) from None

    def parquet_schema(self, rel: str) -> pl.Schema:
        """Column names and dtypes of ``rel`` without reading its rows."""
        if rel in self._tables:
            return self._tables[rel].schema
        try:
            return self.scan_parquet(rel).collect_schema()
        except BundleReadError:
            raise
        except Exception as exc:
            raise BundleReadError(
                self.location(rel), f"not readable as Parquet ({_first_line(exc)})"
            ) from None

    def is_loaded(self, rel: str) -> bool:
        """Whether ``rel`` is already in memory (preloaded or read)."""
        return rel in self._tables

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json`` as a dict."""
        data = self.read_json("manifest.json")
        if not isinstance(data, dict):
            raise BundleReadError("manifest.json", "not a JSON object")
        return data

    @property
    def mode(self) -> ExposureMode:
        """The bundle's exposure mode, from the manifest."""
        try:
            return ExposureMode(str(self.manifest.get("exposure_mode")))
        except ValueError:
            raise BundleReadError("manifest.json", "exposure_mode is missing or unknown") from None

    @property
    def scheme(self) -> str:
        """Name of the scheme that generated the bundle."""
        return str(self.manifest.get("scheme", ""))

    def table_names(self) -> list[str]:
        """Names of the tables the manifest lists, sorted."""
        return sorted(self.manifest.get("tables", {}))

    def table(self, name: str) -> pl.DataFrame:
        """Table ``name`` (``tables/<name>.parquet`` or its parts)."""
        return self.read_parquet(layout.table_file(name))

    def scan_table(self, name: str) -> pl.LazyFrame:
        """A lazy scan of table ``name`` (see :meth:`scan_parquet`)."""
        return self.scan_parquet(layout.table_file(name))

    def has_table(self, name: str) -> bool:
        """Whether the manifest lists table ``name``."""
        return name in self.manifest.get("tables", {})

    def task_names(self) -> list[str]:
        """Names of the tasks the manifest lists, sorted."""
        return sorted(self.manifest.get("tasks", {}))

    def task_split(self, task: str, split: str) -> pl.DataFrame:
        """Split ``split`` (train, valid, test) of task ``task`` (its file or parts)."""
        return self.read_parquet(layout.split_file(task, split))

    def scan_split(self, task: str, split: str) -> pl.LazyFrame:
        """A lazy scan of one task split (see :meth:`scan_parquet`)."""
        return self.scan_parquet(layout.split_file(task, split))

    def task_manifest(self, task: str) -> dict[str, Any]:
        """``tasks/<task>/task_manifest.json`` as a dict."""
        data = self.read_json(f"tasks/{task}/task_manifest.json")
        if not isinstance(data, dict):
            raise BundleReadError(f"tasks/{task}/task_manifest.json", "not a JSON object")
        return data

    def metadata(self, name: str) -> Any:
        """The parsed JSON file ``metadata/<name>``."""
        return self.read_json(f"metadata/{name}")

    def feature_dictionary(self) -> pl.DataFrame:
        """``feature_dictionary.csv``, every column read as a string."""
        file = self.path / "feature_dictionary.csv"
        if not file.is_file():
            raise BundleReadError("feature_dictionary.csv", "file is missing")
        try:
            return pl.read_csv(file, infer_schema=False)
        except Exception as exc:
            raise BundleReadError(
                "feature_dictionary.csv", f"not readable as CSV ({exc})"
            ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:160]
