"""``leadforge generate``: resolve, simulate, write atomically, validate."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from leadforge_core.bundle.space import check_space, estimate_bytes
from leadforge_core.bundle.writer import check_destination, sigterm_as_interrupt
from leadforge_core.cli import output
from leadforge_core.cli.progress import RichProgress
from leadforge_core.errors import ConfigError, ValidationFailed
from leadforge_core.executors import DASK_ADDRESS_ENV, make_executor
from leadforge_core.exposure import ExposureMode
from leadforge_core.memory import PeakMemory
from leadforge_core.pipeline import execute, plan
from leadforge_core.plugins import PluginHost
from leadforge_core.progress import NullProgress, PhaseClock
from leadforge_core.scheme import SizeFlag
from leadforge_core.validation.runner import validate_bundle

P = inspect.Parameter
_METAVARS = {
    "--recipe": "ID|PATH",
    "--out": "DIR",
    "--seed": "N",
    "--difficulty": "NAME",
    "--override": "FILE",
    "--set": "KEY=VALUE",
    "--motif": "NAME",
    "--timestamp": "TIME",
    "--workers": "N",
    "--dask": "ADDRESS",
}


def _opt(annotation: Any, default: Any, *names: str, help: str, **kw: Any) -> Any:
    metavar = _METAVARS.get(names[0])
    if metavar is not None:
        kw["metavar"] = metavar
    return Annotated[annotation, typer.Option(*names, help=help, show_default=True, **kw)], default


CORE_OPTIONS: list[tuple[str, Any, Any]] = [
    (
        "recipe",
        *_opt(
            str,
            ...,
            "--recipe",
            "-r",
            help="Recipe id (see `leadforge list-recipes`) or path to a recipe YAML file.",
        ),
    ),
    (
        "out",
        *_opt(
            Path, ..., "--out", "-o", help="Output folder; must be empty or absent unless --force."
        ),
    ),
    (
        "seed",
        *_opt(
            int | None,
            None,
            "--seed",
            help="Root random seed (>= 0). Default: the recipe's, else 42.",
            min=0,
        ),
    ),
    (
        "mode",
        *_opt(
            ExposureMode | None,
            None,
            "--mode",
            help="Exposure mode. Default: the recipe's, else student_public.",
        ),
    ),
    (
        "difficulty",
        *_opt(
            str | None,
            None,
            "--difficulty",
            help="Difficulty profile (intro, intermediate, advanced). Default: the recipe's.",
        ),
    ),
    ("force", *_opt(bool, False, "--force", help="Replace a non-empty --out folder whole.")),
    (
        "override",
        *_opt(
            Path | None,
            None,
            "--override",
            help="YAML file of settings (seed, mode, difficulty, params) over the recipe.",
        ),
    ),
    (
        "set_",
        *_opt(
            list[str] | None,
            None,
            "--set",
            help="Set a scheme parameter, e.g. --set snapshot_day=21 (repeatable).",
        ),
    ),
    (
        "motif",
        *_opt(
            str | None,
            None,
            "--motif",
            help="Hidden-structure motif family. Default: sampled per world.",
        ),
    ),
    (
        "timestamp",
        *_opt(
            str | None,
            None,
            "--timestamp",
            help="Pin the generation timestamp (ISO 8601 or epoch seconds); default SOURCE_DATE_EPOCH, else now.",
        ),
    ),
    (
        "json_",
        *_opt(bool, False, "--json", help="Print one JSON object with the result on stdout."),
    ),
    ("quiet", *_opt(bool, False, "--quiet", "-q", help="No progress display.")),
    (
        "workers",
        *_opt(
            int,
            1,
            "--workers",
            "-w",
            help="Worker processes running the blocks of entities (output is identical for any N).",
            min=1,
        ),
    ),
    (
        "dask",
        *_opt(
            str | None,
            None,
            "--dask",
            help="Run the blocks on a Dask cluster: scheduler address (tcp://host:8786); needs leadforge-core[dask].",
            envvar=DASK_ADDRESS_ENV,
            show_envvar=True,
        ),
    ),
]


def size_flags(host: PluginHost) -> dict[str, tuple[SizeFlag, list[str]]]:
    """Size flags offered by installed schemes: option name → (flag, schemes offering it)."""
    found: dict[str, tuple[SizeFlag, list[str]]] = {}
    for name, (cls, _) in sorted(host.schemes.items()):
        for flag in cls.size_flags:
            found.setdefault(flag.option, (flag, []))[1].append(name)
    return found


def make_generate(host: PluginHost) -> Callable[..., None]:
    flags = size_flags(host)

    def generate(**kwargs: Any) -> None:
        sizes = {k: kwargs.pop(k) for k in list(kwargs) if k in flags}
        run_generate(host, sizes=sizes, **kwargs)

    params = [
        P(name, P.KEYWORD_ONLY, annotation=ann, default=default)
        for name, ann, default in CORE_OPTIONS
    ]
    for option, (flag, schemes) in flags.items():
        cli = "--" + option.replace("_", "-")
        help_text = f"{flag.help} [scheme: {', '.join(schemes)}]"
        ann = Annotated[
            int | None, typer.Option(cli, help=help_text, show_default=False, metavar="N")
        ]
        params.append(P(option, P.KEYWORD_ONLY, annotation=ann, default=None))
    generate.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    generate.__doc__ = (
        "Generate a bundle: simulate a world from a recipe and write tables, tasks, dataset card "
        "and metadata to --out. Precedence: flags > --set > --override file > recipe > scheme defaults."
    )
    return generate


def run_generate(
    host: PluginHost,
    *,
    recipe: str,
    out: Path,
    seed: int | None,
    mode: ExposureMode | None,
    difficulty: str | None,
    force: bool,
    override: Path | None,
    set_: list[str] | None,
    motif: str | None,
    timestamp: str | None,
    json_: bool,
    quiet: bool,
    sizes: dict[str, int | None],
    workers: int = 1,
    dask: str | None = None,
) -> None:
    started = time.perf_counter()
    given = {k: v for k, v in sizes.items() if v is not None}
    for key, value in given.items():
        if value <= 0:
            raise ConfigError(f"--{key.replace('_', '-')}: must be a positive integer, got {value}")
    p = plan(
        recipe,
        host=host,
        override=override,
        sets=set_ or (),
        seed=seed,
        mode=mode,
        difficulty=difficulty,
        motif=motif,
        params=given,
    )
    # Before any simulation work: a usable destination with room for the bundle.
    check_destination(out, force)
    estimated = estimate_bytes(p.scheme.bytes_per_unit, p.config.params)
    check_space(out, estimated)
    report = None
    # The tree's memory is sampled only for --json, the one place that reports it.
    tracker = PeakMemory(sample=json_)
    with sigterm_as_interrupt(), tracker as peak, make_executor(workers, dask) as executor:
        display = RichProgress(output.err) if not quiet and not json_ else None
        progress = PhaseClock(display if display is not None else NullProgress())
        if display is not None:
            display.__enter__()
        try:
            bundle = execute(p, progress=progress, timestamp=timestamp, executor=executor)

            def check(tmp: Path) -> None:
                nonlocal report
                progress.phase("validation")
                report = validate_bundle(tmp, host, preload=bundle.frames_by_file())
                progress.end_phase("validation")

            bundle.save(out, force=force, before_publish=check, progress=progress)
        finally:
            if display is not None:
                display.__exit__(None, None, None)
    assert report is not None
    # validation ran on the staging folder; report the final location
    findings = [str(f) for f in report.findings]
    tables = {n: f.height for n, f in bundle.tables.items()}
    task_rows = {
        t: {s: f.height for s, f in task.splits.items()} for t, task in bundle.tasks.items()
    }
    result = {
        "bundle": str(out),
        "scheme": p.scheme.name,
        "recipe": p.recipe.id,
        "seed": p.config.seed,
        "exposure_mode": str(p.config.mode),
        "difficulty": p.config.difficulty,
        "tables": tables,
        "tasks": task_rows,
        "validation": {"ok": report.ok, "findings": findings},
        "seconds": round(time.perf_counter() - started, 3),
        "phases": {name: round(sec, 3) for name, sec in progress.seconds.items()},
        "peak_memory": peak.report(),
        "written": written_summary(out, tables, task_rows),
        "estimated_bytes": estimated,
    }
    if json_:
        output.emit_json(result)
    else:
        rows = ", ".join(f"{n} {h:,}" for n, h in tables.items())
        output.out.print(
            f"wrote {out} ({p.scheme.name} / {p.recipe.id}, seed {p.config.seed}, {p.config.mode}, {p.config.difficulty})",
            markup=False,
        )
        output.out.print(f"tables: {rows}", markup=False)
        for t, splits in task_rows.items():
            output.out.print(
                f"task {t}: " + ", ".join(f"{s} {h:,}" for s, h in splits.items()), markup=False
            )
        output.out.print(
            "validation: ok" if report.ok else f"validation: {len(findings)} problem(s)",
            markup=False,
        )
        for f in findings:
            output.out.print(f"  FAIL {f}", markup=False)
    if not report.ok:
        raise ValidationFailed(
            f"bundle written to {out} but validation found {len(findings)} problem(s)"
        )


def written_summary(
    out: Path, tables: dict[str, int], task_rows: dict[str, dict[str, int]]
) -> dict[str, int]:
    """Rows (tables plus task splits) and bytes and files on disk of the written bundle."""
    files = [f for f in Path(out).rglob("*") if f.is_file()]
    return {
        "rows": sum(tables.values()) + sum(sum(s.values()) for s in task_rows.values()),
        "bytes": sum(f.stat().st_size for f in files),
        "files": len(files),
    }
