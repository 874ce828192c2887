"""Files that chainkit writes: atomically, and never through a symlink.

State directories, caches and output paths may be restored from places an attacker
can influence (an Actions cache, an artifact, a shared runner). Every write goes
through these helpers:

- :func:`atomic_write_bytes` / :func:`atomic_write_text` write a fresh temporary file
  beside the target (``O_CREAT | O_EXCL | O_NOFOLLOW``), ``fsync`` it and rename it
  over the target. A rename replaces a symlink at the target itself; it never writes
  to where the link points. Readers see the old or the new content, never half.
- :func:`create_new` opens a file that must not exist yet, refusing symlinks.
- :func:`ensure_dir` creates a directory and refuses one that is a symlink.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "UnsafePathError",
    "atomic_write_bytes",
    "atomic_write_text",
    "create_new",
    "ensure_dir",
    "temp_path",
]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class UnsafePathError(OSError):
    """A path is a symlink, or otherwise not a place chainkit will write to.

    An ``OSError``, so callers that already turn I/O failures into their own
    boundary's error handle it the same way.
    """


def ensure_dir(path: Path, *, mode: int = 0o755) -> Path:
    """Create ``path`` (and parents) as a directory; refuse a symlink at ``path``."""
    if path.is_symlink():
        raise UnsafePathError(f"{path} is a symlink; refusing to use it as a directory")
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    if path.is_symlink() or not path.is_dir():  # raced into a link or a file
        raise UnsafePathError(f"{path} is not a directory")
    return path


def temp_path(target: Path, *, suffix: str = ".tmp") -> Path:
    """An unpredictable sibling name for a temporary file of ``target``."""
    return target.with_name(f".{target.name}.{secrets.token_hex(8)}{suffix}")


def create_new(path: Path, *, mode: int = 0o600) -> BinaryIO:
    """Open ``path`` for writing; it must not exist yet (a symlink counts as existing)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    fd = os.open(path, flags, mode)
    return os.fdopen(fd, "wb")


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically, never writing through a symlink."""
    tmp = temp_path(path)
    try:
        with create_new(tmp, mode=mode) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
