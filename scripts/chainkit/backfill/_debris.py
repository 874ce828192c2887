"""Debris of a failed upload under a name chainkit uploads to.

GitHub can leave an asset in state ``starter`` after an upload it answered with an error
(BEHAVIOR.md section 3); it blocks a new upload of that name with 422 until deleted. Such
an asset under a bundle's or an attestation's name holds nothing (it never finished
uploading): it is deleted (a write, paced by the write budget) and the upload is made
again. An ``uploaded`` asset is never touched here, whatever its content.
"""

from __future__ import annotations

import logging
from typing import Protocol

from chainkit.github import Asset

__all__ = ["without_starter"]

_log = logging.getLogger("chainkit.backfill")


class _Deleter(Protocol):
    def get_asset(self, asset: Asset) -> Asset | None: ...

    def delete_asset(self, asset: Asset) -> None: ...


def without_starter(client: _Deleter, existing: dict[str, Asset], name: str) -> Asset | None:
    """``existing[name]``, unless it is a ``starter`` asset: that one is deleted (and
    dropped from ``existing``) and ``None`` is returned, so that the caller uploads again.

    ``existing`` may be a listing some time old: the asset is read again by its id right
    before the delete, and deleted only if it is still ``starter`` under ``name`` (another
    party's upload may have finished since, or the asset been renamed or deleted). What is
    left is GitHub's: a delete cannot be made conditional, so an upload that completes
    between this read and the delete is still lost (a window of one request)."""
    remote = existing.get(name)
    if remote is None or remote.state != "starter":
        return remote
    fresh = client.get_asset(remote)
    if fresh is None or fresh.name != name:
        _log.info("%r (state 'starter') is gone or renamed since it was listed", name)
        existing.pop(name, None)
        return None
    if fresh.state != "starter":
        _log.info("%r was 'starter' when listed and is %r now: kept", name, fresh.state)
        existing[name] = fresh
        return fresh
    _log.warning(
        "%r is left over from a failed upload (state 'starter', %d bytes): deleting it and "
        "uploading again",
        name,
        fresh.size,
    )
    client.delete_asset(fresh)
    existing.pop(name, None)
    return None
