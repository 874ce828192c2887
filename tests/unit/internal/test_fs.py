"""Atomic writes never follow a symlink and never leave a half-written file."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from chainkit._internal.fs import (
    UnsafePathError,
    atomic_write_bytes,
    atomic_write_text,
    create_new,
    ensure_dir,
    write_output,
)


def test_atomic_write_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


def test_atomic_write_replaces_a_symlink_instead_of_writing_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "state.json"
    link.symlink_to(victim)
    atomic_write_bytes(link, b"new")
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and link.read_bytes() == b"new"


def test_create_new_refuses_existing_and_symlinks(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "work.part"
    link.symlink_to(victim)
    with pytest.raises(FileExistsError):
        create_new(link)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        create_new(dangling)
    assert not (tmp_path / "nowhere").exists()
    assert victim.read_text() == "precious"


def test_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "f"
    with pytest.raises(FileNotFoundError):
        atomic_write_text(target, "x")
    assert list(tmp_path.iterdir()) == []


def test_ensure_dir_refuses_a_symlinked_directory(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "state"
    link.symlink_to(real, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symlink"):
        ensure_dir(link)
    assert ensure_dir(tmp_path / "a" / "b").is_dir()


def test_new_files_are_private(tmp_path: Path) -> None:
    with create_new(tmp_path / "secret") as fh:
        fh.write(b"x")
    assert os.stat(tmp_path / "secret").st_mode & 0o077 == 0


def test_rewrite_keeps_a_private_file_private(tmp_path: Path) -> None:
    target = tmp_path / "journal"
    target.write_text("old")
    target.chmod(0o600)
    atomic_write_text(target, "new")
    assert os.stat(target).st_mode & 0o777 == 0o600


def test_ensure_dir_tightens_an_existing_loose_directory(tmp_path: Path) -> None:
    loose = tmp_path / "state"
    loose.mkdir()
    loose.chmod(0o777)
    ensure_dir(loose, mode=0o700)
    assert os.stat(loose).st_mode & 0o777 == 0o700


def test_output_goes_into_a_pipe_the_user_named(tmp_path: Path) -> None:
    read_fd, write_fd = os.pipe()
    try:
        write_output(Path(f"/dev/fd/{write_fd}"), "report\n")
        assert os.read(read_fd, 100) == b"report\n"
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_output_replaces_a_planted_symlink_to_a_regular_file(tmp_path: Path) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("precious")
    planted = tmp_path / "report.sarif"
    planted.symlink_to(victim)
    write_output(planted, "{}")
    assert victim.read_text() == "precious"
    assert not planted.is_symlink() and planted.read_text() == "{}"


def test_output_replaces_a_planted_symlink_to_dev_null(tmp_path: Path) -> None:
    planted = tmp_path / "report.sarif"
    planted.symlink_to(os.devnull)
    write_output(planted, "{}")
    assert not planted.is_symlink() and planted.read_text() == "{}"


def test_output_replaces_a_planted_symlink_to_a_pipe(tmp_path: Path) -> None:
    read_fd, write_fd = os.pipe()
    try:
        planted = tmp_path / "report.sarif"
        planted.symlink_to(f"/proc/self/fd/{write_fd}")
        write_output(planted, "{}")
        assert not planted.is_symlink() and planted.read_text() == "{}"
        os.set_blocking(read_fd, False)
        with pytest.raises(BlockingIOError):
            os.read(read_fd, 100)  # nothing went into the pipe
    finally:
        os.close(read_fd)
        os.close(write_fd)


@pytest.mark.parametrize("form", ["/dev/fd/{}", "/proc/self/fd/{}"])
def test_output_follows_the_descriptor_paths_the_user_names(form: str) -> None:
    read_fd, write_fd = os.pipe()
    try:
        write_output(Path(form.format(write_fd)), "report\n")
        assert os.read(read_fd, 100) == b"report\n"
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_read_bounded_refuses_anything_but_a_regular_file(tmp_path: Path) -> None:
    from chainkit._internal.fs import NotRegularFileError, TooLargeError, read_bounded

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # no writer: a blocking open or read would hang
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_bounded(fifo, 10)
        except BaseException as exc:  # noqa: BLE001 - judged below
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # it blocked: release it (a writer that closes at once), then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("read_bounded blocked on a FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], NotRegularFileError)
    assert "not a regular file" in str(outcome[0])
    with pytest.raises(NotRegularFileError):
        read_bounded(Path("/dev/zero"), 10)
    with pytest.raises(NotRegularFileError):
        read_bounded(tmp_path, 10)
    real = tmp_path / "real"
    real.write_bytes(b"data")
    link = tmp_path / "link"
    link.symlink_to(real)
    assert read_bounded(link, 10) == b"data"
    with pytest.raises(NotRegularFileError, match="symlink"):
        read_bounded(link, 10, follow_symlinks=False)
    with pytest.raises(TooLargeError):
        read_bounded(real, 3)
