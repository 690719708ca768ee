"""``leadforge list-recipes`` and ``leadforge plugins``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from leadforge_core.cli.output import emit_json, err, out
from leadforge_core.plugins import get_host
from leadforge_core.recipes.registry import RecipeCatalog

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def list_recipes_cmd(json_: JsonFlag = False) -> None:
    """List every recipe you can pass to --recipe, with its scheme, task, modes and plugin."""
    catalog = RecipeCatalog(get_host())
    recipes = catalog.listing()
    for problem in catalog.problems:
        err.print(f"warning: {problem}", markup=False)
    if json_:
        emit_json({"recipes": recipes})
        return
    if not recipes:
        out.print("No recipes installed. Install a scheme plugin such as leadforge-lead-scoring.")
        return
    table = Table(title="leadforge recipes")
    for col in ("id", "scheme", "title", "primary task", "modes", "difficulties", "plugin"):
        table.add_column(col, no_wrap=col in ("id", "scheme", "primary task"))
    for r in recipes:
        table.add_row(
            r["id"],
            str(r["scheme"]),
            str(r["title"]),
            str(r["primary_task"]),
            ", ".join(map(str, r["modes"])),
            ", ".join(map(str, r["difficulties"])),
            str(r["plugin"]),
        )
    out.print(table)


def plugins_cmd(json_: JsonFlag = False) -> None:
    """Show installed plugins: distribution, version, the hooks each implements, and the
    schemes, recipes, exporters and commands it registered (and any errors)."""
    host = get_host()
    RecipeCatalog(host).files()  # attributes recipes to their plugins
    records = [r.to_dict() for r in host.records]
    if json_:
        emit_json({"plugins": records})
        return
    if not records:
        out.print("No leadforge plugins installed.")
        return
    table = Table(title="leadforge plugins")
    for col in (
        "plugin",
        "distribution",
        "version",
        "status",
        "schemes",
        "recipes",
        "exporters",
        "commands",
        "hooks",
        "errors",
    ):
        table.add_column(col)
    for r in records:
        table.add_row(
            r["name"],
            r["distribution"],
            r["version"],
            r["status"],
            ", ".join(r["schemes"]) or "—",
            ", ".join(r["recipes"]) or "—",
            ", ".join(r["exporters"]) or "—",
            ", ".join(r["commands"]) or "—",
            ", ".join(h.removeprefix("leadforge_") for h in r["hooks"]) or "—",
            "; ".join(r["errors"]) or "—",
        )
    out.print(table)
