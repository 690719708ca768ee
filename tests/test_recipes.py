"""Recipes by id, by path, from LEADFORGE_RECIPE_PATH, with extends; ids are validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadforge_core import Generator, list_recipes
from leadforge_core.errors import RecipeError
from leadforge_core.plugins import PluginHost
from leadforge_core.recipes.registry import RecipeCatalog


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_registered_recipe_resolves(toy_host: PluginHost) -> None:
    recipe = RecipeCatalog(toy_host).resolve("toy_shop_v1")
    assert recipe.scheme == "toy_shop"
    assert recipe.world.regions == {"north": 2.0, "south": 1.0}
    assert recipe.content_hash.startswith("sha256:")


def test_listing_names_the_plugin(toy_host: PluginHost) -> None:
    [entry] = list_recipes(toy_host)
    assert entry["id"] == "toy_shop_v1" and entry["plugin"] == "leadforge-toy"


@pytest.mark.parametrize("ref", ["../etc/passwd", "Toy-Shop", "a b"])
def test_invalid_ids_are_rejected(toy_host: PluginHost, ref: str) -> None:
    with pytest.raises(RecipeError):
        RecipeCatalog(toy_host).resolve(ref)


def test_unknown_id_lists_available(toy_host: PluginHost) -> None:
    with pytest.raises(RecipeError, match=r"unknown recipe 'nope' \(available: toy_shop_v1\)"):
        RecipeCatalog(toy_host).resolve("nope")


def test_missing_path(toy_host: PluginHost, tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="recipe file not found"):
        RecipeCatalog(toy_host).resolve(str(tmp_path / "missing.yaml"))


def test_extends_overrides_parts(toy_host: PluginHost, tmp_path: Path) -> None:
    child = _write(
        tmp_path / "bakery.yaml",
        "extends: toy_shop_v1\nid: bakery_v1\ntitle: Bakery\nworld:\n  shop_name: Crumbs\n  regions:\n    east: 1.0\n",
    )
    recipe = RecipeCatalog(toy_host).resolve(str(child))
    assert recipe.id == "bakery_v1"
    assert recipe.world.shop_name == "Crumbs"
    assert recipe.world.regions == {"north": 2.0, "south": 1.0, "east": 1.0}  # mappings merge
    assert recipe.world.segments == ["retail", "trade"]  # inherited
    base = RecipeCatalog(toy_host).resolve("toy_shop_v1")
    assert recipe.content_hash != base.content_hash


def test_extends_error_points_at_child_line(toy_host: PluginHost, tmp_path: Path) -> None:
    child = _write(
        tmp_path / "c.yaml", "extends: toy_shop_v1\nid: c_v1\nworld:\n  noise:\n    intro: fast\n"
    )
    with pytest.raises(RecipeError, match=r"c\.yaml:5: world\.noise\.intro: expected a number"):
        RecipeCatalog(toy_host).resolve(str(child))


def test_extends_cycle_is_an_error(
    toy_host: PluginHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "recipes"
    folder.mkdir()
    _write(folder / "a.yaml", "extends: b_v1\nid: a_v1\n")
    _write(folder / "b.yaml", "extends: a_v1\nid: b_v1\n")
    monkeypatch.setenv("LEADFORGE_RECIPE_PATH", str(folder))
    with pytest.raises(RecipeError, match="cycle"):
        RecipeCatalog(toy_host).resolve("a_v1")


def test_recipe_path_folder_adds_ids(
    toy_host: PluginHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "deli.yaml", "extends: toy_shop_v1\nid: deli_v1\ntitle: Deli\n")
    monkeypatch.setenv("LEADFORGE_RECIPE_PATH", str(tmp_path))
    assert "deli_v1" in [r["id"] for r in list_recipes(toy_host)]
    assert Generator.from_recipe("deli_v1", host=toy_host).plan.recipe.header.title == "Deli"


def test_unknown_recipe_key_has_line(toy_host: PluginHost, tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.yaml", "extends: toy_shop_v1\nid: bad_v1\nflavour: mint\n")
    with pytest.raises(RecipeError, match=r"bad\.yaml:3: flavour: unknown key"):
        RecipeCatalog(toy_host).resolve(str(bad))


def test_recipe_for_missing_scheme(toy_host: PluginHost, tmp_path: Path) -> None:
    bad = _write(tmp_path / "x.yaml", "id: x_v1\nscheme: nowhere\ntitle: X\nprimary_task: t\n")
    with pytest.raises(RecipeError, match=r"x\.yaml:2: scheme: unknown scheme 'nowhere'"):
        RecipeCatalog(toy_host).resolve(str(bad))


def test_listing_resolves_extends(
    toy_host: PluginHost,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from leadforge_core.cli.app import run

    _write(tmp_path / "deli.yaml", "extends: toy_shop_v1\nid: deli_v1\ntitle: Deli\n")
    _write(  # a chain through another recipe-path recipe, narrowing the difficulties
        tmp_path / "kiosk.yaml",
        "extends: deli_v1\nid: kiosk_v1\ndifficulties: [intro]\ndefault_difficulty: intro\n",
    )
    _write(tmp_path / "orphan.yaml", "extends: gone_v1\nid: orphan_v1\n")
    monkeypatch.setenv("LEADFORGE_RECIPE_PATH", str(tmp_path))
    by_id = {r["id"]: r for r in list_recipes(toy_host)}
    deli, kiosk = by_id["deli_v1"], by_id["kiosk_v1"]
    assert (deli["scheme"], deli["primary_task"], deli["title"]) == (
        "toy_shop",
        "reorders_within_60_days",
        "Deli",
    )
    assert deli["difficulties"] == ["intro", "intermediate", "advanced"]
    assert (kiosk["scheme"], kiosk["title"], kiosk["difficulties"]) == (
        "toy_shop",
        "Deli",
        ["intro"],
    )
    assert kiosk["extends"] == "deli_v1" and kiosk["plugin"] == "path"
    assert by_id["orphan_v1"]["scheme"] is None
    assert run(["list-recipes"]) == 0
    captured = capsys.readouterr()
    row = next(line for line in captured.out.splitlines() if "kiosk_v1" in line)
    assert "toy_shop" in row and "reorders_within_60_days" in row and "None" not in row
    assert "orphan_v1" in captured.err and "unknown recipe 'gone_v1'" in captured.err


def test_resolving_one_plugin_recipe_parses_only_its_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from leadforge_core.plugins import get_host
    from leadforge_core.recipes import registry

    parsed: list[str] = []
    real = registry._parse

    def counting(text: str, label: str, origin: str) -> registry.RecipeFile:
        parsed.append(label)
        return real(text, label, origin)

    monkeypatch.setattr(registry, "_parse", counting)
    host = get_host()
    recipe = RecipeCatalog(host).resolve("b2b_saas_ltv_v1")
    assert recipe.id == "b2b_saas_ltv_v1"
    assert len(parsed) == 1 and "b2b_saas_ltv_v1" in parsed[0]
    # Listing still reads every file, and finds the same recipe.
    parsed.clear()
    catalog = RecipeCatalog(host)
    assert "b2b_saas_ltv_v1" in catalog.ids()
    assert len(parsed) == len(host.recipe_files) >= 2
    assert catalog.resolve("b2b_saas_ltv_v1").content_hash == recipe.content_hash
