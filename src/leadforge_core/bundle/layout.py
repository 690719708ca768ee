"""Where each part of a bundle lives on disk (SPEC §2.4).

A table or task split of more than :func:`part_rows` rows is written as a Parquet dataset:
a folder named like the file without ``.parquet`` holding ``part-00000.parquet``,
``part-00001.parquet``, … of exactly ``part_rows`` rows each (the last one shorter). The
split depends only on the row count, never on the machine, so the bytes stay reproducible.
"""

from __future__ import annotations

import os

from leadforge_core.errors import ConfigError

MANIFEST = "manifest.json"
CARD = "dataset_card.md"
FEATURE_DICTIONARY = "feature_dictionary.csv"
TABLES_DIR = "tables"
TASKS_DIR = "tasks"
METADATA_DIR = "metadata"
PUBLIC_SUMMARY = "public_summary.json"
TASK_MANIFEST = "task_manifest.json"
BUNDLE_SCHEMA_VERSION = "1.0"

FEATURE_COLUMNS = (
    "feature_name",
    "feature_group",
    "dtype",
    "entity_level",
    "description",
    "derived_from",
    "window",
    "leakage_risk",
    "available_in_public_mode",
)


#: Rows per part file of a table or split written as a Parquet dataset; a frame with more
#: rows than this is split. One million rows keeps a part in the tens of megabytes and a
#: bundle of a few thousand rows a set of single files.
DEFAULT_PART_ROWS = 1_000_000
#: Environment variable overriding :data:`DEFAULT_PART_ROWS` (tests, very wide tables).
PART_ROWS_ENV = "LEADFORGE_PART_ROWS"
PART_PREFIX = "part-"


def part_rows(value: int | None = None) -> int:
    """Rows per part: ``value`` if given, else ``LEADFORGE_PART_ROWS``, else the default.

    Raises :class:`~leadforge_core.errors.ConfigError` for a value that is not a positive
    integer.
    """
    if value is None:
        raw = os.environ.get(PART_ROWS_ENV, "").strip()
        if not raw:
            return DEFAULT_PART_ROWS
        if not raw.isdigit() or int(raw) <= 0:
            raise ConfigError(f"{PART_ROWS_ENV}: must be a positive integer, got {raw!r}")
        return int(raw)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"part_rows: must be a positive integer, got {value!r}")
    return value


def dataset_dir(rel: str) -> str:
    """The folder holding the parts of the table or split whose single file is ``rel``."""
    return rel.removesuffix(".parquet")


def part_file(rel: str, index: int) -> str:
    """Bundle-relative path of part ``index`` of the dataset that replaces file ``rel``."""
    return f"{dataset_dir(rel)}/{PART_PREFIX}{index:05d}.parquet"


def table_file(name: str) -> str:
    return f"{TABLES_DIR}/{name}.parquet"


def split_file(task: str, split: str) -> str:
    return f"{TASKS_DIR}/{task}/{split}.parquet"


def task_manifest_file(task: str) -> str:
    return f"{TASKS_DIR}/{task}/{TASK_MANIFEST}"


def metadata_file(name: str) -> str:
    return f"{METADATA_DIR}/{name}"
