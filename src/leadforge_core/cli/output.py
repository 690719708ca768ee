"""Shared output helpers: JSON on stdout, rich tables, one-line errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

# Piped output is read by programs and people with wide windows: don't wrap it at 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def error_line(message: str) -> None:
    text = " ".join(str(message).split())
    sys.stderr.write(f"error: {text}\n")
