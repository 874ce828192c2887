"""Streaming SHA-256: memory independent of file size."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["CHUNK_SIZE", "sha256_file"]

CHUNK_SIZE = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()
