"""The generated references: docs/api.md (public API) and docs/recipes-world.md (`world:`)."""

from __future__ import annotations

import re
import shutil
import sys
import types
from pathlib import Path

import attrs
import pytest

from leadforge_core import docs_gen
from leadforge_core.config.fields import doc_field, float_field
from leadforge_core.plugins import get_host

DOCS = Path(__file__).parents[1] / "docs"


def _section(text: str, module: str) -> str:
    heading = f"\n## {module}\n"
    assert heading in text, f"{module} has no section in docs/api.md"
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


def test_every_public_name_has_a_docstring() -> None:
    assert docs_gen.undocumented() == []


def test_every_public_name_is_in_api_md() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    names = docs_gen.public_names()
    assert {"leadforge_core", "leadforge_core.asof", "leadforge_core.causal"} <= set(names)
    for module, public in names.items():
        assert public, f"{module} has an empty __all__"
        section = _section(text, module)
        headings = re.findall(r"^### (?:\w+ )?`([A-Za-z_][\w]*)", section, re.M)
        missing = sorted(set(public) - set(headings))
        assert not missing, f"{module}: {', '.join(missing)} missing from docs/api.md"


def test_api_md_is_current() -> None:
    current = (DOCS / "api.md").read_text(encoding="utf-8")
    assert current == docs_gen.api_reference(), "run python -m leadforge_core.docs_gen"


def test_the_names_the_authors_asked_about_are_documented() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for heading in (
        "### function `int_field(",
        "### function `assign_splits(",
        "### function `make_ids(",
        "### function `phase(",
        "### function `blocked_draw(",
        "### class `TaskOutput(",
        "### class `BundleView(",
    ):
        assert heading in text, heading
    task_output = text.split("### class `TaskOutput(", 1)[1].split("\n### ", 1)[0]
    for key in ("snapshot_rule", "target_semantics", "leakage_policy", "split", "excluded_rows"):
        assert f"``{key}``" in task_output, key
    view = text.split("### class `BundleView(", 1)[1].split("\n### ", 1)[0]
    assert "tables/<table>.parquet" in view and "tasks/<task>/<split>.parquet" in view


def test_an_undocumented_public_name_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    mod = types.ModuleType("leadforge_fake_public")
    mod.__doc__ = "A fake public module."

    def bare(x: int) -> int:
        return x

    def told(x: int) -> int:
        """Documented."""
        return x

    mod.bare, mod.told, mod.__all__ = bare, told, ["bare", "told", "gone"]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "leadforge_fake_public", mod)
    monkeypatch.setattr(docs_gen, "PUBLIC_MODULES", ("leadforge_fake_public",))
    assert docs_gen.undocumented() == [
        "leadforge_fake_public.bare",
        "leadforge_fake_public.gone (listed in __all__ but missing)",
    ]


def test_constants_are_documented_by_their_comment() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    section = _section(text, "leadforge_core.rng")
    assert "### `BLOCK_SIZE` = `65536`" in section
    block = section.split("### `BLOCK_SIZE`", 1)[1].split("\n### ", 1)[0]
    assert "entities per block" in block


def _schemes() -> list[type]:
    host = get_host()
    return [host.scheme(name)[0] for name in docs_gen.WORLD_SCHEMES]


def test_every_world_field_has_a_description() -> None:
    assert docs_gen.undocumented_fields(_schemes()) == []


def test_world_reference_is_current() -> None:
    current = (DOCS / "recipes-world.md").read_text(encoding="utf-8")
    assert current == docs_gen.world_reference(_schemes()), "run python -m leadforge_core.docs_gen"


def test_world_reference_lists_every_field_of_every_model() -> None:
    text = (DOCS / "recipes-world.md").read_text(encoding="utf-8")
    for cls in _schemes():
        section = text.split(f"## `{cls.name}`", 1)[1].split("\n## ", 1)[0]
        queue, seen = [cls.recipe_model], set()
        while queue:
            model = queue.pop()
            if model in seen:
                continue
            seen.add(model)
            attrs.resolve_types(model)
            table = section.split(f"### `{model.__name__}` (", 1)[1].split("\n### ", 1)[0]
            for f in attrs.fields(model):
                assert f"| `{f.name}` |" in table, f"{cls.name}: {model.__name__}.{f.name}"
                for arg in getattr(f.type, "__args__", ()) or (f.type,):
                    if attrs.has(arg):
                        queue.append(arg)


@attrs.define
class Inner:
    rate: float = float_field(0.1, ge=0.0)


@attrs.define
class FakeWorld:
    title: str = doc_field("a title")
    inner: list[Inner] = doc_field("inners", factory=list)


class Fake:
    name = "fake"
    title = "Fake"
    recipe_model = FakeWorld


def test_a_field_without_description_is_reported() -> None:
    assert docs_gen.undocumented_fields([Fake]) == ["fake: Inner.rate"]  # type: ignore[list-item]
    text = docs_gen.world_reference([Fake])  # type: ignore[list-item]
    assert "### `Inner` (`world.inner[]`)" in text
    assert "| `rate` | `float` | `0.1` | ≥ 0.0 |  |" in text
    assert "| `inner` | list of `Inner` | `[]` |  | inners |" in text


def test_check_mode_finds_a_stale_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("api.md", "recipes-world.md"):
        shutil.copy(DOCS / name, tmp_path / name)
    assert docs_gen.main(["--check", "--docs", str(tmp_path)]) == 0
    page = tmp_path / "recipes-world.md"
    page.write_text(page.read_text().replace("scale of", "size of", 1))
    assert docs_gen.main(["--check", "--docs", str(tmp_path)]) == 1
    assert "recipes-world.md" in capsys.readouterr().err
    assert docs_gen.main(["--docs", str(tmp_path)]) == 0
    assert page.read_text() == (DOCS / "recipes-world.md").read_text()
