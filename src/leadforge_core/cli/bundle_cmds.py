"""``leadforge inspect`` and ``leadforge validate``: read a bundle folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from leadforge_core.cli.output import emit_json, out
from leadforge_core.errors import BundleIOError, PluginError, ValidationFailed
from leadforge_core.plugins import get_host, plugin_code
from leadforge_core.validation.runner import validate_bundle
from leadforge_core.validation.view import BundleReadError, BundleView

_SPLIT_ORDER = {"train": 0, "valid": 1, "test": 2}
BundleArg = Annotated[Path, typer.Argument(help="Bundle folder written by `leadforge generate`.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def summarize(path: Path) -> dict[str, Any]:
    """Scheme-aware summary of a bundle (raises BundleIOError when unreadable)."""
    if not path.is_dir():
        raise BundleIOError(f"not a bundle folder: {path}")
    view = BundleView(path)
    try:
        m = view.manifest
        summary: dict[str, Any] = {
            "bundle": str(path),
            "scheme": m.get("scheme"),
            "recipe": m.get("recipe"),
            "versions": m.get("generator"),
            "seed": m.get("seed"),
            "exposure_mode": m.get("exposure_mode"),
            "difficulty": m.get("difficulty"),
            "generated_at": m.get("generated_at"),
            "tables": {
                n: {"rows": e.get("rows"), "columns": len(e.get("columns", []))}
                for n, e in m.get("tables", {}).items()
            },
            "tasks": {},
            "exposure": {"mode": m.get("exposure_mode"), "redactions": m.get("redactions", [])},
        }
        for task in view.task_names():
            tm = view.task_manifest(task)
            summary["tasks"][task] = {
                "task_type": tm.get("task_type"),
                "targets": tm.get("targets"),
                "splits": tm.get("splits"),
            }
    except BundleReadError as exc:
        raise BundleIOError(f"cannot inspect {path}: {exc}") from None
    try:
        scheme_cls, record = get_host().scheme(str(m.get("scheme")))
    except PluginError as exc:
        summary["scheme_summary"] = {"unavailable": str(exc)}
        return summary
    try:
        with plugin_code(record, "scheme setup"):
            scheme = scheme_cls()
        with plugin_code(record, "inspect_summary", expected=(BundleReadError,)):
            summary["scheme_summary"] = scheme.inspect_summary(view)
    except BundleReadError as exc:
        summary["scheme_summary"] = {"unavailable": str(exc)}
    return summary


def inspect_cmd(bundle: BundleArg, json_: JsonFlag = False) -> None:
    """Summarize a bundle: recipe, versions, seed, mode, tables, tasks and exposure."""
    s = summarize(bundle)
    if json_:
        emit_json(s)
        return
    recipe = s["recipe"] or {}
    out.print(
        f"[bold]{bundle}[/]  scheme {s['scheme']}  recipe {recipe.get('id')}  seed {s['seed']}"
    )
    out.print(
        f"mode {s['exposure_mode']}  difficulty {s['difficulty']}  generated {s['generated_at']}"
    )
    table = Table(title="tables")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("columns", justify="right")
    for name, t in s["tables"].items():
        table.add_row(name, f"{t['rows']:,}", str(t["columns"]))
    out.print(table)
    tasks = Table(title="tasks")
    for col in ("task", "type", "split", "rows", "target"):
        tasks.add_column(col)
    for name, t in s["tasks"].items():
        splits = t["splits"] or {}
        for split, st in sorted(splits.items(), key=lambda kv: _SPLIT_ORDER.get(kv[0], 9)):
            if "prevalence" in st:
                target = f"prevalence {st['prevalence']}"
            elif "mean" in st:
                target = f"mean {st['mean']:,.1f} zero-share {st['zero_share']}"
            else:
                target = ""
            tasks.add_row(name, str(t["task_type"]), split, f"{st['rows']:,}", target)
    out.print(tasks)
    if s["exposure"]["redactions"]:
        out.print("withheld: " + "; ".join(s["exposure"]["redactions"]))
    for key, value in (s.get("scheme_summary") or {}).items():
        out.print(f"{key}: {value}")


_DESELECTED = ("not selected by --select", "ignored by --ignore")
SelectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--select",
        help="Run only checks whose name matches (glob such as 'lead_scoring.*', or a prefix); "
        "repeatable.",
    ),
]
IgnoreOpt = Annotated[
    list[str] | None,
    typer.Option("--ignore", help="Skip checks whose name matches (glob or prefix); repeatable."),
]


def validate_cmd(
    bundle: BundleArg,
    json_: JsonFlag = False,
    select: SelectOpt = None,
    ignore: IgnoreOpt = None,
) -> None:
    """Check a bundle (files, hashes, schemas, keys, exposure, features, scheme rules and
    every plugin's registered checks).

    Exits 1 if any check finds a problem."""
    report = validate_bundle(bundle, select=select or (), ignore=ignore or ())
    if json_:
        emit_json(report.to_dict())
    else:
        if report.ok:
            out.print(f"ok: {bundle} passed {len(report.checks_run)} checks", markup=False)
        else:
            for finding in report.findings:
                out.print(f"FAIL {finding}", markup=False)
        deselected = [n for n, r in report.checks_skipped if r.startswith(_DESELECTED)]
        if deselected:
            out.print(f"skipped {len(deselected)} check(s) by --select/--ignore", markup=False)
        for name, reason in report.checks_skipped:
            if not reason.startswith(_DESELECTED):
                out.print(f"skipped {name}: {reason}", markup=False)
        if not report.ok:
            out.print(f"{len(report.findings)} problem(s) in {bundle}", markup=False)
    if not report.ok:
        raise ValidationFailed(f"{len(report.findings)} problem(s) found in {bundle}")
