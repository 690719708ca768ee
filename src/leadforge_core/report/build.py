"""Build a bundle's report: generic sections, plugin sections, optional evaluation, graph."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs

from leadforge_core import __version__
from leadforge_core.bundle.model import TableSpec
from leadforge_core.errors import BundleIOError, LeadforgeError
from leadforge_core.evaluate.sample import DEFAULT_MAX_FIT_ROWS
from leadforge_core.plugins import PluginHost, PluginRecord, get_host, plugin_code
from leadforge_core.report.generic import (
    activity_section,
    features_section,
    graph_section,
    overview_section,
    targets_section,
)
from leadforge_core.report.model import (
    Block,
    Chart,
    ChartKind,
    DataTable,
    Note,
    ReportSection,
    Series,
    ValueFormat,
)
from leadforge_core.validation.view import BundleReadError, BundleView

HOOK = "leadforge_report_sections"


@attrs.define
class Report:
    """Everything the page shows, before drawing.

    ``notes`` lists what was left out and why (a plugin section that failed, evaluation
    not available); they are printed in the page footer.
    """

    title: str
    subtitle: str
    mode: str
    sections: list[ReportSection]
    notes: list[str] = attrs.field(factory=list)
    core_version: str = __version__

    @property
    def n_figures(self) -> int:
        """Charts and diagrams on the page."""
        return sum(s.n_figures for s in self.sections)


@attrs.frozen
class ReportResult:
    """What ``write_report`` produced."""

    path: Path
    bytes: int
    sections: int
    figures: int
    seconds: float
    notes: tuple[str, ...]


def plugin_sections(view: BundleView, host: PluginHost) -> tuple[list[ReportSection], list[str]]:
    """Sections from every plugin's ``leadforge_report_sections`` hook, in plugin-name order.

    Each implementation runs inside :func:`~leadforge_core.plugins.plugin_code`: a crash (or
    a wrong return value) becomes a note naming the plugin, its distribution and version, and
    a warning through the host, instead of failing the report. A bundle file the plugin needs
    but cannot read skips that plugin's sections with a note.
    """
    sections: list[ReportSection] = []
    notes: list[str] = []
    impls = sorted(getattr(host.pm.hook, HOOK).get_hookimpls(), key=lambda i: i.plugin_name)
    for impl in impls:
        record = host.by_plugin_name.get(impl.plugin_name) or PluginRecord(
            impl.plugin_name, "unknown", "?"
        )
        try:
            with plugin_code(record, HOOK, expected=(BundleReadError,)):
                result = impl.function(view=view)
        except BundleReadError as exc:
            notes.append(f"sections of {record.label} skipped: {exc}")
            continue
        except LeadforgeError as exc:  # a PluginCrash, or an error the plugin raised
            message = " ".join(exc.lines) or type(exc).__name__
            host.warn(message)
            notes.append(message)
            continue
        if result is None:
            continue
        if not isinstance(result, list | tuple) or not all(
            isinstance(s, ReportSection) for s in result
        ):
            message = f"{record.label} returned no list of ReportSection from {HOOK}; ignored"
            host.warn(message)
            notes.append(message)
            continue
        sections.extend(result)
    return sections, notes


def evaluation_available() -> str | None:
    """``None`` when scores can be computed, else why not (module or scikit-learn missing)."""
    try:
        sklearn = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):  # ValueError: blocked or spec-less entry in sys.modules
        sklearn = None
    if sklearn is None:
        return "evaluation skipped: scikit-learn is not installed"
    try:
        spec = importlib.util.find_spec("leadforge_core.evaluate")
    except (ImportError, ValueError):  # ValueError: in sys.modules without a spec
        spec = None
    if spec is None:
        return "evaluation skipped: leadforge_core.evaluate is not available"
    return None


def _score_rows(obj: Any, path: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """Flatten nested scores into (where, metric, value) rows."""
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        obj = obj.to_dict()
    rows: list[tuple[str, str, str]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, bool):
                rows.append((" / ".join(path), str(k), str(v)))
            elif isinstance(v, int | float):
                rows.append((" / ".join(path), str(k), f"{v:.4g}"))
            elif isinstance(v, str) and len(v) <= 60:
                rows.append((" / ".join(path), str(k), v))
            elif isinstance(v, dict | list) or hasattr(v, "to_dict"):
                rows.extend(_score_rows(v, (*path, str(k))))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            label = str(v.get("name") or v.get("model") or i) if isinstance(v, dict) else str(i)
            rows.extend(_score_rows(v, (*path, label)))
    return rows


def _scalar(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _task_scores(name: str, task: dict[str, Any]) -> list[Block]:
    """Blocks for one task of a ``leadforge evaluate`` result: headline chart, metric table,
    verdict."""
    if "skipped" in task:
        return [Note(f"{name}: evaluation skipped ({task['skipped']}).")]
    models = task.get("models") or {}
    variants = sorted(models, key=lambda v: (v != "without_traps", v))
    names = sorted({n for v in variants for n in models[v]})
    verdict = task.get("verdict") or {}
    headline = str(
        (verdict.get("headline") or {}).get("metric")
        or ("roc_auc" if task.get("task_type") == "binary" else "gini")
    )
    metrics = sorted(
        {k for v in variants for m in models[v].values() for k, x in m.items() if _scalar(x)}
    )
    blocks: list[Block] = []
    if names and variants:
        blocks.append(
            Chart(
                f"{name}: {headline} on the test split",
                ChartKind.HBAR,
                names,
                [
                    Series(
                        v.replace("_", " "),
                        [
                            float(x) if _scalar(x := models[v].get(n, {}).get(headline)) else None
                            for n in names
                        ],
                    )
                    for v in variants
                ],
                y_label=headline,
                value_format=ValueFormat.NUMBER,
                caption="Baselines fitted on train + valid and scored on the test split, "
                "without and with the declared leakage traps.",
            )
        )
    rows = [
        (
            n,
            v.replace("_", " "),
            *(
                f"{m[k]:.3f}" if _scalar(m.get(k)) else "—"
                for k in metrics
                for m in [models[v].get(n, {})]
            ),
        )
        for v in variants
        for n in names
        if n in models[v]
    ]
    if rows:
        blocks.append(
            DataTable(["model", "variant", *metrics], rows, numeric=metrics, caption=name)
        )
    sampling = task.get("sampling")
    if isinstance(sampling, dict) and "fit_rows" in sampling:
        blocks.append(Note(f"{name}: {_sampling_text(sampling)}"))
    if verdict.get("status"):
        summary = " ".join(str(x) for x in verdict.get("summary") or [])
        strength = f" ({verdict['strength']})" if verdict.get("strength") else ""
        blocks.append(Note(f"{name}: verdict {verdict['status']}{strength}. {summary}".strip()))
    return blocks


def _sampling_text(s: dict[str, Any]) -> str:
    """Which rows the baselines were fitted and scored on."""
    scored = f"scored on all {s.get('test_rows', 0):,} test rows"
    if s.get("sampled"):
        return (
            f"fitted on a fixed sample of {s['fit_rows']:,} of the "
            f"{s.get('available_fit_rows', 0):,} train + valid rows (stratified by target, "
            f"seeded from the bundle's seed and the task name; limit "
            f"{s.get('max_fit_rows') or 0:,} rows, --max-fit-rows 0 fits on every row); {scored}."
        )
    return f"fitted on all {s['fit_rows']:,} train + valid rows; {scored}."


def _score_blocks(result: Any) -> list[Block]:
    """Blocks for an evaluation result: the ``leadforge evaluate`` shape (``tasks`` of
    ``models`` per variant), or any nested mapping of numbers as one flat table."""
    tasks = result.get("tasks") if isinstance(result, dict) else None
    if isinstance(tasks, dict) and tasks and all(isinstance(t, dict) for t in tasks.values()):
        blocks: list[Block] = []
        for name, task in tasks.items():
            blocks.extend(_task_scores(str(name), task))
        overall = result.get("verdict") if isinstance(result, dict) else None
        if isinstance(overall, dict) and overall.get("status"):
            summary = " ".join(str(x) for x in overall.get("summary") or [])
            blocks.append(Note(f"Overall: {overall['status']}. {summary}".strip()))
        return blocks
    rows = _score_rows(result)
    return [DataTable(["task / model", "metric", "value"], rows, numeric=["value"])] if rows else []


def evaluation_section(
    view: BundleView,
    host: PluginHost | None = None,
    max_fit_rows: int | None = DEFAULT_MAX_FIT_ROWS,
) -> tuple[ReportSection | None, str | None]:
    """Baseline scores from ``leadforge_core.evaluate`` when it and scikit-learn are present.

    ``max_fit_rows`` is passed on to ``evaluate_bundle`` (``0``/``None``: fit on every row).
    Returns the section, or ``None`` with the reason it was skipped. A failing evaluation
    never breaks the report: it becomes the reason.
    """
    reason = evaluation_available()
    if reason is not None:
        return None, reason
    try:
        module = importlib.import_module("leadforge_core.evaluate")
    except Exception as exc:
        return None, f"evaluation skipped: leadforge_core.evaluate failed to import ({exc})"
    func = getattr(module, "evaluate_bundle", None)
    if not callable(func):
        return None, "evaluation skipped: leadforge_core.evaluate has no evaluate_bundle()"
    try:
        params = inspect.signature(func).parameters
        kwargs: dict[str, Any] = {}
        if "host" in params:
            kwargs["host"] = host
        if "max_fit_rows" in params:
            kwargs["max_fit_rows"] = max_fit_rows
        result = func(view.path, **kwargs)
    except LeadforgeError as exc:
        return None, f"evaluation skipped: {exc}"
    except Exception as exc:  # optional section: report the failure, keep the page
        return None, f"evaluation failed: {type(exc).__name__}: {exc}"
    blocks = _score_blocks(result)
    if not blocks:
        return None, "evaluation skipped: no scores were returned"
    section = ReportSection(
        "evaluation",
        "Evaluation",
        blocks,
        lead="Baseline scores computed by leadforge evaluate on this bundle's splits.",
    )
    return section, None


def _table_specs(view: BundleView, host: PluginHost, notes: list[str]) -> list[TableSpec]:
    """The scheme's table declarations, or none (with a note) when it is not installed."""
    try:
        scheme_cls, record = host.scheme(view.scheme)
        with plugin_code(record, "table_specs"):
            return list(scheme_cls().table_specs())
    except LeadforgeError as exc:
        notes.append(f"activity over time skipped: {' '.join(exc.lines)}")
        return []


