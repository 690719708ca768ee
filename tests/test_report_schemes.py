"""Reports of both built-in schemes in both modes, opened in headless Chromium.

Browser tests need a local Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it).
Without one they are skipped with that reason locally, and fail on CI (``CI`` set).
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from browser import chromium_path, open_page

from leadforge_core import Generator
from leadforge_core.plugins import get_host, set_host
from leadforge_core.report import ReportResult, build_report, write_report

SCHEMES = {
    "lead_scoring": ("leadforge_lead_scoring", "b2b_saas_procurement_v1", {"n_leads": 1000}),
    "lifecycle": ("leadforge_lifecycle", "b2b_saas_ltv_v1", {"n_customers": 500}),
}
MODES = ("student_public", "research_instructor")
CASES = [(s, m) for s in SCHEMES for m in MODES]
CHARTS_JS = "document.querySelectorAll('figure.chart > svg').length"
GRAPH_JS = "document.querySelectorAll('figure.chart.graph').length"
HEIGHT_JS = "document.documentElement.scrollHeight"


def _needs_browser() -> None:
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required on CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")


class Built:
    """Bundles and their reports, generated on first use (a scheme whose plugin is not
    installed skips only its own tests)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._bundles: dict[tuple[str, str], Path] = {}
        self._results: dict[tuple[str, str], ReportResult] = {}

    def bundle(self, scheme: str, mode: str) -> Path:
        key = (scheme, mode)
        if key not in self._bundles:
            package, recipe, sizes = SCHEMES[scheme]
            pytest.importorskip(package)
            set_host(None)
            path = self.root / f"{scheme}-{mode}"
            Generator.from_recipe(recipe, seed=11, exposure_mode=mode, **sizes).generate(
                timestamp="2026-01-01T00:00:00Z"
            ).save(path)
            self._bundles[key] = path
        return self._bundles[key]

    def result(self, scheme: str, mode: str) -> ReportResult:
        key = (scheme, mode)
        if key not in self._results:
            path = self.bundle(scheme, mode)
            self._results[key] = write_report(
                path, path.parent / f"{path.name}.html", evaluate=False
            )
        return self._results[key]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return Built(tmp_path_factory.mktemp("report-bundles"))


@pytest.mark.parametrize(("scheme", "mode"), CASES)
def test_sections_of_each_scheme(built: Built, scheme: str, mode: str) -> None:
    report = build_report(built.bundle(scheme, mode), get_host(), evaluate=False)
    keys = [s.key for s in report.sections]
    expected = ["overview", "funnel", "cohorts", "sources", "targets", "features"]
    if mode == "research_instructor":
        expected.append("graph")
    assert keys == expected
    funnel = next(s for s in report.sections if s.key == "funnel")
    assert funnel.n_figures == 1 and report.n_figures >= 9


def test_funnel_numbers_match_the_tables(built: Built) -> None:
    path = built.bundle("lead_scoring", "research_instructor")
    report = build_report(path, get_host(), evaluate=False)
    chart = next(s for s in report.sections if s.key == "funnel").blocks[0]
    history = pl.read_parquet(path / "tables" / "lead_stage_history.parquet")
    reach = dict(history.group_by("stage").agg(pl.col("lead_id").n_unique()).iter_rows())
    values = dict(zip(chart.categories, chart.series[0].values, strict=True))  # type: ignore[union-attr]
    assert values["lead created"] == pl.read_parquet(path / "tables" / "leads.parquet").height
    for stage in ("mql", "sql", "closed_won"):
        assert values[stage] == reach[stage]
    assert "closed_lost" not in values


def _public_vocabulary(bundle: Path) -> str:
    parts = [
        (bundle / f).read_text(encoding="utf-8")
        for f in ("manifest.json", "feature_dictionary.csv", "dataset_card.md")
    ]
    parts.append((bundle / "metadata" / "public_summary.json").read_text(encoding="utf-8"))
    for table in sorted((bundle / "tables").glob("*.parquet")):
        frame = pl.read_parquet(table)
        for col in frame.columns:
            parts.append(col)
            if frame[col].dtype in (pl.String, pl.Categorical):
                parts.extend(str(v) for v in frame[col].unique().drop_nulls().head(200))
    return "\n".join(parts)


