"""``Scheme.task_specs(params)``: declared tasks may depend on the run's parameters."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from leadforge_core import Generator, TaskSpec, hookimpl
from leadforge_core.cli.app import run
from leadforge_core.plugins import PluginHost, PluginRecord
from leadforge_core.scheme import declared_tasks


def test_task_names_follow_the_parameters(toy_host: PluginHost, tmp_path: Path) -> None:
    gen = Generator.from_recipe("toy_shop_v1", host=toy_host, sets=["reorder_window=30"])
    specs = declared_tasks(gen.plan.scheme, gen.plan.config.params)
    assert [s.name for s in specs] == ["reorders_within_30_days"]
    out = tmp_path / "b"
    args = ["generate", "-r", "toy_shop_v1", "--set", "reorder_window=30", "-o", str(out), "-q"]
    assert run(args) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest["tasks"]) == ["reorders_within_30_days"]
    assert (out / "tasks" / "reorders_within_30_days" / "train.parquet").is_file()
    default = Generator.from_recipe("toy_shop_v1", host=toy_host)
    assert [s.name for s in declared_tasks(default.plan.scheme, default.plan.config.params)] == [
        "reorders_within_60_days"
    ]


def _register(host: PluginHost, cls: type) -> None:
    mod = types.ModuleType("legacy")
    mod.leadforge_register_schemes = hookimpl(lambda: [cls])  # type: ignore[attr-defined]
    host.register(mod, PluginRecord("legacy", "leadforge-legacy", "0.9"))


@pytest.fixture
def legacy(toy_host: PluginHost, tmp_path: Path) -> Path:
    from toy_scheme.scheme import ToyShop, task_spec

    class Legacy(ToyShop):
        """Written against the older contract: ``task_specs(self)`` without parameters."""

        name = "legacy"

        def task_specs(self) -> list[TaskSpec]:  # type: ignore[override]
            return [task_spec(60)]

    _register(toy_host, Legacy)
    recipe = tmp_path / "legacy.yaml"
    recipe.write_text("extends: toy_shop_v1\nid: legacy_v1\nscheme: legacy\n")
    return recipe


def test_legacy_task_specs_without_parameters_still_works(
    legacy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["generate", "-r", str(legacy), "-o", str(tmp_path / "b"), "-q"]) == 0


def test_rendering_an_undeclared_task_is_the_plugins_bug(
    legacy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    args = ["generate", "-r", str(legacy), "--set", "reorder_window=30", "-o", str(out), "-q"]
    assert run(args) == 3
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(
        "error: plugin 'legacy' (distribution leadforge-legacy 0.9) failed in render: render "
        "returned task(s) reorders_within_30_days whose specs task_specs(params) does not "
        "declare (declared: reorders_within_60_days)"
    )
    assert not out.exists()
