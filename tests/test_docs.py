"""Every hook is documented with its arguments and an example in docs/plugins.md."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from leadforge_core import hookspecs

DOC = Path(__file__).parents[1] / "docs" / "plugins.md"


def _hooks() -> list[str]:
    return [
        n
        for n, f in vars(hookspecs).items()
        if n.startswith("leadforge_") and inspect.isfunction(f)
    ]


def test_hooks_exist() -> None:
    assert set(_hooks()) >= {"leadforge_register_schemes", "leadforge_register_recipes"}


def test_every_hook_is_documented_with_arguments_and_example() -> None:
    text = DOC.read_text()
    for name in _hooks():
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        heading = f"### `{name}({params})`"
        assert heading in text, f"{name} is not documented in docs/plugins.md"
        section = text.split(heading, 1)[1].split("\n### ", 1)[0]
        assert "```python" in section and f"def {name}(" in section, f"{name} has no example"


def test_every_hook_has_a_docstring() -> None:
    for name in _hooks():
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert "Called" in doc and "Return" in doc, name


def _test_names() -> set[str]:
    """Names of every test function under tests/ and the plugins' tests/ folders."""
    root = DOC.parents[1]
    files = [*root.joinpath("tests").rglob("test_*.py"), *root.glob("plugins/*/tests/test_*.py")]
    names: set[str] = set()
    for path in files:
        names |= set(re.findall(r"^\s*(?:async )?def (test_\w+)\(", path.read_text(), re.M))
    return names


def test_every_hook_has_a_test() -> None:
    """Each hook of hookspecs.py has a test named ``test_hook_<hookname>`` (datasette style)."""
    names = _test_names()
    missing = [h for h in _hooks() if f"test_hook_{h}" not in names]
    assert not missing, f"hooks without a test_hook_<name> test: {', '.join(missing)}"


def test_every_hook_section_names_a_hook() -> None:
    """No section documents a hook that hookspecs.py does not declare."""
    documented = re.findall(r"^### `(leadforge_\w+)\(", DOC.read_text(), re.M)
    assert documented and set(documented) <= set(_hooks())