def _occurs(word: str, text: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", text) is not None


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_public_report_reveals_no_truth(built: Built, scheme: str) -> None:
    instructor = built.bundle(scheme, "research_instructor")
    public = built.bundle(scheme, "student_public")
    graph = json.loads((instructor / "metadata" / "graph.json").read_text())
    html = built.result(scheme, "student_public").path.read_text(encoding="utf-8")
    inst_html = built.result(scheme, "research_instructor").path.read_text(encoding="utf-8")
    motif = graph.get("motif_family") or graph["attributes"]["motif_family"]
    assert _occurs(motif, inst_html) and not _occurs(motif, html)
    assert "Hidden causal graph" in inst_html and "Hidden causal graph" not in html
    latents = {n["id"] for n in graph["nodes"] if "latent" in str(n.get("category"))}
    registry = json.loads((instructor / "metadata" / "latent_registry.json").read_text())
    latents |= set(re.findall(r'"(?:id|name)":\s*"([A-Za-z_][A-Za-z0-9_]*)"', json.dumps(registry)))
    assert latents
    assert [n for n in latents if _occurs(n, html)] == []
    # any graph node named in the public page must be a word of the public bundle itself
    vocab = _public_vocabulary(public)
    leaked = [
        n["id"] for n in graph["nodes"] if _occurs(n["id"], html) and not _occurs(n["id"], vocab)
    ]
    assert leaked == []
    for text in (graph.get("attributes") or {}).values():
        if isinstance(text, str) and " " in text:
            assert text not in html


@pytest.mark.parametrize(("scheme", "mode"), CASES)
def test_report_renders_in_headless_chromium(built: Built, scheme: str, mode: str) -> None:
    _needs_browser()
    from PIL import Image

    result = built.result(scheme, mode)
    assert result.bytes < 600_000  # aggregates only
    printed = mode == "research_instructor"
    page = open_page(
        result.path, {"charts": CHARTS_JS, "graphs": GRAPH_JS, "height": HEIGHT_JS}, pdf=printed
    )
    assert page.errors == []
    assert page.values["charts"] == result.figures >= 9
    assert page.values["graphs"] == (1 if mode == "research_instructor" else 0)
    assert page.values["height"] > 4000  # a long page, not an error stub
    image = np.asarray(Image.open(io.BytesIO(page.screenshot)).convert("RGB"))
    assert image.shape[1] >= 1000
    colors, counts = np.unique(image.reshape(-1, 3), axis=0, return_counts=True)
    assert len(colors) > 100  # text, charts and tiles, not a blank page
    assert 1 - counts.max() / counts.sum() > 0.2  # the most common colour covers < 80 %
    if printed:
        assert page.pdf.startswith(b"%PDF") and page.pdf.count(b"/Type /Page") > 2


def test_browser_check_catches_console_errors(built: Built, tmp_path: Path) -> None:
    _needs_browser()
    html = built.result("lead_scoring", "student_public").path.read_text(encoding="utf-8")
    broken = tmp_path / "broken.html"
    broken.write_text(html.replace("</body>", "<script>console.error('boom')</script></body>"))
    page = open_page(broken, {"charts": CHARTS_JS})
    assert page.errors  # the page's policy refuses inline scripts, which Chromium reports


def test_report_size_does_not_grow_with_rows(built: Built, tmp_path: Path) -> None:
    """Only aggregates are embedded: 4x fewer leads give about the same page size."""
    large = built.result("lead_scoring", "student_public").bytes
    bundle = tmp_path / "small"
    Generator.from_recipe(
        "b2b_saas_procurement_v1", seed=11, exposure_mode="student_public", n_leads=250
    ).generate(timestamp="2026-01-01T00:00:00Z").save(bundle)
    small = write_report(bundle, tmp_path / "small.html", evaluate=False).bytes
    assert max(large, small) < 600_000
    assert large < 1.3 * small, (small, large)
