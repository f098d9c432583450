"""What an import command says about a file's bad rows (shared by every importer)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

SHOWN_ERRORS = 50


def refused(stderr: Any, path: Path, errors: Sequence[Any]) -> CommandError:
    """List the first bad rows; the error to raise: nothing was imported."""
    for error in errors[:SHOWN_ERRORS]:
        stderr.write(f"{path.name}: {error}")
    more = len(errors) - SHOWN_ERRORS
    if more > 0:
        stderr.write(f"… and {more} more")
    return CommandError(
        f"{len(errors)} bad row(s) in {path.name}; nothing was imported. "
        "Fix them, or use --skip-bad to import the good rows."
    )


def skipped(stderr: Any, path: Path, errors: Sequence[Any]) -> None:
    """List the bad rows left out of an import run with --skip-bad."""
    for error in errors[:SHOWN_ERRORS]:
        stderr.write(f"{path.name}: skipped {error}")
