"""Run every check on a bundle folder and collect findings; never raises for bad bundles.

A scheme's own check, or a check registered through ``leadforge_register_checks``, that
crashes is a bug in its plugin, not a finding about the bundle: it raises
:class:`~leadforge_core.errors.PluginCrash`. A bundle whose scheme plugin is not installed
still gets every core check that does not need the scheme's declarations; the report lists
the others as skipped, with the reason. A derived scheme's bundle is checked with its base
scheme's declarations when only the base is installed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from leadforge_core.bundle.model import TableSpec
from leadforge_core.errors import BundleIOError, PluginCrash, PluginError
from leadforge_core.memory import without_huge_page_advice
from leadforge_core.plugins import PluginHost, get_host, plugin_code
from leadforge_core.scheme import Scheme
from leadforge_core.validation import artifact, exposure, features, probes, tasks
from leadforge_core.validation.checks import PluginCheck, Selection, collect
from leadforge_core.validation.findings import Check, Finding, Report
from leadforge_core.validation.view import BundleReadError, BundleView

__all__ = ["validate_bundle"]


#: Checks run concurrently on at most this many threads (they only read the bundle; the
#: heavy ones spend their time in polars and numpy, which release the GIL).
MAX_THREADS = 2


def _run(report: Report, name: str, check: Callable[[], Iterable[Finding]]) -> None:
    report.checks_run.append(name)
    report.findings.extend(_findings(name, check))


def _findings(name: str, check: Callable[[], Iterable[Finding]]) -> list[Finding]:
    """What ``check`` finds; a core check that cannot read the bundle, or crashes, is a
    finding about it. A plugin's crash (:class:`PluginCrash`) propagates."""
    try:
        return list(check())
    except BundleReadError as exc:
        return [Finding(name, exc.message, exc.location)]
    except PluginCrash:
        raise
    except Exception as exc:  # a core check must never take validation down
        return [Finding(name, f"check could not run: {type(exc).__name__}: {exc}")]


def _run_all(
    report: Report, planned: Sequence[tuple[str, Callable[[], Iterable[Finding]]]]
) -> None:
    """Run the independent checks ``planned`` on a small thread pool; the report lists them
    and their findings in the planned order whatever order they finish in, and the first
    plugin crash in that order is raised once every started check has ended."""
    threads = min(MAX_THREADS, os.cpu_count() or 1, len(planned))
    if threads <= 1:
        for name, thunk in planned:
            _run(report, name, thunk)
        return
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="leadforge-check")
    try:
        futures = [pool.submit(_findings, name, thunk) for name, thunk in planned]
        for (name, _), future in zip(planned, futures, strict=True):
            found = future.result()
            report.checks_run.append(name)
            report.findings.extend(found)
    finally:  # on a crash or an interrupt, checks not yet started do not start
        pool.shutdown(wait=True, cancel_futures=True)


def _plugins_entries(view: BundleView) -> list[dict[str, Any]]:
    generator = view.manifest.get("generator")
    entries = generator.get("plugins") if isinstance(generator, dict) else None
    return [e for e in entries or [] if isinstance(e, dict)]


def scheme_lineage(view: BundleView) -> list[str]:
    """The bundle's scheme, then the schemes it derives from (nearest first), as its
    manifest's ``generator.plugins`` records them."""
    names = [view.scheme]
    for entry in _plugins_entries(view):
        base = entry.get("base_scheme")
        if isinstance(base, str) and base and base not in names:
            names.append(base)
    return names


def _origin(view: BundleView, scheme: str) -> str:
    """``scheme X from distribution Y 1.2`` as far as the manifest says."""
    for entry in _plugins_entries(view):
        if scheme in (entry.get("scheme"), entry.get("base_scheme")):
            return f"scheme {scheme} from distribution {entry.get('distribution')} {entry.get('version')}"
    generator = view.manifest.get("generator")
    plugin = generator.get("plugin") if isinstance(generator, dict) else None
    if scheme == view.scheme and isinstance(plugin, dict):
        return f"scheme {scheme} from distribution {plugin.get('distribution')} {plugin.get('version')}"
    return f"scheme {scheme}"


