"""The pinned official gitleaks: every supported runner has a version and sha256, the
archive is installed only when its sha256 is the pinned one, only its regular `gitleaks`
member is written, and a runner without a verified pin is refused."""

from __future__ import annotations

import hashlib
import io
import re
import stat
import tarfile
from pathlib import Path

import pytest

from chainkit.ghactions import GITLEAKS_ARCHIVES, GITLEAKS_VERSION, GitleaksArchive
from chainkit.ghactions._errors import ActionInputError, ActionToolError
from chainkit.ghactions._gitleaks import install_gitleaks

BINARY = b"#!/bin/sh\necho 8.30.1\n"


def _tarball(members: dict[str, bytes], *, link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link is not None:
            info = tarfile.TarInfo("gitleaks")
            info.type = tarfile.SYMTYPE
            info.linkname = link
            tar.addfile(info)
    return buffer.getvalue()


def _pins(body: bytes) -> dict[tuple[str, str], GitleaksArchive]:
    name = f"gitleaks_{GITLEAKS_VERSION}_linux_x64.tar.gz"
    return {("Linux", "X64"): GitleaksArchive(name, hashlib.sha256(body).hexdigest())}


def test_every_supported_runner_has_an_official_archive_and_digest() -> None:
    assert set(GITLEAKS_ARCHIVES) == {
        ("Linux", "X64"),
        ("Linux", "ARM64"),
        ("macOS", "X64"),
        ("macOS", "ARM64"),
    }
    suffixes = set()
    for archive in GITLEAKS_ARCHIVES.values():
        assert re.fullmatch(r"[0-9a-f]{64}", archive.sha256)
        assert archive.url == (
            f"https://github.com/gitleaks/gitleaks/releases/download/v{GITLEAKS_VERSION}/"
            f"{archive.name}"
        )
        match = re.fullmatch(
            rf"gitleaks_{re.escape(GITLEAKS_VERSION)}_(\w+)\.tar\.gz", archive.name
        )
        assert match
        suffixes.add(match.group(1))
    assert suffixes == {"linux_x64", "linux_arm64", "darwin_x64", "darwin_arm64"}
    assert len({a.sha256 for a in GITLEAKS_ARCHIVES.values()}) == 4


def test_the_pinned_archive_is_installed(tmp_path: Path) -> None:
    body = _tarball({"README.md": b"readme", "gitleaks": BINARY})
    urls: list[str] = []

    def fetch(url: str, limit: int) -> bytes:
        urls.append(url)
        return body

    env = {"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TEMP": str(tmp_path)}
    path = install_gitleaks(env, archives=_pins(body), fetch=fetch)
    assert path.read_bytes() == BINARY
    assert path.parent.parent == tmp_path
    assert stat.S_IMODE(path.stat().st_mode) & 0o100
    assert urls == [_pins(body)[("Linux", "X64")].url]


def test_an_archive_that_is_not_the_pinned_one_is_never_unpacked(tmp_path: Path) -> None:
    pinned = _tarball({"gitleaks": BINARY})
    served = _tarball({"gitleaks": BINARY + b"# altered\n"})
    env = {"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TEMP": str(tmp_path)}
    with pytest.raises(ActionToolError, match="is not the pinned"):
        install_gitleaks(env, archives=_pins(pinned), fetch=lambda url, limit: served)
    assert list(tmp_path.iterdir()) == []


def test_a_symlink_member_is_refused(tmp_path: Path) -> None:
    body = _tarball({}, link="/bin/sh")
    env = {"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TEMP": str(tmp_path)}
    with pytest.raises(ActionToolError, match="no regular file"):
        install_gitleaks(env, archives=_pins(body), fetch=lambda url, limit: body)


@pytest.mark.parametrize(
    ("os_name", "arch"), [("Windows", "X64"), ("Linux", "ARM"), ("macOS", "X86")]
)
def test_a_runner_without_a_verified_pin_is_refused(os_name: str, arch: str) -> None:
    def fetch(url: str, limit: int) -> bytes:
        raise AssertionError("nothing may be downloaded")

    with pytest.raises(ActionInputError, match="no verified gitleaks"):
        install_gitleaks({"RUNNER_OS": os_name, "RUNNER_ARCH": arch}, fetch=fetch)
