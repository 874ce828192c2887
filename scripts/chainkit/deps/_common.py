"""Helpers shared by the readers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from chainkit._internal.fs import TooLargeError, read_bounded
from chainkit.deps._errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["MAX_TOML_BYTES", "display", "load_toml", "missing"]

MAX_TOML_BYTES = 64 * 1024 * 1024
"""Lock files of large monorepos reach a few MiB; 64 MiB is not a lock file."""


def display(path: Path) -> str:
    """A path relative to the working directory when it is below it (SARIF wants that)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def missing(path: Path, what: str) -> InputError:
    return InputError(
        f"{what} {path} does not exist",
        remediation="check the path (relative paths are taken from the working directory)",
    )


def load_toml(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise missing(path, what)
    try:
        return tomllib.loads(read_bounded(path, MAX_TOML_BYTES).decode("utf-8"))
    except TooLargeError:
        raise InputError(
            f"{what} {display(path)} is larger than {MAX_TOML_BYTES} bytes",
            remediation="pass the project's own pyproject.toml or lock file",
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # tomllib's messages give a position, not the offending text.
        raise InputError(
            f"{what} {path} could not be parsed: {exc}",
            remediation="regenerate it with its tool (uv lock, poetry lock, pip lock), "
            "or fix the TOML syntax",
        ) from exc
