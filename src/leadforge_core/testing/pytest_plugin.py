"""pytest plugin registered by leadforge-core (entry point ``pytest11``): fixtures only.

It adds no hooks, options or autouse fixtures, so it changes nothing in a test run that does
not ask for its fixtures by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from leadforge_core.plugins import PluginHost


@pytest.fixture
def leadforge_plugin_host() -> Iterator[Callable[..., PluginHost]]:
    """A function ``register(*plugins, strict=True)`` that installs a throwaway plugin host
    holding the core's built-ins and ``plugins`` (modules with ``@hookimpl`` functions) as the
    process-wide host, for the rest of the test; the previous host comes back afterwards.

    Yields:
        The ``register`` function; it returns the host.
    """
    from leadforge_core.testing.fixtures import throwaway_host

    with ExitStack() as stack:

        def register(*plugins: object, strict: bool = True) -> PluginHost:
            return stack.enter_context(throwaway_host(*plugins, strict=strict))

        yield register
