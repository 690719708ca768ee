"""nox sessions: tests, each plugin alone with the core, lint, typecheck, benchmarks."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
LEAD_SCORING = "plugins/leadforge_lead_scoring"
LIFECYCLE = "plugins/leadforge_lifecycle"


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: core and every plugin."""
    session.install("-e", ".[test]", "-e", f"{LEAD_SCORING}[test]", "-e", f"{LIFECYCLE}[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lead_scoring_alone(session: nox.Session) -> None:
    """Core plus only the lead-scoring plugin: its tests and the core's."""
    session.install("-e", ".[test]", "-e", f"{LEAD_SCORING}[test]")
    session.run("python", "-m", "pytest", "tests", f"{LEAD_SCORING}/tests", *session.posargs)


@nox.session
def lifecycle_alone(session: nox.Session) -> None:
    """Core plus only the lifecycle plugin: its tests and the core's."""
    session.install("-e", ".[test]", "-e", f"{LIFECYCLE}[test]")
    session.run("python", "-m", "pytest", "tests", f"{LIFECYCLE}/tests", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.5")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the core."""
    session.install("-e", ".", "mypy>=1.10")
    session.run("mypy", "src/leadforge_core")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed, memory and learnability benchmarks (slow; results go to docs/benchmarks.md)."""
    session.install("-e", ".[dev]", "-e", LEAD_SCORING, "-e", LIFECYCLE)
    for script in sorted(p for p in Path("benchmarks").glob("*.py") if not p.name.startswith("_")):
        session.run("python", str(script), *session.posargs)
