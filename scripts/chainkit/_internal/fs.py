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
- :func:`write_output` writes a file the *user* named (``-o FILE``): atomically like
  the others, except that a pipe or terminal the name leads to (``-o /dev/stdout``,
  ``-o >(cmd)``) is written to, as a user expects - but only when the user named the
  device itself (``/dev/null``, ``/dev/tty``, a FIFO) or a descriptor path (``/dev/stdout``,
  ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``). Any other symlink is replaced, never
  written through, wherever it points (a pull request can plant ``report.sarif -> ~/.bashrc``,
  ``-> /dev/null`` to swallow a report, or ``-> /dev/tty``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "NotRegularFileError",
    "TooLargeError",
    "UnsafePathError",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "create_new",
    "ensure_dir",
    "open_nofollow",
    "read_bounded",
    "temp_path",
    "write_output",
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
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):  # raced into a link or a file
        raise UnsafePathError(f"{path} is not a directory")
    loose = stat.S_IMODE(info.st_mode) & ~mode
    if loose and info.st_uid == os.geteuid():
        path.chmod(stat.S_IMODE(info.st_mode) & mode)  # an existing directory is tightened
    return path


def open_nofollow(path: Path, flags: int, *, mode: int = 0o600) -> int:
    """``os.open`` that refuses a symlink at ``path`` (:class:`UnsafePathError`); files it
    creates are private (``mode``). For appending to a journal or a summary, or reading a
    cache, where a rename would not do."""
    try:
        return os.open(path, flags | _NOFOLLOW | _CLOEXEC, mode)
    except OSError as exc:
        if path.is_symlink():
            raise UnsafePathError(f"{path} is a symlink; refusing to use it") from exc
        raise


def temp_path(target: Path, *, suffix: str = ".tmp") -> Path:
    """An unpredictable sibling name for a temporary file of ``target``."""
    return target.with_name(f".{target.name}.{secrets.token_hex(8)}{suffix}")


def create_new(path: Path, *, mode: int = 0o600) -> BinaryIO:
    """Open ``path`` for writing; it must not exist yet (a symlink counts as existing)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    fd = os.open(path, flags, mode)
    return os.fdopen(fd, "wb")


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically, never writing through a symlink.

    The new file gets ``mode``, narrowed to an existing regular file's permissions
    (rewriting a 0600 file keeps it 0600).
    """
    with contextlib.suppress(OSError):
        existing = path.lstat()
        if stat.S_ISREG(existing.st_mode):
            mode &= stat.S_IMODE(existing.st_mode)
    with atomic_writer(path, mode=mode) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_writer(path: Path, *, mode: int = 0o600, suffix: str = ".tmp") -> Iterator[BinaryIO]:
    """A file to write that replaces ``path`` only once the block ends without an error:
    a fresh ``O_EXCL | O_NOFOLLOW`` temporary beside it, ``fsync``'d, then renamed over
    ``path``; on an error (or Ctrl-C) the temporary is removed and ``path`` is untouched."""
    tmp = temp_path(path, suffix=suffix)
    try:
        with create_new(tmp, mode=mode) as fh:
            yield fh
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


def _stream_target(path: Path) -> int | None:
    """An open descriptor if ``path`` leads to a pipe or a terminal (or /dev/null), else None."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | _CLOEXEC)
    except OSError:
        return None
    info = os.fstat(fd)
    try:
        devnull: int | None = Path(os.devnull).stat().st_rdev
    except OSError:
        devnull = None
    if stat.S_ISFIFO(info.st_mode) or (
        stat.S_ISCHR(info.st_mode) and (os.isatty(fd) or info.st_rdev == devnull)
    ):
        return fd
    os.close(fd)
    return None


_DESCRIPTOR_PATH = re.compile(r"/dev/(stdout|stderr|fd/\d+)|/proc/self/fd/\d+")


def _named_stream(path: Path) -> bool:
    """Whether the user named a stream itself: the path is not a symlink (a device or a
    FIFO), or it is one of the descriptor paths whose links lead to this process's fds."""
    try:
        is_link = path.is_symlink()
    except OSError:
        return False
    return not is_link or _DESCRIPTOR_PATH.fullmatch(os.path.normpath(str(path))) is not None


def write_output(path: Path, data: bytes | str) -> None:
    """Write a file the user named on the command line (see the module docstring)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if path.exists() and _named_stream(path):
        fd = _stream_target(path)
        if fd is not None:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            return
    atomic_write_bytes(path, payload)


class TooLargeError(ValueError):
    """A file is larger than the limit its reader accepts."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(f"{path} is larger than {limit} bytes")
        self.limit = limit


class NotRegularFileError(OSError):
    """A path to read is not a regular file (a FIFO, a device, a directory, a socket), or is
    a symlink where the reader does not follow one."""


def read_bounded(path: Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """At most ``limit`` bytes of the regular file ``path``; :class:`TooLargeError` when it
    holds more, :class:`NotRegularFileError` for anything but a regular file (a FIFO would
    block forever, ``/dev/zero`` never ends) and, with ``follow_symlinks=False``, for a
    symlink. The file is opened without blocking and checked on the open descriptor, so it
    cannot be swapped between the check and the read. Other ``OSError``s pass."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
    if not follow_symlinks:
        flags |= _NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow_symlinks and path.is_symlink():
            raise NotRegularFileError(f"{path} is a symlink; refusing to follow it") from exc
        raise
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        os.close(fd)
        raise
    if not regular:
        os.close(fd)
        raise NotRegularFileError(f"{path} is not a regular file")
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(path, limit)
    return data