def _absent_contributors(
    view: BundleView, host: PluginHost, missing: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Plugins the manifest records as contributors (task features, base schemes) that are
    not installed: whatever checks they register cannot run. A missing scheme plugin is
    already reported through ``missing``."""
    installed = {r.distribution for r in host.records}
    reported = {reason for _, reason in missing}
    out: list[tuple[str, str]] = []
    for entry in _plugins_entries(view):
        dist, name = entry.get("distribution"), entry.get("entry_point")
        if not isinstance(dist, str) or dist in installed or not isinstance(name, str):
            continue
        roles = [r for r in ("scheme", "base_scheme", "task_features") if r in entry]
        if any(str(entry.get(r)) in text for r in ("scheme", "base_scheme") for text in reported):
            continue
        what = ", ".join(
            f"task features {', '.join(map(str, entry['task_features']))}"
            if r == "task_features"
            else f"{r.replace('_', ' ')} {entry[r]}"
            for r in roles
        )
        out.append(
            (
                f"{name}.*",
                f"plugin {name} (distribution {dist} {entry.get('version')}), which contributed "
                f"{what or 'to this bundle'}, is not installed: its checks were not run",
            )
        )
    return out


@without_huge_page_advice()
def validate_bundle(
    path: str | Path,
    host: PluginHost | None = None,
    preload: dict[str, pl.DataFrame] | None = None,
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> Report:
    """Validate the bundle at ``path`` with core checks, its scheme's checks and every
    plugin's registered checks (``leadforge_register_checks``).

    Args:
        path: the bundle folder.
        host: the plugin host (default: the process-wide one).
        preload: see :class:`BundleView`; used by ``generate`` for the frames it just wrote.
        select: run only checks matching these patterns (see
            :class:`~leadforge_core.validation.checks.Selection`).
        ignore: skip checks matching these patterns.

    Returns:
        The report: checks run, checks skipped (with the reason: deselected, or the plugin
        that would provide them is not installed) and findings.

    Raises:
        BundleIOError: no such folder.
        ConfigError: a ``select`` pattern matches no check.
        PluginCrash: a plugin's check (or hook) raised.
    """
    root = Path(path)
    if not root.exists():
        raise BundleIOError(f"bundle not found: {root}")
    if not root.is_dir():
        raise BundleIOError(f"not a bundle folder: {root}")
    host = host or get_host()
    selection = Selection(tuple(select), tuple(ignore))
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
    planned: list[tuple[str, Callable[[], Iterable[Finding]]]] = [
        ("files", lambda: artifact.files_and_hashes(view)),
        ("parquet", lambda: artifact.parquet_contents(view)),
    ]
    skipped: list[tuple[str, str]] = []
    lineage = scheme_lineage(view)
    scheme: Scheme | None = None
    missing: list[tuple[str, str]] = []
    for name in lineage:
        try:
            scheme_cls, record = host.scheme(name)
        except PluginCrash:
            raise
        except PluginError as exc:
            text = str(exc) if name in host.conflicts else f"{_origin(view, name)} is not installed"
            missing.append((name, text))
            continue
        with plugin_code(record, "scheme setup"):
            scheme = scheme_cls()
        break
    scheme_names = ("schema", "keys", "timestamps", "exposure")
    if scheme is not None:
        with plugin_code(scheme, "table_specs"):
            specs: dict[str, TableSpec] = {s.name: s for s in scheme.table_specs()}
        policy = scheme.exposure
        planned += [
            ("schema", lambda: artifact.declared_schemas(view, specs, policy.redact_columns)),
            ("keys", lambda: artifact.keys(view, specs)),
            ("timestamps", lambda: artifact.timestamps(view, specs)),
            ("exposure", lambda: exposure.public_exposure(view, policy)),
        ]
    else:
        skipped += [(n, "; ".join(r for _, r in missing)) for n in scheme_names]
    planned += [
        ("tasks", lambda: tasks.task_checks(view)),
        ("features", lambda: features.feature_checks(view)),
        ("leakage", lambda: probes.feature_leakage("leakage")(view)),
    ]
    skipped += [(f"checks of scheme {name}", reason) for name, reason in missing]
    if scheme is not None:
        with plugin_code(scheme, "checks"):
            scheme_checks = list(scheme.checks())
        for check in scheme_checks:
            name = getattr(check, "__name__", "scheme_check")
            planned.append(
                (f"{scheme.name}.{name}", partial(_scheme_check, scheme, name, check, view))
            )
    for pc in collect(host, lineage):
        planned.append((pc.full_name, partial(_plugin_check, pc, view)))
    skipped += _absent_contributors(view, host, missing)
    selection.check_patterns(["manifest", *(name for name, _ in planned)])
    chosen: list[tuple[str, Callable[[], Iterable[Finding]]]] = []
    for name, thunk in planned:
        reason = selection.skip_reason(name)
        if reason is not None:
            skipped.append((name, reason))
        else:
            chosen.append((name, thunk))
    _run_all(report, chosen)
    report.checks_skipped = skipped
    return report


def _scheme_check(scheme: Scheme, name: str, check: Check, view: BundleView) -> list[Finding]:
    """Run one of a scheme's checks to the end; a crash in it is its plugin's crash."""
    with plugin_code(scheme, f"checks ({name})", expected=(BundleReadError,)):
        return list(check(view))


def _plugin_check(pc: PluginCheck, view: BundleView) -> list[Finding]:
    """Run one registered check to the end; a crash in it is its plugin's crash."""
    with plugin_code(pc.plugin, f"checks ({pc.full_name})", expected=(BundleReadError,)):
        return list(pc.check.fn(view))
