"""The runner's file commands: ``$GITHUB_OUTPUT``, ``$GITHUB_ENV``, ``$GITHUB_PATH``.

Each line is ``NAME=VALUE`` or a heredoc ``NAME<<DELIMITER`` ... ``DELIMITER`` (the runner's
multi-line syntax). As on GitHub, a missing closing delimiter fails the step, and
``$GITHUB_ENV`` refuses ``NODE_OPTIONS`` (a warning, the line is ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FileCommandError", "KeyValues", "parse_key_values", "parse_paths"]

FORBIDDEN_ENV = frozenset({"NODE_OPTIONS"})


class FileCommandError(ValueError):
    """A file command GitHub refuses (the step fails)."""


@dataclass(frozen=True)
class KeyValues:
    values: tuple[tuple[str, str], ...]
    warnings: tuple[str, ...]


def parse_key_values(text: str, *, what: str, env: bool = False) -> KeyValues:
    """Pairs from a ``$GITHUB_OUTPUT``/``$GITHUB_ENV`` file, in file order."""
    # GitHub's runner (FileCommandManager on Linux) splits on "\n" only: a "\r", "\v",
    # U+2028 ... stays in the value and never starts a new NAME=VALUE line.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    pairs: list[tuple[str, str]] = []
    warnings: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line == "":
            continue  # GitHub skips only empty lines; whitespace-only ones are invalid
        eq, heredoc = line.find("="), line.find("<<")
        if heredoc >= 0 and (eq < 0 or heredoc < eq):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not name or not delimiter:
                raise FileCommandError(f"invalid {what} line: {line[:80]!r}")
            body: list[str] = []
            while True:
                if i >= len(lines):
                    raise FileCommandError(
                        f"Invalid value in {what}: matching delimiter not found {delimiter!r}"
                    )
                current = lines[i]
                i += 1
                if current == delimiter:
                    break
                body.append(current)
            value = "\n".join(body)
        elif eq > 0:
            name, value = line[:eq], line[eq + 1 :]
        else:
            raise FileCommandError(f"invalid {what} line (expected NAME=VALUE): {line[:80]!r}")
        if "\0" in name or "\0" in value:
            raise FileCommandError(f"{what}: a NUL character in {name[:40]!r}")
        if env and name.upper() in FORBIDDEN_ENV:
            warnings.append(f"Can't store {name} output parameter using '$GITHUB_ENV' command.")
            continue
        pairs.append((name, value))
    return KeyValues(tuple(pairs), tuple(warnings))


_PATH_LINES = re.compile(r"\r\n|\r|\n")


def parse_paths(text: str) -> list[str]:
    """Directories from ``$GITHUB_PATH``, one a line (``File.ReadAllLines``: CR, LF or CRLF;
    empty lines ignored, the rest kept as written, as GitHub's AddPathFileCommand)."""
    return [line for line in _PATH_LINES.split(text) if line != ""]
