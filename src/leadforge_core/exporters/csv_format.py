"""``csv``: one CSV per table and per task split, with the card and dictionaries copied."""

from __future__ import annotations

from pathlib import Path

from leadforge_core.bundle import layout
from leadforge_core.exporters._frames import write_csv
from leadforge_core.exporters.base import Exporter, ExportSource


class CsvExporter(Exporter):
    """``tables/<table>.csv``, ``tasks/<task>/<split>.csv`` (+ ``task_manifest.json``),
    ``feature_dictionary.csv``, ``dataset_card.md`` and the metadata the bundle may show."""

    name = "csv"
    title = "CSV files: tables/<table>.csv and tasks/<task>/<split>.csv, card and dictionary"

    def write(self, source: ExportSource, out: Path) -> None:
        for table in source.table_names():
            write_csv(source.table(table), out / "tables" / f"{table}.csv")
        for task in source.task_names():
            for split in source.split_names(task):
                write_csv(source.task_split(task, split), out / "tasks" / task / f"{split}.csv")
            rel = layout.task_manifest_file(task)
            (out / rel).write_bytes(source.read_bytes(rel))
        for rel in (layout.FEATURE_DICTIONARY, layout.CARD):
            (out / rel).write_bytes(source.read_bytes(rel))
        for name in source.metadata_names():
            rel = layout.metadata_file(name)
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_bytes(source.read_bytes(rel))
