"""Artifact checks: files, hashes, row counts, declared schemas, keys and timestamps."""

from __future__ import annotations

from collections.abc import Iterator
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


def _inventory(view: BundleView) -> dict[str, dict[str, Any]]:
    """Every file the manifest lists, with its expected bytes, sha256 and (Parquet) rows."""
    m = view.manifest
    out: dict[str, dict[str, Any]] = {}
    for entry in (m.get("tables") or {}).values():
        if isinstance(entry, dict) and "file" in entry:
            out[str(entry["file"])] = entry
    for task in (m.get("tasks") or {}).values():
        for entry in ((task or {}).get("splits") or {}).values() if isinstance(task, dict) else []:
            if isinstance(entry, dict) and "file" in entry:
                out[str(entry["file"])] = entry
    for rel, entry in (m.get("files") or {}).items():
        if isinstance(entry, dict):
            out[str(rel)] = entry
    return out


def files_and_hashes(view: BundleView) -> Iterator[Finding]:
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


def parquet_contents(view: BundleView) -> Iterator[Finding]:
    for rel, entry in sorted(_inventory(view).items()):
        if not rel.endswith(".parquet") or not (view.path / rel).is_file():
            continue
        try:
            frame = view.read_parquet(rel)
        except BundleReadError as exc:
            yield Finding("parquet", exc.message, rel)
            continue
        if entry.get("rows") != frame.height:
            yield Finding("rows", f"{frame.height} rows, manifest says {entry.get('rows')}", rel)
        declared = [c.get("name") for c in entry.get("columns", []) if isinstance(c, dict)]
        if declared and declared != frame.columns:
            yield Finding("schema", f"columns {frame.columns} differ from manifest {declared}", rel)


def _public_columns(
    spec: TableSpec, view: BundleView, redact: dict[str, tuple[str, ...]]
) -> list[str]:
    hidden = set(redact.get(spec.name, ())) if view.mode.is_public else set()
    return [c for c in spec.column_names if c not in hidden]


def declared_schemas(
    view: BundleView, specs: dict[str, TableSpec], redact: dict[str, tuple[str, ...]]
) -> Iterator[Finding]:
    for name in view.table_names():
        rel = layout.table_file(name)
        spec = specs.get(name)
        if spec is None:
            yield Finding("schema", f"table {name!r} is not declared by scheme {view.scheme}", rel)
            continue
        try:
            frame = view.table(name)
        except BundleReadError:
            continue  # reported by parquet_contents
        expected = _public_columns(spec, view, redact)
        missing = [c for c in expected if c not in frame.columns]
        extra = [c for c in frame.columns if c not in spec.column_names]
        if missing:
            yield Finding("schema", f"declared columns missing: {', '.join(missing)}", rel)
        if extra:
            yield Finding("schema", f"undeclared columns: {', '.join(extra)}", rel)
        for col in spec.columns:
            if col.name not in frame.columns:
                continue
            if not col.dtype.accepts(frame.schema[col.name]):
                yield Finding(
                    "schema", f"{col.name} is {frame.schema[col.name]}, declared {col.dtype}", rel
                )
            elif not col.nullable and frame[col.name].null_count():
                yield Finding(
                    "schema",
                    f"{col.name} has {frame[col.name].null_count()} nulls but is not nullable",
                    rel,
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
    exact pass then clears).
    """
    frames: dict[str, pl.DataFrame] = {}
    for name in view.table_names():
        try:
            frames[name] = view.table(name)
        except BundleReadError:
            continue
    pks: list[tuple[str, str]] = []
    fks: list[tuple[str, ForeignKey]] = []
    for name, frame in frames.items():
        spec = specs.get(name)
        if spec is None:
            continue
        if spec.primary_key and spec.primary_key in frame.columns:
            pks.append((name, spec.primary_key))
        for fk in spec.foreign_keys:
            parent = frames.get(fk.ref_table)
            if (
                fk.column in frame.columns
                and parent is not None
                and fk.ref_column in parent.columns
            ):
                fks.append((name, fk))
    fast = [
        frames[t]
        .lazy()
        .select(nulls=pl.col(c).null_count(), dupes=pl.len() - pl.col(c).hash().n_unique())
        for t, c in pks
    ] + [
        frames[t]
        .lazy()
        .select(h=pl.col(fk.column).drop_nulls().hash())
        .unique()
        .join(
            frames[fk.ref_table].lazy().select(h=pl.col(fk.ref_column).hash()), on="h", how="anti"
        )
        .select(n=pl.len())
        for t, fk in fks
    ]
    results = pl.collect_all(fast)
    for (name, pk), result in zip(pks, results[: len(pks)], strict=True):
        rel = layout.table_file(name)
        nulls, dupes = result.row(0)
        if nulls:
            yield Finding("primary_key", f"{pk} has {nulls} nulls", rel)
        if dupes:
            col = frames[name][pk]
            exact = col.len() - col.n_unique()
            if exact:
                yield Finding("primary_key", f"{pk} has {exact} duplicate values", rel)
    for (name, fk), result in zip(fks, results[len(pks) :], strict=True):
        if not result.item():
            continue
        orphans = _orphans(
            frames[name].lazy(), fk.column, frames[fk.ref_table].lazy(), fk.ref_column
        ).collect()
        if orphans.height:
            sample = ", ".join(str(v) for v in orphans[fk.column].head(3).to_list())
            yield Finding(
                "foreign_key",
                f"{orphans.height} {fk.column} values not in {fk.ref_table}.{fk.ref_column} (e.g. {sample})",
                layout.table_file(name),
            )


def timestamps(view: BundleView, specs: dict[str, TableSpec]) -> Iterator[Finding]:
    """Datetimes within 1970-2200 and declared ``(earlier, later)`` pairs ordered."""
    labels: list[tuple[str, list[str]]] = []
    queries: list[pl.LazyFrame] = []
    for name in view.table_names():
        spec = specs.get(name)
        if spec is None:
            continue
        try:
            frame = view.table(name)
        except BundleReadError:
            continue
        exprs: list[pl.Expr] = []
        messages: list[str] = []
        for col in spec.columns:
            if col.name in frame.columns and isinstance(frame.schema[col.name], pl.Datetime):
                exprs.append(pl.col(col.name).dt.year().is_between(1970, 2200).not_().sum())
                messages.append(f"{{}} values of {col.name} outside 1970-2200")
        for early, late in spec.time_order:
            if early in frame.columns and late in frame.columns:
                exprs.append((pl.col(early) > pl.col(late)).sum())
                messages.append(f"{{}} rows with {early} after {late}")
        if exprs:
            labels.append((layout.table_file(name), messages))
            queries.append(frame.lazy().select(e.alias(str(i)) for i, e in enumerate(exprs)))
    for (rel, messages), result in zip(labels, pl.collect_all(queries), strict=True):
        for message, count in zip(messages, result.row(0), strict=True):
            if count:
                yield Finding("timestamps", message.format(count), rel)


def files_and_hashes_without_manifest(view: BundleView) -> Iterator[Finding]:
    """With an unreadable manifest, still report which required files are missing."""
    for rel in REQUIRED[1:]:
        if not (view.path / rel).is_file():
            yield Finding("files", "required file is missing", rel)
