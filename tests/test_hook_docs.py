"""The examples of the task-feature, check and derived-scheme sections of docs/plugins.md run
as written, registered as plugins."""

from __future__ import annotations

import json
import re
import types
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from leadforge_core import Generator, hookimpl, plugins
from leadforge_core.plugins import PluginHost, PluginRecord
from leadforge_core.validation.runner import validate_bundle

DOC = Path(__file__).parents[1] / "docs" / "plugins.md"


def _section(heading: str) -> str:
    text = DOC.read_text()
    assert heading in text, heading
    return text.split(heading, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]


def _module(heading: str, name: str) -> types.ModuleType:
    blocks = re.findall(r"```python\n(.*?)```", _section(heading), re.S)
    assert blocks, heading
    module = types.ModuleType(name)
    for block in blocks:
        exec(compile(block, f"{DOC.name}:{heading}", "exec"), module.__dict__)
    return module


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginHost]:
    for var in ("LEADFORGE_PLUGINS", "LEADFORGE_DISABLE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    h = PluginHost(strict=True)
    h.load_entry_points()
    plugins.set_host(h)
    yield h
    plugins.set_host(None)


def _bundle(host: PluginHost, out: Path, recipe: str = "b2b_saas_procurement_v1") -> Path:
    gen = Generator.from_recipe(recipe, host=host, seed=2, n_leads=1500)
    return gen.generate(timestamp=0).save(out)


def test_task_features_example(host: PluginHost, tmp_path: Path) -> None:
    module = _module("### `leadforge_task_features(scheme, recipe)`", "pricing_docs")
    host.register(module, PluginRecord("pricing", "leadforge-pricing", "2.1"))
    bundle = _bundle(host, tmp_path / "b")
    train = pl.read_parquet(bundle / "tasks" / "converted_within_90_days" / "train.parquet")
    assert train.schema["pricing_sessions_last_14d"] == pl.Int64
    plugins_entry = json.loads((bundle / "manifest.json").read_text())["generator"]["plugins"]
    assert plugins_entry[-1]["task_features"] == ["pricing_sessions_last_14d"]
    assert validate_bundle(bundle, host).ok


def test_checks_example(host: PluginHost, tmp_path: Path) -> None:
    module = _module("### `leadforge_register_checks(scheme)`", "ids_docs")
    host.register(module, PluginRecord("retail", "leadforge-retail", "1"))
    report = validate_bundle(_bundle(host, tmp_path / "b"), host)
    assert report.ok and "retail.lead_ids" in report.checks_run


def test_derived_scheme_example(host: PluginHost, tmp_path: Path) -> None:
    heading = "### Deriving a scheme from a built-in one"
    module = _module(heading, "quick_close_docs")
    yaml = re.findall(r"```yaml\n(.*?)```", _section(heading), re.S)[0]
    recipe = tmp_path / "quick_close_v1.yaml"
    recipe.write_text(yaml)

    class Recipes:
        @hookimpl
        def leadforge_register_recipes(self) -> list[Path]:
            return [recipe]

    host.register(module, PluginRecord("quick_close", "leadforge-quick-close", "1.0"))
    host.register(Recipes(), PluginRecord("quick_close_recipes", "leadforge-quick-close", "1.0"))
    bundle = _bundle(host, tmp_path / "b", "quick_close_v1")
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["scheme"] == "lead_scoring_quick_close"
    assert [e.get("base_scheme") for e in manifest["generator"]["plugins"]] == [
        None,
        "lead_scoring",
    ]
    report = validate_bundle(bundle, host)
    assert report.ok, [str(f) for f in report.findings]
