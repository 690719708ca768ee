"""Will the bundle fit? A size estimate made from the plan, before anything is simulated.

The model is linear: a bundle takes ``FIXED_BYTES`` (card, dictionary, manifests, metadata)
plus, for every size parameter the scheme calibrated in :attr:`Scheme.bytes_per_unit
<leadforge_core.scheme.Scheme.bytes_per_unit>`, its value times the bytes one unit of it
adds to a written instructor bundle (the larger mode, so the estimate errs high). Schemes
measure those figures on bundles they generate; docs/scale.md gives the numbers and how
they were measured. The file system holding ``--out`` must have the estimate times
:data:`SPACE_MARGIN` free, else generation is refused before it starts: the bundle is
staged in a sibling folder of ``--out`` on the same file system.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadforge_core.errors import BundleIOError

#: Bytes of the files that do not grow with the world (card, dictionary, JSON metadata).
FIXED_BYTES = 1 << 20
#: Free space required, as a multiple of the estimate (covers variation across seeds,
#: difficulties and parameters the linear model does not see).
SPACE_MARGIN = 1.2


def param_value(params: Any, dotted: str) -> Any:
    """The value of the dotted parameter path ``population.n_leads`` in a params object
    (attrs instances or mappings); ``None`` when a step is missing."""
    node = params
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else getattr(node, part, None)
        if node is None:
            return None
    return node


def estimate_bytes(bytes_per_unit: Mapping[str, float], params: Any) -> int:
    """Estimated size in bytes of the bundle a run with ``params`` writes.

    Args:
        bytes_per_unit: dotted parameter path → bytes one unit of it adds (a scheme's
            :attr:`~leadforge_core.scheme.Scheme.bytes_per_unit`).
        params: the run's completed parameters.

    Returns:
        ``FIXED_BYTES`` plus the sum of value times bytes per unit over the calibrated
        parameters (non-numeric or missing values count as zero).
    """
    total = float(FIXED_BYTES)
    for path, per_unit in sorted(bytes_per_unit.items()):
        value = param_value(params, path)
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += float(value) * float(per_unit)
    return int(total)


def _existing_ancestor(path: Path) -> Path:
    current = path.absolute()
    while not current.exists() and current.parent != current:
        current = current.parent
    return current


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def check_space(out: Path, estimate: int) -> None:
    """Refuse (``BundleIOError``, one line) when the file system of ``out`` has less than
    ``estimate * SPACE_MARGIN`` bytes free."""
    anchor = _existing_ancestor(Path(out).parent)
    try:
        free = shutil.disk_usage(anchor).free
    except OSError:  # cannot tell: let the write itself decide
        return
    needed = int(estimate * SPACE_MARGIN)
    if free < needed:
        raise BundleIOError(
            f"--out {out}: not enough space: the bundle needs about {_human(estimate)} "
            f"(with margin {_human(needed)}) but {anchor} has {_human(free)} free"
        )
