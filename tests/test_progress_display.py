"""The progress display: blocks and rows as they are done, live on a terminal, plain elsewhere."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from leadforge_core import Generator
from leadforge_core.cli.progress import RichProgress
from leadforge_core.progress import note

LEADS = ["generate", "-r", "b2b_saas_procurement_v1", "--n-leads", "3000", "--timestamp", "0"]
# Any control character but the newline: escape sequences, carriage returns, backspaces.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class Recorder:
    """A Progress that keeps, per phase, its total and unit, its advances and its notes."""

    def __init__(self) -> None:
        self.phases: dict[str, dict[str, Any]] = {}

    def phase(self, name: str, total: int | None = None, unit: str = "") -> Any:
        entry = {"total": total, "unit": unit, "advances": [], "notes": [], "ended": False}
        self.phases[name] = entry

        class Handle:
            def advance(self, n: int = 1) -> None:
                entry["advances"].append(n)

            def note(self, text: str) -> None:
                entry["notes"].append(text)

        return Handle()

    def end_phase(self, name: str) -> None:
        self.phases[name]["ended"] = True


def test_writer_counts_rows_per_table_as_it_goes(tmp_path: Path) -> None:
    gen = Generator.from_recipe("b2b_saas_procurement_v1", n_leads=3000, seed=3)
    bundle = gen.generate(timestamp="2026-01-01T00:00:00Z")
    rec = Recorder()
    bundle.save(tmp_path / "b", part_rows=1000, progress=rec)
    writing = rec.phases["writing"]
    frames = bundle.frames_by_file()
    total = sum(f.height for f in frames.values())
    assert writing["unit"] == "rows" and writing["total"] == total and writing["ended"]
    assert sum(writing["advances"]) == total
    # One advance per file or part (the touches table is several parts here).
    parts = sum(-(-f.height // 1000) if f.height > 1000 else 1 for f in frames.values())
    assert len(writing["advances"]) == parts > len(frames)
    # Each note is a table's rows written so far; the last one of each reaches its total.
    last: dict[str, str] = {}
    for text in writing["notes"]:
        name, counts = text.split(" ")
        last[name] = counts
    want = {n: f"{f.height:,}/{f.height:,}" for n, f in bundle.tables.items()}
    for task, out in bundle.tasks.items():
        want.update({f"{task}/{s}": f"{f.height:,}/{f.height:,}" for s, f in out.splits.items()})
    assert last == want


def _run_cli(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["LEADFORGE_PART_ROWS"] = "1000"
    return subprocess.run(
        [sys.executable, "-m", "leadforge_core", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )


def test_cli_under_a_pipe_prints_plain_lines(tmp_path: Path) -> None:
    res = _run_cli([*LEADS, "--workers", "2", "-o", str(tmp_path / "b")], tmp_path)
    assert res.returncode == 0, res.stderr
    assert not CONTROL.search(res.stderr), repr(res.stderr)
    assert not CONTROL.search(res.stdout), repr(res.stdout)
    lines = res.stderr.splitlines()
    phases = [line.split()[0] for line in lines]
    assert {"world", "simulation", "rendering", "writing", "validation"} <= set(phases), lines
    assert re.fullmatch(r"simulation +1/1 blocks +\d+\.\d s", lines[phases.index("simulation")])
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    rows = sum(t["rows"] for t in manifest["tables"].values()) + sum(
        s["rows"] for task in manifest["tasks"].values() for s in task["splits"].values()
    )
    assert f"writing      {rows:,}/{rows:,} rows" in res.stderr


def test_cli_json_and_quiet_print_no_progress(tmp_path: Path) -> None:
    res = _run_cli([*LEADS, "--json", "-o", str(tmp_path / "j")], tmp_path)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert json.loads(res.stdout)["validation"]["ok"] is True
    res = _run_cli([*LEADS, "-q", "-o", str(tmp_path / "q")], tmp_path)
    assert res.returncode == 0 and res.stderr == "", res.stderr


def test_live_display_shows_blocks_rows_notes_and_eta() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True, width=160)
    display = RichProgress(terminal)
    assert display.live
    sim = display.phase("simulation", 16, "blocks")
    sim.advance(3)
    writing = display.phase("writing", 2_500_000, "rows")
    writing.advance(1_000_000)
    note(writing, "touches 1,000,000/2,000,000")
    split = display.phase("split", 10, "rows")
    note(split, "a_rather_long_task_name_for_a_display/train 7,000,000/7,000,000")
    display.phase("world")
    out = Console(file=io.StringIO(), width=160, record=True)
    out.print(display.bar.make_tasks_table(display.bar.tasks))
    text = out.export_text()
    sim_line, write_line, split_line, world_line = text.splitlines()
    assert "3/16 blocks" in sim_line and "ETA" in sim_line
    assert "1,000,000/2,500,000 rows" in write_line
    assert "touches 1,000,000/2,000,000" in write_line
    assert "a_rather_long_task_… 7,000,000/7,000,000" in split_line  # the counts stay whole
    assert "/" not in world_line and "ETA" not in world_line  # no total: a spinner only
    display.end_phase("simulation")
    out.print(display.bar.make_tasks_table([display.bar.tasks[0]]))
    assert "16/16 blocks" in out.export_text()


def test_plain_display_is_one_line_per_finished_phase() -> None:
    log = io.StringIO()
    display = RichProgress(Console(file=log, width=160))
    assert not display.live
    with display:
        sim = display.phase("simulation", 4, "blocks")
        sim.advance()
        note(sim, "ignored")
        display.phase("world")
        display.end_phase("world")
        sim.advance(3)
        display.end_phase("simulation")
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and not CONTROL.search(log.getvalue())
    assert re.fullmatch(r"world +\d+\.\d s", lines[0])
    assert re.fullmatch(r"simulation +4/4 blocks +\d+\.\d s", lines[1])
