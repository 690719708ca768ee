"""Big tables as Parquet datasets: part files, manifest inventory, reading and validation."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from helpers import file_hashes

from leadforge_core import Generator
from leadforge_core.bundle import layout
from leadforge_core.bundle.world import WorldBundle, encode_parquet
from leadforge_core.errors import ConfigError
from leadforge_core.validation import artifact
from leadforge_core.validation.runner import validate_bundle
from leadforge_core.validation.view import BundleView

PART_ROWS = 500


@pytest.fixture(scope="module")
def lifecycle() -> WorldBundle:
    return Generator.from_recipe(
        "b2b_saas_ltv_v1", seed=3, exposure_mode="research_instructor", n_customers=1500
    ).generate(timestamp=0)


@pytest.fixture(scope="module")
def parted(lifecycle: WorldBundle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parted") / "b"
    lifecycle.save(out, part_rows=PART_ROWS)
    return out


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(src, dst)
    return dst


def test_part_rows_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(layout.PART_ROWS_ENV, raising=False)
    assert layout.part_rows() == layout.DEFAULT_PART_ROWS
    monkeypatch.setenv(layout.PART_ROWS_ENV, "1234")
    assert layout.part_rows() == 1234
    assert layout.part_rows(7) == 7
    for bad in ("0", "-3", "abc", "1.5"):
        monkeypatch.setenv(layout.PART_ROWS_ENV, bad)
        with pytest.raises(ConfigError, match=layout.PART_ROWS_ENV):
            layout.part_rows()
    with pytest.raises(ConfigError, match="part_rows"):
        layout.part_rows(0)


def test_big_tables_become_fixed_size_parts(lifecycle: WorldBundle, parted: Path) -> None:
    manifest = json.loads((parted / "manifest.json").read_text())
    hashes = file_hashes(parted)
    datasets = 0
    for name, frame in lifecycle.tables.items():
        entry = manifest["tables"][name]
        assert entry["rows"] == frame.height
        if frame.height <= PART_ROWS:
            assert entry["file"] == f"tables/{name}.parquet" and "parts" not in entry
            assert (parted / entry["file"]).is_file()
            continue
        datasets += 1
        assert entry["file"] == f"tables/{name}" and entry["format"] == "parquet_dataset"
        assert not (parted / f"tables/{name}.parquet").exists()
        parts = entry["parts"]
        expected_parts = -(-frame.height // PART_ROWS)
        assert [p["file"] for p in parts] == [
            f"tables/{name}/part-{i:05d}.parquet" for i in range(expected_parts)
        ]
        assert sorted(p.name for p in (parted / "tables" / name).iterdir()) == [
            Path(p["file"]).name for p in parts
        ]
        assert [p["rows"] for p in parts[:-1]] == [PART_ROWS] * (expected_parts - 1)
        assert sum(p["rows"] for p in parts) == frame.height
        assert entry["bytes"] == sum(p["bytes"] for p in parts)
        for p in parts:
            assert p["sha256"] == hashes[p["file"]]
            assert p["bytes"] == (parted / p["file"]).stat().st_size
        # the parts, read in order, are the table
        read = pl.read_parquet([parted / p["file"] for p in parts])
        assert read.select(pl.all().cast(pl.String)).equals(frame.select(pl.all().cast(pl.String)))
    assert datasets >= 3
    for split, entry in manifest["tasks"][next(iter(lifecycle.tasks))]["splits"].items():
        assert entry["rows"] == lifecycle.split(next(iter(lifecycle.tasks)), split).height


def test_parts_are_deterministic_and_small_bundles_unchanged(
    lifecycle: WorldBundle, parted: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    lifecycle.save(again, part_rows=PART_ROWS)
    assert file_hashes(again) == file_hashes(parted)
    whole = tmp_path / "whole"
    lifecycle.save(whole)  # default threshold: every table is one file
    single = file_hashes(whole)
    assert not any("/part-" in rel for rel in single)
    # a table under the threshold has the same bytes in both layouts
    small = [n for n, f in lifecycle.tables.items() if f.height <= PART_ROWS]
    assert small
    for name in small:
        rel = f"tables/{name}.parquet"
        assert single[rel] == file_hashes(parted)[rel]


def test_view_reads_both_forms(lifecycle: WorldBundle, parted: Path) -> None:
    view = BundleView(parted)
    for name, frame in lifecycle.tables.items():
        read = view.table(name)
        assert read.height == frame.height and read.columns == frame.columns
        assert read.select(pl.all().cast(pl.String)).equals(frame.select(pl.all().cast(pl.String)))
        assert view.scan_table(name).select(pl.len()).collect().item() == frame.height
    task = next(iter(lifecycle.tasks))
    assert view.task_split(task, "train").height == lifecycle.split(task, "train").height


def test_parted_bundle_validates_without_loading_tables(parted: Path) -> None:
    report = validate_bundle(parted)
    assert report.ok, [str(f) for f in report.findings]
    # the core key and timestamp checks stream over parts: no table is loaded whole
    view = BundleView(parted)
    from leadforge_core.plugins import get_host

    scheme_cls, _ = get_host().scheme(view.scheme)
    specs = {s.name: s for s in scheme_cls().table_specs()}
    assert list(artifact.keys(view, specs)) == []
    assert list(artifact.timestamps(view, specs)) == []
    assert list(artifact.files_and_hashes(view)) == []
    assert not any(view.is_loaded(layout.table_file(n)) for n in view.table_names())


def _dataset_tables(bundle: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((bundle / "manifest.json").read_text())
    return {n: e for n, e in manifest["tables"].items() if "parts" in e}


def _rewrite_part(bundle: Path, rel: str, frame: pl.DataFrame) -> None:
    """Replace one part and make the manifest agree, as a careful forger would."""
    data = encode_parquet(frame)
    (bundle / rel).write_bytes(data)
    manifest = json.loads((bundle / "manifest.json").read_text())
    for entry in manifest["tables"].values():
        for part in entry.get("parts", []):
            if part["file"] == rel:
                part.update(
                    bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), rows=frame.height
                )
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


def _findings(bundle: Path) -> list[str]:
    return [str(f) for f in validate_bundle(bundle).findings]


def test_tampered_or_missing_part_is_reported(parted: Path, tmp_path: Path) -> None:
    bundle = _copy(parted, tmp_path)
    entry = next(iter(_dataset_tables(bundle).values()))
    second = bundle / entry["parts"][1]["file"]
    second.write_bytes(second.read_bytes()[:-10] + b"0123456789")
    found = _findings(bundle)
    assert any("sha256 differs" in f and entry["parts"][1]["file"] in f for f in found), found
    second.unlink()
    found = _findings(bundle)
    assert any("listed in the manifest but missing" in f for f in found), found


def test_duplicate_key_across_parts_is_found(parted: Path, tmp_path: Path) -> None:
    bundle = _copy(parted, tmp_path)
    entry = _dataset_tables(bundle)["subscription_events"]
    first = pl.read_parquet(bundle / entry["parts"][0]["file"])
    last_rel = entry["parts"][-1]["file"]
    last = pl.read_parquet(bundle / last_rel)
    stolen = first["event_id"][0]
    assert stolen not in set(last["event_id"].to_list())
    last = last.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(stolen))
        .otherwise(pl.col("event_id"))
        .alias("event_id")
    )
    _rewrite_part(bundle, last_rel, last)
    found = _findings(bundle)
    assert any("event_id has 1 duplicate values" in f for f in found), found


def test_orphan_foreign_key_in_a_later_part_is_found(parted: Path, tmp_path: Path) -> None:
    bundle = _copy(parted, tmp_path)
    entry = _dataset_tables(bundle)["subscription_events"]
    rel = entry["parts"][-1]["file"]
    frame = pl.read_parquet(bundle / rel)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) < 2)
        .then(pl.lit("sub_9999999"))
        .otherwise(pl.col("subscription_id"))
        .alias("subscription_id")
    )
    _rewrite_part(bundle, rel, frame)
    found = _findings(bundle)
    assert any(
        "1 subscription_id values not in subscriptions.subscription_id" in f and "sub_9999999" in f
        for f in found
    ), found


def test_wrong_part_row_count_is_reported(parted: Path, tmp_path: Path) -> None:
    bundle = _copy(parted, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    name = next(n for n, e in manifest["tables"].items() if "parts" in e)
    manifest["tables"][name]["parts"][0]["rows"] += 1
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    found = _findings(bundle)
    part = manifest["tables"][name]["parts"][0]["file"]
    assert any(part in f and "manifest says" in f for f in found), found
