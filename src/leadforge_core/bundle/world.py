"""``WorldBundle``: a generated bundle in memory, and how it is laid out on disk."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import attrs
import polars as pl

from leadforge_core.bundle import layout
from leadforge_core.bundle.model import FeatureInfo, TableSpec, TaskOutput, dtype_name
from leadforge_core.bundle.writer import sha256_file, staging
from leadforge_core.errors import BundleIOError
from leadforge_core.exposure import ExposureMode
from leadforge_core.memory import without_huge_page_advice
from leadforge_core.progress import NullProgress, Phase, Progress, note, phase


def dumps(data: Any) -> str:
    """Canonical JSON used for every JSON file of a bundle (stable bytes)."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def feature_frame(features: list[FeatureInfo]) -> pl.DataFrame:
    """The feature dictionary as a string table (booleans as ``true``/``false``)."""

    def cell(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    data = {c: [cell(getattr(f, c)) for f in features] for c in layout.FEATURE_COLUMNS}
    return pl.DataFrame(data, schema={c: pl.String for c in layout.FEATURE_COLUMNS})


@attrs.define
class WorldBundle:
    """Tables and task splits as polars frames, the manifest, and (instructor) hidden truth.

    ``manifest`` is complete except for the file inventory, which :meth:`save` adds.
    """

    scheme: str
    mode: ExposureMode
    tables: dict[str, pl.DataFrame]
    tasks: dict[str, TaskOutput]
    features: list[FeatureInfo]
    truth: dict[str, Any] | None
    public_summary: dict[str, Any]
    manifest: dict[str, Any]
    task_manifests: dict[str, dict[str, Any]]
    table_specs: dict[str, TableSpec]
    card: str

    def frames_by_file(self) -> dict[str, pl.DataFrame]:
        """Every table and task split keyed by its path inside the bundle."""
        out = {layout.table_file(n): f for n, f in self.tables.items()}
        for task_name, task in self.tasks.items():
            out.update({layout.split_file(task_name, s): f for s, f in task.splits.items()})
        return out

    def split(self, task: str, split: str) -> pl.DataFrame:
        return self.tasks[task].splits[split]

    @without_huge_page_advice()
    def save(
        self,
        path: str | Path,
        *,
        force: bool = False,
        before_publish: Callable[[Path], None] | None = None,
        part_rows: int | None = None,
        progress: Progress | None = None,
    ) -> Path:
        """Write the bundle atomically to ``path`` and return it.

        ``before_publish(tmp)`` runs on the finished temporary folder before it is renamed
        into place (used for validation). A table or split of more than ``part_rows`` rows
        (default :func:`leadforge_core.bundle.layout.part_rows`) becomes a folder of part
        files. Running out of space, like any other write failure, raises
        :class:`~leadforge_core.errors.BundleIOError` and leaves nothing behind.
        ``progress`` receives a ``writing`` phase counting the rows of every table and task
        split as each file or part is written, with a note naming the table.
        """
        out = Path(path)
        rows = layout.part_rows(part_rows)
        try:
            with staging(out, force) as tmp:
                with phase(progress or NullProgress(), "writing", self._rows(), "rows") as bar:
                    self._write(tmp, rows, bar)
                if before_publish is not None:
                    before_publish(tmp)
        except OSError as exc:  # creating, renaming or removing the staging folder
            raise BundleIOError(f"cannot write bundle to {out}: {_os_reason(exc)}") from None
        return out

    def _rows(self) -> int:
        """Rows of every table and task split (what the ``writing`` phase counts)."""
        return sum(f.height for f in self.frames_by_file().values())

    def _write(self, root: Path, part_rows: int, bar: Phase) -> None:
        try:
            self._write_files(root, part_rows, bar)
        except OSError as exc:
            raise BundleIOError(f"cannot write bundle: {_os_reason(exc)}") from None
        except Exception as exc:
            if out_of_space(exc):  # a library that reports ENOSPC in its own exception type
                raise BundleIOError(f"cannot write bundle: {os.strerror(errno.ENOSPC)}") from None
            raise

    def _write_files(self, root: Path, part_rows: int, bar: Phase) -> None:
        (root / layout.TABLES_DIR).mkdir()
        (root / layout.METADATA_DIR).mkdir()
        jobs = {("table", name): (layout.table_file(name), f) for name, f in self.tables.items()}
        for task_name, task in self.tasks.items():
            (root / layout.TASKS_DIR / task_name).mkdir(parents=True)
            for split, frame in task.splits.items():
                jobs[(task_name, split)] = (layout.split_file(task_name, split), frame)
        # One write per file or part; a frame over the threshold becomes a folder of parts.
        pieces: list[tuple[Any, str, pl.DataFrame]] = []
        for key, (rel, frame) in jobs.items():
            if frame.height <= part_rows:
                pieces.append((key, rel, frame))
                continue
            (root / layout.dataset_dir(rel)).mkdir()
            for index, start in enumerate(range(0, frame.height, part_rows)):
                pieces.append((key, layout.part_file(rel, index), frame.slice(start, part_rows)))
        # Files are independent: encode, compress and hash them concurrently (same bytes).
        pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1))
        try:
            futures = [pool.submit(_write_parquet, root, rel, frame) for _, rel, frame in pieces]
            sizes = {key: (_label(key), f.height) for key, (_, f) in jobs.items()}
            _count_rows(futures, pieces, sizes, bar)
            written = [fut.result() for fut in futures]
        finally:  # on an error or an interrupt, files not yet started are not written at all
            pool.shutdown(wait=True, cancel_futures=True)
        parts: dict[Any, list[dict[str, Any]]] = {}
        for (key, _, _), entry in zip(pieces, written, strict=True):
            parts.setdefault(key, []).append(entry)
        entries = {
            key: _inventory_entry(rel, frame, parts[key], frame.height > part_rows)
            for key, (rel, frame) in jobs.items()
        }
        tables_inv = {name: entries[("table", name)] for name in self.tables}
        task_inv: dict[str, Any] = {}
        for task_name, task in self.tasks.items():
            splits = {split: entries[(task_name, split)] for split in task.splits}
            _write_text(
                root / layout.task_manifest_file(task_name), dumps(self.task_manifests[task_name])
            )
            task_inv[task_name] = dict(self.manifest["tasks"][task_name], splits=splits)
        _write_text(root / layout.CARD, self.card)
        _write_text(root / layout.FEATURE_DICTIONARY, feature_frame(self.features).write_csv())
        _write_text(root / layout.metadata_file(layout.PUBLIC_SUMMARY), dumps(self.public_summary))
        for name, content in sorted((self.truth or {}).items()):
            target = root / layout.metadata_file(name)
            _write_text(target, content if isinstance(content, str) else dumps(content))
        files: dict[str, Any] = {}
        for file in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = file.relative_to(root).as_posix()
            if rel.endswith(".parquet"):
                continue
            files[rel] = {"bytes": file.stat().st_size, "sha256": sha256_file(file)}
        self.manifest["tables"] = tables_inv
        self.manifest["tasks"] = task_inv
        self.manifest["files"] = files
        _write_text(root / layout.MANIFEST, dumps(self.manifest))


