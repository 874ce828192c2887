"""Factories for releases and assets used by the backfill unit tests."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from chainkit.github import Asset, Release

__all__ = ["asset", "fetcher", "options", "release", "sha"]

_ids = itertools.count(1000)
BASE = "http://127.0.0.1:1/api/v3/repos/acme/widgets"


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def asset(
    name: str,
    *,
    data: bytes | None = None,
    digest: str | None = "auto",
    state: str = "uploaded",
    size: int | None = None,
    id: int | None = None,
) -> Asset:
    payload = data if data is not None else name.encode()
    if digest == "auto":
        digest = "sha256:" + sha(payload)
    asset_id = id if id is not None else next(_ids)
    return Asset(
        id=asset_id,
        name=name,
        size=size if size is not None else len(payload),
        content_type="application/octet-stream",
        state=state,
        digest=digest,
        url=f"{BASE}/releases/assets/{asset_id}",
        browser_download_url=f"http://127.0.0.1:1/acme/widgets/releases/download/x/{name}",
        updated_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    )


def release(
    tag: str,
    assets: tuple[Asset, ...] = (),
    *,
    body: str = "Release notes.\n",
    draft: bool = False,
    prerelease: bool = False,
    immutable: bool = False,
    published: datetime | None = datetime(2024, 1, 2, tzinfo=timezone.utc),
    id: int | None = None,
) -> Release:
    release_id = id if id is not None else next(_ids)
    return Release(
        id=release_id,
        tag=tag,
        name=f"Release {tag}",
        body=body,
        draft=draft,
        prerelease=prerelease,
        immutable=immutable,
        created_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
        published_at=None if draft else published,
        url=f"{BASE}/releases/{release_id}",
        html_url=f"http://127.0.0.1:1/acme/widgets/releases/tag/{tag}",
        upload_url=f"http://127.0.0.1:1/api/uploads/repos/acme/widgets/releases/{release_id}/assets{{?name,label}}",
        assets=assets,
    )


def fetcher(files: dict[str, bytes]) -> Callable[[Asset], bytes]:
    """A fetch_small that serves bytes by asset name and records the calls."""
    calls: list[str] = []

    def fetch(a: Asset) -> bytes:
        calls.append(a.name)
        return files[a.name]

    fetch.calls = calls  # type: ignore[attr-defined]
    return fetch


def options(**kw: Any) -> Any:
    from chainkit.backfill import PlanOptions

    return PlanOptions(**kw)


NOW = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=timezone.utc)


def sample_releases() -> list[Release]:
    """A small repository: checksums, a tampered asset, no evidence, a bundle, an immutable."""
    tar = asset("widgets-1.0.tar.gz", data=b"tar")
    whl = asset("widgets-1.0-py3-none-any.whl", data=b"whl", digest=None)
    tampered = asset("widgets-1.0.zip", data=b"zip")
    sums = (
        f"{sha(b'tar')}  widgets-1.0.tar.gz\n"
        f"{sha(b'whl')}  widgets-1.0-py3-none-any.whl\n"
        f"{sha(b'zip-original')}  widgets-1.0.zip\n"
    ).encode()
    r1 = release(
        "v1.0",
        (tar, whl, tampered, asset("SHA256SUMS", data=sums), asset("SHA512SUMS", data=b"x")),
        body="Before\n\nAfter",
    )
    old = asset("widgets-0.9.tar.gz", data=b"old", digest=None)
    signed = asset("widgets-0.9.whl", data=b"w09")
    bundle = asset("widgets-0.9.whl.sigstore.json", data=b"{}")
    r2 = release("v0.9", (old, signed, bundle))
    r3 = release("v0.8", (asset("widgets-0.8.tar.gz", data=b"08"),), immutable=True)
    return [r1, r2, r3]


SAMPLE_FILES = {
    "SHA256SUMS": (
        f"{sha(b'tar')}  widgets-1.0.tar.gz\n"
        f"{sha(b'whl')}  widgets-1.0-py3-none-any.whl\n"
        f"{sha(b'zip-original')}  widgets-1.0.zip\n"
    ).encode()
}


def sample_plan(**kw: Any) -> Any:
    from chainkit.backfill import Filters, PlanOptions, build_plan

    args: dict[str, Any] = {
        "repository": "acme/widgets",
        "api_url": "http://127.0.0.1:1/api/v3/",
        "filters": Filters(),
        "options": PlanOptions(),
        "fetch_small": fetcher(SAMPLE_FILES),
        "pypi": None,
        "verify_existing": None,
        "now": NOW,
    }
    args.update(kw)
    return build_plan(sample_releases(), **args)
