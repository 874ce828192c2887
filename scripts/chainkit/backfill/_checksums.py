"""Checksum files found on releases: which ones, and what they say.

Recognised SHA-256 files (names compared case-insensitively):

- lists: ``SHA256SUMS``, ``SHA256SUMS.txt``, ``sha256sums.txt``, ``sha256sum.txt``,
  ``checksums.txt``, ``CHECKSUMS``, ``checksums.sha256``, goreleaser's
  ``<project>_<version>_checksums.txt`` (and ``-checksums.txt``);
- single-file sums: ``<asset>.sha256``, ``<asset>.sha256sum``, ``<asset>.sha256.txt``.

Line formats: GNU ``sha256sum`` output (``<hex>  <name>`` text mode, ``<hex> *<name>``
binary mode, and the ``\\``-prefixed form with ``\\\\``/``\\n``/``\\r`` escapes in the name),
BSD/``--tag`` ``SHA256 (<name>) = <hex>``, and a single-file sum holding the hex
alone. Blank lines and ``#`` comments are skipped. Files for other algorithms
(``SHA512SUMS``, ``*.md5``...) are recognised and recorded, never used; a generic
``checksums.txt`` whose digests are not 64 hex characters (goreleaser can use
SHA-512) is treated the same way.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from chainkit.backfill._errors import ChecksumFileError

__all__ = [
    "MAX_CHECKSUM_FILE_SIZE",
    "ChecksumEntry",
    "ChecksumFile",
    "ChecksumKind",
    "checksum_kind",
    "parse_checksum_file",
]

MAX_CHECKSUM_FILE_SIZE = 1024 * 1024
"""Checksum files are small; anything larger is refused rather than read."""

_SHA256_LIST_NAMES = frozenset(
    {
        "sha256sums",
        "sha256sums.txt",
        "sha256sum.txt",
        "sha256sum",
        "checksums.txt",
        "checksums",
        "checksums.sha256",
        "sha256-checksums.txt",
    }
)
_SHA256_LIST_SUFFIXES = ("_checksums.txt", "-checksums.txt", ".checksums.txt")
_SHA256_SINGLE_SUFFIXES = (".sha256sum", ".sha256.txt", ".sha256")
_GENERIC_LIST_NAMES = frozenset({"checksums.txt", "checksums"})

_OTHER_ALGORITHMS = ("sha512", "sha384", "sha224", "sha1", "md5", "b2", "blake2b", "blake3")
_HEX_LEN_ALGORITHM = {32: "md5", 40: "sha1", 56: "sha224", 96: "sha384", 128: "sha512"}

_HEX64 = r"[0-9A-Fa-f]{64}"
_GNU_RE = re.compile(rf"^(?P<escaped>\\)?(?P<hex>{_HEX64})(?: \*| {{1,2}}|\t)(?P<name>.+)$")
_BSD_RE = re.compile(rf"^(?P<escaped>\\)?SHA2?-?256 \((?P<name>.+)\) ?= ?(?P<hex>{_HEX64})$")
_HEX_ONLY_RE = re.compile(rf"^(?P<hex>{_HEX64})$")
_ANY_HEX_RE = re.compile(r"^\\?(?P<hex>[0-9A-Fa-f]+)(?:\s|$)")


@dataclass(frozen=True)
class ChecksumKind:
    """What a file name says about a checksum file."""

    algorithm: str
    """``sha256`` or the other algorithm's name (``sha512``, ``md5``...)."""
    single_for: str | None
    """For ``<asset>.sha256`` files: the asset name the file is about."""
    generic: bool = False
    """A name such as ``checksums.txt`` that does not state its algorithm."""

    @property
    def usable(self) -> bool:
        return self.algorithm == "sha256"


@dataclass(frozen=True)
class ChecksumEntry:
    """One ``digest name`` statement of a checksum file."""

    name: str
    sha256: str
    """Lowercase hex."""
    line: int
    """1-based line number in the file."""


@dataclass(frozen=True)
class ChecksumFile:
    """A parsed checksum file."""

    name: str
    algorithm: str
    """``sha256`` when the entries are usable; another name when the file was ignored."""
    entries: tuple[ChecksumEntry, ...]


