"""Task features contributed by plugins to another plugin's scheme.

A plugin implements the ``leadforge_task_features(scheme, recipe)`` hook and returns
:class:`TaskFeature` objects: a column name, its dictionary entry, the tasks it joins and a
``compute`` function. The core calls ``compute`` once per task with a read-only
:class:`FeatureInput` built from the rendered tables, and every table is read through the
point-in-time rule of :mod:`leadforge_core.asof`: event tables only up to each task row's
anchor, no hidden (omitted or redacted) data, no column whose public value is recomputed as of
the anchor. A feature therefore sees exactly what the public snapshot shows and has the same
values in both exposure modes.

The core then checks the result (one value per task row, the declared type exactly, no null
where none is allowed, a name no other column or plugin uses), adds the column to every split
of the task, a row to ``feature_dictionary.csv``, a line to the dataset card, and records the
plugin in the manifest's ``generator.plugins``.

Example::

    from leadforge_core import DType, hookimpl
    from leadforge_core.features import FeatureInput, TaskFeature
    from leadforge_core import asof


    def pricing_sessions_last_14d(inp: FeatureInput):
        counts = (
            inp.events("sessions", window=asof.last_days(14))
            .filter(pl.col("pricing_page_views") > 0)
            .group_by(inp.key)
            .agg(asof.count().alias("n"))
        )
        return inp.per_row(counts, "n", fill=0)


    @hookimpl
    def leadforge_task_features(scheme, recipe):
        if scheme != "lead_scoring":
            return []
        return [
            TaskFeature(
                "pricing_sessions_last_14d",
                pricing_sessions_last_14d,
                DType.INT,
                "sessions with a pricing-page view in the 14 days before the anchor",
                tasks=("converted_within_90_days",),
                derived_from="sessions.pricing_page_views",
                window="last 14 days before anchor",
                nullable=False,
            )
        ]
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import polars as pl

from leadforge_core import asof
from leadforge_core.bundle.model import CardSection, DType, FeatureInfo, Rendered, TaskSpec
from leadforge_core.errors import PluginCrash, PluginError
from leadforge_core.exposure import ExposurePolicy
from leadforge_core.plugins import plugin_code

if TYPE_CHECKING:
    from leadforge_core.plugins import PluginHost, PluginRecord

#: Phase named in the error when a task feature's code fails or breaks its contract.
PHASE = "task_features"


@attrs.frozen
class TaskFeature:
    """A task column contributed by a plugin, with its feature-dictionary entry.

    Arguments:
        name: the column name, unique among the task's columns and every other plugin's
            features.
        compute: ``compute(inp) -> polars.Series`` with one value per row of ``inp.rows``, in
            that order (see :meth:`FeatureInput.per_row`).
        dtype: the declared logical type; the computed series must have exactly this type
            (``DType.INT`` is ``Int64``, ``DType.CATEGORY`` a ``Categorical`` …).
        description: the dictionary's description of the column.
        tasks: the tasks it joins, by name or shell-style pattern (``ltv_revenue_*``).
        row_unit: instead of ``tasks``, every task of the scheme with this row unit.
        group: the dictionary's ``feature_group``.
        derived_from: the tables and columns it is computed from.
        window: the time window it covers, in words.
        entity_level: the dictionary's ``entity_level`` (default: the task key without
            ``_id``).
        nullable: whether the column may hold nulls.
        leakage_risk: flags a documented trap in the dictionary (the leakage probe then
            ignores it).
    """

    name: str
    compute: Callable[[FeatureInput], pl.Series]
    dtype: DType
    description: str
    tasks: tuple[str, ...] = ()
    row_unit: str | None = None
    group: str = "contributed"
    derived_from: str = ""
    window: str = "up to the anchor"
    entity_level: str = ""
    nullable: bool = True
    leakage_risk: bool = False

    def joins(self, spec: TaskSpec) -> bool:
        """Whether this feature is added to the task ``spec``."""
        if self.row_unit is not None and spec.row_unit == self.row_unit:
            return True
        return any(fnmatch.fnmatchcase(spec.name, pattern) for pattern in self.tasks)

    def info(self, spec: TaskSpec) -> FeatureInfo:
        """The feature-dictionary row of this feature on task ``spec``."""
        level = self.entity_level or (spec.key or "").removesuffix("_id")
        return FeatureInfo(
            feature_name=self.name,
            feature_group=self.group,
            dtype=str(self.dtype),
            entity_level=level,
            description=self.description,
            derived_from=self.derived_from,
            window=self.window,
            leakage_risk=self.leakage_risk,
        )


class FeatureAccessError(PluginError):
    """A task feature asked :class:`FeatureInput` for something it may not read (reported as
    a crash of the feature's plugin)."""


class FeatureInput:
    """What a task feature's ``compute`` may read: the task rows with their anchors and the
    run's tables, every access cut at each row's anchor by the core.

    Attributes:
        scheme: the scheme's name.
        task: the task's name.
        key: the entity key column shared by the task rows and the event tables.
        anchor: the task rows' anchor column.
    """

    def __init__(
        self,
        scheme: str,
        spec: TaskSpec,
        rows: pl.DataFrame,
        tables: Mapping[str, pl.DataFrame],
        policy: ExposurePolicy,
    ) -> None:
        assert spec.key is not None and spec.anchor is not None
        self.scheme = scheme
        self.task = spec.name
        self.key: str = spec.key
        self.anchor: str = spec.anchor
        self._rows = rows
        self._tables = tables
        self._policy = policy
        self._anchors = asof.Anchors(rows, key=self.key, anchor=self.anchor)

    @property
    def rows(self) -> pl.DataFrame:
        """The task rows (every split, in split order): the key and anchor columns."""
        return self._rows.clone()

    @property
    def n_rows(self) -> int:
        """Number of task rows; ``compute`` returns exactly this many values."""
        return self._rows.height

    @property
    def anchors(self) -> asof.Anchors:
        """Each row's anchor, keyed by :attr:`key` (for :func:`leadforge_core.asof.as_of`)."""
        return self._anchors

    def table_names(self) -> list[str]:
        """Tables a feature may read (tables hidden from public bundles are left out)."""
        return sorted(n for n in self._tables if n not in self._policy.omit_tables)

    def columns(self, table: str) -> list[str]:
        """The columns of ``table`` a feature may read: not redacted, not shown as of the
        anchor (their values differ between exposure modes)."""
        frame = self._table(table)
        hidden = {
            *self._policy.redact_columns.get(table, ()),
            *self._policy.as_of_columns.get(table, ()),
        }
        return [c for c in frame.columns if c not in hidden]

    def events(
        self,
        table: str,
        *,
        time: str | None = None,
        window: asof.Window | None = None,
        order_by: Sequence[str] | None = None,
    ) -> pl.LazyFrame:
        """The rows of an event table known at their row's anchor (``time <= anchor``).

        Arguments:
            table: a table holding the :attr:`key` column.
            time: the timestamp column; a table the scheme declares in
                ``ExposurePolicy.event_times`` is always cut on the declared column (another
                one is refused).
            window: keep only rows in this window too, relative to the anchor
                (:func:`leadforge_core.asof.last_days`).
            order_by: sort the kept rows (for :func:`leadforge_core.asof.last_value`).
        Returns:
            :func:`leadforge_core.asof.as_of` output: the readable columns plus the attached
            anchor, ready for ``group_by(inp.key).agg(...)`` with the ``asof`` aggregations.
        """
        declared = self._policy.event_times.get(table)
        if declared is not None and time not in (None, declared):
            raise FeatureAccessError(
                f"table {table!r} is cut at its {declared!r} column; a task feature cannot "
                f"read it by {time!r}"
            )
        if window is not None and window.relative_to != "anchor":
            raise FeatureAccessError(
                "task features have no entity start time: use a window relative to the anchor "
                "(asof.last_days)"
            )
        column = declared or time
        if column is None:
            raise FeatureAccessError(
                f"events({table!r}) needs time=: the column saying when a row is known"
            )
        cols = self.columns(table)
        frame = self._table(table)
        for needed in (self.key, column):
            if needed not in cols:
                raise FeatureAccessError(f"table {table!r} has no readable column {needed!r}")
        if not isinstance(frame.schema[column], pl.Datetime):
            raise FeatureAccessError(f"{table}.{column} is {frame.schema[column]}, not a datetime")
        return asof.as_of(
            frame.select(cols), self._anchors, column, window=window, order_by=order_by
        )

    def attributes(self, table: str, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """Static attributes: the readable ``columns`` of an entity table (one that the
        scheme does not declare as an event table, whose rows exist before any anchor).

        Event tables are refused: read them with :meth:`events`.
        """
        if table in self._policy.event_times:
            raise FeatureAccessError(
                f"table {table!r} holds events: read it with events({table!r})"
            )
        readable = self.columns(table)
        wanted = list(columns) if columns is not None else readable
        bad = [c for c in wanted if c not in readable]
        if bad:
            raise FeatureAccessError(f"table {table!r} has no readable column(s) {', '.join(bad)}")
        return self._table(table).select(wanted)

    def per_row(
        self, frame: pl.DataFrame | pl.LazyFrame, column: str, fill: object = None
    ) -> pl.Series:
        """``column`` of ``frame`` (one row per key, e.g. a ``group_by(key).agg``) aligned to
        the task rows; keys absent from ``frame`` get ``fill`` (``None``: null)."""
        values = frame.lazy().select(self.key, column).collect()
        if values[self.key].n_unique() != values.height:
            raise FeatureAccessError(f"per_row: {column!r} has several rows for one {self.key}")
        out = self._rows.select(self.key).join(
            values, on=self.key, how="left", maintain_order="left"
        )[column]
        return out.fill_null(fill) if fill is not None else out

    def _table(self, table: str) -> pl.DataFrame:
        if table not in self._tables or table in self._policy.omit_tables:
            known = ", ".join(self.table_names())
            raise FeatureAccessError(f"no readable table {table!r} (tables: {known})")
        return self._tables[table]


@attrs.frozen
class Contribution:
    """The task features one plugin added to a bundle (recorded in ``generator.plugins``)."""

    plugin: PluginRecord
    features: tuple[str, ...]


def _crash(record: PluginRecord, detail: str) -> PluginCrash:
    return PluginCrash(
        plugin=record.name,
        distribution=record.distribution,
        version=record.version,
        phase=PHASE,
        detail=detail,
    )


def collect(host: PluginHost, scheme: str, recipe: str) -> list[tuple[PluginRecord, TaskFeature]]:
    """Every plugin's task features for a run of ``scheme`` with ``recipe``, ordered by
    distribution and entry-point name, then as each plugin returns them.

    Raises:
        PluginCrash: a hook raised or returned something that is not a list of
            :class:`TaskFeature`.
    """
    found: list[tuple[PluginRecord, TaskFeature]] = []
    for record, result in host.call_hook("leadforge_task_features", scheme=scheme, recipe=recipe):
        if result is None:
            continue
        if not isinstance(result, list | tuple):
            raise _crash(record, f"returned {type(result).__name__}, not a list of TaskFeature")
        for item in result:
            if not isinstance(item, TaskFeature):
                raise _crash(record, f"returned {item!r}, which is not a TaskFeature")
            found.append((record, item))
    order = {id(r): (r.distribution, r.name) for r, _ in found}
    return sorted(found, key=lambda pair: order[id(pair[0])])


def add_task_features(
    scheme: str,
    policy: ExposurePolicy,
    rendered: Rendered,
    contributed: Sequence[tuple[PluginRecord, TaskFeature]],
) -> tuple[Rendered, list[Contribution]]:
    """``rendered`` with every contributed feature added to the tasks it joins.

    Arguments:
        scheme: the scheme's name.
        policy: the scheme's exposure policy (what a feature may not read).
        rendered: the scheme's render (full tables; a public render may lack rows after the
            anchors, which a feature never sees anyway).
        contributed: ``(plugin, feature)`` pairs from :func:`collect`.
    Returns:
        The extended render and, per plugin, the features it added.
    Raises:
        PluginCrash: a feature's code raised, or its result broke the contract (length,
            type, nulls, or a name that is already taken).
        PluginError: two plugins contribute the same name, or a task cannot take features.
    """
    if not contributed:
        return rendered, []
    owners: dict[str, PluginRecord] = {}
    taken = {f.feature_name for f in rendered.features}
    infos: list[FeatureInfo] = []
    used: dict[int, list[str]] = {}
    records: dict[int, PluginRecord] = {}
    tasks = dict(rendered.tasks)
    lines: list[str] = []
    for record, feature in contributed:
        label = f"task feature {feature.name!r} of {record.label}"
        first = owners.get(feature.name)
        if first is not None:
            raise PluginError(
                f"task feature {feature.name!r} is contributed by both {first.distribution} "
                f"and {record.distribution}; uninstall one of them"
            )
        if feature.name in taken:
            raise _crash(record, f"{label}: column {feature.name!r} already exists")
        joined = [name for name, task in tasks.items() if feature.joins(task.spec)]
        if not joined:
            raise _crash(
                record,
                f"{label} joins no task of scheme {scheme} (tasks: {', '.join(tasks) or 'none'})",
            )
        for name in joined:
            task = tasks[name]
            spec = task.spec
            if spec.key is None or spec.anchor is None:
                raise PluginError(
                    f"task {name!r} of scheme {scheme} declares no key and anchor, so it cannot "
                    f"take {label}"
                )
            splits = list(task.splits.items())
            if any(feature.name in frame.columns for _, frame in splits):
                raise _crash(record, f"{label}: task {name!r} already has that column")
            rows = pl.concat([frame.select(spec.key, spec.anchor) for _, frame in splits])
            if rows[spec.key].n_unique() != rows.height:
                raise PluginError(
                    f"task {name!r} has several rows per {spec.key}; it cannot take {label}"
                )
            inp = FeatureInput(scheme, spec, rows, rendered.tables, policy)
            try:
                with plugin_code(record, PHASE):
                    value = feature.compute(inp)
            except FeatureAccessError as exc:
                raise _crash(record, f"{label} on task {name!r}: {exc}") from None
            problem = _result_problem(feature, value, rows.height)
            if problem:
                raise _crash(record, f"{label} on task {name!r}: {problem}")
            offset = 0
            new_splits = {}
            for split, frame in splits:
                part = value.slice(offset, frame.height).alias(feature.name)
                offset += frame.height
                new_splits[split] = frame.with_columns(part)
            tasks[name] = attrs.evolve(task, splits=new_splits)
        owners[feature.name] = record
        taken.add(feature.name)
        infos.append(feature.info(tasks[joined[0]].spec))
        used.setdefault(id(record), []).append(feature.name)
        records[id(record)] = record
        lines.append(
            f"- `{feature.name}` ({', '.join(f'`{t}`' for t in joined)}; from "
            f"{record.distribution} {record.version}): {feature.description}"
        )
    section = CardSection(
        "Task features contributed by plugins",
        "Computed by the core's point-in-time rule from records up to each row's anchor:\n\n"
        + "\n".join(lines),
    )
    out = attrs.evolve(
        rendered,
        tasks=tasks,
        features=[*rendered.features, *infos],
        card_sections=[*rendered.card_sections, section],
    )
    return out, [Contribution(records[k], tuple(v)) for k, v in used.items()]


def _result_problem(feature: TaskFeature, value: object, n_rows: int) -> str | None:
    if not isinstance(value, pl.Series):
        return f"compute returned {type(value).__name__}, not a polars Series"
    if value.len() != n_rows:
        return f"{value.len()} values for {n_rows} task rows"
    if not feature.dtype.accepts(value.dtype):
        return f"values are {value.dtype}, declared {feature.dtype}"
    if not feature.nullable and value.null_count():
        return f"{value.null_count()} nulls, but the feature is declared not nullable"
    return None


__all__ = [
    "PHASE",
    "Contribution",
    "FeatureAccessError",
    "FeatureInput",
    "TaskFeature",
    "add_task_features",
    "collect",
]
