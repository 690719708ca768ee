"""The examples of the toolkit guide run and their assertions hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).parents[1] / "docs" / "toolkit.md"
SECTIONS = (
    "## Observation operators (leadforge_core.observe)",
    "## Point-in-time features (leadforge_core.asof)",
)


def _section(text: str, heading: str) -> str:
    assert heading in text, heading
    body = text.split(heading, 1)[1]
    return re.split(r"\n## ", body, maxsplit=1)[0]


@pytest.mark.parametrize("heading", SECTIONS)
def test_examples_run(heading: str) -> None:
    blocks = re.findall(r"```python\n(.*?)```", _section(DOC.read_text(), heading), re.S)
    assert len(blocks) >= 4
    namespace: dict[str, object] = {}
    for block in blocks:  # a section's blocks build on each other
        exec(compile(block, f"{DOC.name}:{heading}", "exec"), namespace)


def test_every_public_name_is_documented() -> None:
    from leadforge_core import asof, observe

    text = DOC.read_text()
    for module, heading in ((observe, SECTIONS[0]), (asof, SECTIONS[1])):
        section = _section(text, heading)
        for name in module.__all__:
            if name not in ("DAY_US", "Source", "Window", "START"):
                mentioned = f"`{name}" in section or f".{name}(" in section
                assert mentioned, f"{module.__name__}.{name} missing from the guide"
