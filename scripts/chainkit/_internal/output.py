"""Output conventions shared by every command.

- Data goes to **stdout** (:func:`emit_json`, :func:`emit_text`); nothing else does.
- Logs, progress and errors go to **stderr** through the ``chainkit`` logger.
- Rich rendering (colour, progress bars) only when stderr is a TTY; plain lines otherwise.
- Inside GitHub Actions, errors and warnings also become ``::error::`` / ``::warning::``
  annotations, long phases are wrapped in ``::group::``, and Markdown reports are
  appended to ``$GITHUB_STEP_SUMMARY``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "LOGGER_NAME",
    "actions_annotation",
    "append_step_summary",
    "configure_logging",
    "emit_json",
    "emit_text",
    "escape_annotation",
    "group",
    "is_tty",
    "stderr_console",
]

LOGGER_NAME = "chainkit"
_log = logging.getLogger(LOGGER_NAME)


def is_tty(stream: TextIO | None = None) -> bool:
    s = sys.stderr if stream is None else stream
    try:
        return s.isatty()
    except (AttributeError, ValueError):
        return False


_STDERR_CONSOLE: Any = None


def stderr_console() -> Any:
    """The one rich console on stderr, shared by logs and progress bars (TTY only)."""
    global _STDERR_CONSOLE
    if _STDERR_CONSOLE is None:
        from rich.console import Console

        _STDERR_CONSOLE = Console(stderr=True)
    return _STDERR_CONSOLE


def configure_logging(*, verbose: bool) -> None:
    """Send chainkit's logs to stderr: rich on a TTY, plain ``level: message`` otherwise."""
    level = logging.DEBUG if verbose else logging.INFO
    root = logging.getLogger(LOGGER_NAME)
    root.handlers.clear()
    handler: logging.Handler
    if is_tty():
        from rich.highlighter import NullHighlighter
        from rich.logging import RichHandler

        handler = RichHandler(
            console=stderr_console(),
            show_time=False,
            show_path=verbose,
            markup=False,
            highlighter=NullHighlighter(),
            rich_tracebacks=verbose,
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def emit_json(data: Any, *, stream: TextIO | None = None) -> None:
    """Write one JSON document to stdout (machine output)."""
    out = sys.stdout if stream is None else stream
    json.dump(data, out, indent=2, sort_keys=False, ensure_ascii=False)
    out.write("\n")
    out.flush()


def emit_text(text: str, *, stream: TextIO | None = None) -> None:
    """Write data text to stdout."""
    out = sys.stdout if stream is None else stream
    out.write(text if text.endswith("\n") else text + "\n")
    out.flush()


def escape_annotation(value: str) -> str:
    """Escape a workflow-command message (``%``, CR and LF), as @actions/core does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def actions_annotation(level: str, message: str, *, title: str | None = None) -> None:
    """Print an ``::error::``/``::warning::``/``::notice::`` workflow command to stderr.

    Workflow commands are read from both streams; stderr keeps stdout pure data.
    """
    props = ""
    if title:
        props = " title=" + escape_annotation(title).replace(",", "%2C").replace(":", "%3A")
    sys.stderr.write(f"::{level}{props}::{escape_annotation(message)}\n")
    sys.stderr.flush()


@contextlib.contextmanager
def group(title: str, *, enabled: bool) -> Iterator[None]:
    """Fold a phase's log lines in the Actions log (no-op outside Actions)."""
    if not enabled:
        yield
        return
    sys.stderr.write(f"::group::{escape_annotation(title)}\n")
    sys.stderr.flush()
    try:
        yield
    finally:
        sys.stderr.write("::endgroup::\n")
        sys.stderr.flush()


def append_step_summary(markdown: str, *, path: Path | None) -> bool:
    """Append Markdown to ``$GITHUB_STEP_SUMMARY``; return whether anything was written."""
    if path is None:
        return False
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        _log.warning("could not write the step summary to %s: %s", path, exc)
        return False
    return True