def _merge(generic: list[ReportSection | None], extra: list[ReportSection]) -> list[ReportSection]:
    """Overview first, then plugin sections, then the generic rest; equal keys: later wins."""
    base = [s for s in generic if s is not None]
    head, tail = base[:1], base[1:]
    replaced = {s.key for s in extra}
    ordered = head + extra + [s for s in tail if s.key not in replaced]
    seen: dict[str, int] = {}
    out: list[ReportSection] = []
    for s in ordered:
        if s.key in seen:
            out[seen[s.key]] = s
        else:
            seen[s.key] = len(out)
            out.append(s)
    return out


def build_report(
    bundle: str | Path,
    host: PluginHost | None = None,
    evaluate: bool = True,
    max_fit_rows: int | None = DEFAULT_MAX_FIT_ROWS,
) -> Report:
    """Read a bundle and compute every section of its report (no drawing yet).

    Args:
        bundle: a bundle folder written by ``leadforge generate``.
        host: the plugin host whose ``leadforge_report_sections`` hooks contribute
            (default: the process-wide host).
        evaluate: add baseline scores when ``leadforge_core.evaluate`` and scikit-learn exist.
        max_fit_rows: largest number of train + valid rows the baselines are fitted on; a
            larger task is fitted on a fixed sample (``0``/``None``: every row).

    Raises:
        BundleIOError: the folder is not a readable bundle.
    """
    path = Path(bundle)
    if not path.is_dir():
        raise BundleIOError(f"not a bundle folder: {path}")
    view = BundleView(path)
    host = host or get_host()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadforge-report-evaluate")
    try:
        m = view.manifest
        mode = view.mode.value
        overview = overview_section(view)
        # The baseline fits run on a second thread while the sections below aggregate (both
        # mostly outside the GIL: scikit-learn's tree code and polars), so a 2-core machine
        # overlaps them; the page is the same as when they run one after the other.
        pending = (
            pool.submit(evaluation_section, BundleView(path), host, max_fit_rows)
            if evaluate
            else None
        )
        extra, notes = plugin_sections(view, host)
        generic: list[ReportSection | None] = [
            overview,
            activity_section(view, _table_specs(view, host, notes)),
            targets_section(view),
            features_section(view),
        ]
        if pending is not None:
            ev, why = pending.result()
            generic.append(ev)
            if why:
                notes.append(why)
        generic.append(graph_section(view))
    except BundleReadError as exc:
        raise BundleIOError(f"cannot report on {path}: {exc}") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    recipe = m.get("recipe") or {}
    title = str(recipe.get("title") or recipe.get("id") or m.get("scheme") or path.name)
    subtitle = (
        f"recipe {recipe.get('id', '?')} · scheme {m.get('scheme', '?')} · seed "
        f"{m.get('seed', '?')} · {m.get('difficulty', '?')} · generated {m.get('generated_at', '?')}"
    )
    return Report(title, subtitle, mode, _merge(generic, extra), notes)


