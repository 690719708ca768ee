"""Plugin loading: error boundaries, strict mode, filters, duplicates, API versions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from leadforge_core import hookimpl
from leadforge_core.errors import PluginError
from leadforge_core.plugins import PluginHost, PluginRecord

TESTS = Path(__file__).parent


def _module(name: str, **hooks: object) -> types.ModuleType:
    mod = types.ModuleType(name)
    for key, fn in hooks.items():
        setattr(mod, key, fn)
    return mod


def test_hook_that_raises_is_contained(toy_host: PluginHost, warnings_seen: list[str]) -> None:
    @hookimpl
    def leadforge_register_schemes() -> list:
        raise RuntimeError("boom")

    toy_host.register(
        _module("bad", leadforge_register_schemes=leadforge_register_schemes),
        PluginRecord("bad", "leadforge-bad", "9.9"),
    )
    assert warnings_seen == [
        "plugin 'bad' (distribution leadforge-bad 9.9) raised in leadforge_register_schemes: RuntimeError: boom"
    ]
    assert "toy_shop" in toy_host.schemes


def test_strict_mode_raises(toy_host: PluginHost) -> None:
    @hookimpl
    def leadforge_register_schemes() -> list:
        return ["not a class"]

    toy_host.strict = True
    with pytest.raises(PluginError, match="leadforge-bad"):
        toy_host.register(
            _module("bad", leadforge_register_schemes=leadforge_register_schemes),
            PluginRecord("bad", "leadforge-bad", "1"),
        )


def test_duplicate_scheme_names_both_distributions(
    toy_host: PluginHost, warnings_seen: list[str]
) -> None:
    from toy_scheme.scheme import ToyShop

    @hookimpl
    def leadforge_register_schemes() -> list:
        return [ToyShop]

    toy_host.register(
        _module("copy", leadforge_register_schemes=leadforge_register_schemes),
        PluginRecord("copy", "leadforge-copycat", "1"),
    )
    assert any("leadforge-toy and leadforge-copycat" in w for w in warnings_seen)
    with pytest.raises(PluginError, match="leadforge-toy and leadforge-copycat"):
        toy_host.scheme("toy_shop")


def test_api_version_mismatch(toy_host: PluginHost, warnings_seen: list[str]) -> None:
    from toy_scheme.scheme import ToyShop

    class Future(ToyShop):
        name = "future"
        api_version = 99

    @hookimpl
    def leadforge_register_schemes() -> list:
        return [Future]

    toy_host.register(
        _module("f", leadforge_register_schemes=leadforge_register_schemes),
        PluginRecord("f", "leadforge-future", "1"),
    )
    assert "future" not in toy_host.schemes
    assert any("targets plugin API v99" in w for w in warnings_seen)


def test_invalid_hook_signature_is_contained(
    toy_host: PluginHost, warnings_seen: list[str]
) -> None:
    @hookimpl
    def leadforge_register_schemes(unexpected: int) -> list:
        return []

    toy_host.register(
        _module("sig", leadforge_register_schemes=leadforge_register_schemes),
        PluginRecord("sig", "leadforge-sig", "1"),
    )
    assert any("is not a valid leadforge plugin" in w for w in warnings_seen)


def test_unregister_removes_schemes_and_recipes(toy_host: PluginHost) -> None:
    record = next(r for r in toy_host.records if r.name == "toy")
    toy_host.unregister(record)
    assert toy_host.schemes == {} and toy_host.recipe_files == []


# -- real entry points, in a subprocess --------------------------------------------------------


def _fake_dist(root: Path, dist: str, module: str, body: str, ep_name: str) -> None:
    """Make an importable distribution (dist-info with entry points) under ``root``."""
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[leadforge]\n{ep_name} = {module}\n")
    (root / f"{module}.py").write_text(body)


def _cli(args: list[str], path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(TESTS)]), **env}
    full.pop("LEADFORGE_STRICT_PLUGINS", None) if "LEADFORGE_STRICT_PLUGINS" not in env else None
    return subprocess.run(
        [sys.executable, "-c", "from leadforge_core.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    _fake_dist(
        root,
        "leadforge-broken",
        "leadforge_broken",
        "raise ImportError('missing dependency frobnicate')\n",
        "broken",
    )
    _fake_dist(
        root, "leadforge-toy", "toy_entry", "from toy_scheme.plugin import *  # noqa\n", "toy"
    )
    return root


def test_broken_plugin_warns_once_and_exits_zero(site: Path) -> None:
    res = _cli(["list-recipes"], site)
    assert res.returncode == 0, res.stderr
    lines = [line for line in res.stderr.splitlines() if "leadforge-broken" in line]
    assert lines == [
        "warning: plugin 'broken' (distribution leadforge-broken 1.0) failed to load: ImportError: missing dependency frobnicate"
    ]
    assert "Traceback" not in res.stderr
    assert "toy_shop_v1" in res.stdout


def test_strict_plugins_fails_naming_it(site: Path) -> None:
    res = _cli(["list-recipes"], site, LEADFORGE_STRICT_PLUGINS="1")
    assert res.returncode != 0
    assert "leadforge-broken" in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_plugins_json_and_filter(site: Path) -> None:
    res = _cli(["plugins", "--json"], site, LEADFORGE_PLUGINS="toy")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    by_name = {p["name"]: p for p in data["plugins"]}
    assert by_name["toy"]["schemes"] == ["toy_shop"] and by_name["toy"]["recipes"] == [
        "toy_shop_v1"
    ]
    assert by_name["broken"]["status"] == "disabled"
    assert "leadforge-broken" not in res.stderr


def test_uninstalled_plugin_disappears(site: Path) -> None:
    assert "toy_shop" in _cli(["plugins"], site).stdout
    for path in site.glob("leadforge_toy-*.dist-info"):
        for f in path.iterdir():
            f.unlink()
        path.rmdir()
    res = _cli(["list-recipes", "--json"], site)
    assert "toy_shop_v1" not in res.stdout


# -- the registration hooks ----------------------------------------------------------------------


def test_hook_leadforge_register_schemes(toy_host: PluginHost, tmp_path: Path) -> None:
    """A scheme class returned by the hook is registered under its name, attributed to the
    plugin, and generates bundles whose manifest names that plugin."""
    from toy_scheme.scheme import ToyShop

    from leadforge_core import Generator

    class Outlet(ToyShop):
        name = "outlet_shop"
        title = "Outlet shop"

    @hookimpl
    def leadforge_register_schemes() -> list:
        return [Outlet]

    record = toy_host.register(
        _module("outlet", leadforge_register_schemes=leadforge_register_schemes),
        PluginRecord("outlet", "leadforge-outlet", "2.0"),
    )
    assert toy_host.scheme("outlet_shop") == (Outlet, record)
    assert record.schemes == ["outlet_shop"] and record.hooks == ["leadforge_register_schemes"]
    recipe = tmp_path / "outlet.yaml"
    recipe.write_text(
        (TESTS / "toy_scheme" / "recipes" / "toy_shop_v1.yaml")
        .read_text()
        .replace("id: toy_shop_v1", "id: outlet_v1")
        .replace("scheme: toy_shop", "scheme: outlet_shop")
    )
    bundle = Generator.from_recipe(recipe, host=toy_host, n_customers=120).generate(timestamp=0)
    assert bundle.manifest["scheme"] == "outlet_shop"
    assert bundle.manifest["generator"]["plugin"]["distribution"] == "leadforge-outlet"
    toy_host.unregister(record)
    with pytest.raises(PluginError, match="unknown scheme 'outlet_shop'"):
        toy_host.scheme("outlet_shop")


def test_hook_leadforge_register_recipes(toy_host: PluginHost, tmp_path: Path) -> None:
    """A recipe file returned by the hook is addressable by id (with ``extends:`` resolved),
    attributed to the plugin in listings and manifests, and gone once the plugin is."""
    from leadforge_core import Generator, list_recipes

    path = tmp_path / "big_shop_v1.yaml"
    path.write_text(
        "extends: toy_shop_v1\nid: big_shop_v1\ntitle: Big shop\n"
        "defaults:\n  params:\n    population:\n      n_customers: 150\n"
        "world:\n  shop_name: Big Goods\n"
    )

    @hookimpl
    def leadforge_register_recipes() -> list:
        return [path]

    record = toy_host.register(
        _module("big", leadforge_register_recipes=leadforge_register_recipes),
        PluginRecord("big", "leadforge-big", "0.5"),
    )
    listed = {r["id"]: r for r in list_recipes(toy_host)}
    assert listed["big_shop_v1"]["scheme"] == "toy_shop"  # from the parent recipe
    assert listed["big_shop_v1"]["plugin"] == "leadforge-big"
    assert record.hooks == ["leadforge_register_recipes"]
    bundle = Generator.from_recipe("big_shop_v1", host=toy_host).generate(timestamp=0)
    assert bundle.manifest["recipe"]["origin"] == "leadforge-big"
    assert bundle.tables["customers"].height == 150
    toy_host.unregister(record)
    assert "big_shop_v1" not in {r["id"] for r in list_recipes(toy_host)}
