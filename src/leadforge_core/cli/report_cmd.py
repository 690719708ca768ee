"""``leadforge report``: write one offline HTML page summarizing a bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leadforge_core.cli.evaluate_cmd import MaxFitRowsOpt
from leadforge_core.cli.output import emit_json, out
from leadforge_core.evaluate.sample import DEFAULT_MAX_FIT_ROWS
from leadforge_core.report.build import write_report


def report_cmd(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder written by `leadforge generate`.")],
    output: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path(
        "report.html"
    ),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    no_evaluate: Annotated[
        bool,
        typer.Option("--no-evaluate", help="Leave out baseline scores even when available."),
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
    max_fit_rows: MaxFitRowsOpt = DEFAULT_MAX_FIT_ROWS,
) -> None:
    """Write one self-contained HTML page (funnel, cohorts, targets, features, and for
    instructor bundles the hidden graph) that opens offline and prints cleanly."""
    result = write_report(
        bundle, output, force=force, evaluate=not no_evaluate, max_fit_rows=max_fit_rows
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if json_:
        emit_json(
            {
                "report": str(result.path),
                "bytes": result.bytes,
                "sections": result.sections,
                "figures": result.figures,
                "seconds": round(result.seconds, 3),
                "notes": list(result.notes),
            }
        )
        return
    out.print(
        f"wrote {result.path} ({result.bytes / 1024:,.0f} KiB, {result.sections} sections, "
        f"{result.figures} figures, {result.seconds:.1f} s)",
        markup=False,
    )
