"""RFC 6962 tree hashes and inclusion proofs, checked against sigstore-python's verifier code."""

from __future__ import annotations

import hashlib

import pytest
from sigstore._internal.merkle import _chain_border_right, _chain_inner, _decomp_inclusion_proof

from chainkit.sandbox._sigstore._merkle import MerkleTree, leaf_hash


def _reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 section 2.1."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(
        b"\x01" + _reference_root(leaves[:k]) + _reference_root(leaves[k:])
    ).digest()


def _tree(size: int) -> tuple[MerkleTree, list[bytes]]:
    tree = MerkleTree()
    leaves = [leaf_hash(f"entry {i}".encode()) for i in range(size)]
    for leaf in leaves:
        tree.append(leaf)
    return tree, leaves


def test_empty_tree_root_is_hash_of_nothing() -> None:
    assert MerkleTree().root() == hashlib.sha256(b"").digest()


def test_leaf_hash_uses_the_leaf_prefix() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33])
def test_roots_match_the_rfc_definition_for_every_prefix(size: int) -> None:
    tree, leaves = _tree(size)
    for n in range(1, size + 1):
        assert tree.root(n) == _reference_root(leaves[:n])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 21, 32, 33])
def test_every_inclusion_proof_verifies_like_sigstore_python(size: int) -> None:
    tree, leaves = _tree(size)
    root = tree.root()
    for index in range(size):
        proof = tree.inclusion_proof(index)
        inner, border = _decomp_inclusion_proof(index, size)
        assert len(proof) == inner + border
        calc = _chain_border_right(_chain_inner(leaves[index], proof[:inner], index), proof[inner:])
        assert calc == root


def test_proof_for_an_older_tree_size() -> None:
    tree, leaves = _tree(10)
    proof = tree.inclusion_proof(3, 6)
    inner, _ = _decomp_inclusion_proof(3, 6)
    calc = _chain_border_right(_chain_inner(leaves[3], proof[:inner], 3), proof[inner:])
    assert calc == tree.root(6) != tree.root()


def test_out_of_range_proof_is_an_index_error() -> None:
    tree, _ = _tree(3)
    with pytest.raises(IndexError):
        tree.inclusion_proof(3)
