"""Bundle writing: layout, determinism, atomic replacement, refusal of bad destinations."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from helpers import file_hashes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadforge_core import Generator
from leadforge_core.cli.app import run
from leadforge_core.errors import BundleIOError
from leadforge_core.plugins import PluginHost

TESTS = Path(__file__).parent


def _gen(host: PluginHost, out: Path, **kw: object) -> None:
    bundle = Generator.from_recipe("toy_shop_v1", host=host, **kw).generate(
        timestamp="2026-01-01T00:00:00Z"
    )  # type: ignore[arg-type]
    bundle.save(out)


def test_layout_and_manifest_inventory(toy_host: PluginHost, tmp_path: Path) -> None:
    out = tmp_path / "b"
    _gen(toy_host, out, exposure_mode="research_instructor")
    names = set(file_hashes(out))
    assert {
        "manifest.json",
        "dataset_card.md",
        "feature_dictionary.csv",
        "tables/customers.parquet",
        "tables/loyalty.parquet",
        "metadata/world_spec.json",
        "metadata/graph.graphml",
        "metadata/public_summary.json",
        "tasks/reorders_within_60_days/train.parquet",
        "tasks/reorders_within_60_days/task_manifest.json",
    } <= names
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["tables"]["orders"]
    assert entry["rows"] == pl.read_parquet(out / "tables/orders.parquet").height
    assert entry["sha256"] == file_hashes(out)["tables/orders.parquet"]
    assert manifest["recipe"]["content_hash"].startswith("sha256:")
    assert manifest["generated_at"] == "2026-01-01T00:00:00Z"
    tm = json.loads((out / "tasks/reorders_within_60_days/task_manifest.json").read_text())
    assert set(tm["splits"]) == {"train", "valid", "test"} and "prevalence" in tm["splits"]["train"]
    assert tm["split"]["strategy"] == "temporal"


def test_same_seed_same_bytes(toy_host: PluginHost, tmp_path: Path) -> None:
    _gen(toy_host, tmp_path / "a", seed=5)
    _gen(toy_host, tmp_path / "b", seed=5)
    assert file_hashes(tmp_path / "a") == file_hashes(tmp_path / "b")
    _gen(toy_host, tmp_path / "c", seed=6)
    assert (
        file_hashes(tmp_path / "a")["tables/orders.parquet"]
        != file_hashes(tmp_path / "c")["tables/orders.parquet"]
    )


def test_source_date_epoch_pins_timestamp(
    toy_host: PluginHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run(["generate", "--recipe", "toy_shop_v1", "--out", str(tmp_path / "a"), "-q"]) == 0
    assert run(["generate", "--recipe", "toy_shop_v1", "--out", str(tmp_path / "b"), "-q"]) == 0
    assert file_hashes(tmp_path / "a") == file_hashes(tmp_path / "b")
    assert (
        json.loads((tmp_path / "a/manifest.json").read_text())["generated_at"]
        == "2023-11-14T22:13:20Z"
    )


def test_non_empty_out_needs_force_and_force_replaces_whole(
    toy_host: PluginHost, tmp_path: Path
) -> None:
    out = tmp_path / "b"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    with pytest.raises(BundleIOError, match="not empty"):
        _gen(toy_host, out)
    assert (out / "stale.txt").read_text() == "old"
    bundle = Generator.from_recipe("toy_shop_v1", host=toy_host).generate(timestamp=0)
    bundle.save(out, force=True)
    assert not (out / "stale.txt").exists() and (out / "manifest.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["b"]  # no temporary folders left


def test_empty_existing_out_is_fine(toy_host: PluginHost, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    _gen(toy_host, tmp_path / "b")
    assert (tmp_path / "b/manifest.json").exists()


def test_failure_while_writing_leaves_nothing(toy_host: PluginHost, tmp_path: Path) -> None:
    bundle = Generator.from_recipe("toy_shop_v1", host=toy_host).generate(timestamp=0)

    def explode(tmp: Path) -> None:
        assert (tmp / "manifest.json").exists()
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        bundle.save(tmp_path / "b", before_publish=explode)
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_generation_leaves_nothing(tmp_path: Path) -> None:
    """A real process killed mid-run: nothing at --out, no temporary folder left behind."""
    site = tmp_path / "site"
    info = site / "leadforge_toy-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: leadforge-toy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[leadforge]\ntoy = toy_scheme.plugin\n")
    out = tmp_path / "out" / "bundle"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), str(TESTS)]),
        "LEADFORGE_PLUGINS": "toy",
    }
    code = (
        "import time, toy_scheme.scheme as s\n"
        "orig = s.ToyShop.render\n"
        "def slow(self, *a):\n"
        "    r = orig(self, *a)\n"
        "    print('rendered', flush=True)\n"
        "    time.sleep(30)\n"
        "    return r\n"
        "s.ToyShop.render = slow\n"
        "from leadforge_core.cli.app import main; main()\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "generate",
            "--recipe",
            "toy_shop_v1",
            "--out",
            str(out),
            "-q",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "rendered"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not out.exists()
    assert list((tmp_path / "out").iterdir()) == [] if (tmp_path / "out").exists() else True


def test_out_is_a_file(toy_host: PluginHost, tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(BundleIOError, match="not a directory"):
        _gen(toy_host, f)


def test_public_bundle_hides_truth(toy_host: PluginHost, tmp_path: Path) -> None:
    _gen(toy_host, tmp_path / "p", motif="bursty")
    names = set(file_hashes(tmp_path / "p"))
    assert not any(n.startswith("metadata/") and n != "metadata/public_summary.json" for n in names)
    assert "tables/loyalty.parquet" not in names
    manifest = json.loads((tmp_path / "p/manifest.json").read_text())
    text = json.dumps(manifest)
    assert "bursty" not in text and manifest["config"]["params"]["motif"] == "withheld"
    assert "lifetime_orders" not in pl.read_parquet(tmp_path / "p/tables/customers.parquet").columns
    card = (tmp_path / "p/dataset_card.md").read_text()
    assert "bursty" not in card and "## Truth" not in card


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**40),
    n=st.integers(1, 400),
    mode=st.sampled_from(["student_public", "research_instructor"]),
)
def test_generation_is_deterministic(toy_host: PluginHost, seed: int, n: int, mode: str) -> None:
    def make() -> dict[str, pl.DataFrame]:
        b = Generator.from_recipe(
            "toy_shop_v1", host=toy_host, seed=seed, n_customers=n, exposure_mode=mode
        ).generate(timestamp=0)
        frames = dict(b.tables)
        frames.update(
            {f"{t}/{s}": f for t, task in b.tasks.items() for s, f in task.splits.items()}
        )
        return frames

    first, second = make(), make()
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].equals(second[name], null_equal=True), name
