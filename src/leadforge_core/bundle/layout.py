"""Where each part of a bundle lives on disk (SPEC §2.4)."""

from __future__ import annotations

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


def table_file(name: str) -> str:
    return f"{TABLES_DIR}/{name}.parquet"


def split_file(task: str, split: str) -> str:
    return f"{TASKS_DIR}/{task}/{split}.parquet"


def task_manifest_file(task: str) -> str:
    return f"{TASKS_DIR}/{task}/{TASK_MANIFEST}"


def metadata_file(name: str) -> str:
    return f"{METADATA_DIR}/{name}"
