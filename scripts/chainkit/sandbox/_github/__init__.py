"""The GitHub REST API stand-in (releases, assets, environments, rate limits)."""

from __future__ import annotations

from chainkit.github._names import sanitize_asset_name
from chainkit.sandbox._github._server import GitHubStandIn, ObservedResponse

__all__ = ["GitHubStandIn", "ObservedResponse", "sanitize_asset_name"]
