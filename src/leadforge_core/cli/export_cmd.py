"""``leadforge export``: write a bundle in another format (CSV, DuckDB, Hugging Face, ...)."""

# Annotations are evaluated at definition time: the --format help is built per host.

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from leadforge_core.bundle.writer import sigterm_as_interrupt
from leadforge_core.cli.output import emit_json, out
from leadforge_core.errors import ConfigError
from leadforge_core.exporters.run import export
from leadforge_core.plugins import PluginHost


def parse_options(pairs: list[str] | None) -> dict[str, str]:
    """``["key=value", ...]`` → dict; a malformed pair is a ConfigError."""
    options: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--option {pair!r}: expected KEY=VALUE")
        options[key.strip()] = value
    return options


def make_export(host: PluginHost) -> Callable[..., None]:
    """The ``export`` command, its ``--format`` help listing the installed formats."""
    installed = sorted(host.exporters.items())
    formats = ", ".join(n for n, _ in installed) or "none installed"
    settings = "; ".join(
        f"{n}: {', '.join(f'{k} ({v})' for k, v in cls.option_help.items())}"
        for n, (cls, _) in installed
        if cls.option_help
    )

    def export_cmd(
        bundle: Annotated[
            Path, typer.Argument(help="Bundle folder written by `leadforge generate`.")
        ],
        format_: Annotated[
            str,
            typer.Option(
                "--format",
                "-f",
                metavar="FORMAT",
                help=f"Export format: {formats} (`leadforge plugins` shows who provides each).",
            ),
        ],
        out_: Annotated[
            Path,
            typer.Option(
                "--out",
                "-o",
                metavar="DIR",
                help="Output folder; must be empty or absent unless --force.",
            ),
        ],
        force: Annotated[
            bool, typer.Option("--force", help="Replace a non-empty --out folder whole.")
        ] = False,
        option: Annotated[
            list[str] | None,
            typer.Option(
                "--option",
                metavar="KEY=VALUE",
                help=f"Format option (repeatable). {settings or 'No format takes options.'}",
            ),
        ] = None,
        validate: Annotated[
            bool,
            typer.Option(
                "--validate", help="Run every validation check first; exit 1 if one fails."
            ),
        ] = False,
        json_: Annotated[
            bool, typer.Option("--json", help="Print one JSON object with the result on stdout.")
        ] = False,
    ) -> None:
        """Export a bundle as csv, duckdb, hf, kaggle, teaching-csv or a plugin's format.

        Written to a temporary sibling folder and renamed into place: an interrupted export
        leaves nothing at --out. The bundle's files are checked against its manifest first."""
        with sigterm_as_interrupt():
            result = export(
                bundle,
                format_,
                out_,
                force=force,
                options=parse_options(option),
                validate=validate,
                host=host,
            )
        if json_:
            emit_json(result.to_dict())
            return
        size = sum(result.files.values())
        out.print(
            f"exported {bundle} as {result.format} to {out_} "
            f"({len(result.files)} files, {size:,} bytes, {result.seconds:.1f} s)",
            markup=False,
        )

    return export_cmd
