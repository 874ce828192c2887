"""Writing step outputs to ``$GITHUB_OUTPUT`` and workflow commands to the log.

Each output is written in the multi-line form ``name<<DELIMITER`` / value / ``DELIMITER``
with a fresh random delimiter that does not occur in the value, so no value can end the
block early and inject another output. The file is opened without following a symlink.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from chainkit._internal.fs import open_nofollow
from chainkit._internal.output import actions_annotation
from chainkit.ghactions._errors import ActionToolError

__all__ = ["annotate_error", "annotate_warning", "format_outputs", "write_outputs"]

_NAME = re.compile(r"[a-z][a-z0-9-]*")


def _delimiter(value: str) -> str:
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            return delimiter


def format_outputs(outputs: Mapping[str, str]) -> str:
    """The ``$GITHUB_OUTPUT`` text for ``outputs`` (names checked, values verbatim)."""
    parts: list[str] = []
    for name, value in outputs.items():
        if not _NAME.fullmatch(name):
            raise ValueError(f"bad output name {name!r}")
        delimiter = _delimiter(value)
        parts.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(parts)


def write_outputs(outputs: Mapping[str, str], *, path: Path | None) -> None:
    """Append ``outputs`` to ``path`` (``$GITHUB_OUTPUT``); outside Actions, list them."""
    text = format_outputs(outputs)
    if path is None:
        for name, value in outputs.items():
            sys.stderr.write(f"output {name}: {value!r}\n")
        return
    try:
        fd = open_nofollow(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode=0o644)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise ActionToolError(
            f"could not write the step outputs to GITHUB_OUTPUT: {exc.strerror or exc}",
            remediation="GITHUB_OUTPUT must name a regular file the step can append to",
        ) from exc


def annotate_error(message: str) -> None:
    """An ``::error::`` line (escaped: ``%``, CR, LF) on stderr."""
    actions_annotation("error", message, title="chainkit")


def annotate_warning(message: str) -> None:
    actions_annotation("warning", message, title="chainkit")
