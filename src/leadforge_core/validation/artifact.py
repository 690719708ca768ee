"""Artifact checks: files, hashes, row counts, declared schemas, keys and timestamps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from leadforge_core.bundle import layout
from leadforge_core.bundle.model import ForeignKey, TableSpec
from leadforge_core.bundle.writer import sha256_file
from leadforge_core.validation.findings import Finding
from leadforge_core.validation.view import BundleReadError, BundleView

REQUIRED = (
    layout.MANIFEST,
    layout.CARD,
    layout.FEATURE_DICTIONARY,
    layout.metadata_file(layout.PUBLIC_SUMMARY),
)


def manifest_shape(view: BundleView) -> Iterator[Finding]:
    m = view.manifest
    for key in (
        "bundle_schema_version",
        "scheme",
        "recipe",
        "seed",
        "exposure_mode",
        "tables",
        "tasks",
        "files",
    ):
        if key not in m:
            yield Finding("manifest", f"required key {key!r} is missing", layout.MANIFEST)
    for key in ("tables", "tasks", "files"):
        if key in m and not isinstance(m[key], dict):
            yield Finding("manifest", f"{key!r} must be an object", layout.MANIFEST)


def _datasets(view: BundleView) -> list[tuple[str, dict[str, Any]]]:
    """``(single-file path, manifest entry)`` of every table and split the manifest lists."""
    m = view.manifest
    out: list[tuple[str, dict[str, Any]]] = []
    for name, entry in sorted((m.get("tables") or {}).items()):
        if isinstance(entry, dict):
            out.append((layout.table_file(str(name)), entry))
    for task_name, task in sorted((m.get("tasks") or {}).items()):
        splits = (task or {}).get("splits") if isinstance(task, dict) else None
        for split, entry in sorted((splits or {}).items()):
            if isinstance(entry, dict):
                out.append((layout.split_file(str(task_name), str(split)), entry))
    return out


def _parts(entry: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The part entries of a dataset entry (``None`` for a single-file entry)."""
    parts = entry.get("parts")
    if not isinstance(parts, list):
        return None
    return [p for p in parts if isinstance(p, dict) and "file" in p]


def _inventory(view: BundleView) -> dict[str, dict[str, Any]]:
    """Every file the manifest lists (each part of a dataset included), with its expected
    bytes, sha256 and (Parquet) rows."""
    m = view.manifest
    out: dict[str, dict[str, Any]] = {}
    for _, entry in _datasets(view):
        parts = _parts(entry)
        if parts is not None:
            out.update({str(p["file"]): p for p in parts})
        elif "file" in entry:
            out[str(entry["file"])] = entry
    for rel, entry in (m.get("files") or {}).items():
        if isinstance(entry, dict):
            out[str(rel)] = entry
    return out


def files_and_hashes(view: BundleView) -> Iterator[Finding]:
    """Required files present, nothing unlisted, and every listed file (each part of a
    dataset) with the manifest's size and sha256."""
    inventory = _inventory(view)
    for rel in REQUIRED:
        if not (view.path / rel).is_file():
            yield Finding("files", "required file is missing", rel)
    on_disk = {p.relative_to(view.path).as_posix() for p in view.path.rglob("*") if p.is_file()}
    for rel in sorted(on_disk - set(inventory) - {layout.MANIFEST}):
        yield Finding("files", "file is not listed in the manifest", rel)
    for rel, entry in sorted(inventory.items()):
        file = view.path / rel
        if not file.is_file():
            yield Finding("files", "listed in the manifest but missing", rel)
            continue
        if entry.get("bytes") != file.stat().st_size:
            yield Finding(
                "files",
                f"size {file.stat().st_size} differs from manifest {entry.get('bytes')}",
                rel,
            )
        if entry.get("sha256") != sha256_file(file):
            yield Finding(
                "files", "sha256 differs from the manifest (file changed or corrupt)", rel
            )


def _part_rows(view: BundleView, file: Path) -> int:
    """Rows of one part from its Parquet footer (the data pages are covered by the part's
    sha256 and decoded by the checks that read the table)."""
    try:
        return int(pl.scan_parquet(file).select(pl.len()).collect().item())
    except Exception as exc:  # polars/pyarrow raise many types for corrupt files
        text = str(exc).strip()
        first = (text.splitlines()[0] if text else type(exc).__name__)[:160]
        raise BundleReadError(
            file.relative_to(view.path).as_posix(), f"not readable as Parquet ({first})"
        ) from None


