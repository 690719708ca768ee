"""The examples of docs/scale.md "Reading big bundles" run against a bundle with datasets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from leadforge_core import Generator

DOC = Path(__file__).parents[1] / "docs" / "scale.md"


def _section_blocks(title: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_reading_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _section_blocks("Reading big bundles")
    assert len(blocks) >= 4
    text = "\n".join(blocks)
    for tool in ("pl.scan_parquet(", "duckdb", "read_parquet('bundle/", "pyarrow.dataset"):
        assert tool in text
    Generator.from_recipe("b2b_saas_procurement_v1", seed=4, n_leads=3000).generate(
        timestamp=0
    ).save(tmp_path / "bundle", part_rows=500)
    manifest = json.loads((tmp_path / "bundle/manifest.json").read_text())
    assert "parts" in manifest["tables"]["leads"] and "parts" in manifest["tables"]["touches"]
    assert "parts" not in manifest["tables"]["accounts"]
    train = manifest["tasks"]["converted_within_90_days"]["splits"]["train"]
    assert "parts" in train
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
