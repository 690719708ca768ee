"""``export()``: open a bundle read-only, check it, and write one format atomically."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from leadforge_core.bundle import layout
from leadforge_core.bundle.writer import staging
from leadforge_core.errors import BundleIOError, ExportError, PluginError, ValidationFailed
from leadforge_core.exporters.base import Exporter, ExportSource
from leadforge_core.memory import without_huge_page_advice
from leadforge_core.plugins import PluginHost, PluginRecord, get_host, plugin_code
from leadforge_core.validation import artifact
from leadforge_core.validation.view import BundleReadError, BundleView


@attrs.frozen
class ExportResult:
    """What :func:`export` wrote: the format, the source bundle, the folder and its files."""

    format: str
    bundle: str
    out: str
    exporter: str
    files: dict[str, int]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (used by ``leadforge export --json``)."""
        return attrs.asdict(self)


def open_bundle(path: str | Path, host: PluginHost | None = None) -> ExportSource:
    """Open the bundle at ``path`` for export after checking it is an intact leadforge bundle.

    Raises :class:`~leadforge_core.errors.BundleIOError` when the folder is missing, is not a
    leadforge bundle, or any file differs from its manifest entry (size, sha256, presence).
    """
    root = Path(path)
    if not root.exists():
        raise BundleIOError(f"bundle not found: {root}")
    if not root.is_dir():
        raise BundleIOError(f"not a bundle folder: {root}")
    if not (root / layout.MANIFEST).is_file():
        raise BundleIOError(f"{root} is not a leadforge bundle (no {layout.MANIFEST})")
    view = BundleView(root)
    try:
        manifest = view.manifest
        if "bundle_schema_version" not in manifest or "scheme" not in manifest:
            raise BundleIOError(f"{root} is not a leadforge bundle ({layout.MANIFEST} is not one)")
        _ = view.mode
        findings = [*artifact.manifest_shape(view)]
        if not findings:
            findings = [*artifact.files_and_hashes(view)]
    except BundleReadError as exc:
        raise BundleIOError(f"{root} is not a readable leadforge bundle: {exc}") from None
    if findings:
        more = f" and {len(findings) - 1} more problem(s)" if len(findings) > 1 else ""
        raise BundleIOError(
            f"{root} is corrupt: {findings[0]}{more}; `leadforge validate {root}` lists them"
        )
    host = host or get_host()
    try:
        scheme_cls, record = host.scheme(view.scheme)
    except PluginError:
        return ExportSource(view)
    with plugin_code(record, "scheme setup"):
        scheme = scheme_cls()
    with plugin_code(scheme, "table_specs"):
        specs = {s.name: s for s in scheme.table_specs()}
    return ExportSource(view, table_specs=specs, exposure=scheme.exposure)


def _check_overlap(bundle: Path, out: Path) -> None:
    b, o = bundle.resolve(), out.resolve()
    if o == b or b in o.parents or o in b.parents:
        raise BundleIOError(f"--out {out} overlaps the bundle {bundle}; choose another folder")


def _run(exporter: Exporter, record: PluginRecord, source: ExportSource, tmp: Path) -> None:
    expected = (BundleReadError, OSError, ModuleNotFoundError)
    try:
        with plugin_code(record, f"export format '{exporter.name}'", expected=expected):
            exporter.write(source, tmp)
    except BundleReadError as exc:
        raise BundleIOError(f"cannot export {source.path}: {exc}") from None
    except OSError as exc:
        raise BundleIOError(f"cannot write the export: {exc.strerror or exc}") from None
    except ModuleNotFoundError as exc:
        exporter.check_requirements()
        raise ExportError(f"format '{exporter.name}' needs {exc.name}: pip install it") from None


@without_huge_page_advice()
def export(
    bundle: str | Path,
    fmt: str,
    out: str | Path,
    *,
    force: bool = False,
    options: Mapping[str, str] | None = None,
    validate: bool = False,
    host: PluginHost | None = None,
) -> ExportResult:
    """Export the bundle folder ``bundle`` as format ``fmt`` into the folder ``out``.

    Args:
        bundle: a folder written by ``leadforge generate`` / ``WorldBundle.save``.
        fmt: an export format name (``csv``, ``duckdb``, ``hf``, ``kaggle``, ``teaching-csv``
            or one registered by a plugin).
        out: destination folder; it must be absent or empty unless ``force``, which replaces
            it whole. The export is written to a temporary sibling folder and renamed into
            place, so an interrupted or failed export leaves nothing at ``out``.
        force: replace a non-empty ``out``.
        options: format options (``{"license": "cc-by-4.0"}``); unknown keys are errors.
        validate: run every validation check first and raise
            :class:`~leadforge_core.errors.ValidationFailed` (exit 1) if one fails. Without
            it the bundle's files are still checked against their manifest hashes.
        host: plugin host to use (default: the process-wide one).

    Returns:
        An :class:`ExportResult` listing the files written and their sizes.

    Raises:
        PluginError: unknown format (the message lists the known ones).
        PluginCrash: the exporter raised an unexpected exception (a bug in its plugin,
            exit code 3).
        ExportError: bad option, missing optional dependency, or the format refused the
            bundle.
        BundleIOError: the bundle is missing, not a leadforge bundle or corrupt, or ``out``
            is refused.
    """
    started = time.perf_counter()
    host = host or get_host()
    cls, record = host.exporter(fmt)
    with plugin_code(record, f"export format '{fmt}'"):
        exporter = cls(options)
        exporter.check_requirements()
    bundle, out = Path(bundle), Path(out)
    source = open_bundle(bundle, host)
    _check_overlap(bundle, out)
    if validate:
        from leadforge_core.validation.runner import validate_bundle

        report = validate_bundle(bundle, host)
        if not report.ok:
            raise ValidationFailed(
                f"{bundle} failed validation with {len(report.findings)} problem(s) "
                f"(first: {report.findings[0]}); nothing was exported"
            )
    with staging(out, force) as tmp:
        _run(exporter, record, source, tmp)
        files = {
            p.relative_to(tmp).as_posix(): p.stat().st_size
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
    return ExportResult(
        format=fmt,
        bundle=str(bundle),
        out=str(out),
        exporter=record.distribution,
        files=files,
        seconds=round(time.perf_counter() - started, 3),
    )
