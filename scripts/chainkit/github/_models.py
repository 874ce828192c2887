"""What chainkit knows about GitHub releases: plain, immutable values.

The GitHub boundary (:mod:`chainkit.github`) turns API objects into these, so the
rest of chainkit never touches PyGithub objects or raw JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Asset", "Attestation", "AttestationList", "Environment", "Release"]


@dataclass(frozen=True)
class Asset:
    """A release asset as listed by the API (``release-asset`` schema)."""

    id: int
    name: str
    size: int
    content_type: str
    state: str
    """``uploaded`` for complete assets; ``starter``/``open`` for broken uploads."""
    digest: str | None
    """``sha256:<hex>`` since 2025-06-03; ``None`` for older assets (or when absent, old GHES)."""
    url: str
    """API URL of the asset (``GET`` with ``Accept: application/octet-stream`` downloads it)."""
    browser_download_url: str
    updated_at: datetime | None = None

    @property
    def sha256(self) -> str | None:
        """The hex digest GitHub states, if it states a SHA-256 one."""
        if self.digest and self.digest.startswith("sha256:"):
            return self.digest.removeprefix("sha256:").lower()
        return None


@dataclass(frozen=True)
class Release:
    """A release with its assets, as one page of ``list-releases`` returns it."""

    id: int
    tag: str
    name: str | None
    body: str
    draft: bool
    prerelease: bool
    immutable: bool
    created_at: datetime | None
    published_at: datetime | None
    url: str
    html_url: str
    upload_url: str
    """RFC 6570 template as the API returns it (``.../assets{?name,label}``)."""
    assets: tuple[Asset, ...]
    updated_at: datetime | None = None
    """Changes with every edit of the release (name, notes, flags) and asset upload."""


@dataclass(frozen=True)
class Environment:
    """A deployment environment and whether it requires reviewers."""

    name: str
    required_reviewers: tuple[str, ...]
    """Logins or team slugs of the required reviewers; empty when unprotected."""
    prevent_self_review: bool | None = None
    """The required-reviewers rule's ``prevent_self_review`` (``None``: not stated); when
    false, whoever started the run may approve it."""
    can_admins_bypass: bool | None = None
    """``can_admins_bypass`` (``None``: not stated); when true, admins may skip the rule."""

    @property
    def protected(self) -> bool:
        return bool(self.required_reviewers)


@dataclass(frozen=True)
class Attestation:
    """One item of the artifact attestations list (``GET .../attestations/{digest}``).

    ``bundle`` is the inline Sigstore bundle as JSON bytes, exactly as GitHub served it:
    untrusted until verified (:mod:`chainkit.signing`) and parsed
    (:mod:`chainkit.attestation`)."""

    bundle: bytes
    repository_id: int | None
    initiator: str | None


@dataclass(frozen=True)
class AttestationList:
    """The attestations listed for one subject digest, and whether the list is whole.

    ``truncated``: GitHub had more than the client reads (``MAX_ATTESTATIONS``): an
    attestation that is not in ``items`` may still exist. ``unreadable``: how many listed
    attestations came without an inline bundle (only a ``bundle_url``, which chainkit does
    not read): not in ``items``, and each may be any attestation. Iterate it like a list."""

    items: tuple[Attestation, ...]
    truncated: bool = False
    unreadable: int = 0

    @property
    def whole(self) -> bool:
        """Every attestation GitHub has for the digest is in :attr:`items` (none missing)."""
        return not self.truncated and not self.unreadable

    def __iter__(self) -> Iterator[Attestation]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
