"""Which releases and assets a backfill looks at.

Globs use :func:`fnmatch.fnmatchcase` (case-sensitive, ``*`` also matches ``/``),
so ``--tags 'v1.*'`` never matches ``V1.0``.

Signature and attestation files are excluded by default (:data:`SIGNATURE_SUFFIXES`).
Unlike Scorecard, which counts a signature only on a case-sensitive suffix match,
chainkit matches these suffixes **case-insensitively**: excluding is the safe side
(a ``KEYS.ASC`` or ``APP.SIG`` is never worth a Sigstore bundle of its own), and an
explicit ``--assets`` glob cannot bring them back.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from chainkit.backfill._errors import BackfillUsageError
from chainkit.github import Asset, Release

__all__ = ["SIGNATURE_SUFFIXES", "Filters", "is_signature_file"]

SIGNATURE_SUFFIXES: tuple[str, ...] = (
    ".sigstore.json",
    ".sigstore",
    ".sig",
    ".sign",
    ".asc",
    ".minisig",
    ".intoto.jsonl",
    ".pem",
    ".crt",
)
"""Suffixes of signature and attestation files (Scorecard's list plus ``.pem``/``.crt``)."""


def is_signature_file(name: str) -> bool:
    """Whether an asset name ends with a signature/attestation suffix (any case)."""
    lowered = name.lower()
    return any(lowered.endswith(suffix) for suffix in SIGNATURE_SUFFIXES)


def _matches(name: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def _tuple_of_str(value: Any, field: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise BackfillUsageError(f"filter {field} must be a list of globs, not a string")
    out = tuple(value)
    for item in out:
        if not isinstance(item, str) or not item:
            raise BackfillUsageError(f"filter {field} holds an empty or non-text glob: {item!r}")
    return out


@dataclass(frozen=True)
class Filters:
    """Release and asset selection (all fields optional; the default selects every
    published, non-prerelease release and every uploaded non-signature asset)."""

    tags: tuple[str, ...] = ()
    """Only releases whose tag matches one of these globs (none: every tag)."""
    exclude_tags: tuple[str, ...] = ()
    since: date | None = None
    """Only releases published (drafts: created) on or after this UTC date."""
    last: int | None = None
    """Only the N newest releases that still have selected assets after the other filters."""
    include_prereleases: bool = False
    include_drafts: bool = False
    assets: tuple[str, ...] = ()
    """Only assets whose name matches one of these globs (none: every asset)."""
    exclude_assets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field in ("tags", "exclude_tags", "assets", "exclude_assets"):
            object.__setattr__(self, field, _tuple_of_str(getattr(self, field), field))
        if self.last is not None and (
            isinstance(self.last, bool) or not isinstance(self.last, int) or self.last < 1
        ):
            raise BackfillUsageError(
                f"--last must be a positive integer, not {self.last!r}",
                remediation="pass e.g. --last 5 (Scorecard looks at the 5 newest releases)",
            )
        if isinstance(self.since, datetime):  # a datetime is a date: keep the day only
            object.__setattr__(self, "since", self.since.astimezone(timezone.utc).date())

    # -- releases ----------------------------------------------------------------

    def release_selected(self, release: Release) -> bool:
        """Every release filter except ``last`` (which needs the asset selection too)."""
        if release.draft and not self.include_drafts:
            return False
        if release.prerelease and not self.include_prereleases:
            return False
        if self.tags and not _matches(release.tag, self.tags):
            return False
        if _matches(release.tag, self.exclude_tags):
            return False
        if self.since is not None:
            when = release.published_at or release.created_at
            if when is None:
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            if when.astimezone(timezone.utc).date() < self.since:
                return False
        return True

    # -- assets ------------------------------------------------------------------

    def excluded_explicitly(self, asset: Asset) -> bool:
        """Matched by ``exclude_assets``: neither signed nor read as evidence."""
        return _matches(asset.name, self.exclude_assets)

    def asset_selected(self, asset: Asset) -> bool:
        """Whether the asset is to be planned (signed if its evidence allows)."""
        if asset.state != "uploaded":
            return False
        if is_signature_file(asset.name):
            return False
        if self.assets and not _matches(asset.name, self.assets):
            return False
        return not self.excluded_explicitly(asset)

    # -- plan file ---------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "tags": list(self.tags),
            "exclude_tags": list(self.exclude_tags),
            "since": self.since.isoformat() if self.since else None,
            "last": self.last,
            "include_prereleases": self.include_prereleases,
            "include_drafts": self.include_drafts,
            "assets": list(self.assets),
            "exclude_assets": list(self.exclude_assets),
            "default_excluded_suffixes": list(SIGNATURE_SUFFIXES),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Filters:
        """Inverse of :meth:`to_json` (types are checked by the plan loader)."""
        since = data.get("since")
        return cls(
            tags=tuple(data.get("tags", ())),
            exclude_tags=tuple(data.get("exclude_tags", ())),
            since=date.fromisoformat(since) if since else None,
            last=data.get("last"),
            include_prereleases=bool(data.get("include_prereleases", False)),
            include_drafts=bool(data.get("include_drafts", False)),
            assets=tuple(data.get("assets", ())),
            exclude_assets=tuple(data.get("exclude_assets", ())),
        )
