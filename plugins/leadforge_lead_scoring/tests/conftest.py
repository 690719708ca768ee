"""Shared fixtures: small public and instructor bundles of the same world."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from worlds import generate  # noqa: E402

from leadforge_core import plugins  # noqa: E402


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    plugins.set_host(None)
    root = tmp_path_factory.mktemp("bundles")
    return {
        mode: generate(mode).save(root / mode) for mode in ("student_public", "research_instructor")
    }
