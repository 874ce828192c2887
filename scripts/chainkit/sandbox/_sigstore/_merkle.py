"""RFC 6962 Merkle tree hashes and inclusion proofs over a list of leaf hashes."""

from __future__ import annotations

import hashlib

__all__ = ["MerkleTree", "leaf_hash"]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class MerkleTree:
    """An append-only RFC 6962 tree; complete subtrees are cached, so proofs stay cheap."""

    def __init__(self) -> None:
        self._leaves: list[bytes] = []
        self._cache: dict[tuple[int, int], bytes] = {}

    def __len__(self) -> int:
        return len(self._leaves)

    def append(self, leaf: bytes) -> int:
        """Append a leaf hash; return its index."""
        self._leaves.append(leaf)
        return len(self._leaves) - 1

    def _hash(self, start: int, size: int) -> bytes:
        if size == 1:
            return self._leaves[start]
        complete = size & (size - 1) == 0
        if complete and (start, size) in self._cache:
            return self._cache[(start, size)]
        k = _split(size)
        value = _node_hash(self._hash(start, k), self._hash(start + k, size - k))
        if complete:
            self._cache[(start, size)] = value
        return value

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all by default)."""
        size = len(self._leaves) if size is None else size
        if size == 0:
            return hashlib.sha256(b"").digest()
        return self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) of RFC 6962 section 2.1.1, lowest level first."""
        size = len(self._leaves) if size is None else size
        if not 0 <= index < size <= len(self._leaves):
            raise IndexError(f"leaf {index} is not in a tree of size {size}")
        path: list[bytes] = []
        start = 0
        while size > 1:
            k = _split(size)
            if index < k:
                path.append(self._hash(start + k, size - k))
                size = k
            else:
                path.append(self._hash(start, k))
                start += k
                index -= k
                size -= k
        path.reverse()
        return path
