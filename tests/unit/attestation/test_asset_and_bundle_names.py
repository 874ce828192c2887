from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainkit.attestation import attestation_name, bundle_name, github_asset_name
from chainkit.backfill._filters import is_signature_file


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("widgets-1.0.tar.gz", "widgets-1.0.tar.gz"),
        ("foo bar.zip", "foo.bar.zip"),
        ("façade.exposé", "facade.expose"),
        (".config", "default.config"),
        ("app-(15-5)-x.apk", "app-.15-5.-x.apk"),
        ("erick%%%%%!!!zhao.txt", "erick.zhao.txt"),
        ("Hello, दुनिया", "default.Hello"),
        ("a+b@c.whl", "a+b@c.whl"),
    ],
)
def test_github_asset_name(name: str, stored: str) -> None:
    assert github_asset_name(name) == stored


def test_bundle_name_in_release() -> None:
    assert bundle_name("widgets-1.0.tar.gz") == "widgets-1.0.tar.gz.sigstore.json"
    assert bundle_name("my widget.zip") == "my.widget.zip.sigstore.json"


def test_bundle_name_in_bundle_release_is_prefixed_with_the_tag() -> None:
    assert bundle_name("w.tar.gz", tag="v1.0") == "v1.0--w.tar.gz.sigstore.json"
    assert bundle_name("w.tar.gz", tag="release/1.0") == "release_1.0--w.tar.gz.sigstore.json"
    assert bundle_name("w.tar.gz", tag="v1", release_id=7) == "v1-7--w.tar.gz.sigstore.json"


def test_attestation_name_is_not_provenance_shaped() -> None:
    name = attestation_name(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert name == "chainkit-backfill-attestation-20260102T030405Z.sigstore.json"
    assert not name.endswith(".intoto.jsonl")
    assert is_signature_file(name)  # never planned for signing itself
    tagged = attestation_name(datetime(2026, 1, 2, tzinfo=timezone.utc), tag="v1.0")
    assert tagged.startswith("v1.0--")


@given(st.text(max_size=60))
def test_stored_names_are_safe_and_stable(name: str) -> None:
    stored = github_asset_name(name)
    assert all(c.isascii() and (c.isalnum() or c in "._-+@") for c in stored)
    assert github_asset_name(stored) == stored
    assert bundle_name(name).endswith(".sigstore.json")
