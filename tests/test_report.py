"""`leadforge report` on the toy scheme: generic sections, the section hook, the CLI contract."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import sys
import threading
import types
from pathlib import Path

import polars as pl
import pytest

from leadforge_core import Generator, hookimpl
from leadforge_core.cli.app import run
from leadforge_core.plugins import PluginHost, PluginRecord
from leadforge_core.report import (
    Chart,
    ChartKind,
    DataTable,
    Note,
    ReportSection,
    Series,
    build_report,
    write_report,
)
from leadforge_core.report.aggregate import counts_by_period, scan_table
from leadforge_core.validation.view import BundleView


def _gen(host: PluginHost, out: Path, mode: str = "student_public") -> Path:
    Generator.from_recipe("toy_shop_v1", host=host, seed=3, exposure_mode=mode).generate(
        timestamp="2026-01-01T00:00:00Z"
    ).save(out)
    return out


@pytest.fixture
def toy_bundle(toy_host: PluginHost, tmp_path: Path) -> Path:
    return _gen(toy_host, tmp_path / "bundle")


class SignupPlugin:
    """A throwaway plugin adding one section to toy bundles."""

    @hookimpl
    def leadforge_report_sections(self, view: BundleView) -> list[ReportSection]:
        if view.scheme != "toy_shop":
            return []
        weeks, counts = counts_by_period(scan_table(view, "customers"), "signup_at", "1w")
        return [
            ReportSection(
                "signups",
                "Signups per week",
                [
                    Chart("Signups", ChartKind.LINE, weeks, [Series("customers", counts)]),
                    Note("toy signups section"),
                ],
            )
        ]


class BrokenPlugin:
    @hookimpl
    def leadforge_report_sections(self, view: BundleView) -> list[ReportSection]:
        raise RuntimeError("kaboom")


class TargetsOverride:
    @hookimpl
    def leadforge_report_sections(self, view: BundleView) -> list[ReportSection]:
        return [ReportSection("targets", "Custom targets", [DataTable(["a"], [["1"]])])]


def _register(host: PluginHost, plugin: object, name: str) -> PluginRecord:
    return host.register(plugin, PluginRecord(name, f"leadforge-{name}", "0.0"))


def test_generic_sections_come_from_declarations(toy_host: PluginHost, toy_bundle: Path) -> None:
    report = build_report(toy_bundle, toy_host, evaluate=False)
    keys = [s.key for s in report.sections]
    assert keys == ["overview", "cohorts", "targets", "features"]
    activity = report.sections[1]
    charts = [b for b in activity.blocks if isinstance(b, Chart)]
    # customers and orders are declared with a primary key and a timestamp; loyalty has none
    assert [c.title for c in charts] == ["customers per week", "orders per week"]
    orders = pl.read_parquet(toy_bundle / "tables" / "orders.parquet")
    assert sum(charts[1].series[0].values) == orders.height
    targets = next(s for s in report.sections if s.key == "targets")
    chart = next(b for b in targets.blocks if isinstance(b, Chart))
    assert chart.categories == ("train", "valid", "test")
    assert chart.series[0].name == "reorders_within_60_days"
    view = BundleView(toy_bundle)
    tm = view.task_manifest("reorders_within_60_days")
    for split, value in zip(chart.categories, chart.series[0].values, strict=True):
        assert value == pytest.approx(tm["splits"][split]["prevalence"], abs=1e-6)
    table = next(b for b in targets.blocks if isinstance(b, DataTable))
    assert [r[2] for r in table.rows] == [
        f"{tm['splits'][s]['rows']:,}" for s in ("train", "valid", "test")
    ]


def test_hook_leadforge_report_sections(
    toy_host: PluginHost, toy_bundle: Path, tmp_path: Path
) -> None:
    _register(toy_host, SignupPlugin(), "signups")
    result = write_report(toy_bundle, tmp_path / "r.html", host=toy_host, evaluate=False)
    html = result.path.read_text(encoding="utf-8")
    assert html.index('id="overview"') < html.index('id="signups"') < html.index('id="targets"')
    assert "toy signups section" in html
    # every chart is one <figure class="chart"> holding one inline <svg>
    assert html.count('<figure class="chart') == result.figures == html.count("<svg ")
    # signups, customers and orders per week, positive rate, features per group
    assert result.figures == 5


def test_a_failing_plugin_becomes_a_note(
    toy_host: PluginHost, toy_bundle: Path, tmp_path: Path, warnings_seen: list[str]
) -> None:
    _register(toy_host, BrokenPlugin(), "broken")
    _register(toy_host, SignupPlugin(), "signups")
    result = write_report(toy_bundle, tmp_path / "r.html", host=toy_host, evaluate=False)
    html = result.path.read_text(encoding="utf-8")
    assert 'id="signups"' in html
    assert any("leadforge-broken" in n and "kaboom" in n for n in result.notes)
    assert "kaboom" in html and any("kaboom" in w for w in warnings_seen)


def test_a_plugin_section_replaces_a_generic_one_by_key(
    toy_host: PluginHost, toy_bundle: Path
) -> None:
    _register(toy_host, TargetsOverride(), "override")
    report = build_report(toy_bundle, toy_host, evaluate=False)
    titles = [s.title for s in report.sections]
    assert titles.count("Custom targets") == 1 and "Targets" not in titles


def test_report_is_deterministic_and_offline(
    toy_host: PluginHost, toy_bundle: Path, tmp_path: Path
) -> None:
    a = write_report(toy_bundle, tmp_path / "a.html", host=toy_host, evaluate=False)
    b = write_report(toy_bundle, tmp_path / "b.html", host=toy_host, evaluate=False)
    data = a.path.read_bytes()
    assert data == b.path.read_bytes()
    html = data.decode("utf-8")
    for needle in ("<script", "<link", "<img", "<iframe", "@import", "src=", "@font-face"):
        assert needle not in html
    # the only URLs are XML namespace names, which browsers never fetch
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "@media print" in html


def test_public_toy_report_hides_the_motif(toy_host: PluginHost, tmp_path: Path) -> None:
    inst = _gen(toy_host, tmp_path / "inst", "research_instructor")
    motif = BundleView(inst).manifest["scheme_details"]["motif_family"]
    pub = _gen(toy_host, tmp_path / "pub", "student_public")
    html = write_report(pub, tmp_path / "r.html", host=toy_host, evaluate=False).path.read_text()
    assert motif not in html


def test_cli_writes_and_refuses_to_overwrite(
    toy_host: PluginHost, toy_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "page.html"
    assert run(["report", str(toy_bundle), "-o", str(out), "--no-evaluate"]) == 0
    assert out.is_file() and "wrote" in capsys.readouterr().out
    before = out.read_bytes()
    assert run(["report", str(toy_bundle), "-o", str(out), "--no-evaluate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "Traceback" not in err
    assert out.read_bytes() == before
    assert (
        run(["report", str(toy_bundle), "-o", str(out), "--force", "--json", "--no-evaluate"]) == 0
    )
    assert '"figures": 4' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "not a bundle folder"),
        ("corrupt", "cannot report on"),
        ("outdir", "is a folder"),
        ("nodir", "cannot write to"),
        ("inside", "is inside the bundle"),
    ],
)
def test_cli_bad_input_is_one_line_and_writes_nothing(
    toy_host: PluginHost,
    toy_bundle: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    message: str,
) -> None:
    bundle, out = toy_bundle, tmp_path / "out" / "r.html"
    (tmp_path / "out").mkdir()
    if case == "missing":
        bundle = tmp_path / "nope"
    elif case == "corrupt":
        (toy_bundle / "manifest.json").write_text("{not json")
    elif case == "outdir":
        out = tmp_path / "out"
    elif case == "nodir":
        out = tmp_path / "absent" / "r.html"
    elif case == "inside":
        out = toy_bundle / "report.html"
    assert run(["report", str(bundle), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert list((tmp_path / "out").iterdir()) == []
    assert not (toy_bundle / "report.html").exists()


def test_missing_plotting_extra_is_one_line(
    toy_host: PluginHost,
    toy_bundle: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    assert run(["report", str(toy_bundle), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err == "error: leadforge report needs matplotlib: pip install 'leadforge-core[report]'\n"
    assert not (tmp_path / "r.html").exists()


def _fake_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    return module


def _fake_evaluate(monkeypatch: pytest.MonkeyPatch, func: object) -> None:
    """Stand in for leadforge_core.evaluate (and scikit-learn where it is not installed)."""
    if importlib.util.find_spec("sklearn") is None:
        monkeypatch.setitem(sys.modules, "sklearn", _fake_module("sklearn"))
    module = types.ModuleType("leadforge_core.evaluate")
    module.__spec__ = importlib.machinery.ModuleSpec("leadforge_core.evaluate", None)
    if func is not None:
        module.evaluate_bundle = func  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "leadforge_core.evaluate", module)


def test_evaluation_section_when_the_module_exists(
    toy_host: PluginHost, toy_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []

    def evaluate_bundle(path: Path) -> dict[str, object]:  # the flat fallback shape
        seen.append(Path(path))
        return {"reorders_within_60_days": {"logistic": {"roc_auc": 0.71234, "log_loss": 0.5}}}

    _fake_evaluate(monkeypatch, evaluate_bundle)
    report = build_report(toy_bundle, toy_host)
    assert seen == [toy_bundle]
    section = next(s for s in report.sections if s.key == "evaluation")
    table = section.blocks[0]
    assert isinstance(table, DataTable)
    assert ("reorders_within_60_days / logistic", "roc_auc", "0.7123") in table.rows


def test_evaluation_section_of_the_evaluate_result_shape(
    toy_host: PluginHost, toy_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = {
        "task_type": "binary",
        "models": {
            "without_traps": {
                "dummy": {"roc_auc": 0.5, "brier": 0.2, "extra": {}},
                "hgb": {"roc_auc": 0.74, "brier": 0.15, "extra": {}},
            },
            "with_traps": {
                "dummy": {"roc_auc": 0.5, "brier": 0.2, "extra": {}},
                "hgb": {"roc_auc": 0.93, "brier": 0.08, "extra": {}},
            },
        },
        "verdict": {
            "status": "ok",
            "strength": "moderate",
            "headline": {"metric": "roc_auc"},
            "summary": ["hgb beats the prior."],
        },
    }
    result = {
        "tasks": {"reorders_within_60_days": task, "other": {"skipped": "no rows"}},
        "verdict": {"status": "ok", "summary": []},
    }
    _fake_evaluate(monkeypatch, lambda path: result)
    report = build_report(toy_bundle, toy_host)
    section = next(s for s in report.sections if s.key == "evaluation")
    chart = next(b for b in section.blocks if isinstance(b, Chart))
    assert chart.categories == ("dummy", "hgb")
    assert [s.name for s in chart.series] == ["without traps", "with traps"]
    assert chart.series[1].values == (0.5, 0.93)
    table = next(b for b in section.blocks if isinstance(b, DataTable))
    assert table.columns == ("model", "variant", "brier", "roc_auc")
    assert ("hgb", "with traps", "0.080", "0.930") in table.rows
    notes = [b.text for b in section.blocks if isinstance(b, Note)]
    assert any("other: evaluation skipped (no rows)" in n for n in notes)
    assert any("verdict ok (moderate)" in n for n in notes)


def test_a_failing_evaluation_does_not_break_the_report(
    toy_host: PluginHost, toy_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def evaluate_bundle(path: Path) -> None:
        raise ZeroDivisionError("tiny split")

    _fake_evaluate(monkeypatch, evaluate_bundle)
    report = build_report(toy_bundle, toy_host)
    assert "evaluation" not in [s.key for s in report.sections]
    assert "evaluation failed: ZeroDivisionError: tiny split" in report.notes


def test_evaluation_section_from_leadforge_evaluate(toy_host: PluginHost, toy_bundle: Path) -> None:
    """The real leadforge_core.evaluate, when it and scikit-learn are installed."""
    pytest.importorskip("leadforge_core.evaluate")
    pytest.importorskip("sklearn")
    report = build_report(toy_bundle, toy_host)
    section = next(s for s in report.sections if s.key == "evaluation")
    chart = next(b for b in section.blocks if isinstance(b, Chart))
    assert chart.title.startswith("reorders_within_60_days: ")
    assert {s.name for s in chart.series} <= {"without traps", "with traps"}
    assert all(0.0 <= v <= 1.0 for s in chart.series for v in s.values if v == v)
    assert any(isinstance(b, DataTable) for b in section.blocks)


def test_evaluation_section_states_the_fitting_rows(
    toy_host: PluginHost, toy_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The section says which rows the baselines were fitted on; a limit given to the report
    reaches evaluate (a fixed sample above it) and is stated on the page."""
    pytest.importorskip("leadforge_core.evaluate")
    pytest.importorskip("sklearn")

    def notes(report: object) -> str:
        section = next(s for s in report.sections if s.key == "evaluation")  # type: ignore[attr-defined]
        return " ".join(b.text for b in section.blocks if isinstance(b, Note))

    full = notes(build_report(toy_bundle, toy_host))
    assert re.search(r"reorders_within_60_days: fitted on all [\d,]+ train \+ valid rows", full)
    sampled = notes(build_report(toy_bundle, toy_host, max_fit_rows=100))
    assert "fitted on a fixed sample of 100 of the " in sampled
    assert "--max-fit-rows 0 fits on every row" in sampled
    result = write_report(toy_bundle, tmp_path / "r.html", host=toy_host, max_fit_rows=100)
    assert "fitted on a fixed sample of 100 of the " in result.path.read_text()
    cli = tmp_path / "cli.html"
    assert run(["report", str(toy_bundle), "-o", str(cli), "--max-fit-rows", "100"]) == 0
    assert "fitted on a fixed sample of 100 of the " in cli.read_text()

    seen: list[object] = []

    def evaluate_bundle(path: Path, max_fit_rows: int | None = 7) -> dict[str, object]:
        seen.append(max_fit_rows)
        return {"t": {"m": {"auc": 0.7}}}

    _fake_evaluate(monkeypatch, evaluate_bundle)
    build_report(toy_bundle, toy_host, max_fit_rows=0)
    assert seen == [0]


