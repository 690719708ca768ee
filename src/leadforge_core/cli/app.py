"""Builds the Typer app and runs it with leadforge's error contract.

User errors (bad flags, config, recipes, paths) print ``error: <one line>`` per problem on
stderr and exit 2; a failed validation exits 1; a bug inside a plugin prints one line naming
the plugin and exits 3; Ctrl-C / SIGTERM exit 130 after cleaning up. ``--debug`` (or
``LEADFORGE_DEBUG=1``) adds the traceback of any of these; only bugs in the core show one
without it.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, Any

import typer
import typer.core

from leadforge_core import __version__
from leadforge_core.cli import bundle_cmds, catalog, evaluate_cmd, new_plugin, report_cmd
from leadforge_core.cli.export_cmd import make_export
from leadforge_core.cli.generate import make_generate
from leadforge_core.cli.output import error_line
from leadforge_core.commands import Command
from leadforge_core.errors import LeadforgeError
from leadforge_core.plugins import PluginHost, PluginRecord, get_host, plugin_code

#: Set by ``--debug`` for the current run (``LEADFORGE_DEBUG=1`` sets it for every run).
_debug = False


def debug_enabled() -> bool:
    """Whether errors should carry their traceback (``--debug`` or ``LEADFORGE_DEBUG``)."""
    env = os.environ.get("LEADFORGE_DEBUG", "").strip().lower()
    return _debug or env in {"1", "true", "yes", "on"}


def _set_debug(value: bool) -> None:
    global _debug
    _debug = _debug or value


def _version(value: bool) -> None:
    if value:
        print(f"leadforge-core {__version__}")
        raise typer.Exit()


def build_app(host: PluginHost) -> typer.Typer:
    """The Typer app of leadforge-core's own commands (plugin commands: :func:`build_cli`)."""
    app = typer.Typer(
        name="leadforge",
        help="Simulate a commercial world and render the CRM datasets it would have recorded.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        version: Annotated[
            bool,
            typer.Option(
                "--version", callback=_version, is_eager=True, help="Show the version and exit."
            ),
        ] = False,
        debug: Annotated[
            bool,
            typer.Option(
                "--debug",
                callback=_set_debug,
                is_eager=True,
                help="Print the traceback of an error (also LEADFORGE_DEBUG=1).",
            ),
        ] = False,
    ) -> None:
        """leadforge: synthetic CRM and go-to-market datasets from simulated worlds."""

    app.command("list-recipes")(catalog.list_recipes_cmd)
    app.command("plugins")(catalog.plugins_cmd)
    app.command("generate")(make_generate(host))
    app.command("inspect")(bundle_cmds.inspect_cmd)
    app.command("validate")(bundle_cmds.validate_cmd)
    app.command("export")(make_export(host))
    app.command("evaluate")(evaluate_cmd.evaluate_cmd)
    app.command("report")(report_cmd.report_cmd)
    app.command("new-plugin")(new_plugin.new_plugin_cmd)
    return app


#: Typer's own ways of ending a command (``typer.Exit``, usage errors, Ctrl-C): not crashes.
_FLOW = (typer.Exit, typer.Abort, typer.TyperException)


def _plugin_command(command: Command) -> Any:
    """The command object of one plugin command (a Typer app stays a group of sub-commands,
    even with a single one)."""
    holder = typer.Typer(rich_markup_mode=None)
    if isinstance(command.target, typer.Typer):
        if command.help is None:
            holder.add_typer(command.target, name=command.name)
        else:
            holder.add_typer(command.target, name=command.name, help=command.help)
        holder.command("-")(lambda: None)  # a second entry keeps the holder a group
    else:
        holder.command(command.name, help=command.help)(command.target)
        holder.command("-")(lambda: None)
    group = typer.main.get_command(holder)
    return group.commands[command.name]  # type: ignore[attr-defined]


def _guard(cmd: Any, record: PluginRecord, name: str) -> None:
    """Run ``cmd`` (and, for a group, its sub-commands) inside the plugin's error boundary."""
    original = cmd.invoke

    def invoke(ctx: Any) -> Any:
        with plugin_code(record, f"command {name}", expected=_FLOW):
            return original(ctx)

    cmd.invoke = invoke


def build_cli(host: PluginHost) -> typer.core.TyperGroup:
    """The whole ``leadforge`` command: the built-in commands plus every plugin command.

    A plugin command whose definition Typer cannot turn into a command (an unsupported
    parameter type, say) is skipped with one warning line; the rest of the CLI keeps working.
    """
    group = typer.main.get_command(build_app(host))
    assert isinstance(group, typer.core.TyperGroup)
    for name, (command, record) in sorted(host.commands.items()):
        if name in group.commands:  # a built-in added after the plugin registered
            host.warn(f"{record.label} command '{name}' clashes with a built-in command; skipped")
            continue
        try:
            cmd = _plugin_command(command)
        except Exception as exc:
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            host.warn(f"{record.label} command '{name}' is not a valid Typer command: {detail}")
            continue
        cmd.name = name
        _guard(cmd, record, name)
        group.add_command(cmd, name)
    return group


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting (used by tests)."""
    global _debug
    _debug = False
    try:
        host = get_host()
        command = build_cli(host)
        result = command.main(
            args=list(argv) if argv is not None else None,
            prog_name="leadforge",
            standalone_mode=False,
        )
        if result == 130:  # typer turns Ctrl-C / SIGTERM into a silent exit code 130
            error_line("interrupted; nothing was written")
        return int(result) if isinstance(result, int) else 0
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: bad option, bad value, missing option
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `leadforge`: show help, not an error
            print(exc.format_message())
            return 0
        error_line(exc.format_message())
        return int(exc.exit_code)
    except LeadforgeError as exc:
        if debug_enabled():
            traceback.print_exception(exc, file=sys.stderr)
        for line in exc.lines or [type(exc).__name__]:
            error_line(line)
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        error_line("interrupted; nothing was written")
        return 130
    except BrokenPipeError:
        return 0


def main() -> None:
    sys.exit(run())
