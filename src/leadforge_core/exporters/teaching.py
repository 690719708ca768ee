"""``teaching-csv``: one flat CSV per split of the primary task, with readable context columns
joined from the entity tables, a data dictionary and a pandas snippet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from leadforge_core.exporters._frames import plain, write_csv, write_text
from leadforge_core.exporters.base import Exporter, ExportSource

DICTIONARY = "data_dictionary.csv"


def _pandas_dtype(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int64"
    if dtype.is_float():
        return "float64"
    if isinstance(dtype, pl.Datetime):
        return "datetime64[us]"
    if dtype == pl.Date:
        return "datetime64[s]"
    return "string"


def context_columns(source: ExportSource, columns: list[str]) -> list[tuple[str, str, str]]:
    """Readable columns to join onto task rows: ``(table, key, column)``.

    A table qualifies when a task column is its primary key; its columns qualify when they
    are text (not identifiers), not already in the task, and shown unchanged in public
    bundles (the scheme neither redacts them nor recomputes them as of the snapshot), so the
    join adds nothing a student could not join from the public bundle itself, whichever mode
    the bundle is. Nothing is joined when the scheme is not installed.
    """
    policy = source.exposure
    if policy is None:
        return []
    out: list[tuple[str, str, str]] = []
    taken = set(columns)
    for table in source.table_names():
        spec = source.table_spec(table)
        if spec is None or spec.primary_key not in columns or table in policy.omit_tables:
            continue
        hidden = {*policy.redact_columns.get(table, ()), *policy.as_of_columns.get(table, ())}
        frame = source.table(table)
        for col in spec.columns:
            dtype = frame.schema.get(col.name)
            if (
                dtype is None
                or col.name in taken
                or col.name in hidden
                or col.name.endswith("_id")
                or not (dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum))
            ):
                continue
            out.append((table, str(spec.primary_key), col.name))
            taken.add(col.name)
    return out


class TeachingCsvExporter(Exporter):
    """``train.csv``, ``valid.csv``, ``test.csv`` of the primary task, ``data_dictionary.csv``
    and a ``README.md`` showing how to load them with pandas."""

    name = "teaching-csv"
    title = "Flat CSV per split of the primary task with a data dictionary, for a pandas course"

    def write(self, source: ExportSource, out: Path) -> None:
        task = source.primary_task
        splits = source.split_names(task)
        first = source.task_split(task, splits[0])
        targets = source.targets(task)
        ids = [c for c in source.id_columns(task) if c not in targets]
        joins = context_columns(source, first.columns)
        lookups: dict[str, pl.DataFrame] = {}
        for table, key, col in joins:
            base = lookups.get(table, source.table(table).select(key))
            lookups[table] = base.with_columns(source.table(table)[col])
        joined = [col for _, _, col in joins]
        rest = [c for c in first.columns if c not in ids and c not in targets]
        order = [*ids, *joined, *rest, *[t for t in targets if t in first.columns]]
        schema: dict[str, pl.DataType] = {}
        for split in splits:
            frame = source.task_split(task, split)
            for table, lookup in lookups.items():
                key = next(k for t, k, _ in joins if t == table)
                frame = frame.join(lookup, on=key, how="left", maintain_order="left")
            frame = plain(frame.select(order))
            schema = dict(frame.schema)
            write_csv(frame, out / f"{split}.csv")
        dictionary = _dictionary(source, order, schema, ids, targets, joins)
        write_csv(dictionary, out / DICTIONARY)
        write_text(out / "README.md", _readme(source, task, splits, dictionary))


def _dictionary(
    source: ExportSource,
    order: list[str],
    schema: dict[str, pl.DataType],
    ids: list[str],
    targets: list[str],
    joins: list[tuple[str, str, str]],
) -> pl.DataFrame:
    joined = {col: (table, key) for table, key, col in joins}
    rows: dict[str, list[Any]] = {
        k: [] for k in ("column", "role", "dtype", "description", "source", "leakage_risk")
    }
    for col in order:
        feature = source.feature(col) or {}
        if col in joined:
            table, key = joined[col]
            role = "context"
            description = source.column_description(table, col)
            origin = f"{table}.{col} (joined on {key})"
        else:
            risky = feature.get("leakage_risk") == "true"
            role = (
                "target"
                if col in targets
                else "identifier"
                if col in ids
                else "leakage_trap"
                if risky
                else "feature"
            )
            description = feature.get("description", "")
            window = feature.get("window", "")
            origin = feature.get("derived_from", "")
            if window and window != "none":
                origin = f"{origin} (window: {window})"
        rows["column"].append(col)
        rows["role"].append(role)
        rows["dtype"].append(_pandas_dtype(schema[col]))
        rows["description"].append(description)
        rows["source"].append(origin)
        rows["leakage_risk"].append(role == "leakage_trap")
    return pl.DataFrame(rows)


def _readme(source: ExportSource, task: str, splits: list[str], dictionary: pl.DataFrame) -> str:
    dates = dictionary.filter(pl.col("dtype").str.starts_with("datetime"))["column"].to_list()
    targets = dictionary.filter(pl.col("role") == "target")["column"].to_list()
    traps = dictionary.filter(pl.col("role") == "leakage_trap")["column"].to_list()
    tm = source.task_manifest(task)
    lines = [
        f"# {source.title}",
        "",
        f"Task `{task}` ({tm.get('task_type')}): {tm.get('description', '')}",
        "",
        f"One row per {tm.get('row_unit', 'entity')}; files: "
        + ", ".join(f"`{s}.csv`" for s in splits)
        + f"; every column is described in `{DICTIONARY}` (role: identifier, context, feature, "
        "leakage_trap or target).",
        "",
        "```python",
        "import pandas as pd",
        "",
        f"columns = pd.read_csv({DICTIONARY!r})",
        f"train = pd.read_csv('train.csv', parse_dates={dates!r})",
        f"y = train[{targets[0]!r}]" if targets else "",
        "X = train[columns.loc[columns.role.isin(['feature', 'context']), 'column']]",
        "```",
        "",
    ]
    if traps:
        lines += [
            "Deliberate leakage traps (drop them for an honest model): "
            + ", ".join(f"`{t}`" for t in traps)
            + ".",
            "",
        ]
    lines += [
        f"Generated by leadforge: recipe `{source.recipe_id}`, seed {source.manifest.get('seed')}, "
        f"`{source.mode}`. Every entity and event is simulated.",
        "",
    ]
    return "\n".join(lines)
