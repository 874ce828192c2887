"""The pinned official gitleaks release that ``actions/scan`` (kind ``secrets``) installs.

Version and per-platform sha256 of the release archives published at
``https://github.com/gitleaks/gitleaks/releases/download/v<version>/``; where each value
was found is in docs/actions.md ("gitleaks pin provenance"). A platform without a
verified value is refused, never installed unverified. The archive is streamed with a
size cap and hashed; only its regular-file member ``gitleaks`` is written, to a fresh
private directory under ``$RUNNER_TEMP``, never through a symlink.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from chainkit.ghactions._errors import ActionInputError, ActionToolError

__all__ = ["GITLEAKS_ARCHIVES", "GITLEAKS_VERSION", "GitleaksArchive", "install_gitleaks"]

GITLEAKS_VERSION = "8.30.1"
_BASE = "https://github.com/gitleaks/gitleaks/releases/download"
_MAX_ARCHIVE = 64 * 1024 * 1024
_MAX_BINARY = 256 * 1024 * 1024


@dataclass(frozen=True)
class GitleaksArchive:
    """One official release archive: its file name and published sha256."""

    name: str
    sha256: str
    version: str = GITLEAKS_VERSION

    @property
    def url(self) -> str:
        return f"{_BASE}/v{self.version}/{self.name}"


def _archive(suffix: str, sha256: str) -> GitleaksArchive:
    return GitleaksArchive(f"gitleaks_{GITLEAKS_VERSION}_{suffix}.tar.gz", sha256)


GITLEAKS_ARCHIVES: Mapping[tuple[str, str], GitleaksArchive] = MappingProxyType(
    {
        ("Linux", "X64"): _archive(
            "linux_x64", "551f6fc83ea457d62a0d98237cbad105af8d557003051f41f3e7ca7b3f2470eb"
        ),
        ("Linux", "ARM64"): _archive(
            "linux_arm64", "e4a487ee7ccd7d3a7f7ec08657610aa3606637dab924210b3aee62570fb4b080"
        ),
        ("macOS", "X64"): _archive(
            "darwin_x64", "dfe101a4db2255fc85120ac7f3d25e4342c3c20cf749f2c20a18081af1952709"
        ),
        ("macOS", "ARM64"): _archive(
            "darwin_arm64", "b40ab0ae55c505963e365f271a8d3846efbc170aa17f2607f13df610a9aeb6a5"
        ),
    }
)
"""(RUNNER_OS, RUNNER_ARCH) -> the archive for that runner."""

Fetch = Callable[[str, int], bytes]
"""``fetch(url, limit)``: the body of ``url``, at most ``limit`` bytes."""

_OS = {"Linux": "Linux", "Darwin": "macOS", "Windows": "Windows"}
_ARCH = {"x86_64": "X64", "amd64": "X64", "AMD64": "X64", "aarch64": "ARM64", "arm64": "ARM64"}


def runner_platform(environ: Mapping[str, str]) -> tuple[str, str]:
    """``(RUNNER_OS, RUNNER_ARCH)``, or this machine's equivalent outside a runner."""
    os_name = environ.get("RUNNER_OS") or _OS.get(platform.system(), platform.system())
    arch = environ.get("RUNNER_ARCH") or _ARCH.get(platform.machine(), platform.machine())
    return os_name, arch


def _download(url: str, limit: int) -> bytes:
    import requests

    try:
        with requests.get(url, stream=True, timeout=60) as response:
            response.raise_for_status()
            body = bytearray()
            for chunk in response.iter_content(1 << 16):
                body.extend(chunk)
                if len(body) > limit:
                    raise ActionToolError(f"{url} is larger than {limit} bytes: refusing it")
            return bytes(body)
    except requests.RequestException as exc:
        raise ActionToolError(
            f"could not download {url}: {type(exc).__name__}",
            remediation="retry, or give the scan action a gitleaks binary (gitleaks-path)",
        ) from exc


def _extract(archive: bytes, target: Path) -> None:
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            member = next((m for m in tar.getmembers() if m.name == "gitleaks"), None)
            if member is None or not member.isreg() or member.size > _MAX_BINARY:
                raise ActionToolError("the gitleaks archive has no regular file `gitleaks`")
            source = tar.extractfile(member)
            assert source is not None
            data = source.read(_MAX_BINARY + 1)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ActionToolError(f"the gitleaks archive could not be read: {exc}") from exc
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o700)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def install_gitleaks(
    environ: Mapping[str, str],
    *,
    archives: Mapping[tuple[str, str], GitleaksArchive] = GITLEAKS_ARCHIVES,
    fetch: Fetch | None = None,
) -> Path:
    """Download, verify and unpack the pinned gitleaks for this runner; its path."""
    key = runner_platform(environ)
    archive = archives.get(key)
    if archive is None:
        raise ActionInputError(
            f"no verified gitleaks {GITLEAKS_VERSION} archive is pinned for {key[0]}/{key[1]}",
            remediation="run on Linux or macOS (x64, arm64), or pass a gitleaks binary in "
            "the scan action's gitleaks-path input",
        )
    body = (fetch or _download)(archive.url, _MAX_ARCHIVE)
    digest = hashlib.sha256(body).hexdigest()
    if digest != archive.sha256:
        raise ActionToolError(
            f"{archive.name}: sha256 {digest} is not the pinned {archive.sha256}; not installed",
            remediation="the download was altered or the pin is wrong: do not run it",
        )
    base = environ.get("RUNNER_TEMP") or None
    directory = Path(tempfile.mkdtemp(prefix=f"chainkit-gitleaks-{archive.version}-", dir=base))
    target = directory / "gitleaks"
    _extract(body, target)
    return target
