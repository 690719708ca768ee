"""Test utilities for plugin authors: throwaway plugin hosts and a conformance suite.

Subclass :class:`SchemeConformance` in your plugin's tests to check a scheme against every
promise the core relies on (determinism, public ⊆ instructor, snapshot safety, declared
schemas, validation in both modes, every difficulty, and each hook the plugin implements)::

    from leadforge_core.testing import SchemeConformance


    class TestRetail(SchemeConformance):
        recipe = "corner_shop_v1"
        params = {"n_customers": 300}

These utilities need pytest (``pip install pytest``); leadforge-core itself does not.
"""

from __future__ import annotations

from leadforge_core.testing.conformance import TIMESTAMP, SchemeConformance
from leadforge_core.testing.fixtures import (
    entry_point_host,
    file_digests,
    frames_equal,
    throwaway_host,
)

__all__ = [
    "TIMESTAMP",
    "SchemeConformance",
    "entry_point_host",
    "file_digests",
    "frames_equal",
    "throwaway_host",
]
