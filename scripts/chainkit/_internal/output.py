"""Output conventions shared by every command.

- Data goes to **stdout** (:func:`emit_json`, :func:`emit_text`); nothing else does.
- Logs, progress and errors go to **stderr** through the ``chainkit`` logger.
- Rich rendering (colour, progress bars) only when stderr is a TTY; plain lines otherwise.
- Inside GitHub Actions, errors and warnings also become ``::error::`` / ``::warning::``
  annotations, long phases are wrapped in ``::group::``, and Markdown reports are
  appended to ``$GITHUB_STEP_SUMMARY``.
- Text from servers and files (tags, asset names, identities, messages) never reaches a
  terminal raw: :func:`printable` shows control characters (ESC, BEL, CR, LF, NUL, C1,
  bidirectional overrides) as visible escapes. Logs, errors, annotations and tables go
  through it; data on stdout (:func:`emit_text`, :func:`emit_json`) shows them as
  ``\\uXXXX``, which keeps JSON valid and equal.
- Tables (:class:`Table`, :func:`print_table`) are rich on a terminal and plain,
  unwrapped, aligned lines otherwise (GitHub Actions logs are not terminals), so no
  name is folded into a narrow column or cut.
- A closed stdout (``chainkit ... --json | head -c1``, or no stdout at all: ``>&-``) is not
  an error: data that can no longer be read is dropped quietly and the command's own exit
  code stands. A stdout that cannot take the data (``>/dev/full``: disk full, I/O error)
  is :class:`OutputError`, a service failure (exit 3) saying the output was not written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from chainkit.errors import ServiceError

__all__ = [
    "LOGGER_NAME",
    "OutputError",
    "PrintableFormatter",
    "Styled",
    "Table",
    "actions_annotation",
    "append_step_summary",
    "configure_logging",
    "discard_stdout",
    "emit_json",
    "emit_text",
    "escape_annotation",
    "group",
    "interrupt_hint",
    "is_tty",
    "print_table",
    "printable",
    "reset_stdout_closed",
    "set_interrupt_hint",
    "stderr_console",
    "stdout_closed",
    "stdout_failed",
    "stdout_gone",
]

LOGGER_NAME = "chainkit"
_log = logging.getLogger(LOGGER_NAME)


def is_tty(stream: TextIO | None = None) -> bool:
    s = sys.stderr if stream is None else stream
    try:
        return s.isatty()
    except (AttributeError, ValueError):
        return False


# Characters a terminal (or a log viewer) acts on instead of showing: C0 controls, DEL,
# C1 controls (U+009B is a one-byte CSI), line/paragraph separators, and the
# bidirectional controls that reorder what a reader sees ("Trojan Source").
_BIDI = frozenset({0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)})


def _unsafe(ch: str) -> bool:
    o = ord(ch)
    return o < 32 or 127 <= o < 160 or o in (0x2028, 0x2029) or o in _BIDI


def _hidden(ch: str) -> bool:
    """What a terminal acts on (:func:`_unsafe`), and what it shows as nothing: the
    invisible format characters (Unicode category Cf: zero-width space and joiners, BOM,
    soft hyphen, word joiner, bidi marks) and the tag characters U+E0000-U+E007F, which
    can hide a different name inside one that looks the same."""
    if _unsafe(ch):
        return True
    o = ord(ch)
    return o >= 0xAD and (0xE0000 <= o <= 0xE007F or unicodedata.category(ch) == "Cf")


def _visible(ch: str) -> str:
    o = ord(ch)
    if o < 256:
        return f"\\x{o:02x}"
    return f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}"


def printable(value: object, *, keep_newlines: bool = False) -> str:
    """``value`` safe for a terminal or a log line: control characters become visible escapes.

    ``ESC [31m`` is shown as ``\\x1b[31m``, a CR as ``\\x0d``, so a name from a server can
    neither recolour, erase or rewrite the screen nor forge a log line; invisible format
    characters are shown too (``pay\\u200bpal``, ``\\U000e0041``), so two names that look
    the same are shown different. With
    ``keep_newlines`` (chainkit's own multi-line texts) LF stays a line break.
    """
    text = str(value)
    if not any(_hidden(ch) for ch in text):
        return text
    return "".join(
        ch if not _hidden(ch) or (keep_newlines and ch == "\n") else _visible(ch) for ch in text
    )


class PrintableFormatter(logging.Formatter):
    """Formats a record, then makes the whole line :func:`printable` (arguments included)."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), keep_newlines=bool(record.exc_info))


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
        handler.setFormatter(PrintableFormatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(PrintableFormatter("%(levelname)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


_INTERRUPT_HINT: str | None = None


def set_interrupt_hint(hint: str | None) -> None:
    """What to tell the user if this run is interrupted (Ctrl-C) from now on: whether
    anything was left, and how to resume."""
    global _INTERRUPT_HINT
    _INTERRUPT_HINT = hint


def interrupt_hint() -> str | None:
    """The hint set by the running command (the CLI prints it after "interrupted")."""
    return _INTERRUPT_HINT


_STDOUT_CLOSED = False


def stdout_closed() -> bool:
    """Whether the reader of stdout went away (a broken pipe) during this run."""
    return _STDOUT_CLOSED


def reset_stdout_closed() -> None:
    """Start a run with stdout open (a library caller may run several commands in one
    process; a pipe closed in one run says nothing about the next)."""
    global _STDOUT_CLOSED
    _STDOUT_CLOSED = False


def discard_stdout() -> None:
    """Point stdout at /dev/null so nothing (not even the interpreter's final flush)
    writes into the broken pipe (or the full disk) again."""
    global _STDOUT_CLOSED
    _STDOUT_CLOSED = True
    if sys.stdout is None:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


class OutputError(ServiceError):
    """Stdout is there but cannot take the data (disk full, I/O error): exit 3."""


def stdout_gone(exc: BaseException) -> bool:
    """Whether ``exc`` means stdout's reader went away (a broken pipe) or it was closed."""
    if isinstance(exc, BrokenPipeError):
        return True
    if isinstance(exc, OSError):
        return exc.errno == errno.EPIPE
    return isinstance(exc, ValueError) and "closed file" in str(exc)


def stdout_failed(exc: OSError) -> OutputError:
    """The error for data that could not be written to stdout; stdout is discarded so that
    the interpreter's final flush does not fail again."""
    discard_stdout()
    reason = os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__
    return OutputError(
        f"could not write the output to stdout ({reason})",
        remediation="check where stdout goes (a full disk?) and re-run the command",
    )


def _write_data(text: str, stream: TextIO | None) -> None:
    out = sys.stdout if stream is None else stream
    if stream is None and _STDOUT_CLOSED:
        return
    if out is None:  # started without a stdout (`>&-`): nothing can read the data
        _log.debug("there is no stdout; the output is dropped")
        discard_stdout()
        return
    try:
        out.write(text)
        out.flush()
    except (OSError, ValueError) as exc:
        if stream is not None:
            raise
        if stdout_gone(exc):
            _log.debug("stdout was closed by its reader; the rest of the output is dropped")
            discard_stdout()
            return
        if isinstance(exc, OSError):
            raise stdout_failed(exc) from exc
        raise


def _data_safe(text: str) -> str:
    # Data keeps its meaning: a raw control character (outside LF and TAB) becomes a
    # \uXXXX escape, which is the same character inside a JSON string (the only place
    # json.dumps(ensure_ascii=False) leaves C1, line-separator and bidi controls raw) and
    # a visible one in plain text. Markdown and tables have been made inert before.
    if not any(_unsafe(ch) for ch in text):
        return text
    return "".join(f"\\u{ord(ch):04x}" if _unsafe(ch) and ch not in "\n\t" else ch for ch in text)


def emit_json(data: Any, *, stream: TextIO | None = None) -> None:
    """Write one JSON document to stdout (machine output)."""
    text = json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False)
    _write_data(_data_safe(text) + "\n", stream)


def emit_text(text: str, *, stream: TextIO | None = None) -> None:
    """Write data text to stdout: JSON, SARIF, Markdown or plain lines, unchanged in meaning;
    a raw control character other than LF and TAB becomes ``\\uXXXX``."""
    safe = _data_safe(text)
    _write_data(safe if safe.endswith("\n") else safe + "\n", stream)


class Styled(NamedTuple):
    """A table cell with a rich style (used on a terminal only)."""

    text: str
    style: str


Cell = str | Styled


def _cell_text(cell: Cell) -> str:
    return printable(cell.text if isinstance(cell, Styled) else cell)


@dataclass(frozen=True)
class Table:
    """A table of untrusted values: rich on a terminal, plain aligned lines otherwise.

    Every cell goes through :func:`printable` and is shown as text (never rich markup).
    """

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str | None = None

    @classmethod
    def of(
        cls,
        title: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[Cell]],
        *,
        caption: str | None = None,
    ) -> Table:
        return cls(title, tuple(headers), tuple(tuple(r) for r in rows), caption)

    def __rich__(self) -> Any:
        from rich.table import Table as RichTable
        from rich.text import Text

        table = RichTable(
            title=Text(printable(self.title)),
            caption=Text(printable(self.caption)) if self.caption else None,
        )
        for header in self.headers:
            table.add_column(header, overflow="fold")
        for row in self.rows:
            table.add_row(
                *(Text(_cell_text(c), style=c.style if isinstance(c, Styled) else "") for c in row)
            )
        return table

    def plain_lines(self) -> list[str]:
        """The table as plain text: padded columns, never wrapped or cut."""
        cells = [list(self.headers), *([_cell_text(c) for c in row] for row in self.rows)]
        widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(len(self.headers))]
        lines = [printable(self.title)]
        for row in cells:
            padded = [v.ljust(widths[i]) for i, v in enumerate(row)]
            lines.append("  ".join(padded).rstrip())
        if self.caption:
            lines.append(printable(self.caption))
        return lines


def print_table(table: Table, *, stream: TextIO | None = None) -> None:
    """Print ``table`` to ``stream`` (default stdout): rich on a terminal, plain lines otherwise."""
    out = sys.stdout if stream is None else stream
    if out is None or not is_tty(out):
        _write_data("\n".join(table.plain_lines()) + "\n", stream)
        return
    from rich.console import Console

    try:
        Console(file=out, soft_wrap=False).print(table)
    except OSError as exc:
        if stream is not None:
            raise
        if not stdout_gone(exc):
            raise stdout_failed(exc) from exc
        discard_stdout()


def escape_annotation(value: str) -> str:
    """Escape a workflow-command message (``%``, CR and LF), as @actions/core does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def actions_annotation(level: str, message: str, *, title: str | None = None) -> None:
    """Print an ``::error::``/``::warning::``/``::notice::`` workflow command to stderr.

    Workflow commands are read from both streams; stderr keeps stdout pure data.
    """
    props = ""
    if title:
        props = " title=" + escape_annotation(printable(title)).replace(",", "%2C").replace(
            ":", "%3A"
        )
    text = escape_annotation(printable(message, keep_newlines=True))
    sys.stderr.write(f"::{level}{props}::{text}\n")
    sys.stderr.flush()


@contextlib.contextmanager
def group(title: str, *, enabled: bool) -> Iterator[None]:
    """Fold a phase's log lines in the Actions log (no-op outside Actions)."""
    if not enabled:
        yield
        return
    sys.stderr.write(f"::group::{escape_annotation(printable(title))}\n")
    sys.stderr.flush()
    try:
        yield
    finally:
        sys.stderr.write("::endgroup::\n")
        sys.stderr.flush()


def append_step_summary(markdown: str, *, path: Path | None) -> bool:
    """Append Markdown to ``$GITHUB_STEP_SUMMARY``; return whether anything was written.

    The file is opened without following a symlink (an earlier step could have replaced
    the runner's file with a link elsewhere).
    """
    if path is None:
        return False
    from chainkit._internal.fs import open_nofollow

    try:
        fd = open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode=0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as exc:
        _log.warning("could not write the step summary to %s: %s", path, exc)
        return False
    return True
