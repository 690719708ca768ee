"""``leadforge export`` and ``leadforge_core.export``: the exporter hook, atomic output,
refusals and one-line errors (on the toy scheme)."""

from __future__ import annotations

import hashlib
import json
import shutil
import types
from pathlib import Path

import pytest

from leadforge_core import Exporter, ExportSource, Generator, export, hookimpl
from leadforge_core.cli.app import run
from leadforge_core.errors import (
    BundleIOError,
    ExportError,
    PluginCrash,
    PluginError,
    ValidationFailed,
)
from leadforge_core.plugins import PluginHost, PluginRecord

FORMATS = ["csv", "duckdb", "hf", "kaggle", "teaching-csv"]


@pytest.fixture
def toy_bundle(toy_host: PluginHost, tmp_path: Path) -> Path:
    gen = Generator.from_recipe(
        "toy_shop_v1", host=toy_host, seed=3, exposure_mode="research_instructor"
    )
    return gen.generate(timestamp=0).save(tmp_path / "bundle")


@pytest.fixture
def toy_public(toy_host: PluginHost, tmp_path: Path) -> Path:
    gen = Generator.from_recipe("toy_shop_v1", host=toy_host, exposure_mode="student_public")
    return gen.generate(timestamp=0).save(tmp_path / "public")


class Lines(Exporter):
    """A throwaway format: one text file with the row count of each table."""

    name = "row-counts"
    title = "row counts of every table"
    option_help = {"sep": "separator between name and count"}
    option_defaults = {"sep": ","}

    def write(self, source: ExportSource, out: Path) -> None:
        sep = self.options["sep"]
        lines = [f"{t}{sep}{source.table(t).height}" for t in source.table_names()]
        (out / "counts.txt").write_text("\n".join(lines) + "\n")


def _plugin(*classes: type[Exporter]) -> types.ModuleType:
    mod = types.ModuleType("throwaway_exporters")

    @hookimpl
    def leadforge_register_exporters() -> list[type[Exporter]]:
        return list(classes)

    mod.leadforge_register_exporters = leadforge_register_exporters  # type: ignore[attr-defined]
    return mod


@pytest.fixture
def row_counts(toy_host: PluginHost) -> PluginRecord:
    return toy_host.register(_plugin(Lines), PluginRecord("counts", "leadforge-counts", "0.2"))


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}"))


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    return lines[0]


# -- the hook --------------------------------------------------------------------------------


def test_builtin_formats_come_through_the_hook(toy_host: PluginHost) -> None:
    core = next(r for r in toy_host.records if r.distribution == "leadforge-core")
    assert core.name == "builtins" and core.exporters == FORMATS
    assert all(toy_host.exporter(f)[1] is core for f in FORMATS)
    assert toy_host.pm.get_plugin("leadforge-core:builtins") is not None


