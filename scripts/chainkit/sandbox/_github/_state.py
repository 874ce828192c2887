"""In-memory state of a running GitHub stand-in (starts afresh with every start).

Primary rate limits, the secondary-limit budget (a seam), injected faults (canned ones
and the seeded plan) and the request log. Everything persistent is in ``_store``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chainkit.sandbox._fault_plan import FaultPlan
from chainkit.sandbox._github._faults import FaultRegistry
from chainkit.sandbox._github._limits import WriteBudget
from chainkit.sandbox._github._ratelimit import RateLimits

__all__ = ["RequestLog", "ServerState"]


class RequestLog:
    """Every request served (admin requests excepted), oldest first, numbered from 1."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._seq = 0

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            self._entries.append({"seq": self._seq, **entry})

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ServerState:
    def __init__(self) -> None:
        self.faults = FaultRegistry()
        self.plan = FaultPlan()
        """Seeded faults (``--faults``); a :class:`Sandbox` shares it with the Sigstore stand-in."""
        self.requests = RequestLog()
        self.sigstore_requests = RequestLog()
        """The Sigstore stand-in's requests, in a :class:`Sandbox` (``?service=sigstore``)."""
        self.limits = RateLimits()
        self.write_budget = WriteBudget()
        self.mint_identity_token: Callable[..., str] | None = None
        """The Sigstore authority's minting, in a :class:`Sandbox` (``/_sandbox/oidc/token``)."""
        self.oidc_jobs: dict[str, dict[str, str]] = {}
        """Request token -> the claims a runner registered for one job (``/_sandbox/oidc/jobs``)."""
        self.oidc_admin_secret: str | None = None
        """What ``POST /_sandbox/oidc/jobs`` needs, in a :class:`Sandbox` (its state directory's
        ``oidc-admin.secret``, 0600, new at every start): only the local runner reads it."""
