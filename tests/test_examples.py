"""The example third-party plugins in ``examples/``, installed as a user would install them.

Each example is built and installed non-editable into a private folder (``pip install
--no-deps --no-build-isolation --target``); CLI runs see it through ``PYTHONPATH`` only, so
leaving that folder off the path is the same as uninstalling it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SUPPORT = EXAMPLES / "support_tickets"
RECIPE = "support_desk_v1"
#: The example scheme's Python budget (``wc -l`` over its package, tests excluded).
MAX_LINES = 300


def run(
    *args: str, site: Path | None, cwd: Path = ROOT, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFORGE_")}
    env.pop("PYTHONPATH", None)
    if site is not None:
        env["PYTHONPATH"] = str(site)
    env["OMP_NUM_THREADS"] = "1"
    proc = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def cli(*args: str, site: Path | None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run("-m", "leadforge_core", *args, site=site, check=check)


def install(example: Path, target: Path) -> Path:
    """Install ``example`` (not editable) into the private folder ``target``."""
    pip = ("-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-input")
    run(*pip, "--target", str(target), str(example), site=None)
    return target


def assert_public_core_only(example: Path) -> None:
    """The example's package imports neither built-in scheme nor a private core module."""
    for f in (example / "src").rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        for private in ("leadforge_lead_scoring", "leadforge_lifecycle", "leadforge_core._"):
            assert private not in text, f"{f.name} imports {private}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The support-tickets example installed (not editable) into a private folder."""
    target = install(SUPPORT, tmp_path_factory.mktemp("site"))
    assert not (target / "leadforge_support_tickets" / "tests").exists()
    return target


@pytest.fixture(scope="module")
def bundles(site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("bundles")
    paths = {}
    for mode in ("student_public", "research_instructor"):
        path = out / mode
        args = ("generate", "-r", RECIPE, "--seed", "2", "--n-customers", "250")
        cli(*args, "--mode", mode, "--out", str(path), site=site)
        paths[mode] = path
    return paths


def test_example_scheme_stays_within_its_line_budget() -> None:
    files = sorted((SUPPORT / "src").rglob("*.py"))
    assert files, "no Python files found"
    lines = sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)
    assert lines <= MAX_LINES, f"{lines} lines of Python in the example scheme (max {MAX_LINES})"


def test_example_uses_only_the_public_core() -> None:
    assert_public_core_only(SUPPORT)


def test_installed_plugin_is_listed(site: Path) -> None:
    listing = json.loads(cli("plugins", "--json", site=site).stdout)
    mine = [p for p in listing["plugins"] if p["distribution"] == "leadforge-support-tickets"]
    assert len(mine) == 1, listing
    assert mine[0]["status"] == "loaded" and mine[0]["errors"] == []
    assert mine[0]["schemes"] == ["support_tickets"] and mine[0]["recipes"] == [RECIPE]


@pytest.mark.parametrize("mode", ["student_public", "research_instructor"])
def test_generate_inspect_validate_evaluate_report_export(
    site: Path, bundles: dict[str, Path], mode: str, tmp_path: Path
) -> None:
    bundle = bundles[mode]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["scheme"] == "support_tickets" and manifest["exposure_mode"] == mode
    assert manifest["generator"]["plugin"]["distribution"] == "leadforge-support-tickets"
    assert "support_tickets" in cli("inspect", str(bundle), site=site).stdout
    report = json.loads(cli("validate", str(bundle), "--json", site=site).stdout)
    assert report["ok"], report
    assert "support_tickets.ticket_windows" in report["checks_run"]
    scores = json.loads(cli("evaluate", str(bundle), "--json", site=site).stdout)
    task = scores["tasks"]["escalates_within_14d"]
    auc = task["models"]["without_traps"]["hgb"]["roc_auc"]
    assert 0.6 < auc < 0.98, auc
    html = tmp_path / "report.html"
    cli("report", str(bundle), "-o", str(html), "--no-evaluate", site=site)
    page = html.read_text(encoding="utf-8")
    assert "Support desk escalations" in page
    # the hidden graph (a node without a public column) is drawn for instructors only
    assert ("obs_sentiment" in page) == (mode == "research_instructor")
    out = tmp_path / "csv"
    cli("export", str(bundle), "--format", "csv", "--out", str(out), site=site)
    assert {"customers.csv", "tickets.csv", "ticket_events.csv"} <= {p.name for p in out.rglob("*")}


def assert_own_tests_pass(example: Path, site: Path) -> None:
    """Run an example's own tests (its conformance suite) against its installed copy."""
    args = ("-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider")
    proc = run(*args, str(example / "tests"), site=site, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


def test_example_passes_the_conformance_suite(site: Path) -> None:
    assert_own_tests_pass(SUPPORT, site)


def test_without_the_install_the_scheme_and_recipe_are_gone(
    site: Path, bundles: dict[str, Path]
) -> None:
    listing = json.loads(cli("plugins", "--json", site=None).stdout)
    assert all(p["distribution"] != "leadforge-support-tickets" for p in listing["plugins"])
    recipes = cli("list-recipes", site=None).stdout
    assert RECIPE not in recipes
    proc = cli("generate", "-r", RECIPE, "--out", str(site.parent / "gone"), site=None, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and RECIPE in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (site.parent / "gone").exists()
