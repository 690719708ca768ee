"""A bug inside a plugin is that plugin's error: one line naming it, exit 3, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadforge_core import hookimpl, plugins
from leadforge_core.cli.app import run
from leadforge_core.errors import ConfigError, PluginCrash
from leadforge_core.plugins import PluginHost, PluginRecord, plugin_code

TESTS = Path(__file__).parent
HINT = "(set LEADFORGE_DEBUG=1 or pass --debug for the traceback)"


def crashing_check(view: Any) -> Iterator[Any]:
    yield from ()
    raise ZeroDivisionError("division by zero in a check")


def _scheme(name: str, phase: str, exc: Exception | None = None) -> type:
    """A toy-shop scheme named ``name`` whose ``phase`` method raises ``exc`` (or ValueError)."""
    from toy_scheme.scheme import ToyShop

    def raiser(*_: Any, **__: Any) -> Any:
        raise exc if exc is not None else ValueError("boom")

    attrs: dict[str, Any] = {"name": name}
    if phase == "checks (crashing_check)":
        attrs["checks"] = lambda self: (crashing_check,)
    else:
        attrs[phase] = raiser
    return type(f"Crash_{phase}", (ToyShop,), attrs)


def _register(host: PluginHost, cls: type, dist: str = "leadforge-crashy") -> PluginRecord:
    @hookimpl
    def leadforge_register_schemes() -> list[type]:
        return [cls]

    mod = types.ModuleType("crashy")
    mod.leadforge_register_schemes = leadforge_register_schemes  # type: ignore[attr-defined]
    return host.register(mod, PluginRecord("crashy", dist, "1.2"))


def _recipe(tmp_path: Path, scheme: str = "crashy") -> Path:
    path = tmp_path / "crashy.yaml"
    path.write_text(f"extends: toy_shop_v1\nid: crashy_v1\nscheme: {scheme}\n")
    return path


def _listing(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


PHASES = ["complete_params", "build_world", "simulate", "render", "snapshot_cut", "table_specs"]


@pytest.mark.parametrize("phase", [*PHASES, "checks (crashing_check)"])
def test_crash_in_generate_is_one_line_exit_3_nothing_written(
    phase: str, toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(toy_host, _scheme("crashy", phase))
    recipe = _recipe(tmp_path)
    before = _listing(tmp_path)
    code = run(["generate", "--recipe", str(recipe), "--out", str(tmp_path / "out"), "-q"])
    captured = capsys.readouterr()
    assert code == 3, captured.err
    lines = captured.err.strip().splitlines()
    detail = (
        "ZeroDivisionError: division by zero in a check"
        if phase.startswith("checks")
        else "ValueError: boom"
    )
    assert lines == [
        f"error: plugin 'crashy' (distribution leadforge-crashy 1.2) failed in {phase}: "
        f"{detail} {HINT}"
    ]
    assert "Traceback" not in captured.err and captured.out == ""
    assert _listing(tmp_path) == before  # no bundle, no staging folder left behind


def test_debug_flag_and_env_print_the_traceback(
    toy_host: PluginHost,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _register(toy_host, _scheme("crashy", "simulate"))
    recipe = _recipe(tmp_path)
    args = ["generate", "--recipe", str(recipe), "--out", str(tmp_path / "out"), "-q"]
    assert run(["--debug", *args]) == 3
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in raiser" in err and "ValueError: boom" in err
    assert err.strip().splitlines()[-1].startswith("error: plugin 'crashy'")
    assert not (tmp_path / "out").exists()
    # --debug belongs to one run only
    assert run(args) == 3
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.setenv("LEADFORGE_DEBUG", "1")
    assert run(args) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_deliberate_errors_keep_their_meaning(
    toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _register(toy_host, _scheme("crashy", "simulate", ConfigError("population: too big")))
    recipe = _recipe(tmp_path)
    code = run(["generate", "--recipe", str(recipe), "--out", str(tmp_path / "out"), "-q"])
    assert code == 2
    assert capsys.readouterr().err == "error: population: too big\n"


def testcrashing_check_in_validate_is_a_crash_not_a_failed_validation(
    toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    assert run(["generate", "--recipe", "toy_shop_v1", "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    # the same bundle, validated while a plugin with a broken check owns the scheme
    host = PluginHost(warn=lambda _: None, strict=False)
    _register(host, _scheme("toy_shop", "checks (crashing_check)"), dist="leadforge-toy-bad")
    plugins.set_host(host)
    assert run(["validate", str(out)]) == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "error: plugin 'crashy' (distribution leadforge-toy-bad 1.2) failed in checks "
        "(crashing_check): ZeroDivisionError"
    )


def test_crashing_inspect_summary(
    toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    assert run(["generate", "--recipe", "toy_shop_v1", "--out", str(out), "-q"]) == 0
    host = PluginHost(warn=lambda _: None, strict=False)
    _register(host, _scheme("toy_shop", "inspect_summary"))
    plugins.set_host(host)
    capsys.readouterr()
    assert run(["inspect", str(out)]) == 3
    err = capsys.readouterr().err
    assert "failed in inspect_summary: ValueError: boom" in err and "Traceback" not in err


def test_plugin_code_attributes_crashes_and_passes_leadforge_errors() -> None:
    record = PluginRecord("x", "leadforge-x", "1.2")
    with pytest.raises(PluginCrash) as info, plugin_code(record, "simulate"):
        {}["missing"]
    crash = info.value
    assert (crash.plugin, crash.distribution, crash.version, crash.phase) == (
        "x",
        "leadforge-x",
        "1.2",
        "simulate",
    )
    assert crash.exit_code == 3 and isinstance(crash.__cause__, KeyError)
    assert str(crash).startswith(
        "plugin 'x' (distribution leadforge-x 1.2) failed in simulate: KeyError: 'missing'"
    )
    with pytest.raises(ConfigError), plugin_code(record, "complete_params"):
        raise ConfigError("deliberate")
    with pytest.raises(MemoryError), plugin_code(record, "simulate"):
        raise MemoryError


def test_call_hook_wraps_each_implementation(toy_host: PluginHost) -> None:
    state = {"broken": False}

    @hookimpl
    def leadforge_register_recipes() -> list[Any]:
        if state["broken"]:
            raise RuntimeError("hook bug")
        return []

    mod = types.ModuleType("hooky")
    mod.leadforge_register_recipes = leadforge_register_recipes  # type: ignore[attr-defined]
    toy_host.register(mod, PluginRecord("hooky", "leadforge-hooky", "0.4"))
    results = toy_host.call_hook("leadforge_register_recipes")
    assert sorted(r.distribution for r, _ in results) == ["leadforge-hooky", "leadforge-toy"]
    assert all(isinstance(v, list) for _, v in results)
    state["broken"] = True
    with pytest.raises(PluginCrash, match=r"leadforge-hooky 0\.4\) failed in leadforge_register"):
        toy_host.call_hook("leadforge_register_recipes")


def test_real_entry_point_crash_in_a_process(tmp_path: Path) -> None:
    """Through an installed entry point: distribution and version come from its metadata."""
    site = tmp_path / "site"
    info = site / "leadforge_crashy-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: leadforge-crashy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[leadforge]\ncrashy = crashy_entry\n")
    (site / "crashy_entry.py").write_text(
        "from leadforge_core import hookimpl\n"
        "from toy_scheme.plugin import leadforge_register_recipes  # noqa: F401\n"
        "from toy_scheme.scheme import ToyShop\n\n"
        "class Crashy(ToyShop):\n"
        "    name = 'crashy'\n"
        "    def simulate(self, world, ctx):\n"
        "        raise ValueError('boom')\n\n"
        "@hookimpl\n"
        "def leadforge_register_schemes():\n"
        "    return [Crashy]\n"
    )
    recipe = _recipe(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(TESTS)])}
    env.pop("LEADFORGE_DEBUG", None)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "leadforge_core", "generate", "-r", str(recipe), "-o", str(out)]
    res = subprocess.run([*cmd, "-q"], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 3, res.stderr
    assert res.stderr.strip().splitlines() == [
        "error: plugin 'crashy' (distribution leadforge-crashy 1.0) failed in simulate: "
        f"ValueError: boom {HINT}"
    ]
    assert not out.exists()
    debug = subprocess.run(
        [sys.executable, "-m", "leadforge_core", "--debug", *cmd[3:], "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert debug.returncode == 3 and "Traceback (most recent call last)" in debug.stderr
    assert "crashy_entry.py" in debug.stderr
