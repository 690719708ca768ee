"""``leadforge report``: one self-contained, offline HTML page of a bundle's aggregates.

Generic sections (overview, targets, features, evaluation, the hidden graph of instructor
bundles) come from the bundle's declarations; schemes add their own through the
``leadforge_report_sections`` hook, returning the objects of
:mod:`leadforge_core.report.model`. Drawing needs the ``report`` extra (matplotlib).
"""

from __future__ import annotations

from leadforge_core.report.build import Report, ReportResult, build_report, write_report
from leadforge_core.report.model import (
    CausalGraph,
    Chart,
    ChartKind,
    DataTable,
    GraphEdge,
    KeyFacts,
    Note,
    ReportSection,
    Series,
    ValueFormat,
)

__all__ = [
    "CausalGraph",
    "Chart",
    "ChartKind",
    "DataTable",
    "GraphEdge",
    "KeyFacts",
    "Note",
    "Report",
    "ReportResult",
    "ReportSection",
    "Series",
    "ValueFormat",
    "build_report",
    "write_report",
]