def test_evaluation_runs_beside_the_aggregation(
    toy_host: PluginHost, toy_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evaluation runs on its own thread while the other sections aggregate; the page is
    the same on every run and a failure still becomes a note."""
    threads: list[str] = []

    def evaluate_bundle(path: Path) -> dict[str, object]:
        threads.append(threading.current_thread().name)
        return {"t": {"m": {"auc": 0.7}}}

    _fake_evaluate(monkeypatch, evaluate_bundle)
    a = write_report(toy_bundle, tmp_path / "a.html", host=toy_host)
    b = write_report(toy_bundle, tmp_path / "b.html", host=toy_host)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert len(threads) == 2 and threading.main_thread().name not in threads
    report = build_report(toy_bundle, toy_host)
    assert [s.key for s in report.sections].count("evaluation") == 1

    def broken(path: Path) -> None:
        raise RuntimeError("no")

    _fake_evaluate(monkeypatch, broken)
    assert "evaluation failed: RuntimeError: no" in build_report(toy_bundle, toy_host).notes


def test_evaluation_needs_scikit_learn(
    toy_host: PluginHost, toy_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_evaluate(monkeypatch, lambda path: {"t": {"m": {"auc": 0.7}}})
    monkeypatch.setitem(sys.modules, "sklearn", None)  # find_spec raises: not importable
    report = build_report(toy_bundle, toy_host)
    assert "evaluation" not in [s.key for s in report.sections]
    assert "evaluation skipped: scikit-learn is not installed" in report.notes


def test_evaluation_is_skipped_cleanly(
    toy_host: PluginHost, toy_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_evaluate(monkeypatch, None)  # a module without evaluate_bundle
    report = build_report(toy_bundle, toy_host)
    assert "evaluation" not in [s.key for s in report.sections]
    assert any(n.startswith("evaluation skipped") for n in report.notes)


def test_chart_rejects_misaligned_series() -> None:
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        Chart("x", ChartKind.BAR, ["a", "b", "c"], [Series("s", [1, 2])])
