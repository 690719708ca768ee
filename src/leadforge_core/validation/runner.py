"""Run every check on a bundle folder and collect findings; never raises for bad bundles.

A scheme's own check that crashes is a bug in its plugin, not a finding about the bundle: it
raises :class:`~leadforge_core.errors.PluginCrash`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import polars as pl

from leadforge_core.bundle.model import TableSpec
from leadforge_core.errors import BundleIOError, PluginCrash, PluginError
from leadforge_core.memory import without_huge_page_advice
from leadforge_core.plugins import PluginHost, get_host, plugin_code
from leadforge_core.scheme import Scheme
from leadforge_core.validation import artifact, exposure, features, probes, tasks
from leadforge_core.validation.findings import Check, Finding, Report
from leadforge_core.validation.view import BundleReadError, BundleView


def _run(report: Report, name: str, check: Callable[[], Iterable[Finding]]) -> None:
    report.checks_run.append(name)
    try:
        report.findings.extend(check())
    except BundleReadError as exc:
        report.findings.append(Finding(name, exc.message, exc.location))
    except PluginCrash:
        raise
    except Exception as exc:  # a core check must never take validation down
        report.findings.append(Finding(name, f"check could not run: {type(exc).__name__}: {exc}"))


@without_huge_page_advice()
def validate_bundle(
    path: str | Path,
    host: PluginHost | None = None,
    preload: dict[str, pl.DataFrame] | None = None,
) -> Report:
    """Validate the bundle at ``path`` with core checks and its scheme's checks.

    ``preload`` (see :class:`BundleView`) is used by ``generate`` for the frames it just wrote.
    """
    root = Path(path)
    if not root.exists():
        raise BundleIOError(f"bundle not found: {root}")
    if not root.is_dir():
        raise BundleIOError(f"not a bundle folder: {root}")
    view = BundleView(root, preload)
    report = Report(str(root))
    try:
        view.manifest  # noqa: B018 - load once; a bad manifest stops most checks
        _ = view.mode
    except BundleReadError as exc:
        report.checks_run.append("manifest")
        report.findings.append(Finding("manifest", exc.message, exc.location))
        _run(report, "files", lambda: artifact.files_and_hashes_without_manifest(view))
        return report
    before = len(report.findings)
    _run(report, "manifest", lambda: artifact.manifest_shape(view))
    if len(report.findings) > before:
        return report
    _run(report, "files", lambda: artifact.files_and_hashes(view))
    _run(report, "parquet", lambda: artifact.parquet_contents(view))
    scheme: Scheme | None = None
    try:
        scheme_cls, record = (host or get_host()).scheme(view.scheme)
        with plugin_code(record, "scheme setup"):
            scheme = scheme_cls()
    except PluginCrash:
        raise
    except PluginError as exc:
        report.findings.append(Finding("scheme", f"{exc}; scheme checks skipped", "manifest.json"))
    if scheme is not None:
        with plugin_code(scheme, "table_specs"):
            specs: dict[str, TableSpec] = {s.name: s for s in scheme.table_specs()}
        policy = scheme.exposure
        _run(
            report, "schema", lambda: artifact.declared_schemas(view, specs, policy.redact_columns)
        )
        _run(report, "keys", lambda: artifact.keys(view, specs))
        _run(report, "timestamps", lambda: artifact.timestamps(view, specs))
        _run(report, "exposure", lambda: exposure.public_exposure(view, policy))
    _run(report, "tasks", lambda: tasks.task_checks(view))
    _run(report, "features", lambda: features.feature_checks(view))
    _run(report, "leakage", lambda: probes.feature_leakage("leakage")(view))
    if scheme is not None:
        with plugin_code(scheme, "checks"):
            scheme_checks = list(scheme.checks())
        for check in scheme_checks:
            name = getattr(check, "__name__", "scheme_check")
            _run(report, f"{view.scheme}.{name}", partial(_scheme_check, scheme, name, check, view))
    return report


def _scheme_check(scheme: Scheme, name: str, check: Check, view: BundleView) -> list[Finding]:
    """Run one of a scheme's checks to the end; a crash in it is its plugin's crash."""
    with plugin_code(scheme, f"checks ({name})", expected=(BundleReadError,)):
        return list(check(view))
