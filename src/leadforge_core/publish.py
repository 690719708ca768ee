"""Publication: the one place where an instructor world becomes a public one."""

from __future__ import annotations

import attrs
import polars as pl

from leadforge_core.bundle.model import Rendered, TaskOutput
from leadforge_core.exposure import ExposureMode
from leadforge_core.plugins import plugin_code
from leadforge_core.scheme import RunContext, Scheme
from leadforge_core.validation import contracts


def publish(scheme: Scheme, rendered: Rendered, ctx: RunContext) -> Rendered:
    """Return what a bundle of ``ctx.mode`` may show. Instructor bundles get everything.

    The public cut must be a subset of the render (rows by primary key, values of every
    column but the declared as-of ones); otherwise the scheme is at fault and
    :class:`~leadforge_core.errors.SchemeContractError` is raised.
    """
    if ctx.mode is ExposureMode.RESEARCH_INSTRUCTOR:
        return rendered
    policy = scheme.exposure
    with plugin_code(scheme, "snapshot_cut"):
        cut = scheme.snapshot_cut(rendered, ctx)
    with plugin_code(scheme, "table_specs"):
        specs = {s.name: s for s in scheme.table_specs()}
    contracts.enforce(
        scheme,
        "public ⊆ instructor",
        contracts.public_subset_problems(specs, rendered.tables, cut, policy.as_of_columns),
    )
    tables: dict[str, pl.DataFrame] = {}
    for name, frame in cut.items():
        if name in policy.omit_tables:
            continue
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
