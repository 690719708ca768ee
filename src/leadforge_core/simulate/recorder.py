"""Event recorder: columns per event kind, appended per step and concatenated at the end.

Each call to :meth:`EventRecorder.add` appends one batch of rows (arrays of equal length;
scalars are broadcast). Batches keep a call number, so the events of several blocks can be
merged either block after block or interleaved back into the order one loop over the whole
population would have produced (:func:`merge_blocks`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

ArrayLike = np.ndarray | int | float | np.generic


class EventRecorder:
    """Collects rows of several event kinds.

    Args:
        kinds: the columns of each event kind, e.g.
            ``{"touch": ("lead", "day"), "activity": ("lead", "day", "stage")}``.
    """

    def __init__(self, kinds: Mapping[str, Sequence[str]]) -> None:
        self.kinds = {k: tuple(cols) for k, cols in kinds.items()}
        self._keys = {k: frozenset(cols) for k, cols in self.kinds.items()}
        self._parts: dict[str, dict[str, list[np.ndarray]]] = {
            k: {c: [] for c in cols} for k, cols in self.kinds.items()
        }
        self._batches: dict[str, tuple[list[int], list[int]]] = {k: ([], []) for k in self.kinds}
        self._calls = 0

    def add(self, kind: str, **cols: ArrayLike) -> None:
        """Append a batch of ``kind`` rows; every column of the kind must be given.

        Call it every step even when the batch is empty: call numbers then line up across
        blocks (needed for interleaved merging).
        """
        if cols.keys() != self._keys[kind]:
            raise ValueError(f"{kind} events need exactly the columns {self.kinds[kind]}")
        arrays = {k: np.array(v) for k, v in cols.items() if np.ndim(v)}
        sizes = {a.size for a in arrays.values()}
        if len(sizes) != 1:
            raise ValueError("a batch needs at least one array column, all of one length")
        size = sizes.pop()
        parts = self._parts[kind]
        for key, value in cols.items():
            parts[key].append(arrays[key] if key in arrays else np.full(size, value))
        calls, counts = self._batches[kind]
        calls.append(self._calls)
        counts.append(size)
        self._calls += 1

    def columns(self, kind: str) -> dict[str, np.ndarray]:
        """The rows of ``kind`` recorded so far, one array per column (float64 when empty)."""
        out = {c: np.concatenate(v) if v else np.empty(0) for c, v in self._parts[kind].items()}
        calls, counts = self._batches[kind]
        out["_call"] = np.repeat(np.asarray(calls, dtype=np.int64), counts)
        return out

    def frame(self, kind: str) -> dict[str, np.ndarray]:
        """Like :meth:`columns` without the internal call number."""
        out = self.columns(kind)
        out.pop("_call")
        return out


def merge_blocks(
    recorders: Sequence[EventRecorder],
    kind: str,
    offsets: Mapping[str, Sequence[int]] | None = None,
    interleave_by: str | None = None,
    block_column: str | None = None,
) -> dict[str, np.ndarray]:
    """Concatenate the ``kind`` rows of several blocks' recorders (given in block order).

    Args:
        recorders: one recorder per block, in block order.
        kind: the event kind.
        offsets: per column, a value added to each block's rows (e.g. the block's first global
            entity index for an entity column).
        interleave_by: an entity column; when given, rows are ordered by (call number, that
            column) — the order a single loop over all blocks' entities would have recorded.
            Blocks must then have made the same sequence of calls. Otherwise block after block.
        block_column: when given, an extra column of that name holds each row's position in
            ``recorders`` (to map block-local codes afterwards).
    """
    parts = [r.columns(kind) for r in recorders]
    if not parts:
        raise ValueError("no recorders to merge")
    offsets = offsets or {}
    out: dict[str, np.ndarray] = {}
    for col in parts[0]:
        pieces = [p[col] for p in parts]
        if col in offsets:
            pieces = [
                x + np.asarray(off, dtype=x.dtype)
                for x, off in zip(pieces, offsets[col], strict=True)
            ]
        out[col] = np.concatenate(pieces)
    if block_column is not None:
        out[block_column] = np.repeat(
            np.arange(len(parts), dtype=np.int64), [p["_call"].size for p in parts]
        )
    if interleave_by is not None and len(parts) > 1:
        order = interleave_order(out["_call"], out[interleave_by])
        out = {c: v[order] for c, v in out.items()}
    out.pop("_call")
    return out


def interleave_order(major: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """The permutation that sorts rows by ``(major, minor)``, ties kept in their order —
    ``np.lexsort((minor, major))`` — computed fast for concatenated blocks.

    Blocks of entities, concatenated in block order, each sorted by ``(major, minor)`` (a
    step or period, then an entity index that grows from block to block), are already in
    ``minor`` order within each ``major`` value once sorted stably by ``major`` alone: one
    merge of sorted runs instead of a two-key sort. Any other input is detected and sorted
    in full, so the answer is the same.

    Args:
        major: first sort key (for example the call number or period of each row).
        minor: second sort key (for example the global entity index).

    Returns:
        Row positions in sorted order.
    """
    order = np.argsort(major, kind="stable")
    a, b = major[order], minor[order]
    same = a[1:] == a[:-1]
    if bool(np.all(~same | (b[1:] >= b[:-1]))):
        return order
    return np.lexsort((minor, major))
