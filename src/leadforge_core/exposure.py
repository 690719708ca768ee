"""Exposure modes and the publication step that turns an instructor world into a public one.

Truth is created during simulation and filtered only here. A scheme declares *what* is hidden
(an :class:`ExposurePolicy`) and may cut rows at snapshot anchors (``Scheme.snapshot_cut``);
the core applies the rest, so every scheme obeys the same rule: public ⊆ instructor.
"""

from __future__ import annotations

import enum
import fnmatch

import attrs


class ExposureMode(enum.StrEnum):
    """Who a bundle is for."""

    STUDENT_PUBLIC = "student_public"
    RESEARCH_INSTRUCTOR = "research_instructor"

    @property
    def is_public(self) -> bool:
        return self is ExposureMode.STUDENT_PUBLIC


@attrs.frozen
class ExposurePolicy:
    """What a scheme hides from public bundles.

    ``omit_tables``: tables that never appear in public bundles.
    ``redact_columns``: ``{table: (column, ...)}`` removed from public tables.
    ``as_of_columns``: ``{table: (column, ...)}`` whose public values are recomputed as of the
    snapshot anchor (for example an opportunity's stage). Such a column is still present in the
    instructor table; only its value may differ, so the subset rule compares every other column.
    ``instructor_only_tasks``: tasks shipped only in instructor bundles; shell-style patterns
    (``early_*``) match task names, so schemes whose task names depend on parameters can
    still declare them.
    ``event_times``: ``{table: timestamp column}`` of the tables whose rows are events the
    snapshot cut keeps only up to each anchor. Task features contributed by other plugins read
    these tables only through the point-in-time cutoff on that column
    (:meth:`leadforge_core.features.FeatureInput.events`).
    """

    omit_tables: tuple[str, ...] = ()
    redact_columns: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    as_of_columns: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    instructor_only_tasks: tuple[str, ...] = ()
    event_times: dict[str, str] = attrs.field(factory=dict)

    def withholds_task(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.instructor_only_tasks)

    def redactions(self) -> list[str]:
        """Human-readable list recorded in a public manifest."""
        out = [f"table {t} omitted" for t in self.omit_tables]
        for table, cols in sorted(self.redact_columns.items()):
            out += [f"column {table}.{c} removed" for c in cols]
        for table, cols in sorted(self.as_of_columns.items()):
            out += [f"column {table}.{c} shown as of the snapshot anchor" for c in cols]
        out += [
            f"tasks {t} withheld" if "*" in t else f"task {t} withheld"
            for t in self.instructor_only_tasks
        ]
        return out
