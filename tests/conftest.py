"""Shared fixtures: a plugin host holding only the toy scheme, registered in-process."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from leadforge_core import plugins  # noqa: E402
from leadforge_core.plugins import PluginHost, PluginRecord  # noqa: E402


@pytest.fixture
def warnings_seen() -> list[str]:
    return []


@pytest.fixture
def toy_host(warnings_seen: list[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[PluginHost]:
    """A host with only the toy plugin, installed as the process-wide host."""
    import toy_scheme.plugin

    monkeypatch.delenv("LEADFORGE_RECIPE_PATH", raising=False)
    monkeypatch.delenv("LEADFORGE_STRICT_PLUGINS", raising=False)
    host = PluginHost(warn=warnings_seen.append, strict=False)
    host.register(toy_scheme.plugin, PluginRecord("toy", "leadforge-toy", "0.1"))
    plugins.set_host(host)
    yield host
    plugins.set_host(None)
