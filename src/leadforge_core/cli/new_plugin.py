"""``leadforge new-plugin``: write the skeleton of a new plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadforge_core.cli.output import out
from leadforge_core.skeleton import new_plugin, plugin_names


def new_plugin_cmd(
    name: Annotated[str, typer.Argument(help="Plugin name: lowercase words joined by _ or -.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="recipe: a data-only vertical of lead scoring (extends: a shipped recipe); "
            "scheme: a small scheme of its own on the toolkit.",
        ),
    ] = "recipe",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to create (default ./leadforge-NAME); must be empty."),
    ] = None,
) -> None:
    """Write a working plugin skeleton: package, pyproject with the entry point, recipe,
    tests and README."""
    names = plugin_names(name)
    target = new_plugin(name, kind, out_dir)
    out.print(f"wrote the {kind} plugin {names['dist']} to {target}", markup=False)
    out.print(
        f"next: pip install -e '{target}[test]' && leadforge plugins && "
        f"leadforge generate --recipe {names['recipe_id']} --out bundles/demo && "
        f"pytest {target}",
        markup=False,
    )
