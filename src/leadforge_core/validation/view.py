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


class BundleReadError(Exception):
    """A bundle file is missing, corrupt or not what the manifest says."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


class BundleView:
    def __init__(self, path: str | Path, preload: dict[str, pl.DataFrame] | None = None) -> None:
        """``preload`` maps bundle-relative Parquet paths to frames known to be their content
        (the generator just wrote them), sparing a re-read; hashes are still checked."""
        self.path = Path(path)
        self._tables: dict[str, pl.DataFrame] = dict(preload or {})

    def read_json(self, rel: str) -> Any:
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
        data = self.read_json("manifest.json")
        if not isinstance(data, dict):
            raise BundleReadError("manifest.json", "not a JSON object")
        return data

    @property
    def mode(self) -> ExposureMode:
        try:
            return ExposureMode(str(self.manifest.get("exposure_mode")))
        except ValueError:
            raise BundleReadError("manifest.json", "exposure_mode is missing or unknown") from None

    @property
    def scheme(self) -> str:
        return str(self.manifest.get("scheme", ""))

    def table_names(self) -> list[str]:
        return sorted(self.manifest.get("tables", {}))

    def table(self, name: str) -> pl.DataFrame:
        return self.read_parquet(f"tables/{name}.parquet")

    def has_table(self, name: str) -> bool:
        return name in self.manifest.get("tables", {})

    def task_names(self) -> list[str]:
        return sorted(self.manifest.get("tasks", {}))

    def task_split(self, task: str, split: str) -> pl.DataFrame:
        return self.read_parquet(f"tasks/{task}/{split}.parquet")

    def task_manifest(self, task: str) -> dict[str, Any]:
        data = self.read_json(f"tasks/{task}/task_manifest.json")
        if not isinstance(data, dict):
            raise BundleReadError(f"tasks/{task}/task_manifest.json", "not a JSON object")
        return data

    def metadata(self, name: str) -> Any:
        return self.read_json(f"metadata/{name}")

    def feature_dictionary(self) -> pl.DataFrame:
        file = self.path / "feature_dictionary.csv"
        if not file.is_file():
            raise BundleReadError("feature_dictionary.csv", "file is missing")
        try:
            return pl.read_csv(file, infer_schema=False)
        except Exception as exc:
            raise BundleReadError(
                "feature_dictionary.csv", f"not readable as CSV ({exc})"
            ) from None
