"""CLI commands contributed by plugins through ``leadforge_register_commands``.

A plugin returns :class:`Command` objects; each becomes ``leadforge NAME``. The target is
either a function (turned into one Typer command, its parameters annotated as usual) or a
whole :class:`typer.Typer` sub-app (``leadforge NAME SUBCOMMAND``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs
import typer

__all__ = ["BUILTIN_COMMANDS", "COMMAND_NAME", "Command"]

#: Commands of leadforge-core itself; a plugin command with one of these names is skipped.
BUILTIN_COMMANDS = (
    "list-recipes",
    "plugins",
    "generate",
    "inspect",
    "validate",
    "export",
    "evaluate",
    "report",
    "new-plugin",
)

#: What a command name looks like: lowercase words joined by hyphens (``shop-stats``).
COMMAND_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@attrs.frozen
class Command:
    """A command a plugin adds to the ``leadforge`` CLI.

    Args:
        name: the command's name on the command line (lowercase words joined by hyphens,
            unique across leadforge-core and every installed plugin).
        target: a function whose parameters Typer turns into arguments and options, or a
            :class:`typer.Typer` app whose commands become sub-commands of ``name``.
        help: the one-line help shown by ``leadforge --help`` (default: the first line of
            the function's docstring, or the sub-app's own help).
    """

    name: str
    target: Callable[..., Any] | typer.Typer
    help: str | None = None
