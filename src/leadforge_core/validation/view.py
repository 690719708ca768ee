"""Read-only, lazy view of a bundle on disk, used by validation, inspect and scheme checks.

Every accessor raises :class:`BundleReadError` (never a library exception) when a file is
missing or unreadable, so checks can turn it into a finding.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

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

    def read_parquet(self, rel: str) -> pl.DataFrame:
        """The Parquet file at bundle-relative path ``rel`` (a preloaded frame if given)."""
        if rel in self._tables:
            return self._tables[rel]
        file = self.path / rel
        if not file.is_file():
            raise BundleReadError(rel, "file is missing")
        try:
            frame = pl.read_parquet(file)
        except Exception as exc:  # polars/pyarrow raise many types for corrupt files
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BundleReadError(rel, f"not readable as Parquet ({first[:160]})") from None
        self._tables[rel] = frame
        return frame

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
        """Table ``name`` (``tables/<name>.parquet``)."""
        return self.read_parquet(f"tables/{name}.parquet")

    def has_table(self, name: str) -> bool:
        """Whether the manifest lists table ``name``."""
        return name in self.manifest.get("tables", {})

    def task_names(self) -> list[str]:
        """Names of the tasks the manifest lists, sorted."""
        return sorted(self.manifest.get("tasks", {}))

    def task_split(self, task: str, split: str) -> pl.DataFrame:
        """Split ``split`` (train, valid, test) of task ``task``."""
        return self.read_parquet(f"tasks/{task}/{split}.parquet")

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
