"""Moved to :mod:`chainkit.attestation`; kept so existing imports keep working."""

from __future__ import annotations

from chainkit.attestation._names import (
    ATTESTATION_MARKER,
    BUNDLE_SUFFIX,
    attestation_name,
    bundle_name,
    bundle_release_prefix,
    github_asset_name,
)

__all__ = [
    "ATTESTATION_MARKER",
    "BUNDLE_SUFFIX",
    "attestation_name",
    "bundle_name",
    "bundle_release_prefix",
    "github_asset_name",
]
