"""Draw report charts as static inline SVG with matplotlib (the ``report`` extra).

matplotlib is imported only here and only when a report is drawn. Figures are built with the
object-oriented API (no pyplot, no global backend), text stays SVG text (small, selectable,
printable), and ids are salted and prefixed so several charts can live in one page and the
same report is byte-identical run after run.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

import networkx as nx

from leadforge_core.errors import LeadforgeError
from leadforge_core.report.model import CausalGraph, Chart, ChartKind, ValueFormat

PALETTE = ("#2b59c3", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2", "#9c755f")
INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#e3e8ee"
FONT_STACK = "'Helvetica Neue', Helvetica, Arial, 'DejaVu Sans', sans-serif"
LABELLED_EDGES = 12


class ReportDependencyError(LeadforgeError):
    """The plotting library of the ``report`` extra is not installed."""


def _mpl() -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise ReportDependencyError(
            "leadforge report needs matplotlib: pip install 'leadforge-core[report]'"
        ) from None
    return matplotlib, Figure


def check_available() -> None:
    """Raise :class:`ReportDependencyError` (one line) when matplotlib is missing."""
    _mpl()


def _rc() -> dict[str, Any]:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "leadforge-report",
        "font.family": "DejaVu Sans",
        "font.size": 8.5,
        "axes.edgecolor": "#9aa5b1",
        "axes.labelcolor": MUTED,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.color": MUTED,
        "ytick.color": MUTED,
        "text.color": INK,
        "legend.frameon": False,
        "path.simplify": True,
    }


def _formatter(fmt: ValueFormat) -> Any:
    from matplotlib.ticker import FuncFormatter

    def label(value: float, _pos: int) -> str:
        if fmt is ValueFormat.PERCENT:
            return (
                f"{100 * value:.0f}%" if abs(value) >= 0.1 or value == 0 else f"{100 * value:.1f}%"
            )
        a = abs(value)
        prefix = "$" if fmt is ValueFormat.MONEY else ""
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                return f"{prefix}{value / div:g}{suffix}"
        return f"{prefix}{value:g}"

    return FuncFormatter(label)


def _finish(fig: Any, prefix: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.S)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)  # RDF boilerplate
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)
    text = text.replace("'DejaVu Sans'", FONT_STACK).replace('"DejaVu Sans"', FONT_STACK)
    # responsive: keep the viewBox, let CSS decide the width
    text = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", text, count=1)
    return text.replace("<svg", '<svg role="img" class="chart-svg"', 1).strip()


def chart_svg(chart: Chart, prefix: str) -> str:
    """The SVG markup of one chart; ``prefix`` makes its element ids unique in the page."""
    matplotlib, figure_cls = _mpl()
    with matplotlib.rc_context(_rc()):
        n = len(chart.categories)
        if chart.kind is ChartKind.HBAR:
            height = max(2.0, 0.5 + 0.26 * n * max(1, len(chart.series) * 0.7))
            fig = figure_cls(figsize=(6.4, height), layout="constrained")
        else:
            fig = figure_cls(figsize=(6.4, 3.0), layout="constrained")
        ax = fig.subplots()
        fmt = chart.value_format
        if chart.kind is ChartKind.LINE:
            _line(ax, chart)
        elif chart.kind is ChartKind.HBAR:
            _hbar(ax, chart)
        else:
            _bar(ax, chart)
        value_axis = ax.xaxis if chart.kind is ChartKind.HBAR else ax.yaxis
        if chart.log_scale:
            ax.set_xscale("log") if chart.kind is ChartKind.HBAR else ax.set_yscale("log")
        value_axis.set_major_formatter(_formatter(fmt))
        if chart.kind is ChartKind.HBAR:
            ax.set_xlabel(chart.y_label)
            ax.set_ylabel(chart.x_label)
        else:
            ax.set_xlabel(chart.x_label)
            ax.set_ylabel(chart.y_label)
        if len(chart.series) > 1:
            fig.legend(loc="outside upper right", fontsize=8, ncols=min(len(chart.series), 4))
        return _finish(fig, prefix)


def _line(ax: Any, chart: Chart) -> None:
    x = list(range(len(chart.categories)))
    for i, s in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        ax.plot(
            x,
            s.values,
            color=color,
            linewidth=1.6,
            label=s.name,
            marker="o" if len(x) <= 24 else None,
            markersize=3,
        )
        if len(chart.series) == 1 and chart.value_format is ValueFormat.COUNT:
            ax.fill_between(
                x,
                [0 if math.isnan(v) else v for v in s.values],
                color=color,
                alpha=0.12,
                linewidth=0,
            )
    step = max(1, math.ceil(len(x) / 8))
    ax.set_xticks(x[::step], [chart.categories[i] for i in x[::step]], rotation=0)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlim(-0.5, len(x) - 0.5)
    if not chart.log_scale and chart.value_format in (
        ValueFormat.COUNT,
        ValueFormat.PERCENT,
        ValueFormat.MONEY,
    ):
        ax.set_ylim(bottom=0)


def _bar(ax: Any, chart: Chart) -> None:
    n, k = len(chart.categories), len(chart.series)
    width = 0.8 / k
    x = list(range(n))
    for i, s in enumerate(chart.series):
        offs = [v - 0.4 + width * (i + 0.5) for v in x]
        ax.bar(offs, s.values, width=width * 0.92, color=PALETTE[i % len(PALETTE)], label=s.name)
    rotate = n > 8 or max((len(c) for c in chart.categories), default=0) * n > 80
    ax.set_xticks(
        x, chart.categories, rotation=35 if rotate else 0, ha="right" if rotate else "center"
    )
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    if k == 1 and n <= 12:
        for xi, v in zip(x, chart.series[0].values, strict=True):
            if not math.isnan(v):
                ax.annotate(
                    chart.value_format.text(v),
                    (xi, v),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color=MUTED,
                )


def _hbar(ax: Any, chart: Chart) -> None:
    n, k = len(chart.categories), len(chart.series)
    height = 0.8 / k
    y = list(range(n))
    top = 0.0
    for i, s in enumerate(chart.series):
        offs = [v - 0.4 + height * (i + 0.5) for v in y]
        ax.barh(offs, s.values, height=height * 0.9, color=PALETTE[i % len(PALETTE)], label=s.name)
        top = max([top, *[v for v in s.values if not math.isnan(v)]])
    ax.set_yticks(y, chart.categories)
    ax.invert_yaxis()
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    if k == 1:
        labels = chart.annotations or tuple(
            chart.value_format.text(v) for v in chart.series[0].values
        )
        for yi, v, text in zip(y, chart.series[0].values, labels, strict=True):
            if not math.isnan(v):
                ax.annotate(
                    text,
                    (v, yi),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7.5,
                    color=INK,
                )
        if not chart.log_scale and top > 0:
            ax.set_xlim(0, top * (1.32 if chart.annotations else 1.15))


NODE_PALETTE = (
    "#8e6bb0",
    "#2b59c3",
    "#d9822b",
    "#3f8f4f",
    "#c23b4b",
    "#3a9a9a",
    "#8a6548",
    "#c05fa0",
    "#5d6d7e",
    "#a8a032",
)


def _category_colors(categories: set[str]) -> dict[str, str]:
    return {c: NODE_PALETTE[i % len(NODE_PALETTE)] for i, c in enumerate(sorted(categories))}


def graph_layout(graph: CausalGraph) -> dict[str, tuple[float, float]]:
    """Layered positions: causes on the left, each node one layer right of its latest parent
    (topological generations); a cyclic graph falls back to a seeded spring layout."""
    g = nx.DiGraph()
    g.add_nodes_from(sorted(n for n, _ in graph.nodes))
    g.add_edges_from((e.source, e.target) for e in graph.edges)
    if nx.is_directed_acyclic_graph(g):
        pos: dict[str, tuple[float, float]] = {}
        for x, generation in enumerate(nx.topological_generations(g)):
            layer = sorted(generation)
            if x > 0:  # barycentre ordering: a node sits near the mean height of its parents
                layer.sort(
                    key=lambda n: (
                        -sum(pos[p][1] for p in g.predecessors(n)) / max(1, g.in_degree(n)),
                        n,
                    )
                )
            for i, node in enumerate(layer):
                pos[node] = (float(x), (len(layer) - 1) / 2.0 - i)
        return pos
    return {k: (float(v[0]), float(v[1])) for k, v in nx.spring_layout(g, seed=7).items()}


def graph_svg(graph: CausalGraph, prefix: str) -> str:
    """The SVG markup of a causal graph: boxes per node coloured by category, arrows whose
    width is |weight| and whose colour is the sign, weights written on the strongest edges."""
    matplotlib, figure_cls = _mpl()
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    pos = graph_layout(graph)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    n_layers = int(max(xs) - min(xs)) + 1
    height = max(3.6, 0.5 * (max(ys) - min(ys) + 1) + 1.0)
    with matplotlib.rc_context(_rc()):
        fig = figure_cls(figsize=(max(9.0, 2.1 * n_layers), height), layout="constrained")
        ax = fig.subplots()
        ax.set_axis_off()
        wmax = max((abs(e.weight) for e in graph.edges), default=1.0) or 1.0
        categories = dict(graph.nodes)
        colors = _category_colors(set(categories.values()))
        ranked = sorted(graph.edges, key=lambda e: (-abs(e.weight), e.source, e.target))
        labelled = {(e.source, e.target) for e in ranked[:LABELLED_EDGES]}
        for e in graph.edges:
            if e.source not in pos or e.target not in pos:
                continue
            (x0, y0), (x1, y1) = pos[e.source], pos[e.target]
            color = "#2b59c3" if e.weight >= 0 else "#e15759"
            ax.add_patch(
                FancyArrowPatch(
                    (x0, y0),
                    (x1, y1),
                    arrowstyle="-|>",
                    mutation_scale=8,
                    linewidth=0.5 + 2.5 * abs(e.weight) / wmax,
                    color=color,
                    alpha=0.55,
                    shrinkA=14,
                    shrinkB=16,
                    connectionstyle="arc3,rad=0.08",
                )
            )
            if (e.source, e.target) not in labelled:
                continue
            t = 0.5
            ax.text(
                x0 + t * (x1 - x0),
                y0 + t * (y1 - y0),
                f"{e.weight:+.2f}",
                fontsize=6.5,
                color=color,
                ha="center",
                va="center",
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        for node in sorted(pos):
            x, y = pos[node]
            color = colors.get(categories.get(node, ""), NODE_PALETTE[-1])
            ax.text(
                x,
                y,
                node,
                fontsize=7.5,
                ha="center",
                va="center",
                color="white",
                bbox={"boxstyle": "round,pad=0.35", "fc": color, "ec": "none"},
            )
        ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
        ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
        handles = [
            Line2D([], [], marker="s", linestyle="", markersize=7, color=c, label=cat)
            for cat, c in sorted(colors.items())
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=min(4, len(handles) or 1),
            fontsize=7.5,
        )
        return _finish(fig, prefix)