def test_hook_leadforge_register_exporters(
    row_counts: PluginRecord, toy_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["plugins", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)["plugins"]}
    assert listed["counts"]["exporters"] == ["row-counts"]
    assert listed["builtins"]["exporters"] == FORMATS
    out = tmp_path / "counts"
    args = ["export", str(toy_bundle), "--format", "row-counts", "--out", str(out), "--json"]
    assert run([*args, "--option", "sep=:"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["exporter"] == "leadforge-counts" and result["files"] == {
        "counts.txt": (out / "counts.txt").stat().st_size
    }
    manifest = json.loads((toy_bundle / "manifest.json").read_text())
    expected = {f"{t}:{e['rows']}" for t, e in manifest["tables"].items()}
    assert set((out / "counts.txt").read_text().split()) == expected
    assert run(["export", str(toy_bundle), "-f", "row-counts", "-o", str(tmp_path / "x")]) == 0
    assert "exported" in capsys.readouterr().out


def test_duplicate_exporter_names_both_distributions(
    toy_host: PluginHost, warnings_seen: list[str]
) -> None:
    class Copycat(Lines):
        name = "csv"

    toy_host.register(_plugin(Copycat), PluginRecord("copy", "leadforge-copycat", "1"))
    assert any(
        "exporter 'csv' is registered by both leadforge-core and leadforge-copycat" in w
        for w in warnings_seen
    )
    with pytest.raises(PluginError, match="leadforge-core and leadforge-copycat"):
        toy_host.exporter("csv")
    assert toy_host.exporter("kaggle")[0].name == "kaggle"


def test_non_exporter_is_refused(toy_host: PluginHost, warnings_seen: list[str]) -> None:
    toy_host.register(_plugin(dict), PluginRecord("bad", "leadforge-bad", "1"))  # type: ignore[arg-type]
    assert any("not an Exporter subclass" in w and "leadforge-bad" in w for w in warnings_seen)


# -- every built-in format on the toy scheme ---------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_exports_the_toy_bundle(
    fmt: str, toy_bundle: Path, toy_host: PluginHost, tmp_path: Path
) -> None:
    result = export(toy_bundle, fmt, tmp_path / fmt)
    assert result.files and all((tmp_path / fmt / f).is_file() for f in result.files)
    assert _siblings(tmp_path / fmt) == []


def test_public_export_never_reads_truth_even_if_present(
    toy_public: Path, toy_bundle: Path, toy_host: PluginHost, tmp_path: Path
) -> None:
    # plant an instructor truth file in the public bundle, correctly listed in its manifest
    truth = next(p for p in (toy_bundle / "metadata").iterdir() if p.name != "public_summary.json")
    planted = toy_public / "metadata" / truth.name
    shutil.copy(truth, planted)
    manifest = json.loads((toy_public / "manifest.json").read_text())
    manifest["files"][f"metadata/{truth.name}"] = {
        "bytes": planted.stat().st_size,
        "sha256": hashlib.sha256(planted.read_bytes()).hexdigest(),
    }
    (toy_public / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "csv"
    export(toy_public, "csv", out)
    assert sorted(p.name for p in (out / "metadata").iterdir()) == ["public_summary.json"]
    from leadforge_core.exporters import open_bundle

    source = open_bundle(toy_public, toy_host)
    assert source.metadata_names() == ["public_summary.json"]
    with pytest.raises(ExportError, match="may not be exported"):
        source.read_bytes(f"metadata/{truth.name}")
    with pytest.raises(ExportError):
        source.read_bytes("manifest.json")


def test_scheme_not_installed_exports_without_keys(
    toy_bundle: Path, tmp_path: Path, warnings_seen: list[str]
) -> None:
    bare = PluginHost(warn=warnings_seen.append, strict=False)
    export(toy_bundle, "duckdb", tmp_path / "db", host=bare)
    readme = (tmp_path / "db" / "README.md").read_text()
    assert "no keys are declared (the `toy_shop` scheme was not installed" in readme
    with pytest.raises(ExportError, match="no description for column"):
        export(toy_bundle, "kaggle", tmp_path / "kaggle", host=bare)
    assert not (tmp_path / "kaggle").exists() and _siblings(tmp_path / "kaggle") == []


# -- atomic output and refusals ----------------------------------------------------------------


def test_non_empty_out_is_refused_and_force_replaces_whole(
    toy_bundle: Path, toy_host: PluginHost, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    with pytest.raises(BundleIOError, match="is not empty; pass --force"):
        export(toy_bundle, "csv", out)
    assert [p.name for p in out.iterdir()] == ["stale.txt"]
    export(toy_bundle, "csv", out, force=True)
    assert not (out / "stale.txt").exists() and (out / "tables").is_dir()
    assert _siblings(out) == []


def test_out_overlapping_the_bundle_is_refused(toy_bundle: Path, toy_host: PluginHost) -> None:
    for out in (toy_bundle, toy_bundle / "inside", toy_bundle.parent):
        with pytest.raises(BundleIOError, match="overlaps the bundle"):
            export(toy_bundle, "csv", out, force=True)
    assert (toy_bundle / "manifest.json").is_file()


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_interrupted_or_failing_export_leaves_nothing(
    failure: type[BaseException], toy_host: PluginHost, toy_bundle: Path, tmp_path: Path
) -> None:
    class Halfway(Lines):
        name = "halfway"

        def write(self, source: ExportSource, out: Path) -> None:
            (out / "part.csv").write_text("a,b\n")
            raise failure("stop")

    toy_host.register(_plugin(Halfway), PluginRecord("half", "leadforge-half", "1"))
    out = tmp_path / "out"
    expected = KeyboardInterrupt if failure is KeyboardInterrupt else PluginCrash
    with pytest.raises(expected) as info:
        export(toy_bundle, "halfway", out)
    if expected is PluginCrash:
        message = str(info.value)
        assert "leadforge-half" in message and "RuntimeError: stop" in message
        assert "export format 'halfway'" in message and info.value.exit_code == 3
    assert not out.exists() and _siblings(out) == []


# -- one-line errors ---------------------------------------------------------------------------


def test_cli_user_errors(
    toy_bundle: Path, toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    empty = tmp_path / "empty"
    empty.mkdir()
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "manifest.json").write_text('{"hello": 1}')
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    cases = {
        ("export", str(toy_bundle), "--format", "xlsx", "--out", out): (
            "unknown export format 'xlsx' (known formats: csv, duckdb, hf, kaggle, teaching-csv)"
        ),
        ("export", str(tmp_path / "nope"), "--format", "csv", "--out", out): "bundle not found",
        ("export", str(empty), "--format", "csv", "--out", out): "is not a leadforge bundle",
        ("export", str(stray), "--format", "csv", "--out", out): "is not a leadforge bundle",
        ("export", str(broken), "--format", "csv", "--out", out): "not valid JSON",
        ("export", str(toy_bundle), "-f", "csv", "-o", out, "--option", "x=1"): (
            "format 'csv' has no option 'x'"
        ),
        ("export", str(toy_bundle), "-f", "kaggle", "-o", out, "--option", "owner"): (
            "expected KEY=VALUE"
        ),
        ("export", str(toy_bundle), "-f", "csv"): "Missing option '--out'",
    }
    for args, fragment in cases.items():
        assert run(list(args)) == 2, args
        line = _one_error(capsys)
        assert fragment in line, (args, line)
    assert not Path(out).exists()


def test_corrupt_bundle_is_one_line_exit_2(
    toy_bundle: Path, toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = next((toy_bundle / "tables").glob("*.parquet"))
    table.write_bytes(table.read_bytes()[:-40])
    out = tmp_path / "out"
    assert run(["export", str(toy_bundle), "--format", "csv", "--out", str(out)]) == 2
    line = _one_error(capsys)
    assert "is corrupt" in line and table.name in line and "leadforge validate" in line
    assert not out.exists()


def test_validate_first_exits_1_on_a_failed_check(
    toy_bundle: Path, toy_host: PluginHost, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import polars as pl

    # a consistent bundle (hashes match) whose data break a declared key
    rel = "tables/customers.parquet"
    frame = pl.read_parquet(toy_bundle / rel)
    frame = frame.with_columns(pl.lit(frame["customer_id"][0]).alias("customer_id"))
    frame.write_parquet(toy_bundle / rel, compression="zstd")
    manifest = json.loads((toy_bundle / "manifest.json").read_text())
    data = (toy_bundle / rel).read_bytes()
    manifest["tables"]["customers"].update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    (toy_bundle / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    with pytest.raises(ValidationFailed):
        export(toy_bundle, "csv", out, validate=True)
    assert run(["export", str(toy_bundle), "-f", "csv", "-o", str(out), "--validate"]) == 1
    assert "failed validation" in _one_error(capsys)
    assert not out.exists()
    # without --validate the hashes match, so the export goes ahead
    assert run(["export", str(toy_bundle), "-f", "csv", "-o", str(out)]) == 0


def test_missing_extra_is_one_line_naming_it(
    toy_bundle: Path,
    toy_host: PluginHost,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import importlib.util

    real = importlib.util.find_spec

    def hide(name: str, *args: object) -> object:
        return None if name in {"duckdb", "datasets"} else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", hide)
    for fmt, extra in (("duckdb", "duckdb"), ("hf", "hf")):
        out = tmp_path / fmt
        assert run(["export", str(toy_bundle), "-f", fmt, "-o", str(out)]) == 2
        line = _one_error(capsys)
        assert f"pip install 'leadforge-core[{extra}]'" in line, line
        assert not out.exists()


def test_plugin_guide_example_works(toy_host: PluginHost, toy_bundle: Path, tmp_path: Path) -> None:
    doc = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text()
    section = doc.split("### `leadforge_register_exporters()`", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("\n```", 1)[0]
    module = types.ModuleType("leadforge_jsonl_example")
    exec(compile(code, "plugins.md", "exec"), module.__dict__)
    record = toy_host.register(module, PluginRecord("jsonl", "leadforge-jsonl", "1.0"))
    assert record.exporters == ["jsonl"] and record.errors == []
    out = tmp_path / "jsonl"
    result = export(toy_bundle, "jsonl", out, options={"indent": "2"})
    manifest = json.loads((toy_bundle / "manifest.json").read_text())
    for table, entry in manifest["tables"].items():
        lines = (out / f"{table}.jsonl").read_text().splitlines()
        assert len(lines) == entry["rows"] and json.loads(lines[0])
    assert json.loads((out / "about.json").read_text())["mode"] == "research_instructor"
    assert "about.json" in result.files


def test_license_option_reaches_hf_and_kaggle(
    toy_host: PluginHost, toy_bundle: Path, tmp_path: Path
) -> None:
    export(toy_bundle, "hf", tmp_path / "hf", options={"license": "ODbL-1.0"})
    header = (tmp_path / "hf" / "README.md").read_text().split("---\n")[1]
    assert "\nlicense: odbl\n" in f"\n{header}"
    export(toy_bundle, "kaggle", tmp_path / "kg", options={"license": "odbl-1.0"})
    metadata = json.loads((tmp_path / "kg" / "dataset-metadata.json").read_text())
    assert metadata["licenses"] == [{"name": "ODbL-1.0"}]
    with pytest.raises(ExportError, match="unknown license 'gpl'"):
        export(toy_bundle, "hf", tmp_path / "bad", options={"license": "gpl"})
    assert not (tmp_path / "bad").exists()


def test_sigterm_during_export_leaves_nothing(toy_bundle: Path, tmp_path: Path) -> None:
    """A real process killed while writing: exit 130, nothing at --out, no temporary folder."""
    import os
    import signal
    import subprocess
    import sys

    out = tmp_path / "exports" / "csv"
    code = (
        "import time\n"
        "from leadforge_core.exporters.csv_format import CsvExporter\n"
        "orig = CsvExporter.write\n"
        "def slow(self, source, out):\n"
        "    orig(self, source, out)\n"
        "    print('written', flush=True)\n"
        "    time.sleep(30)\n"
        "CsvExporter.write = slow\n"
        "from leadforge_core.cli.app import main; main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "export", str(toy_bundle), "-f", "csv", "-o", str(out)],
        env={**os.environ, "LEADFORGE_PLUGINS": "none-wanted"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "written"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert not out.exists() and list(out.parent.iterdir()) == []