def parquet_contents(view: BundleView) -> Iterator[Finding]:
    """Each table and split readable, with the manifest's row count and columns; a
    dataset's parts are counted from their footers, one at a time."""
    for rel, entry in _datasets(view):
        parts = _parts(entry)
        if parts is None:
            if not (view.path / rel).is_file() and not view.is_loaded(rel):
                continue  # reported by files_and_hashes
            try:
                frame = view.read_parquet(rel)
            except BundleReadError as exc:
                yield Finding("parquet", exc.message, exc.location)
                continue
            height, columns, where = frame.height, frame.columns, rel
        else:
            where = layout.dataset_dir(rel)
            height, broken = 0, False
            for part in parts:
                file = view.path / str(part["file"])
                if not file.is_file():
                    broken = True
                    continue  # reported by files_and_hashes
                try:
                    rows = _part_rows(view, file)
                except BundleReadError as exc:
                    yield Finding("parquet", exc.message, exc.location)
                    broken = True
                    continue
                if part.get("rows") != rows:
                    yield Finding(
                        "rows", f"{rows} rows, manifest says {part.get('rows')}", str(part["file"])
                    )
                height += rows
            if broken:
                continue
            try:
                columns = view.parquet_schema(rel).names()
            except BundleReadError as exc:
                yield Finding("parquet", exc.message, exc.location)
                continue
        if entry.get("rows") != height:
            yield Finding("rows", f"{height} rows, manifest says {entry.get('rows')}", where)
        declared = [c.get("name") for c in entry.get("columns", []) if isinstance(c, dict)]
        if declared and declared != columns:
            yield Finding("schema", f"columns {columns} differ from manifest {declared}", where)


def _public_columns(
    spec: TableSpec, view: BundleView, redact: dict[str, tuple[str, ...]]
) -> list[str]:
    hidden = set(redact.get(spec.name, ())) if view.mode.is_public else set()
    return [c for c in spec.column_names if c not in hidden]


def _collect(view: BundleView, queries: list[pl.LazyFrame]) -> list[pl.DataFrame]:
    """Run lazy checks together. Tables read from disk go through polars' streaming engine,
    so a table split into parts is read part by part, never materialized whole; frames
    already in memory use the default engine."""
    if not queries:
        return []
    on_disk = any(not view.is_loaded(layout.table_file(n)) for n in view.table_names())
    return pl.collect_all(queries, engine="streaming" if on_disk else "auto")


def _schemas(view: BundleView) -> dict[str, pl.Schema]:
    """The column schema of every readable table (no rows read)."""
    out: dict[str, pl.Schema] = {}
    for name in view.table_names():
        try:
            out[name] = view.parquet_schema(layout.table_file(name))
        except BundleReadError:
            continue  # reported by parquet_contents
    return out


def declared_schemas(
    view: BundleView, specs: dict[str, TableSpec], redact: dict[str, tuple[str, ...]]
) -> Iterator[Finding]:
    """Columns and dtypes as the scheme declares them; no nulls in non-nullable columns."""
    schemas = _schemas(view)
    nullable_checks: list[tuple[str, list[str]]] = []
    for name in view.table_names():
        rel = layout.table_file(name)
        spec = specs.get(name)
        if spec is None:
            yield Finding("schema", f"table {name!r} is not declared by scheme {view.scheme}", rel)
            continue
        schema = schemas.get(name)
        if schema is None:
            continue
        expected = _public_columns(spec, view, redact)
        missing = [c for c in expected if c not in schema]
        extra = [c for c in schema if c not in spec.column_names]
        if missing:
            yield Finding("schema", f"declared columns missing: {', '.join(missing)}", rel)
        if extra:
            yield Finding("schema", f"undeclared columns: {', '.join(extra)}", rel)
        not_null: list[str] = []
        for col in spec.columns:
            if col.name not in schema:
                continue
            if not col.dtype.accepts(schema[col.name]):
                yield Finding(
                    "schema", f"{col.name} is {schema[col.name]}, declared {col.dtype}", rel
                )
            elif not col.nullable:
                not_null.append(col.name)
        if not_null:
            nullable_checks.append((name, not_null))
    results = _collect(
        view,
        [
            view.scan_table(n).select(pl.col(c).null_count() for c in cols)
            for n, cols in nullable_checks
        ],
    )
    for (name, cols), result in zip(nullable_checks, results, strict=True):
        for column, nulls in zip(cols, result.row(0), strict=True):
            if nulls:
                yield Finding(
                    "schema",
                    f"{column} has {nulls} nulls but is not nullable",
                    layout.table_file(name),
                )


