"""Requirements files that are not requirements files, and includes that leave the project:
input errors (exit 2) that name the file and line but never quote the content."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chainkit.deps import InputError, LockFile, Requirements, collect
from chainkit.errors import ExitCode

CONTROL = st.sampled_from([*map(chr, range(0, 9)), "\x0b", *map(chr, range(14, 32)), "\x7f"])


@given(
    before=st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
    control=CONTROL,
    after=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
)
@example(before="SECRET_TOKEN=hunter2", control="\x00", after="PATH=/usr/bin\x00")
def test_control_characters_make_it_not_a_requirements_file(
    tmp_path_factory: pytest.TempPathFactory, before: str, control: str, after: str
) -> None:
    root = tmp_path_factory.mktemp("req")
    path = root / "environ"
    path.write_bytes(f"SECRET{before}{control}{after}TOKEN".encode())
    with pytest.raises(InputError) as info:
        collect(Requirements((path,)))
    assert info.value.exit_code == ExitCode.USAGE
    assert "is not a requirements file" in info.value.message
    assert "SECRET" not in info.value.render() and "TOKEN" not in info.value.render()


def test_not_utf8_and_too_large(tmp_path: Path) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"caf\xe9==1.0\n")
    with pytest.raises(InputError, match="not UTF-8 text"):
        collect(Requirements((latin,)))
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:
        fh.truncate(9 * 1024 * 1024)
    with pytest.raises(InputError, match="larger than"):
        collect(Requirements((huge,)))


def test_a_byte_order_mark_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.txt").write_bytes(b"\xef\xbb\xbfsix==1.16.0\n")
    got = collect(Requirements((Path("r.txt"),)))
    assert [(d.name, d.version) for d in got.dependencies] == [("six", "1.16.0")]


@pytest.mark.parametrize(
    "line",
    ["-r ../outside.txt", "-c ../outside.txt", "--requirement=../outside.txt", "-r/etc/hosts"],
)
def test_includes_outside_the_project_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    (tmp_path / "outside.txt").write_text("six==1.16.0\n")
    (project / "r.txt").write_text(f"# first\n{line}\n")
    with pytest.raises(InputError, match=r"^r\.txt:2: an -r/-c include points outside") as info:
        collect(Requirements((Path("r.txt"),)))
    assert "outside.txt" not in info.value.render() and "hosts" not in info.value.render()


def test_includes_inside_the_project_and_beside_the_given_file_are_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "reqs").mkdir(parents=True)
    monkeypatch.chdir(project)
    (project / "reqs" / "base.txt").write_text("six==1.16.0\n")
    (project / "reqs" / "prod.txt").write_text("-r base.txt\n-c ../constraints.txt\n")
    (project / "constraints.txt").write_text("idna==3.7\n")
    got = collect(Requirements((Path("reqs/prod.txt"),)))
    assert got.label == "reqs/prod.txt, reqs/base.txt, constraints.txt"
    # a file given outside the working directory may include files beside it
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.txt").write_text("-r b.txt\n")
    (elsewhere / "b.txt").write_text("six==1.16.0\n")
    assert len(collect(Requirements((elsewhere / "a.txt",))).files) == 2


def test_unnamed_requirements_are_kept_by_place_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.txt").write_text("six==1.16.0\n./vendor/pkg\ngit+https://example.invalid/x\n")
    got = collect(Requirements((Path("r.txt"),)))
    assert [(u.path, u.line) for u in got.unnamed] == [("r.txt", 2), ("r.txt", 3)]


@given(name=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30))
@example(name="six|<img src=x>")
@example(name="\U00010000")
@example(name=")")
@example(name="six\n::error::forged")
def test_lock_entries_need_a_valid_package_name(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    import re

    valid = re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", name) is not None
    root = tmp_path_factory.mktemp("lock")
    lock = root / "uv.lock"
    quoted = '"' + "".join(f"\\U{ord(c):08X}" for c in name) + '"'  # any scalar, as TOML
    lock.write_text(f'version = 1\n[[package]]\nname = {quoted}\nversion = "1.0"\n')
    if valid:
        assert [d.name for d in collect(LockFile(lock)).dependencies] == [name]
        return
    with pytest.raises(InputError) as info:
        collect(LockFile(lock))
    # the whole message is fixed text: nothing of the name is in it
    expected = f"{lock} is not a valid lock file: [[package]] #1: not a valid package name"
    assert info.value.message == expected


def test_the_filesystem_root_as_working_directory_does_not_widen_the_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(tmp_path.anchor))
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "outside.txt").write_text("six==1.16.0\n")
    (project / "r.txt").write_text("-r ../outside.txt\n")
    with pytest.raises(InputError, match="points outside the project"):
        collect(Requirements((project / "r.txt",)))
