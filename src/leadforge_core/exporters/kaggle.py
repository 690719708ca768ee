"""``kaggle``: CSV files plus ``dataset-metadata.json`` (Frictionless-style resources)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from leadforge_core.bundle import layout
from leadforge_core.errors import ExportError
from leadforge_core.exporters._frames import (
    LICENSES,
    license_choice,
    logical_type,
    slug,
    write_csv,
    write_text,
)
from leadforge_core.exporters.base import Exporter, ExportSource

FEATURE_FIELDS = {
    "feature_name": "column name in the task files",
    "feature_group": "family the feature belongs to (as in the dataset card)",
    "dtype": "logical type of the column",
    "entity_level": "entity the value describes",
    "description": "what the column means",
    "derived_from": "bundle tables and columns it is computed from",
    "window": "time window of the aggregation relative to the snapshot",
    "leakage_risk": "true for deliberate leakage traps (exclude them from honest models)",
    "available_in_public_mode": "whether student_public bundles carry the column",
}


def short_title(text: str, limit: int = 50) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (Kaggle's maximum)."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" :;,-")
    return cut if len(cut) >= 6 else text[:limit]


def _fields(frame: pl.DataFrame, describe: Any, where: str) -> list[dict[str, str]]:
    fields = []
    for col, dtype in frame.schema.items():
        text = describe(col)
        if not text:
            raise ExportError(f"no description for column {col} of {where}")
        fields.append({"name": col, "description": text, "type": logical_type(dtype)})
    return fields


class KaggleExporter(Exporter):
    """Flat CSV files and a ``dataset-metadata.json`` ready for ``kaggle datasets create``."""

    name = "kaggle"
    title = "Kaggle dataset folder: CSV files and dataset-metadata.json with every column described"
    option_help = {
        "owner": "Kaggle user or organisation the dataset id belongs to",
        "license": "license id: " + ", ".join(LICENSES),
    }
    option_defaults = {"owner": "INSERT_USERNAME", "license": "cc0-1.0"}

    def write(self, source: ExportSource, out: Path) -> None:
        license_name = license_choice(self.name, self.options["license"])[1]
        resources: list[dict[str, Any]] = []
        seen: dict[str, str] = {}

        def add(file: str, what: str, frame: pl.DataFrame, description: str, describe: Any) -> None:
            if file in seen:
                raise ExportError(f"format kaggle: {what} and {seen[file]} both map to {file}")
            seen[file] = what
            write_csv(frame, out / file)
            resources.append(
                {
                    "path": file,
                    "description": description,
                    "schema": {"fields": _fields(frame, describe, what)},
                }
            )

        for table in source.table_names():
            frame = source.table(table)
            text = source.table_description(table) or f"table {table} of the bundle"
            add(
                f"{table}.csv",
                f"table {table}",
                frame,
                f"{text} ({frame.height:,} rows)",
                lambda c, t=table: source.column_description(t, c),
            )
        for task in source.task_names():
            tm = source.task_manifest(task)
            for split in source.split_names(task):
                frame = source.task_split(task, split)
                add(
                    f"{task}_{split}.csv",
                    f"task {task} split {split}",
                    frame,
                    f"{split} split of task {task} ({tm.get('task_type')}; target "
                    f"{', '.join(source.targets(task))}): {tm.get('description', '')} "
                    f"({frame.height:,} rows)",
                    lambda c: (source.feature(c) or {}).get("description", ""),
                )
        features = source.feature_dictionary()
        add(
            layout.FEATURE_DICTIONARY,
            "the feature dictionary",
            features,
            "one row per task column: meaning, source tables, window and leakage risk",
            FEATURE_FIELDS.get,
        )
        owner = self.options["owner"]
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", owner):
            raise ExportError(f"format kaggle: owner {owner!r} is not a Kaggle user name")
        manifest = source.manifest
        name = slug(f"{source.recipe_id} seed {manifest.get('seed')} {source.mode}")
        metadata = {
            "title": short_title(source.title),
            "subtitle": short_title(
                f"Synthetic CRM data from leadforge: {source.scheme}, "
                f"{manifest.get('difficulty')}, {source.mode}",
                80,
            ),
            "id": f"{owner}/{name}",
            "licenses": [{"name": license_name}],
            "description": source.card(),
            "isPrivate": True,
            "resources": resources,
        }
        write_text(
            out / "dataset-metadata.json",
            json.dumps(metadata, indent=2, ensure_ascii=False) + "\n",
        )