def write_report(
    bundle: str | Path,
    out: str | Path,
    force: bool = False,
    host: PluginHost | None = None,
    evaluate: bool = True,
    max_fit_rows: int | None = DEFAULT_MAX_FIT_ROWS,
) -> ReportResult:
    """Build the report of ``bundle`` and write it to ``out`` as one HTML file.

    The file is written next to ``out`` under a temporary name and renamed into place, so a
    failure leaves nothing behind. An existing ``out`` is refused unless ``force``.

    Raises:
        BundleIOError: bad bundle, existing output without ``force``, unwritable place, or
            a place inside the bundle.
        ReportDependencyError: matplotlib (the ``report`` extra) is missing.
    """
    from leadforge_core.report.html import render_html
    from leadforge_core.report.svg import check_available

    started = time.perf_counter()
    target = Path(out)
    if target.is_dir():
        raise BundleIOError(f"{target} is a folder; give a file name such as report.html")
    bundle_dir = Path(bundle)
    if bundle_dir.is_dir() and target.resolve().is_relative_to(bundle_dir.resolve()):
        raise BundleIOError(
            f"{target} is inside the bundle, where it would be an unlisted file; "
            "write the report elsewhere"
        )
    if target.exists() and not force:
        raise BundleIOError(f"{target} already exists (use --force to replace it)")
    if not target.parent.exists() or not os.access(target.parent, os.W_OK):
        raise BundleIOError(f"cannot write to {target.parent}: folder missing or read-only")
    check_available()
    report = build_report(bundle, host, evaluate=evaluate, max_fit_rows=max_fit_rows)
    data = render_html(report).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return ReportResult(
        target,
        len(data),
        len(report.sections),
        report.n_figures,
        time.perf_counter() - started,
        tuple(report.notes),
    )
