"""The rows the baselines are fitted on: all of train + valid, or a fixed sample of them.

Fitting cost grows with the number of rows while the scores settle long before a million:
above ``max_fit_rows`` fitting rows, every model of a task (baselines with and without traps,
the two-part model, the oracle) is fitted on the same sample of ``max_fit_rows`` rows. The
sample is stratified by the target (binary: the class; regression: zero or positive value)
with proportional allocation, drawn from a random stream named after the task under the
bundle's seed, so the same bundle always gives the same sample. Scores are always computed
on the whole test split and the leakage audit on every row.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from leadforge_core.rng import RandomStreams

#: Default largest number of fitting rows (train + valid) used as they are; larger tasks are
#: fitted on a sample of this many rows. ``0`` or ``None`` fits on every row.
DEFAULT_MAX_FIT_ROWS = 50_000
#: Random stream of the sample, suffixed with the task name.
STREAM = "evaluate.fit_sample"


@attrs.frozen
class FitSample:
    """Which fitting rows the models see.

    ``rows`` are sorted row positions into train + valid, or ``None`` for every row.
    """

    rows: NDArray[np.intp] | None
    available: int
    max_fit_rows: int | None
    stream: str

    @property
    def sampled(self) -> bool:
        return self.rows is not None

    @property
    def fit_rows(self) -> int:
        return self.available if self.rows is None else int(self.rows.size)

    def to_dict(self, test_rows: int, audit_rows: int) -> dict[str, Any]:
        """The JSON form (``sampling`` of a task in the evaluation)."""
        return {
            "sampled": self.sampled,
            "fit_rows": self.fit_rows,
            "available_fit_rows": self.available,
            "max_fit_rows": self.max_fit_rows,
            "method": (
                "stratified by target (proportional), random stream "
                f"{self.stream!r} of the bundle seed"
                if self.sampled
                else "every train + valid row"
            ),
            "test_rows": test_rows,
            "audit_rows": audit_rows,
        }


def normalize_limit(max_fit_rows: int | None) -> int | None:
    """``None`` for no limit (``0`` or ``None``), else the positive limit.

    Raises:
        ValueError: a negative or non-integer limit.
    """
    if max_fit_rows is None or max_fit_rows == 0:
        return None
    if isinstance(max_fit_rows, bool) or not isinstance(max_fit_rows, int) or max_fit_rows < 0:
        raise ValueError(f"max_fit_rows must be a non-negative integer, got {max_fit_rows!r}")
    return max_fit_rows


def fit_sample(
    y: NDArray[np.float64], task_type: str, max_fit_rows: int | None, seed: int, task: str
) -> FitSample:
    """The fitting rows of a task whose train + valid target is ``y``.

    Every row when ``max_fit_rows`` is ``None``/``0`` or not below ``len(y)``; otherwise
    ``max_fit_rows`` rows, stratified by class (binary) or by zero/positive value
    (regression), each stratum's quota rounded by largest remainder, drawn without
    replacement from ``RandomStreams(seed).generator(f"{STREAM}.{task}")``.
    """
    limit = normalize_limit(max_fit_rows)
    stream = f"{STREAM}.{task}"
    n = int(y.size)
    if limit is None or n <= limit:
        return FitSample(None, n, limit, stream)
    strata = (y > 0.5) if task_type == "binary" else (y > 0)
    members = [np.flatnonzero(~strata), np.flatnonzero(strata)]
    quotas = np.array([m.size * limit / n for m in members])
    take = np.floor(quotas).astype(np.int64)
    short = limit - int(take.sum())
    if short:
        # Largest remainders first; equal remainders go to the earlier stratum.
        order = np.argsort(-(quotas - take), kind="stable")
        take[order[:short]] += 1
    rng = RandomStreams(seed).generator(stream)
    chosen = [
        rng.choice(m, size=int(k), replace=False)
        for m, k in zip(members, take, strict=True)
        if k > 0
    ]
    rows = np.sort(np.concatenate(chosen)).astype(np.intp)
    return FitSample(rows, n, limit, stream)
