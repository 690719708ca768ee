"""Typed pieces a scheme hands to the core: table and task declarations, rendered output."""

from __future__ import annotations

import enum
from typing import Any

import attrs
import polars as pl


class DType(enum.StrEnum):
    """Logical column types; each maps to one polars dtype in a written bundle."""

    STRING = "string"
    CATEGORY = "category"  # low-cardinality string stored as Categorical or Enum
    INT = "int64"
    FLOAT = "float64"
    BOOL = "bool"
    DATETIME = "datetime"  # naive, microseconds, UTC by convention
    DATE = "date"

    def polars(self) -> pl.DataType:
        """The polars dtype a column of this type is written with (``category``: a
        ``Categorical``; an ``Enum`` of known values is accepted too)."""
        return {
            DType.STRING: pl.String(),
            DType.CATEGORY: pl.Categorical(),
            DType.INT: pl.Int64(),
            DType.FLOAT: pl.Float64(),
            DType.BOOL: pl.Boolean(),
            DType.DATETIME: pl.Datetime("us"),
            DType.DATE: pl.Date(),
        }[self]

    def accepts(self, dtype: pl.DataType) -> bool:
        """Whether a column (rendered, or read back from Parquet) has exactly this logical
        type: integer and float widths must match, ``category`` is ``Categorical`` or
        ``Enum`` (not ``String``), ``datetime`` is naive with microseconds."""
        if self is DType.CATEGORY:
            return isinstance(dtype, pl.Categorical | pl.Enum)
        if self is DType.DATETIME:
            return dtype == pl.Datetime("us", None)
        return dtype == self.polars()


def dtype_name(dtype: pl.DataType) -> str:
    """Stable textual name of a polars dtype for manifests."""
    if isinstance(dtype, pl.Categorical | pl.Enum):
        return "categorical"
    return str(dtype)


@attrs.frozen
class ColumnSpec:
    """One declared column of a table.

    Args:
        name: column name.
        dtype: logical type; the written column must have exactly its polars type
            (:meth:`DType.polars`).
        description: one line for the feature dictionary and the dataset card.
        nullable: whether the column may hold nulls (checked by ``leadforge validate``).
    """

    name: str
    dtype: DType
    description: str = ""
    nullable: bool = True


@attrs.frozen
class ForeignKey:
    """``column`` of this table refers to ``ref_column`` of ``ref_table`` (checked by
    ``leadforge validate``: every non-null value must exist there)."""

    column: str
    ref_table: str
    ref_column: str


@attrs.frozen
class TableSpec:
    """A declared relational table.

    ``time_order`` lists column pairs ``(earlier, later)`` that must satisfy earlier ≤ later
    wherever both are set.
    """

    name: str
    description: str
    columns: tuple[ColumnSpec, ...]
    primary_key: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    time_order: tuple[tuple[str, str], ...] = ()

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


class TaskType(enum.StrEnum):
    """Kind of prediction task: a boolean label or a numeric target."""

    BINARY = "binary"
    REGRESSION = "regression"


SPLITS = ("train", "valid", "test")


@attrs.frozen
class TaskSpec:
    """A prediction task: one row per ``row_unit`` at a snapshot; ``targets`` are the labels.

    ``key`` and ``anchor`` (optional) name the task-row columns holding the entity key shared
    with the event tables (``lead_id``, unique per task row) and each row's snapshot anchor
    (a datetime); a task that declares both can receive task features from other plugins
    (:mod:`leadforge_core.features`).
    """

    name: str
    task_type: TaskType
    targets: tuple[str, ...]
    row_unit: str
    description: str = ""
    id_columns: tuple[str, ...] = ("row_id",)
    key: str | None = None
    anchor: str | None = None


@attrs.define
class TaskOutput:
    """A rendered task: its splits and the scheme's part of ``task_manifest.json``.

    Args:
        spec: the task's declaration (one of the scheme's ``task_specs``).
        splits: ``"train"``, ``"valid"`` and ``"test"`` frames with the same columns: the id
            columns, the features and the targets.
        details: the scheme's part of the task manifest, checked at publication and by
            ``leadforge validate`` (a wrong shape is the scheme's bug):

            * ``snapshot_rule`` (str, required): when each row is observed, e.g.
              ``"lead creation + 30 days"``;
            * ``target_semantics`` (str, required): what the target means;
            * ``leakage_policy`` (str, required): what the features may and may not see;
            * ``split`` (object, required): exactly the details
              :func:`leadforge_core.splits.assign_splits` returns — ``strategy``
              (``temporal``, ``grouped`` or ``random``), ``ratios`` (``train``, ``valid``,
              ``test``), ``stratified`` and, depending on the strategy, ``time_column`` and
              ``cutoffs``, ``group_column`` or ``stratify_on``; the dataset card reads its
              split strategy from here;
            * ``horizon_days`` (int, optional): how far after the snapshot the target looks;
            * ``leakage_traps`` (list, optional): the features deliberately left leaky;
            * ``excluded_rows`` (object, optional): why rows were left out, with counts;
            * any other key of the scheme's own. The core writes ``task``, ``task_type``,
              ``targets``, ``row_unit``, ``description`` and ``splits`` (row counts and
              prevalence or target summaries per split) itself; ``details`` must not set
              them.
    """

    spec: TaskSpec
    splits: dict[str, pl.DataFrame]
    details: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class FeatureInfo:
    """One row of ``feature_dictionary.csv``."""

    feature_name: str
    feature_group: str
    dtype: str
    entity_level: str
    description: str
    derived_from: str
    window: str
    leakage_risk: bool = False
    available_in_public_mode: bool = True


@attrs.frozen
class CardSection:
    """A markdown section of ``dataset_card.md``; ``instructor_only`` sections are dropped in
    public bundles."""

    title: str
    body: str
    instructor_only: bool = False


@attrs.define
class Rendered:
    """Everything a scheme renders from a simulated world, at full (instructor) exposure.

    ``truth`` maps a file name under ``metadata/`` to its content (dict/list → JSON,
    str → text); it never reaches a public bundle. ``manifest_extra`` is public-safe scheme
    information for the manifest; ``instructor_manifest_extra`` is added only for instructors.
    """

    tables: dict[str, pl.DataFrame]
    tasks: dict[str, TaskOutput]
    features: list[FeatureInfo]
    truth: dict[str, Any] = attrs.field(factory=dict)
    public_summary: dict[str, Any] = attrs.field(factory=dict)
    card_sections: list[CardSection] = attrs.field(factory=list)
    manifest_extra: dict[str, Any] = attrs.field(factory=dict)
    instructor_manifest_extra: dict[str, Any] = attrs.field(factory=dict)
