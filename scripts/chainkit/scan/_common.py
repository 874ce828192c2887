"""Helpers shared by the scanners: private temporary report files, path normalising,
snippet hashing, the slow salted digest of anything that may hold a secret."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from chainkit._internal.fs import create_new
from chainkit.scan._errors import ToolError

__all__ = [
    "private_report_file",
    "relative_posix",
    "report_int",
    "report_list",
    "report_name",
    "secret_digest",
    "snippet_digest",
]

_SPACE = re.compile(r"\s+")
# scrypt cost: ~16 MiB and tens of milliseconds per hash, per guess for anyone who tries
# to recover a secret from a published fingerprint.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}


@contextlib.contextmanager
def private_report_file(name: str) -> Iterator[Path]:
    """An empty file (0600) in a fresh private (0700) directory, both deleted afterwards,
    for a scanner's report: nobody else on the machine reads it, nothing is left behind."""
    with tempfile.TemporaryDirectory(prefix="chainkit-scan-") as tmp:
        Path(tmp).chmod(0o700)  # mkdtemp already creates 0700; made explicit
        path = Path(tmp) / name
        create_new(path, mode=0o600).close()
        yield path


def relative_posix(path: str, root: Path) -> str:
    """``path`` (as a scanner printed it, relative to ``root`` or absolute) as a POSIX path
    relative to ``root`` where it lies inside it, else normalised as given."""
    candidate = Path(path)
    full = candidate if candidate.is_absolute() else root / candidate
    try:
        rel = Path(os.path.normpath(full)).relative_to(Path(os.path.normpath(root.absolute())))
    except ValueError:
        return Path(os.path.normpath(path)).as_posix()
    return rel.as_posix()


def snippet_digest(lines: list[str]) -> str:
    """SHA-256 of code lines with whitespace normalised (indentation and spacing edits, and
    line shifts, keep the digest)."""
    text = "\n".join(_SPACE.sub(" ", line).strip() for line in lines)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def secret_digest(secret: str, *, rule: str, path: str) -> str:
    """The slow (scrypt), salted (by rule and path) digest of a secret, or of a source line
    that holds one: what a fingerprint is made of where a plain hash could be reversed by
    guessing (a weak password is found in a dictionary at one SHA-256 per guess)."""
    salt = f"chainkit-scan-secrets/v1\0{rule}\0{path}".encode()
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT).hex()


def report_int(entry: Mapping[str, Any], key: str, default: int, *, report: str) -> int:
    """The integer ``entry[key]`` of a scanner's JSON report (``default`` when absent, null
    or 0); :class:`ToolError` (exit 3) naming the key, never quoting the value (a report
    field may hold a secret), when it is anything but an integer."""
    value = entry.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolError(f"{report}: {key} is not an integer")
    return value or default


def report_list(entry: Mapping[str, Any], key: str, *, report: str) -> list[Any]:
    """The list ``entry[key]`` of a scanner's JSON report (empty when absent or null);
    :class:`ToolError` (exit 3) naming the key when it is anything else."""
    value = entry.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ToolError(f"{report}: {key} is not a list")
    return value


def report_name(value: str, key: str, *, report: str) -> str:
    """``value``, a rule id or path of a scanner's JSON report that becomes part of a
    fingerprint; :class:`ToolError` (exit 3) naming the key when it holds a NUL character
    (no path or rule id does; fingerprints refuse it)."""
    if "\0" in value:
        raise ToolError(f"{report}: {key} holds a NUL character")
    return value
