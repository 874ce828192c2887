"""Safe local file names for assets, whatever GitHub (or an attacker) calls them.

Asset names come from the network. On disk chainkit never uses them: a file is
named ``<asset_id>-<sha256(name)[:16]>`` (ASCII digits, hex and one hyphen), and the
real name lives only in JSON (plan, journal). :func:`within` is the one place that
joins a name to a directory, and it refuses anything that would leave it.
"""

from __future__ import annotations

import re
from pathlib import Path

from chainkit._internal.hashing import sha256_chunks
from chainkit.backfill._errors import BackfillUsageError

__all__ = ["local_name", "within"]

_SAFE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def local_name(asset_id: int, asset_name: str) -> str:
    """The on-disk name for an asset: ``<asset_id>-<first 16 hex of sha256(name)>``.

    Distinct names of one asset id give distinct local names; the result is always
    a plain, short ASCII file name.
    """
    if isinstance(asset_id, bool) or not isinstance(asset_id, int) or asset_id < 0:
        raise ValueError(f"asset id must be a non-negative integer, not {asset_id!r}")
    digest = sha256_chunks((asset_name.encode("utf-8", "surrogatepass"),))
    return f"{asset_id}-{digest[:16]}"


def within(root: Path, name: str) -> Path:
    """``root / name``, refusing any name that is not one plain, safe path component.

    Only ``[A-Za-z0-9._-]`` (up to 128 characters, not starting with a dot or hyphen)
    is accepted, so separators, ``..``, control characters, drive letters and
    unicode tricks cannot escape ``root``. Use :func:`local_name` to get such a name.
    """
    if not _SAFE_RE.match(name) or name in {".", ".."}:
        raise BackfillUsageError(
            f"refusing unsafe local file name {name!r}",
            remediation="this is a bug in chainkit: local names must come from local_name()",
        )
    base = root.resolve()
    path = (base / name).resolve()
    if path.parent != base:
        raise BackfillUsageError(
            f"refusing a path outside the state directory: {name!r}",
            remediation="remove symbolic links from the state directory and retry",
        )
    return path
