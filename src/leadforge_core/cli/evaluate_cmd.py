"""``leadforge evaluate``: baselines, leakage audit and difficulty verdict of a bundle."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from leadforge_core.cli.output import emit_json, out
from leadforge_core.errors import BundleIOError
from leadforge_core.evaluate.sample import DEFAULT_MAX_FIT_ROWS

BundleArg = Annotated[Path, typer.Argument(help="Bundle folder written by `leadforge generate`.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Also write evaluation.json and evaluation.md into this folder (created if "
        "missing; existing files of those names are replaced). Default: write nothing.",
    ),
]

MaxFitRowsOpt = Annotated[
    int,
    typer.Option(
        "--max-fit-rows",
        min=0,
        metavar="N",
        help="Fit each task's models on at most N train + valid rows: a larger task is fitted "
        "on a fixed sample of N rows, stratified by target and seeded from the bundle's seed "
        "and the task name (scores still use the whole test split). 0 fits on every row.",
    ),
]


def _check_writable(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise BundleIOError(f"--out is not a folder: {folder}")
    parent = folder if folder.exists() else folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise BundleIOError(f"--out is not writable: {folder}")


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def evaluate_cmd(
    bundle: BundleArg,
    json_: JsonFlag = False,
    out_dir: OutOpt = None,
    max_fit_rows: MaxFitRowsOpt = DEFAULT_MAX_FIT_ROWS,
) -> None:
    """Measure how hard a bundle is: baselines per task (with and without the leakage traps),
    a leakage audit, the oracle ceiling (instructor bundles with per-row truth) and a verdict
    against the recipe's difficulty bands. Needs the `evaluate` extra (scikit-learn)."""
    from leadforge_core.evaluate import evaluate_bundle
    from leadforge_core.evaluate.render import print_report, to_markdown

    if out_dir is not None:
        _check_writable(out_dir)
    report = evaluate_bundle(bundle, max_fit_rows=max_fit_rows)
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            _write_atomic(
                out_dir / "evaluation.json", json.dumps(report, indent=2, sort_keys=True) + "\n"
            )
            _write_atomic(out_dir / "evaluation.md", to_markdown(report) + "\n")
        except OSError as exc:
            raise BundleIOError(f"cannot write to {out_dir}: {exc.strerror}") from None
    if json_:
        emit_json(report)
    else:
        print_report(report, out)
