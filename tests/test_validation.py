"""Validation reports tampering as findings, never as tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from leadforge_core import Generator
from leadforge_core.cli.app import run
from leadforge_core.plugins import PluginHost
from leadforge_core.validation.runner import validate_bundle


@pytest.fixture
def bundle(toy_host: PluginHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("v") / "b"
    Generator.from_recipe("toy_shop_v1", host=toy_host, n_customers=400).generate(timestamp=0).save(
        out
    )
    return out


def _checks(path: Path, host: PluginHost) -> set[str]:
    report = validate_bundle(path, host)
    assert not report.ok
    return {f.check for f in report.findings}


def test_clean_bundle_passes(bundle: Path, toy_host: PluginHost) -> None:
    report = validate_bundle(bundle, toy_host)
    assert report.ok, [str(f) for f in report.findings]
    assert {
        "files",
        "parquet",
        "schema",
        "keys",
        "exposure",
        "features",
        "toy_shop.orders_before_snapshot",
    } <= set(report.checks_run)


def test_dropped_row(bundle: Path, toy_host: PluginHost) -> None:
    f = bundle / "tables/orders.parquet"
    pl.read_parquet(f).slice(1).write_parquet(f)
    assert {"files", "rows"} <= _checks(bundle, toy_host)


def test_flipped_byte(bundle: Path, toy_host: PluginHost) -> None:
    f = bundle / "tables/customers.parquet"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))
    assert "files" in _checks(bundle, toy_host)


def test_deleted_file(bundle: Path, toy_host: PluginHost) -> None:
    (bundle / "tasks/reorders_within_60_days/valid.parquet").unlink()
    report = validate_bundle(bundle, toy_host)
    assert any("missing" in f.message and "valid.parquet" in f.location for f in report.findings)


def test_garbage_parquet(bundle: Path, toy_host: PluginHost) -> None:
    (bundle / "tables/orders.parquet").write_bytes(b"not parquet at all")
    report = validate_bundle(bundle, toy_host)
    assert any(
        f.check == "parquet" and "not readable as Parquet" in f.message for f in report.findings
    )


def test_bad_manifest_json(bundle: Path, toy_host: PluginHost) -> None:
    (bundle / "manifest.json").write_text("{ not json")
    report = validate_bundle(bundle, toy_host)
    assert [f.check for f in report.findings] == ["manifest"]
    assert "not valid JSON" in report.findings[0].message


def test_duplicate_primary_key_and_orphan_fk(bundle: Path, toy_host: PluginHost) -> None:
    f = bundle / "tables/orders.parquet"
    orders = pl.read_parquet(f)
    orders = pl.concat([orders, orders.head(1).with_columns(customer_id=pl.lit("cust_999999"))])
    orders.write_parquet(f)
    checks = _checks(bundle, toy_host)
    assert {"primary_key", "foreign_key"} <= checks


def test_hidden_truth_in_public_bundle(bundle: Path, toy_host: PluginHost) -> None:
    (bundle / "metadata/graph.json").write_text("{}")
    report = validate_bundle(bundle, toy_host)
    assert any(f.check == "exposure" for f in report.findings)


def test_cli_validate_exit_codes(
    bundle: Path, toy_host: PluginHost, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["validate", str(bundle)]) == 0
    assert capsys.readouterr().out.startswith("ok:")
    copy = bundle.parent / "copy"
    shutil.copytree(bundle, copy)
    (copy / "dataset_card.md").write_text("edited")
    assert run(["validate", str(copy), "--json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False and report["findings"][0]["location"] == "dataset_card.md"
    assert captured.err.startswith("error: ") and len(captured.err.splitlines()) == 1


def test_implausible_timestamp(bundle: Path, toy_host: PluginHost) -> None:
    f = bundle / "tables/customers.parquet"
    customers = pl.read_parquet(f)
    customers = customers.with_columns(
        signup_at=pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.datetime(1900, 1, 1))
        .otherwise(pl.col("signup_at"))
    )
    customers.write_parquet(f)
    report = validate_bundle(bundle, toy_host)
    assert any(
        f.check == "timestamps" and f.message == "1 values of signup_at outside 1970-2200"
        for f in report.findings
    )


def test_named_check_turns_bad_data_into_findings(bundle: Path) -> None:
    from leadforge_core.validation.findings import named_check
    from leadforge_core.validation.view import BundleView

    def reads_missing(view: BundleView) -> list:
        view.table("nope")
        return []

    def bad_column(view: BundleView) -> list:
        view.table("orders").select("no_such_column")
        return []

    view = BundleView(bundle)
    [missing] = list(named_check("probe", reads_missing)(view))
    assert missing.check == "probe" and missing.message == "file is missing"
    [bad] = list(named_check("probe", bad_column)(view))
    assert bad.message.startswith("cannot evaluate: ColumnNotFoundError")
    assert named_check("probe", bad_column).__name__ == "probe"


def test_threaded_checks_report_as_serial(
    bundle: Path, toy_host: PluginHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checks run on a thread pool; the report (checks, order, findings, and a file read once
    by several checks) is the serial one."""
    from leadforge_core.validation import runner

    f = bundle / "tables/orders.parquet"
    orders = pl.read_parquet(f)
    pl.concat([orders, orders.head(3)]).write_parquet(f)  # duplicate keys: several checks fail
    (bundle / "tables/customers.parquet").write_bytes(b"garbage")
    threaded = validate_bundle(bundle, toy_host)
    monkeypatch.setattr(runner, "MAX_THREADS", 1)
    serial = validate_bundle(bundle, toy_host)
    assert len(threaded.findings) >= 3
    assert threaded.checks_run == serial.checks_run
    assert [str(x) for x in threaded.findings] == [str(x) for x in serial.findings]
    assert threaded.checks_skipped == serial.checks_skipped
