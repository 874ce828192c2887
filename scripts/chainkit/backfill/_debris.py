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
    def delete_asset(self, asset: Asset) -> None: ...


def without_starter(client: _Deleter, existing: dict[str, Asset], name: str) -> Asset | None:
    """``existing[name]``, unless it is a ``starter`` asset: that one is deleted (and
    dropped from ``existing``) and ``None`` is returned, so that the caller uploads again."""
    remote = existing.get(name)
    if remote is None or remote.state != "starter":
        return remote
    _log.warning(
        "%r is left over from a failed upload (state 'starter', %d bytes): deleting it and "
        "uploading again",
        name,
        remote.size,
    )
    client.delete_asset(remote)
    existing.pop(name, None)
    return None
