"""The seed model: what the GitHub stand-in serves when it starts on an empty directory.

Frozen dataclasses (:class:`Seed` of :class:`TokenSpec`, :class:`RepoSpec`,
:class:`EnvironmentSpec`, :class:`ReleaseSpec`, :class:`AssetSpec`), GitHub's limits, and
:func:`asset_chunks`: assets declared with ``size`` get deterministic pseudo-random bytes
(SHAKE-256 in counter mode over ``owner/repo``, the tag and the asset name), produced in
chunks so that even a 1.9 GiB asset is never built in memory. Reading seed documents is
``_seed``'s job; the document keys are these dataclasses' field names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from chainkit.sandbox._fault_plan import FaultSpec

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_READ_TOKEN",
    "DEFAULT_WRITE_TOKEN",
    "DIGEST_RE",
    "GITHUB_CONTENT_LIMITS",
    "MAX_ASSETS_PER_RELEASE",
    "MAX_ASSET_SIZE",
    "REPO_RE",
    "SCOPES",
    "SEED_VERSION",
    "AssetSpec",
    "ContentLimit",
    "DigestMode",
    "EnvironmentSpec",
    "LimitsSpec",
    "ReleaseSpec",
    "RepoSpec",
    "SecondaryMessage",
    "Seed",
    "TokenSpec",
    "asset_chunks",
]

DEFAULT_WRITE_TOKEN = "sandbox-write"  # noqa: S105 - a well-known sandbox-only value  # nosec B105
DEFAULT_READ_TOKEN = "sandbox-read"  # noqa: S105 - a well-known sandbox-only value  # nosec B105
MAX_ASSETS_PER_RELEASE = 1000
"""GitHub's limit on the number of assets in one release."""
MAX_ASSET_SIZE = 2 * 1024**3
"""Each asset must be smaller than this (2 GiB)."""
SEED_VERSION = 1
CHUNK_SIZE = 1024 * 1024

Level = Literal["read", "write"]
DigestMode = Literal["auto", "null", "absent", "fixed"]

REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
SCOPES = ("contents", "metadata", "attestations")


@dataclass(frozen=True)
class TokenSpec:
    """A token the stand-in accepts and what it may do, per scope (``contents``, ``metadata``,
    ``attestations``: ``read`` or ``write``; ``attestations`` defaults to ``contents``' level).
    """

    value: str = field(repr=False)
    permissions: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({"contents": "read"})
    )

    @property
    def can_write(self) -> bool:
        return self.permissions.get("contents") == "write"


@dataclass(frozen=True)
class EnvironmentSpec:
    """A deployment environment; ``required_reviewers`` empty means unprotected.

    A reviewer written ``@login`` is a user; any other name is a team slug.
    """

    name: str
    required_reviewers: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssetSpec:
    """A seeded asset: literal ``content`` or ``size`` pseudo-random bytes.

    ``digest_mode`` is ``auto`` (the true sha256), ``null`` (as pre-2025 assets), ``absent``
    (key missing, as old GHES) or ``fixed`` (``digest`` verbatim, possibly a lie).
    """

    name: str
    content: bytes | None = field(default=None, repr=False)
    size: int | None = None
    digest_mode: DigestMode = "auto"
    digest: str | None = None
    content_type: str = "application/octet-stream"
    label: str | None = ""

    @property
    def byte_size(self) -> int:
        if self.content is not None:
            return len(self.content)
        assert self.size is not None
        return self.size


@dataclass(frozen=True)
class ReleaseSpec:
    """A seeded release. Drafts have no ``published_at``."""

    tag: str
    name: str | None = None
    body: str | None = None
    draft: bool = False
    prerelease: bool = False
    immutable: bool = False
    published_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    target_commitish: str = "main"
    assets: tuple[AssetSpec, ...] = ()


@dataclass(frozen=True)
class RepoSpec:
    """A seeded repository ``owner/name``."""

    full_name: str
    private: bool = False
    default_branch: str = "main"
    environments: tuple[EnvironmentSpec, ...] = ()
    releases: tuple[ReleaseSpec, ...] = ()

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]


@dataclass(frozen=True)
class ContentLimit:
    """At most ``requests`` content-creating requests per token in any ``window_s`` seconds."""

    requests: int
    window_s: float


GITHUB_CONTENT_LIMITS = (ContentLimit(80, 60.0), ContentLimit(500, 3600.0))
"""github.com's documented content-creation limits (BEHAVIOR.md section 11)."""

SecondaryMessage = Literal["secondary", "content-creation"]


@dataclass(frozen=True)
class LimitsSpec:
    """GitHub's secondary (content-creation) limits and how an excess write is answered.

    ``content``: the sliding windows (``()`` turns the limits off); ``status``: 403 or 429;
    ``retry_after``: the ``retry-after`` seconds, or ``None`` to send none; ``message``:
    which of GitHub's two recorded wordings the body carries.
    """

    content: tuple[ContentLimit, ...] = GITHUB_CONTENT_LIMITS
    status: int = 403
    retry_after: int | None = 60
    message: SecondaryMessage = "secondary"


@dataclass(frozen=True)
class Seed:
    """Everything the stand-in serves when it starts on an empty state directory."""

    version: int = SEED_VERSION
    tokens: tuple[TokenSpec, ...] = ()
    repos: tuple[RepoSpec, ...] = ()
    limits: LimitsSpec = LimitsSpec()
    faults: FaultSpec | None = None
    """Seeded faults (docs/sandbox.md, 'Faults'): in memory, applied when this seed starts
    a fresh sandbox; never stored, so a later start serves the state without them."""


# --------------------------------------------------------------------------- pseudo-random


def asset_chunks(
    full_name: str, tag: str, asset: AssetSpec, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """The bytes of a seeded asset, in chunks of at most ``chunk_size`` (deterministic)."""
    if asset.content is not None:
        for start in range(0, len(asset.content), chunk_size):
            yield asset.content[start : start + chunk_size]
        return
    remaining = asset.byte_size
    key = hashlib.sha256(f"{full_name}\0{tag}\0{asset.name}".encode()).digest()
    counter = 0
    while remaining > 0:
        n = min(CHUNK_SIZE, remaining)
        block = hashlib.shake_256(key + counter.to_bytes(8, "big")).digest(n)
        counter += 1
        remaining -= n
        for start in range(0, n, chunk_size):
            yield block[start : start + chunk_size]
