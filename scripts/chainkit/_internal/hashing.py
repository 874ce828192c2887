"""Streaming SHA-256: memory independent of file size. The one place chainkit hashes files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

__all__ = ["CHUNK_SIZE", "sha256_chunks", "sha256_file", "sha256_stream"]

CHUNK_SIZE = 1 << 20


def sha256_stream(fh: BinaryIO) -> str:
    """Hex SHA-256 of everything left in a binary stream, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_chunks(chunks: Iterable[bytes]) -> str:
    """Hex SHA-256 of an iterable of byte chunks (e.g. a streamed download)."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    with path.open("rb") as fh:
        return sha256_stream(fh)
