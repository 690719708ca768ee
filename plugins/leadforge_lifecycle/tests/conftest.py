"""Fixtures: small rendered lifecycle worlds (direct scheme calls) and generated bundles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from lifecycle_support import make_ctx, run  # noqa: E402


@pytest.fixture(scope="package")
def small() -> Any:
    """A small instructor world: (scheme, world, sim, rendered, ctx)."""
    ctx = make_ctx()
    return (*run(ctx), ctx)
