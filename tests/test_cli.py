"""The CLI contract: results on stdout, one-line errors on stderr, exit 2, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadforge_core.cli.app import run
from leadforge_core.plugins import PluginHost

TESTS = Path(__file__).parent


def _snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


CASES = {
    "unknown recipe id": (["--recipe", "no_such_recipe"], "unknown recipe 'no_such_recipe'"),
    "missing recipe path": (["--recipe", "{tmp}/nope.yaml"], "recipe file not found"),
    "malformed yaml": (["--recipe", "{tmp}/malformed.yaml"], "malformed.yaml:3: malformed YAML"),
    "wrong type": (
        ["--recipe", "{tmp}/wrongtype.yaml"],
        "wrongtype.yaml:4: world.noise.intro: expected a number",
    ),
    "unknown key": (
        ["--recipe", "{tmp}/unknownkey.yaml"],
        "unknownkey.yaml:5: defaults.params.population.n_kustomers: unknown key",
    ),
    "zero size": (["--n-customers", "0"], "--n-customers: must be a positive integer"),
    "negative size": (["--n-customers", "-5"], "--n-customers: must be a positive integer"),
    "zero size via --set": (
        ["--set", "population.n_customers=0"],
        "--set: params.population.n_customers: must be >= 1",
    ),
    "bad mode": (["--mode", "public"], "Invalid value for '--mode'"),
    "bad difficulty": (["--difficulty", "brutal"], "unknown difficulty 'brutal'"),
    "negative seed": (["--seed", "-1"], "Invalid value for '--seed'"),
    "bad motif": (["--motif", "chaotic"], "unknown motif 'chaotic'"),
    "bad timestamp": (["--timestamp", "yesterday"], "timestamp: 'yesterday' is not ISO 8601"),
}


@pytest.fixture
def recipes(tmp_path: Path) -> Path:
    (tmp_path / "malformed.yaml").write_text("extends: toy_shop_v1\nid: m_v1\n  title: indented\n")
    (tmp_path / "wrongtype.yaml").write_text(
        "extends: toy_shop_v1\nid: w_v1\nworld:\n  noise: {intro: fast}\n"
    )
    (tmp_path / "unknownkey.yaml").write_text(
        "extends: toy_shop_v1\nid: u_v1\ndefaults:\n  params:\n    population: {n_kustomers: 3}\n"
    )
    return tmp_path


@pytest.mark.parametrize("case", sorted(CASES))
def test_generate_user_errors(
    case: str, toy_host: PluginHost, recipes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra, fragment = CASES[case]
    args = [a.replace("{tmp}", str(recipes)) for a in extra]
    if "--recipe" not in args:
        args = ["--recipe", "toy_shop_v1", *args]
    before = _snapshot(recipes)
    code = run(["generate", *args, "--out", str(recipes / "out"), "-q"])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert fragment in lines[0], lines[0]
    assert captured.out == ""
    assert _snapshot(recipes) == before  # nothing written


def test_out_errors(
    toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "file"
    afile.write_text("x")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("keep")
    cases = {
        str(afile): "exists and is not a directory",
        str(afile / "sub"): "is not a directory",
        str(full): "is not empty; pass --force",
        "/proc/leadforge-cannot-write/out": "is not writable",
    }
    for out, fragment in cases.items():
        assert run(["generate", "--recipe", "toy_shop_v1", "--out", out, "-q"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and fragment in err[0], (out, err)
    assert (full / "keep.txt").read_text() == "keep" and [p.name for p in full.iterdir()] == [
        "keep.txt"
    ]


def test_generate_json_and_force(
    toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "b")
    base = ["generate", "--recipe", "toy_shop_v1", "--out", out, "--json"]
    assert run([*base, "--n-customers", "120", "--timestamp", "0"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["validation"]["ok"] is True and result["tables"]["customers"] == 120
    assert run([*base, "--force", "--seed", "9"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 9


def test_inspect(toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b"
    assert run(["generate", "--recipe", "toy_shop_v1", "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    assert run(["inspect", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scheme"] == "toy_shop" and summary["tables"]["customers"]["rows"] == 300
    assert summary["tasks"]["reorders_within_60_days"]["splits"]["train"]["rows"] == 210
    assert summary["scheme_summary"]["shop_orders"] == summary["tables"]["orders"]["rows"]
    assert run(["inspect", str(tmp_path / "missing")]) == 2


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    """The installed entry point behaves the same in a real process."""
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadforge_core",
            "generate",
            "--recipe",
            "nope_v1",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 2
    assert (
        res.stderr.startswith("error: unknown recipe 'nope_v1'") and "Traceback" not in res.stderr
    )
    assert not (tmp_path / "o").exists()
    version = subprocess.run(
        [sys.executable, "-m", "leadforge_core", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.stdout.startswith("leadforge-core ")
