"""Names of the files a backfill uploads and a verifier looks for, as GitHub stores them.

GitHub renames uploaded assets with special characters (see
``shared/github-api/BEHAVIOR.md`` section 3, reconstructed from GitHub CLI's
``sanitizeFileName``). The plan records the *stored* name, so apply can detect an
existing bundle, recognise ``already_exists`` and link the right file in the notes.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from chainkit.github._names import sanitize_asset_name

__all__ = [
    "ATTESTATION_MARKER",
    "BUNDLE_SUFFIX",
    "attestation_name",
    "bundle_name",
    "bundle_release_prefix",
    "github_asset_name",
    "is_attestation_name",
]

BUNDLE_SUFFIX = ".sigstore.json"
ATTESTATION_MARKER = "chainkit-backfill-attestation"

_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.+@-]+")


def github_asset_name(name: str) -> str:
    """The name GitHub stores for an uploaded file called ``name`` (best reconstruction)."""
    return sanitize_asset_name(name)


def bundle_release_prefix(tag: str) -> str:
    """The prefix of a release's bundles and attestations in the bundle release."""
    return f"{_tag_label(tag)}--"


def _tag_label(tag: str) -> str:
    # GitHub collapses runs of dots in stored names: so does the label, so that the prefix
    # is the one the stored bundles and attestations really carry
    label = re.sub(r"\.{2,}", ".", _TAG_UNSAFE.sub("_", tag)).strip("._")
    return label or "release"


def bundle_name(asset_name: str, *, tag: str | None = None, release_id: int | None = None) -> str:
    """``<asset>.sigstore.json`` as stored by GitHub.

    With ``tag`` (bundles kept in a separate release), the name is prefixed with the
    release's tag (``<tag>--<asset>.sigstore.json``) and, with ``release_id`` too,
    with the id (``<tag>-<id>--...``) for when two tags sanitize alike.
    """
    stored = github_asset_name(asset_name) or "default"
    base = stored + BUNDLE_SUFFIX
    if tag is not None:
        prefix = _tag_label(tag)
        if release_id is not None:
            prefix = f"{prefix}-{release_id}"
        base = f"{prefix}--{base}"
    return github_asset_name(base)


def attestation_name(created_at: datetime, *, tag: str | None = None) -> str:
    """The per-release backfill attestation (a Sigstore bundle holding a DSSE envelope).

    It is deliberately *not* named ``*.intoto.jsonl``: Scorecard counts that suffix as
    build provenance, and a backfill is not provenance. The plan's time is in the name,
    so a later backfill of new assets adds an attestation instead of replacing one.
    """
    stamp = created_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = f"{ATTESTATION_MARKER}-{stamp}{BUNDLE_SUFFIX}"
    if tag is not None:
        base = f"{_tag_label(tag)}--{base}"
    return github_asset_name(base)


def is_attestation_name(name: str) -> bool:
    """Whether an asset called ``name`` is a backfill attestation (not an asset's bundle)."""
    return ATTESTATION_MARKER in name and name.endswith(BUNDLE_SUFFIX)
