"""What a report is made of: sections holding charts, tables, key facts and notes.

Sections carry only aggregates (a few hundred numbers at most), never rows of a bundle, so a
report stays small whatever the bundle's size. Plugins build these objects in their
``leadforge_report_sections`` hook; the core draws them, so a plugin needs no plotting library.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable

import attrs


class ChartKind(enum.StrEnum):
    """How a :class:`Chart` is drawn."""

    BAR = "bar"  # vertical bars, one group per category, one bar per series
    HBAR = "hbar"  # horizontal bars (long category names, funnels, rankings)
    LINE = "line"  # one line per series over ordered categories (weeks, months)


class ValueFormat(enum.StrEnum):
    """How chart values are labelled: counts, shares in [0, 1] shown as %, money, numbers."""

    COUNT = "count"
    PERCENT = "percent"
    MONEY = "money"
    NUMBER = "number"

    def text(self, value: float) -> str:
        """Human text for one value (``nan`` → an em dash)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        if self is ValueFormat.PERCENT:
            return f"{100 * value:.1f}%"
        if self is ValueFormat.COUNT:
            return f"{value:,.0f}"
        if self is ValueFormat.MONEY:
            return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _floats(values: Iterable[float | int | None]) -> tuple[float, ...]:
    return tuple(float("nan") if v is None else float(v) for v in values)


def _strs(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _rows(rows: Iterable[Iterable[object]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(str(c) for c in r) for r in rows)


def _pairs(items: Iterable[tuple[object, object]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in items)


def _series(items: Iterable[Series]) -> tuple[Series, ...]:
    return tuple(items)


def _edges(items: Iterable[GraphEdge]) -> tuple[GraphEdge, ...]:
    return tuple(items)


def _blocks(items: Iterable[Block]) -> tuple[Block, ...]:
    return tuple(items)


@attrs.frozen
class Series:
    """One named sequence of values, aligned with a chart's categories (``None`` → gap)."""

    name: str
    values: tuple[float, ...] = attrs.field(converter=_floats)


@attrs.frozen
class Chart:
    """A chart drawn as inline SVG.

    Args:
        title: heading shown above the chart.
        kind: bar, horizontal bar or line.
        categories: x-axis labels (y-axis for ``HBAR``), in display order.
        series: one or more value sequences, each as long as ``categories``.
        x_label, y_label: axis titles.
        value_format: how values and the value axis are labelled.
        annotations: optional text per category written at the end of each bar
            (for example the step conversion of a funnel).
        caption: one sentence under the chart saying what it shows.
        log_scale: draw the value axis on a log scale.
    """

    title: str
    kind: ChartKind
    categories: tuple[str, ...] = attrs.field(converter=_strs)
    series: tuple[Series, ...] = attrs.field(converter=_series)
    x_label: str = ""
    y_label: str = ""
    value_format: ValueFormat = ValueFormat.COUNT
    annotations: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    caption: str = ""
    log_scale: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.series:
            raise ValueError(f"chart {self.title!r} has no series")
        for s in self.series:
            if len(s.values) != len(self.categories):
                raise ValueError(
                    f"chart {self.title!r}: series {s.name!r} has {len(s.values)} values "
                    f"for {len(self.categories)} categories"
                )
        if self.annotations and len(self.annotations) != len(self.categories):
            raise ValueError(f"chart {self.title!r}: one annotation per category expected")


@attrs.frozen
class DataTable:
    """A small table of already formatted cells (``numeric`` columns are right-aligned)."""

    columns: tuple[str, ...] = attrs.field(converter=_strs)
    rows: tuple[tuple[str, ...], ...] = attrs.field(converter=_rows)
    caption: str = ""
    numeric: tuple[str, ...] = attrs.field(default=(), converter=_strs)

    def __attrs_post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table row {row!r} does not have {len(self.columns)} cells")


@attrs.frozen
class KeyFacts:
    """Label → value pairs shown as a row of tiles (sizes, rates, settings)."""

    items: tuple[tuple[str, str], ...] = attrs.field(converter=_pairs)


@attrs.frozen
class Note:
    """A paragraph of plain text (how to read a section, what is cut at the snapshot)."""

    text: str


@attrs.frozen
class GraphEdge:
    """A directed edge of a causal graph with its weight (sign = direction of the effect)."""

    source: str
    target: str
    weight: float
    form: str = ""


@attrs.frozen
class CausalGraph:
    """A hidden causal graph drawn as a layered diagram (instructor reports only).

    ``nodes`` maps node id → category (``account_latent``, ``observed``, ``outcome``…).
    """

    title: str
    nodes: tuple[tuple[str, str], ...] = attrs.field(converter=_pairs)
    edges: tuple[GraphEdge, ...] = attrs.field(converter=_edges)
    motif: str = ""
    caption: str = ""


Block = Chart | DataTable | KeyFacts | Note | CausalGraph
FIGURES = (Chart, CausalGraph)


@attrs.frozen
class ReportSection:
    """One section of the page: a title, an optional lead paragraph and its blocks.

    ``key`` becomes the HTML anchor; sections with the same key replace each other (the
    later one wins), so a scheme can supersede a generic section.
    """

    key: str
    title: str
    blocks: tuple[Block, ...] = attrs.field(converter=_blocks)
    lead: str = ""

    @property
    def n_figures(self) -> int:
        """How many charts or diagrams this section draws."""
        return sum(isinstance(b, FIGURES) for b in self.blocks)
