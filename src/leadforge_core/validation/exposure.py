"""Exposure checks: a public bundle carries nothing the scheme hides."""

from __future__ import annotations

from collections.abc import Iterator

from leadforge_core.bundle import layout
from leadforge_core.exposure import ExposurePolicy
from leadforge_core.validation.findings import Finding
from leadforge_core.validation.view import BundleReadError, BundleView

#: Manifest keys whose presence in a public bundle would reveal hidden truth.
TRUTH_WORDS = ("motif", "latent", "graph", "mechanism")


def public_exposure(view: BundleView, policy: ExposurePolicy) -> Iterator[Finding]:
    if not view.mode.is_public:
        return
    meta = view.path / layout.METADATA_DIR
    if meta.is_dir():
        for file in sorted(meta.rglob("*")):
            if file.is_file() and file.name != layout.PUBLIC_SUMMARY:
                yield Finding(
                    "exposure",
                    "hidden-truth metadata in a public bundle",
                    file.relative_to(view.path).as_posix(),
                )
    for table in policy.omit_tables:
        if view.has_table(table) or view.exists(layout.table_file(table)):
            yield Finding(
                "exposure",
                f"table {table!r} must not be in a public bundle",
                layout.table_file(table),
            )
    for name in view.table_names():
        redacted = policy.redact_columns.get(name, ())
        if not redacted:
            continue
        try:
            columns = view.parquet_schema(layout.table_file(name)).names()
        except BundleReadError:
            continue
        for col in redacted:
            if col in columns:
                yield Finding(
                    "exposure", f"redacted column {col!r} is present", layout.table_file(name)
                )
    tasks_dir = view.path / layout.TASKS_DIR
    on_disk = {p.name for p in tasks_dir.iterdir()} if tasks_dir.is_dir() else set()
    for task in sorted(on_disk | set(view.task_names())):
        if policy.withholds_task(task):
            yield Finding(
                "exposure",
                f"instructor-only task {task!r} is present",
                f"{layout.TASKS_DIR}/{task}",
            )
    details = view.manifest.get("scheme_details") or {}
    if isinstance(details, dict):
        for key in details:
            if any(word in key.lower() for word in TRUTH_WORDS):
                yield Finding(
                    "exposure",
                    f"manifest scheme_details.{key} reveals hidden structure",
                    layout.MANIFEST,
                )
    params = (view.manifest.get("config") or {}).get("params") or {}
    if isinstance(params, dict) and params.get("motif") not in (None, "withheld"):
        yield Finding("exposure", "manifest config reveals the motif family", layout.MANIFEST)
