"""``leadforge new-plugin``: both skeletons install (not editable), register, generate,
validate and pass their own tests as written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadforge_core.cli.app import run
from leadforge_core.errors import ConfigError
from leadforge_core.skeleton import new_plugin, plugin_names

KINDS = {"recipe": "shopfloor", "scheme": "helpdesk"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Both skeletons written by the CLI and installed into one target folder."""
    root = tmp_path_factory.mktemp("skeletons")
    for kind, name in KINDS.items():
        assert run(["new-plugin", name, "--kind", kind, "--out", str(root / kind)]) == 0
    target = root / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(root / "recipe"),
            str(root / "scheme"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("LEADFORGE_PLUGINS", None)
    return {"root": root, "env": env}


def _leadforge(
    args: list[str], env: object, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    assert isinstance(env, dict)
    return subprocess.run(
        [sys.executable, "-m", "leadforge_core", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def test_skeletons_are_complete_packages(installed: dict[str, object]) -> None:
    root = installed["root"]
    assert isinstance(root, Path)
    for kind, name in KINDS.items():
        names = plugin_names(name)
        files = {p.relative_to(root / kind).as_posix() for p in (root / kind).rglob("*.*")}
        module, rid = names["module"], names["recipe_id"]
        assert {
            "pyproject.toml",
            "README.md",
            f"src/{module}/__init__.py",
            f"src/{module}/plugin.py",
            f"src/{module}/recipes/{rid}.yaml",
        } <= files, kind
        assert any(f.startswith("tests/test_") for f in files)
        text = (root / kind / "pyproject.toml").read_text()
        assert f'{names["name"]} = "{module}.plugin"' in text
        assert "{{" not in "".join(p.read_text() for p in (root / kind).rglob("*.*"))


def test_installed_skeletons_register_with_their_hooks(installed: dict[str, object]) -> None:
    res = _leadforge(["plugins", "--json"], installed["env"])
    assert res.returncode == 0, res.stderr
    by_dist = {p["distribution"]: p for p in json.loads(res.stdout)["plugins"]}
    recipe, scheme = by_dist["leadforge-shopfloor"], by_dist["leadforge-helpdesk"]
    assert recipe["status"] == scheme["status"] == "loaded"
    assert recipe["hooks"] == ["leadforge_register_recipes"]
    assert recipe["recipes"] == ["shopfloor_v1"]
    assert scheme["hooks"] == ["leadforge_register_recipes", "leadforge_register_schemes"]
    assert scheme["schemes"] == ["helpdesk"]
    assert res.stderr == ""


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("mode", ["student_public", "research_instructor"])
def test_skeleton_generates_and_validates(
    installed: dict[str, object], tmp_path: Path, kind: str, mode: str
) -> None:
    recipe = plugin_names(KINDS[kind])["recipe_id"]
    size = ["--n-leads", "1200"] if kind == "recipe" else ["--n-customers", "1500"]
    out = tmp_path / "bundle"
    env = installed["env"]
    res = _leadforge(
        ["generate", "--recipe", recipe, "--mode", mode, "--out", str(out), *size], env
    )
    assert res.returncode == 0, res.stderr
    assert "validation: ok" in res.stdout
    res = _leadforge(["validate", str(out)], env)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("kind", list(KINDS))
def test_skeleton_passes_its_own_tests(installed: dict[str, object], kind: str) -> None:
    root = installed["root"]
    assert isinstance(root, Path)
    env = installed["env"]
    assert isinstance(env, dict)
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider"],
        cwd=root / kind,
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert " passed" in res.stdout and "failed" not in res.stdout


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("corner-shop", ("leadforge_corner_shop", "leadforge-corner-shop", "corner_shop_v1")),
        ("leadforge-retail", ("leadforge_retail", "leadforge-retail", "retail_v1")),
        ("ops2", ("leadforge_ops2", "leadforge-ops2", "ops2_v1")),
    ],
)
def test_plugin_names(name: str, expected: tuple[str, str, str]) -> None:
    names = plugin_names(name)
    assert (names["module"], names["dist"], names["recipe_id"]) == expected


@pytest.mark.parametrize("bad", ["Retail", "2shop", "my shop", "a--b", "lead_scoring", "class", ""])
def test_invalid_names_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        new_plugin(bad, "recipe", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_refuses_a_non_empty_target_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    assert run(["new-plugin", "shop", "--out", str(busy)]) == 2
    assert run(["new-plugin", "shop", "--kind", "widget", "--out", str(tmp_path / "w")]) == 2
    assert run(["new-plugin", "Shop!", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)
    assert "not an empty folder" in err[0] and "--kind" in err[1] and "Shop!" in err[2]
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_an_empty_target_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = new_plugin("shop", "scheme", tmp_path / "empty")
    assert (out / "src" / "leadforge_shop" / "scheme.py").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]  # no temporary folder left


@pytest.mark.parametrize("kind", list(KINDS))
def test_skeleton_uses_only_the_public_api(tmp_path: Path, kind: str) -> None:
    """Every ``from leadforge_core... import name`` of a skeleton names a public module or a
    name in the ``__all__`` of a public module (see leadforge_core.docs_gen)."""
    import ast

    from leadforge_core.docs_gen import public_names

    public = public_names()
    root = new_plugin("probe", kind, tmp_path / kind)
    used = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("leadforge"):
                used += [(node.module or "", a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("leadforge_core") for a in node.names)
    assert used
    for module, name in used:
        if module.startswith("leadforge_probe"):
            continue  # the skeleton's own package
        if f"{module}.{name}" in public:
            continue  # a public module imported from its package
        assert module in public, f"{module} is not a public module"
        assert name in public[module], f"{module}.{name} is not public"