def _count_rows(
    futures: list[Future[dict[str, Any]]],
    pieces: list[tuple[Any, str, pl.DataFrame]],
    sizes: dict[Any, tuple[str, int]],
    bar: Phase,
) -> None:
    """Advance ``bar`` by each file's rows as it is written, noting its table's progress
    (``touches 2,000,000/4,530,000``; a task split as ``task/split``).

    Stops at the first failed write (the caller raises it, in file order).
    """
    index = {fut: i for i, fut in enumerate(futures)}
    done: dict[Any, int] = {}
    for fut in as_completed(futures):
        if fut.exception() is not None:
            return
        key, _, frame = pieces[index[fut]]
        done[key] = done.get(key, 0) + frame.height
        bar.advance(frame.height)
        name, total = sizes[key]
        note(bar, f"{name} {done[key]:,}/{total:,}")


def _label(key: tuple[str, str]) -> str:
    """How the writer's notes name a table (``touches``) or a task split (``task/train``)."""
    kind, name = key
    return name if kind == "table" else f"{kind}/{name}"


def out_of_space(exc: BaseException) -> bool:
    """Whether ``exc`` reports a full file system (``ENOSPC``), whatever raised it."""
    if isinstance(exc, OSError):
        return exc.errno == errno.ENOSPC
    text = str(exc)
    return "No space left on device" in text or "os error 28" in text


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def encode_parquet(frame: pl.DataFrame) -> bytes:
    """The canonical Parquet bytes of ``frame`` in a bundle (zstd level 3, statistics)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", compression_level=3, statistics=True)
    return buffer.getvalue()


def _store(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with plain file I/O (a full disk raises ``OSError``)."""
    with path.open("wb") as fh:
        fh.write(data)


def _write_parquet(root: Path, rel: str, frame: pl.DataFrame) -> dict[str, Any]:
    """Encode one Parquet file in memory, write it and return its rows, bytes and sha256.

    Encoding in memory makes the file system errors plain ``OSError`` and spares re-reading
    the file to hash it; the bytes are the same as writing to the file directly.
    """
    data = encode_parquet(frame)
    _store(root / rel, data)
    return {
        "file": rel,
        "rows": frame.height,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _inventory_entry(
    rel: str, frame: pl.DataFrame, parts: list[dict[str, Any]], as_dataset: bool
) -> dict[str, Any]:
    """Manifest entry of a table or split: one file, or a dataset folder with its parts."""
    columns = [{"name": c, "dtype": dtype_name(t)} for c, t in frame.schema.items()]
    if not as_dataset:
        return {**parts[0], "columns": columns}
    return {
        "file": layout.dataset_dir(rel),
        "format": "parquet_dataset",
        "rows": frame.height,
        "bytes": sum(p["bytes"] for p in parts),
        "parts": parts,
        "columns": columns,
    }
