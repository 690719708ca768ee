"""``hf``: a Hugging Face dataset folder — Parquet data and a dataset card whose YAML
``configs:`` make ``datasets.load_dataset(folder)`` load each task (train / validation / test)
and each table."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from leadforge_core.errors import ExportError
from leadforge_core.exporters._frames import (
    LICENSES,
    SPLIT_LABELS,
    license_choice,
    plain,
    write_text,
)
from leadforge_core.exporters.base import Exporter, ExportSource

TASK_CATEGORY = {"binary": "tabular-classification", "regression": "tabular-regression"}
_SIZES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
]


def size_category(rows: int) -> str:
    """The Hub's size category for a dataset of ``rows`` examples."""
    for limit, label in _SIZES:
        if rows < limit:
            return label
    return "1B<n<10B"


def _write_parquet(frame: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    plain(frame).write_parquet(path, compression="zstd", compression_level=3, statistics=True)


class HuggingFaceExporter(Exporter):
    """``README.md`` (dataset card with YAML ``configs:``), ``data/tasks/<task>/<split>.parquet``
    and ``data/tables/<table>.parquet``.

    Each task is a config with ``train``/``validation``/``test`` splits (the primary task is
    the default config); each table is a config with one ``train`` split, named after the
    table (``table_<name>`` if a task has the same name). ``valid`` becomes ``validation``.
    """

    name = "hf"
    title = "Hugging Face dataset folder: Parquet data, one config per task and per table"
    requires = ("datasets",)
    extra = "hf"
    option_help = {"license": "dataset-card license id: " + ", ".join(LICENSES)}
    option_defaults = {"license": "cc0-1.0"}

    def write(self, source: ExportSource, out: Path) -> None:
        license_id = license_choice(self.name, self.options["license"])[0]
        configs: list[dict[str, Any]] = []
        largest = 0
        categories: list[str] = []
        tasks = source.task_names()
        for task in tasks:
            files = []
            rows = 0
            for split in source.split_names(task):
                rel = f"data/tasks/{task}/{SPLIT_LABELS.get(split, split)}.parquet"
                frame = source.task_split(task, split)
                _write_parquet(frame, out / rel)
                files.append({"split": SPLIT_LABELS.get(split, split), "path": rel})
                rows += frame.height
            largest = max(largest, rows)
            task_type = str(source.task_manifest(task).get("task_type"))
            category = TASK_CATEGORY.get(task_type)
            if category and category not in categories:
                categories.append(category)
            entry: dict[str, Any] = {"config_name": task, "data_files": files}
            if task == source.primary_task:
                entry["default"] = True
            configs.append(entry)
        for table in source.table_names():
            rel = f"data/tables/{table}.parquet"
            frame = source.table(table)
            _write_parquet(frame, out / rel)
            largest = max(largest, frame.height)
            configs.append(
                {
                    "config_name": f"table_{table}" if table in tasks else table,
                    "data_files": [{"split": "train", "path": rel}],
                }
            )
        header = {
            "pretty_name": source.title,
            "license": license_id,
            "task_categories": categories,
            "size_categories": [size_category(largest)],
            "tags": ["synthetic", "tabular", "crm", "leadforge", source.scheme],
            "configs": configs,
        }
        yaml = YAML()
        yaml.default_flow_style = False
        yaml.width = 4096
        buffer = io.StringIO()
        yaml.dump(header, buffer)
        usage = [
            "## Loading",
            "",
            "```python",
            "from datasets import load_dataset",
            "",
            f'tasks = load_dataset("path/to/this/folder")  # {source.primary_task}: train / validation / test',
            *(
                f'{c["config_name"]} = load_dataset("path/to/this/folder", "{c["config_name"]}")["train"]'
                for c in configs[len(tasks) :][:1]
            ),
            "```",
            "",
            "Configs: " + ", ".join(f"`{c['config_name']}`" for c in configs) + ".",
            "",
        ]
        body = source.card().rstrip("\n") + "\n\n" + "\n".join(usage)
        write_text(out / "README.md", "---\n" + buffer.getvalue() + "---\n\n" + body)
        _self_check(out, configs, source.primary_task)


def _self_check(out: Path, configs: list[dict[str, Any]], default: str) -> None:
    """Read the card back with the parsers ``datasets`` itself uses (offline, no data load)."""
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(out / "README.md")
    parsed = MetadataConfigs.from_dataset_card_data(card.data)
    if sorted(parsed) != sorted(c["config_name"] for c in configs):
        raise ExportError("format hf: the dataset card's configs do not read back")
    if parsed.get_default_config_name() != default:
        raise ExportError(f"format hf: default config does not read back as {default}")
    for name, config in parsed.items():
        for entry in config.get("data_files", []):
            if not (out / entry["path"]).is_file():
                raise ExportError(f"format hf: config {name} names a missing file {entry['path']}")
