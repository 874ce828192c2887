"""Opening a journal removes the partial downloads an earlier, stopped run left in its
``work/`` directory: chainkit's own ``.part`` names, regular files only, never through a
symlink, never outside this plan's ``work/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainkit._internal.fs import temp_path
from chainkit.backfill._errors import BackfillUsageError
from chainkit.backfill._journal import Journal
from chainkit.backfill._paths import local_name

DIGEST = "ab" * 32
OTHER = "cd" * 32


def part_name(asset_id: int = 7, name: str = "a.whl", tail: str = "0123456789abcdef") -> str:
    return f".{local_name(asset_id, name)}.{tail}.part"


def layout(state: Path, digest: str = DIGEST) -> Path:
    root = state / digest[:16]
    for sub in ("work", "bundles", "attestations"):
        (root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def test_open_removes_a_partial_download_of_its_own_work_dir(tmp_path: Path) -> None:
    root = layout(tmp_path)
    part = root / "work" / part_name()
    part.write_bytes(b"\0" * 1000)
    with Journal(tmp_path, DIGEST):
        assert not part.exists()


def test_the_temporary_name_a_download_gets_is_the_one_removed(tmp_path: Path) -> None:
    """The pattern is the name atomic_writer gives a work file's temporary (not a guess)."""
    root = layout(tmp_path)
    with Journal(tmp_path, DIGEST) as journal:
        work = journal.work_file(5, "x.tar.gz")
        parts = [temp_path(work, suffix=".part") for _ in range(3)]
        for part in parts:
            part.write_bytes(b"half")
        assert journal.remove_partial_downloads() == 3
        assert list((root / "work").iterdir()) == []
        assert journal.remove_partial_downloads() == 0


def test_nothing_but_its_own_partial_regular_files_is_touched(tmp_path: Path) -> None:
    root = layout(tmp_path)
    work = root / "work"
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"precious")
    kept = {
        # a symlink under a partial download's name: neither it nor its target
        work / part_name(1): lambda p: p.symlink_to(outside),
        # a directory under that name
        work / part_name(2): lambda p: p.mkdir(),
        # names chainkit never gives a download's temporary file
        work / ".notes.part": lambda p: p.write_bytes(b"x"),
        work / (part_name(3).removesuffix(".part") + ".tmp"): lambda p: p.write_bytes(b"x"),
        work / local_name(4, "b.whl"): lambda p: p.write_bytes(b"complete download"),
        # the same name elsewhere in the state directory
        root / "bundles" / part_name(5): lambda p: p.write_bytes(b"x"),
        root / part_name(6): lambda p: p.write_bytes(b"x"),
        # another plan's work directory (another apply may hold its lock)
        layout(tmp_path, OTHER) / "work" / part_name(8): lambda p: p.write_bytes(b"x"),
    }
    for path, make in kept.items():
        make(path)
    with Journal(tmp_path, DIGEST):
        pass
    for path in kept:
        assert path.is_symlink() or path.exists(), path
    assert outside.read_bytes() == b"precious"


def test_a_symlinked_work_dir_is_refused_and_nothing_behind_it_removed(tmp_path: Path) -> None:
    root = layout(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / part_name()
    victim.write_bytes(b"someone else's")
    (root / "work").rmdir()
    (root / "work").symlink_to(elsewhere)
    with pytest.raises(BackfillUsageError, match="cannot use the state directory"):
        Journal(tmp_path, DIGEST).open()
    assert victim.read_bytes() == b"someone else's"
    journal = Journal(tmp_path, DIGEST)  # called directly, it refuses to follow as well
    assert journal.remove_partial_downloads() == 0
    assert victim.exists()
