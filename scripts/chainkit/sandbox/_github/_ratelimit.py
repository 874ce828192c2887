"""Primary rate limits of the GitHub stand-in (``core``) and the ``/rate_limit`` body.

Each token has 5,000 requests an hour, anonymous callers 60 per client address, counted
in a one-hour window that starts with the caller's first request (in memory). Which
responses count and which carry ``x-ratelimit-*`` headers is decided by dispatch; this
module keeps the budgets and renders the headers and bodies. Secondary (content
creation) limits are separate: see ``_limits``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = [
    "ANONYMOUS_LIMIT",
    "TOKEN_LIMIT",
    "WINDOW",
    "RateLimits",
    "exceeded_message",
    "rate_limit_body",
]

TOKEN_LIMIT = 5000
ANONYMOUS_LIMIT = 60
WINDOW = 3600


def limit_for(authenticated: bool) -> int:
    return TOKEN_LIMIT if authenticated else ANONYMOUS_LIMIT


class RateLimits:
    """Per-caller primary budgets in a rolling one-hour window (in memory)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, list[int]] = {}

    def peek(self, key: str, limit: int) -> tuple[int, int, int]:
        """(used, remaining, reset) without consuming."""
        with self._lock:
            return self._state(key, limit)

    def consume(self, key: str, limit: int) -> tuple[int, int, int]:
        with self._lock:
            self._state(key, limit)
            self._buckets[key][1] += 1
            return self._state(key, limit)

    def _state(self, key: str, limit: int) -> tuple[int, int, int]:
        now = int(time.time())
        b = self._buckets.get(key)
        if b is None or now >= b[0] + WINDOW:
            b = self._buckets[key] = [now, 0]
        used = min(b[1], limit)
        return used, limit - used, b[0] + WINDOW

    def headers(self, key: str, authenticated: bool, *, consume: bool) -> dict[str, str]:
        """The five ``x-ratelimit-*`` headers, after consuming one request if ``consume``."""
        limit = limit_for(authenticated)
        used, remaining, reset = self.consume(key, limit) if consume else self.peek(key, limit)
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-used": str(used),
            "x-ratelimit-resource": "core",
        }

    def exhausted(self, key: str, authenticated: bool) -> bool:
        return self.peek(key, limit_for(authenticated))[1] <= 0


def exceeded_message(who: str) -> str:
    return (
        f"API rate limit exceeded for {who}. (But here's the good news: "
        "Authenticated requests get a higher rate limit.)"
    )


def rate_limit_body(limits: RateLimits, key: str, authenticated: bool) -> dict[str, Any]:
    """The ``GET /rate_limit`` body (``core`` is real; the other resources are full)."""
    limit = limit_for(authenticated)
    used, remaining, reset = limits.peek(key, limit)
    core = {"limit": limit, "remaining": remaining, "reset": reset, "used": used,
            "resource": "core"}  # fmt: skip

    def other(name: str, lim: int) -> dict[str, Any]:
        return {
            "limit": lim,
            "remaining": lim,
            "reset": int(time.time()) + 60,
            "used": 0,
            "resource": name,
        }

    return {
        "resources": {
            "core": core,
            "search": other("search", 30 if authenticated else 10),
            "graphql": other("graphql", TOKEN_LIMIT if authenticated else 0),
            "integration_manifest": other("integration_manifest", 5000),
            "code_search": other("code_search", 10),
        },
        "rate": core,
    }
