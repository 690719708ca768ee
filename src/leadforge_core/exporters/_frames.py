"""Frame and file utilities shared by the built-in formats."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl


def plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Categorical and enum columns as plain strings (what CSV, DuckDB and datasets expect)."""
    cats = [c for c, t in frame.schema.items() if isinstance(t, pl.Categorical | pl.Enum)]
    return frame.with_columns(pl.col(cats).cast(pl.String)) if cats else frame


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """CSV with a header, ``true``/``false`` booleans, ISO datetimes and empty nulls."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plain(frame).write_csv(path, line_terminator="\n")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def logical_type(dtype: pl.DataType) -> str:
    """Frictionless / Table Schema type of a polars dtype."""
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "number"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Date:
        return "date"
    return "string"


def slug(text: str, limit: int = 50) -> str:
    """Lowercase words joined by hyphens, at most ``limit`` characters."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:limit].rstrip("-")


SPLIT_LABELS = {"train": "train", "valid": "validation", "test": "test"}

#: Licenses accepted by ``--option license=…``: id → (Hugging Face card id, Kaggle name).
LICENSES = {
    "cc0-1.0": ("cc0-1.0", "CC0-1.0"),
    "cc-by-4.0": ("cc-by-4.0", "CC-BY-4.0"),
    "cc-by-sa-4.0": ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
    "cc-by-nc-sa-4.0": ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
    "odbl-1.0": ("odbl", "ODbL-1.0"),
}


def license_choice(fmt: str, value: str) -> tuple[str, str]:
    """``(hf id, kaggle name)`` of a license option; ExportError listing the choices."""
    from leadforge_core.errors import ExportError

    try:
        return LICENSES[value.lower()]
    except KeyError:
        choices = ", ".join(LICENSES)
        raise ExportError(
            f"format {fmt}: unknown license {value!r} (choose from {choices})"
        ) from None
