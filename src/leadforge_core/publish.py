"""Publication: the one place where an instructor world becomes a public one."""

from __future__ import annotations

import attrs
import polars as pl

from leadforge_core.bundle.model import Rendered, TaskOutput
from leadforge_core.errors import RenderError
from leadforge_core.exposure import ExposureMode
from leadforge_core.plugins import plugin_code
from leadforge_core.scheme import RunContext, Scheme


def publish(scheme: Scheme, rendered: Rendered, ctx: RunContext) -> Rendered:
    """Return what a bundle of ``ctx.mode`` may show. Instructor bundles get everything."""
    if ctx.mode is ExposureMode.RESEARCH_INSTRUCTOR:
        return rendered
    policy = scheme.exposure
    with plugin_code(scheme, "snapshot_cut"):
        cut = scheme.snapshot_cut(rendered, ctx)
    tables: dict[str, pl.DataFrame] = {}
    for name, frame in cut.items():
        if name in policy.omit_tables:
            continue
        if name not in rendered.tables:
            raise RenderError(f"scheme {scheme.name}: snapshot_cut returned unknown table {name!r}")
        drop = [c for c in policy.redact_columns.get(name, ()) if c in frame.columns]
        tables[name] = frame.drop(drop)
    hidden = {f.feature_name for f in rendered.features if not f.available_in_public_mode}
    tasks: dict[str, TaskOutput] = {}
    for name, task in rendered.tasks.items():
        if policy.withholds_task(name):
            continue
        splits = {s: f.drop([c for c in f.columns if c in hidden]) for s, f in task.splits.items()}
        tasks[name] = TaskOutput(spec=task.spec, splits=splits, details=dict(task.details))
    return attrs.evolve(
        rendered,
        tables=tables,
        tasks=tasks,
        features=[f for f in rendered.features if f.available_in_public_mode],
        truth={},
        card_sections=[s for s in rendered.card_sections if not s.instructor_only],
        instructor_manifest_extra={},
    )
