"""hashFiles() as GitHub's runner computes it (review 15)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from chainkit.workflow._runner import _hash_files


def _expected(*contents: bytes) -> str:
    total = hashlib.sha256()
    for content in contents:
        total.update(hashlib.sha256(content).digest())
    return total.hexdigest()


def test_hash_files_follows_github(tmp_path: Path) -> None:
    ws, out = tmp_path / "ws", tmp_path / "out"
    (ws / "sub").mkdir(parents=True)
    out.mkdir()
    (ws / "a.py").write_bytes(b"a")
    (ws / "sub" / "b.py").write_bytes(b"b")
    (out / "secret.txt").write_bytes(b"s")
    (ws / "ldir").symlink_to(out)
    (ws / "lfile.txt").symlink_to(ws / "a.py")
    hash_files = _hash_files(ws)
    assert hash_files(["**/*.py"]) == _expected(b"a", b"b")
    assert hash_files([str(ws / "a.py")]) == _expected(b"a")  # absolute, inside: allowed
    assert hash_files(["../out/secret.txt", str(out / "secret.txt")]) == ""  # outside: ignored
    assert hash_files(["ldir/*.txt", "ldir/**"]) == ""  # a symlinked folder is not followed
    assert hash_files(["lfile.txt"]) == _expected(b"a")  # a symlinked file: its target
    assert hash_files(["sub"]) == _expected(b"b")  # a folder matches what is below it
    assert hash_files(["**/*.py", "!sub/**"]) == _expected(b"a")
    assert hash_files(["nothing-*"]) == ""
