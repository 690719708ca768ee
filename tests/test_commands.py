"""CLI commands contributed by plugins (``leadforge_register_commands``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Annotated

import pytest
import typer

from leadforge_core import Command, hookimpl
from leadforge_core.cli.app import build_app, run
from leadforge_core.commands import BUILTIN_COMMANDS
from leadforge_core.plugins import PluginHost, PluginRecord

TESTS = Path(__file__).parent


def _plugin(name: str, commands: list[object]) -> types.ModuleType:
    mod = types.ModuleType(name)

    @hookimpl
    def leadforge_register_commands() -> list[object]:
        return commands

    mod.leadforge_register_commands = leadforge_register_commands  # type: ignore[attr-defined]
    return mod


def shop_stats(
    bundle: Annotated[Path, typer.Argument(help="A bundle folder.")],
    top: Annotated[int, typer.Option(help="How many rows.")] = 3,
) -> None:
    """Print a few facts about a bundle."""
    print(f"stats of {bundle.name}: top {top}")


def _crash() -> None:
    """A command with a bug."""
    raise ZeroDivisionError("division by zero in the plugin")


def _exit_four() -> None:
    """Ends with its own exit code on purpose."""
    raise typer.Exit(code=4)


def _shop_app() -> typer.Typer:
    app = typer.Typer(help="Shop tools.")

    @app.command("hello")
    def hello(who: str = "world") -> None:
        """Say hello."""
        print(f"hello {who}")

    @app.command("explode")
    def explode() -> None:
        """Raise."""
        raise KeyError("missing")

    return app


@pytest.fixture
def shop_host(toy_host: PluginHost) -> PluginHost:
    commands = [
        Command("shop-stats", shop_stats),
        Command("shop", _shop_app()),
        Command("shop-crash", _crash),
        Command("shop-exit", _exit_four, help="exit with code 4"),
    ]
    toy_host.register(_plugin("shop", commands), PluginRecord("shop", "leadforge-shop", "1.2"))
    return toy_host


def test_hook_leadforge_register_commands(
    shop_host: PluginHost, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    record = shop_host.by_plugin_name["leadforge-shop:shop"]
    assert record.commands == ["shop-stats", "shop", "shop-crash", "shop-exit"]
    assert record.hooks == ["leadforge_register_commands"]
    assert run(["shop-stats", str(tmp_path / "demo"), "--top", "5"]) == 0
    assert capsys.readouterr().out == "stats of demo: top 5\n"
    assert run(["shop", "hello", "--who", "ana"]) == 0
    assert capsys.readouterr().out == "hello ana\n"


def test_plugin_commands_appear_in_help(
    shop_host: PluginHost, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--help"]) == 0
    text = capsys.readouterr().out
    for name in ("shop-stats", "shop", "shop-crash", "generate", "new-plugin"):
        assert f"  {name} " in text, name
    assert "Print a few facts about a bundle." in text and "exit with code 4" in text
    assert run(["shop", "--help"]) == 0
    assert "hello" in capsys.readouterr().out


def test_a_one_command_sub_app_stays_a_group(
    toy_host: PluginHost, capsys: pytest.CaptureFixture[str]
) -> None:
    app = typer.Typer(help="Single.")

    @app.command("only")
    def only() -> None:
        """The one sub-command."""
        print("only ran")

    toy_host.register(_plugin("one", [Command("one", app)]), PluginRecord("one", "d-one", "1"))
    assert run(["one", "only"]) == 0
    assert capsys.readouterr().out == "only ran\n"


@pytest.mark.parametrize("argv", [["shop-crash"], ["shop", "explode"]])
def test_a_crash_inside_a_command_is_the_plugins_bug(
    shop_host: PluginHost, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert run(argv) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: plugin 'shop' (distribution leadforge-shop 1.2) failed in ")
    assert f"command {argv[0]}" in err and "--debug" in err
    assert run(["--debug", *argv]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_exit_and_usage_errors_are_not_crashes(
    shop_host: PluginHost, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["shop-exit"]) == 4
    assert run(["shop-stats"]) == 2  # missing argument: a usage error, not a crash
    assert "plugin" not in capsys.readouterr().err


def test_a_built_in_name_is_skipped_with_one_warning(
    toy_host: PluginHost, warnings_seen: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    toy_host.register(
        _plugin("clash", [Command("generate", shop_stats), Command("clash-ok", shop_stats)]),
        PluginRecord("clash", "leadforge-clash", "0.3"),
    )
    assert warnings_seen == [
        "plugin 'clash' (distribution leadforge-clash 0.3) command 'generate' clashes with "
        "the built-in command of leadforge-core "
        f"{toy_host.by_plugin_name['leadforge-core:builtins'].version}; skipped"
    ]
    assert list(toy_host.commands) == ["clash-ok"]
    assert run(["generate", "--help"]) == 0  # the built-in one
    assert "--recipe" in capsys.readouterr().out


def test_two_plugins_with_one_name_name_both_distributions(
    toy_host: PluginHost, warnings_seen: list[str]
) -> None:
    toy_host.register(
        _plugin("a", [Command("tools", shop_stats)]), PluginRecord("a", "dist-a", "1")
    )
    toy_host.register(
        _plugin("b", [Command("tools", shop_stats)]), PluginRecord("b", "dist-b", "1")
    )
    assert warnings_seen == [
        "plugin 'b' (distribution dist-b 1) command 'tools' is registered by both dist-a and "
        "dist-b; skipped, uninstall one of them"
    ]
    assert "tools" not in toy_host.commands
    assert run(["tools", "x"]) == 2  # no such command: a usage error


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("not a command", "which is not a leadforge_core.Command"),
        (Command("Bad Name", shop_stats), "is not lowercase words joined by hyphens"),
        (Command("no-target", "text"), "has no function or Typer app"),  # type: ignore[arg-type]
    ],
)
def test_invalid_registrations_warn(
    toy_host: PluginHost, warnings_seen: list[str], item: object, message: str
) -> None:
    toy_host.register(_plugin("bad", [item]), PluginRecord("bad", "leadforge-bad", "1"))
    assert len(warnings_seen) == 1 and message in warnings_seen[0]
    assert "leadforge-bad" in warnings_seen[0] and toy_host.commands == {}


def test_a_command_typer_cannot_build_is_skipped(
    toy_host: PluginHost, warnings_seen: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    def weird(x: Annotated[int, typer.Option()] = typer.Option(1)) -> None:
        """Declares its option twice, which Typer refuses."""

    toy_host.register(
        _plugin("odd", [Command("weird", weird), Command("fine", shop_stats)]),
        PluginRecord("odd", "leadforge-odd", "1"),
    )
    assert run(["fine", "b"]) == 0
    assert capsys.readouterr().out == "stats of b: top 3\n"
    assert warnings_seen == [
        "plugin 'odd' (distribution leadforge-odd 1) command 'weird' is not a valid Typer "
        "command: Cannot specify `Option` in `Annotated` and default value together for 'x'"
    ]


def test_builtin_command_list_matches_the_app(toy_host: PluginHost) -> None:
    app = build_app(toy_host)
    assert sorted(c.name or "" for c in app.registered_commands) == sorted(BUILTIN_COMMANDS)


def test_unregister_removes_commands(shop_host: PluginHost) -> None:
    shop_host.unregister(shop_host.by_plugin_name["leadforge-shop:shop"])
    assert shop_host.commands == {}
    assert run(["shop-stats", "x"]) == 2


def test_installed_plugin_command_and_plugins_json(tmp_path: Path) -> None:
    """A real entry point: the command runs, and ``plugins --json`` lists hooks and commands."""
    site = tmp_path / "site"
    info = site / "leadforge_shop-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: leadforge-shop\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[leadforge]\nshop = shop_entry\n")
    (site / "shop_entry.py").write_text(
        "from leadforge_core import Command, hookimpl\n\n\n"
        "def hello(name: str = 'world') -> None:\n"
        '    """Greet."""\n'
        "    print(f'hello {name}')\n\n\n"
        "@hookimpl\ndef leadforge_register_commands():\n"
        "    return [Command('hello', hello)]\n\n\n"
        "@hookimpl\ndef leadforge_register_recipes():\n    return []\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(TESTS)])}
    env.pop("LEADFORGE_PLUGINS", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "leadforge_core", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    res = cli("hello", "--name", "leadforge")
    assert (res.returncode, res.stdout, res.stderr) == (0, "hello leadforge\n", "")
    res = cli("plugins", "--json")
    by_dist = {p["distribution"]: p for p in json.loads(res.stdout)["plugins"]}
    shop = by_dist["leadforge-shop"]
    assert shop["hooks"] == ["leadforge_register_commands", "leadforge_register_recipes"]
    assert shop["commands"] == ["hello"] and shop["version"] == "1.0"
    core = by_dist["leadforge-core"]
    assert core["hooks"] == ["leadforge_register_exporters"] and "csv" in core["exporters"]
    text = cli("plugins").stdout
    assert "register_commands" in text and "hello" in text


def test_the_documented_example_runs(
    toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    from leadforge_core import Generator

    text = (TESTS.parent / "docs" / "plugins.md").read_text()
    section = text.split("### `leadforge_register_commands()`", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    plugin = types.ModuleType("documented_commands")
    exec(compile(code, "plugins.md", "exec"), plugin.__dict__)
    toy_host.register(plugin, PluginRecord("shop", "leadforge-shop", "1"))
    bundle = tmp_path / "b"
    Generator.from_recipe("toy_shop_v1", host=toy_host, n_customers=100).generate(timestamp=0).save(
        bundle
    )
    capsys.readouterr()
    assert run(["shop-stats", str(bundle), "--top", "2"]) == 0
    assert "north" in capsys.readouterr().out
    assert run(["shop", "check-prices", str(bundle)]) == 0