def _orphans(child: pl.LazyFrame, column: str, parent: pl.LazyFrame, ref: str) -> pl.LazyFrame:
    return (
        child.select(pl.col(column).drop_nulls().unique())
        .join(parent.select(pl.col(ref).alias(column)), on=column, how="anti")
        .sort(column)
    )


def keys(view: BundleView, specs: dict[str, TableSpec]) -> Iterator[Finding]:
    """Primary keys unique and non-null; foreign keys resolve.

    On million-row bundles this is the costliest core check, so it first compares 64-bit
    hashes of the keys in one parallel polars batch; only a table that looks wrong is
    re-checked exactly on the strings (a hash collision can only raise a false alarm, which the
    exact pass then clears). Tables are scanned lazily: one written as parts is streamed
    across all its parts, so only the key column's hashes are held, not the table.
    """
    schemas = _schemas(view)
    pks: list[tuple[str, str]] = []
    fks: list[tuple[str, ForeignKey]] = []
    for name, schema in schemas.items():
        spec = specs.get(name)
        if spec is None:
            continue
        if spec.primary_key and spec.primary_key in schema:
            pks.append((name, spec.primary_key))
        for fk in spec.foreign_keys:
            parent = schemas.get(fk.ref_table)
            if fk.column in schema and parent is not None and fk.ref_column in parent:
                fks.append((name, fk))
    fast = [
        view.scan_table(t).select(
            nulls=pl.col(c).null_count(), dupes=pl.len() - pl.col(c).hash().n_unique()
        )
        for t, c in pks
    ] + [
        view.scan_table(t)
        .select(h=pl.col(fk.column).drop_nulls().hash())
        .unique()
        .join(
            view.scan_table(fk.ref_table).select(h=pl.col(fk.ref_column).hash()), on="h", how="anti"
        )
        .select(n=pl.len())
        for t, fk in fks
    ]
    results = _collect(view, fast)
    for (name, pk), result in zip(pks, results[: len(pks)], strict=True):
        rel = layout.table_file(name)
        nulls, dupes = result.row(0)
        if nulls:
            yield Finding("primary_key", f"{pk} has {nulls} nulls", rel)
        if dupes:
            exact = (
                view.scan_table(name)
                .select(pl.len() - pl.col(pk).n_unique())
                .collect(engine="streaming")
                .item()
            )
            if exact:
                yield Finding("primary_key", f"{pk} has {exact} duplicate values", rel)
    for (name, fk), result in zip(fks, results[len(pks) :], strict=True):
        if not result.item():
            continue
        orphans = _orphans(
            view.scan_table(name), fk.column, view.scan_table(fk.ref_table), fk.ref_column
        ).collect(engine="streaming")
        if orphans.height:
            sample = ", ".join(str(v) for v in orphans[fk.column].head(3).to_list())
            yield Finding(
                "foreign_key",
                f"{orphans.height} {fk.column} values not in {fk.ref_table}.{fk.ref_column} (e.g. {sample})",
                layout.table_file(name),
            )


def timestamps(view: BundleView, specs: dict[str, TableSpec]) -> Iterator[Finding]:
    """Datetimes within 1970-2200 and declared ``(earlier, later)`` pairs ordered (streamed
    over the parts of a big table)."""
    schemas = _schemas(view)
    labels: list[tuple[str, list[str]]] = []
    queries: list[pl.LazyFrame] = []
    for name, schema in schemas.items():
        spec = specs.get(name)
        if spec is None:
            continue
        exprs: list[pl.Expr] = []
        messages: list[str] = []
        for col in spec.columns:
            if col.name in schema and isinstance(schema[col.name], pl.Datetime):
                exprs.append(pl.col(col.name).dt.year().is_between(1970, 2200).not_().sum())
                messages.append(f"{{}} values of {col.name} outside 1970-2200")
        for early, late in spec.time_order:
            if early in schema and late in schema:
                exprs.append((pl.col(early) > pl.col(late)).sum())
                messages.append(f"{{}} rows with {early} after {late}")
        if exprs:
            labels.append((layout.table_file(name), messages))
            queries.append(
                view.scan_table(name).select(e.alias(str(i)) for i, e in enumerate(exprs))
            )
    for (rel, messages), result in zip(labels, _collect(view, queries), strict=True):
        for message, count in zip(messages, result.row(0), strict=True):
            if count:
                yield Finding("timestamps", message.format(count), rel)


def files_and_hashes_without_manifest(view: BundleView) -> Iterator[Finding]:
    """With an unreadable manifest, still report which required files are missing."""
    for rel in REQUIRED[1:]:
        if not (view.path / rel).is_file():
            yield Finding("files", "required file is missing", rel)