def checksum_kind(name: str) -> ChecksumKind | None:
    """Classify an asset name as a checksum file, or ``None`` if it is not one."""
    lowered = name.lower()
    if lowered in _SHA256_LIST_NAMES or lowered.endswith(_SHA256_LIST_SUFFIXES):
        generic = lowered in _GENERIC_LIST_NAMES or lowered.endswith(_SHA256_LIST_SUFFIXES)
        return ChecksumKind("sha256", None, generic=generic)
    for suffix in _SHA256_SINGLE_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return ChecksumKind("sha256", name[: -len(suffix)])
    for algorithm in _OTHER_ALGORITHMS:
        if lowered in {f"{algorithm}sums", f"{algorithm}sums.txt", f"{algorithm}sum.txt"}:
            return ChecksumKind(algorithm, None)
        for suffix in (f".{algorithm}", f".{algorithm}sum", f".{algorithm}.txt"):
            if lowered.endswith(suffix) and len(name) > len(suffix):
                return ChecksumKind(algorithm, name[: -len(suffix)])
    return None


def _unescape(name: str) -> str:
    """Undo coreutils' escaping of ``\\``, newline and carriage return in names."""
    out: list[str] = []
    i = 0
    while i < len(name):
        ch = name[i]
        if ch == "\\" and i + 1 < len(name):
            nxt = name[i + 1]
            mapped = {"\\": "\\", "n": "\n", "r": "\r"}.get(nxt)
            if mapped is not None:
                out.append(mapped)
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _shorten(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def parse_checksum_file(data: bytes, *, file_name: str, release_tag: str) -> ChecksumFile:
    """Parse a checksum file's bytes (its name decides the kind, see :func:`checksum_kind`).

    Raises :class:`ChecksumFileError` (exit 2) naming the release, file and line for
    anything that is not a checksum statement, and for files over 1 MiB.
    """
    kind = checksum_kind(file_name)
    if kind is None:
        raise ValueError(f"{file_name!r} is not a checksum file name")
    remediation = (
        f"fix or delete the asset on release {release_tag!r}, or leave it out with "
        f"--exclude-assets {_glob_quote(file_name)} (it is then neither read nor signed)"
    )
    where = f"release {release_tag!r}: checksum file {file_name!r}"
    if len(data) > MAX_CHECKSUM_FILE_SIZE:
        raise ChecksumFileError(
            f"{where} is {len(data)} bytes, more than the {MAX_CHECKSUM_FILE_SIZE} read at most",
            remediation=remediation,
        )
    if not kind.usable:
        return ChecksumFile(file_name, kind.algorithm, ())
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChecksumFileError(
            f"{where} is not UTF-8 text (byte {exc.start})", remediation=remediation
        ) from None

    entries: list[ChecksumEntry] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _GNU_RE.match(line) or _BSD_RE.match(line)
        if m is not None:
            name = m.group("name")
            if m.group("escaped"):
                name = _unescape(name)
            entries.append(ChecksumEntry(name, m.group("hex").lower(), number))
            continue
        m = _HEX_ONLY_RE.match(stripped)
        if m is not None and kind.single_for is not None:
            entries.append(ChecksumEntry(kind.single_for, m.group("hex").lower(), number))
            continue
        other = _ANY_HEX_RE.match(stripped)
        if kind.generic and other is not None and len(other.group("hex")) in _HEX_LEN_ALGORITHM:
            # e.g. goreleaser's checksums.txt configured for SHA-512: not our algorithm.
            return ChecksumFile(file_name, _HEX_LEN_ALGORITHM[len(other.group("hex"))], ())
        raise ChecksumFileError(
            f"{where} line {number} is not a SHA-256 checksum line: {_shorten(line)}",
            remediation=remediation,
        )
    if not entries:
        raise ChecksumFileError(f"{where} holds no checksum", remediation=remediation)
    return ChecksumFile(file_name, "sha256", tuple(entries))


def _glob_quote(name: str) -> str:
    """A shell-quoted fnmatch glob matching exactly ``name``."""
    escaped = re.sub(r"([*?\[])", r"[\1]", name)
    return shlex.quote(escaped)
