"""Secondary (content-creation) rate limits, as BEHAVIOR.md section 11 describes them.

Dispatch calls :meth:`WriteBudget.admit` once for every content-creating request (every
write the API serves: create, update and delete of releases and assets, uploads, and
attestations), after authentication and write access are checked and before the
operation runs. Each token has its own sliding windows (seed ``limits.content``; by
default github.com's 80 per 60 s and 500 per 3,600 s). A request that would exceed any
window is refused with a :class:`Refusal` (403 or 429, with or without ``retry-after``,
one of GitHub's two recorded messages) and is not counted: whether GitHub counts rejected
requests is not known. Refusals are counted, so that a test can assert there were none
(``GET /_sandbox/limits``).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass

from chainkit.sandbox._seed_model import ContentLimit, LimitsSpec

__all__ = [
    "CONTENT_CREATING",
    "MESSAGES",
    "SECONDARY_DOC_URL",
    "Refusal",
    "WriteBudget",
    "limits_from_json",
    "limits_json",
]

CONTENT_CREATING = frozenset(
    {
        "create-release",
        "update-release",
        "delete-release",
        "upload",
        "update-release-asset",
        "delete-release-asset",
        "create-attestation",
    }
)
"""Request kinds counted as content-creating (the conservative default: every write)."""

SECONDARY_DOC_URL = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

MESSAGES = {
    "secondary": (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
        "again. For more on scraping GitHub and how it may affect your rights, please review "
        "our Terms of Service (https://docs.github.com/en/site-policy/github-terms/"
        "github-terms-of-service) If you reach out to GitHub Support for help, please "
        "include the request ID {request_id}."
    ),
    "content-creation": (
        "You have exceeded a secondary rate limit and have been temporarily blocked from "
        "content creation. Please retry your request again later."
    ),
}
"""GitHub's two recorded wordings (BEHAVIOR.md section 11), by seed ``limits.message``."""


@dataclass(frozen=True)
class Refusal:
    """A request turned away by a secondary limit."""

    status: int
    message: str
    retry_after: int | None = None


class WriteBudget:
    """Per-token sliding windows of content-creating requests (thread-safe)."""

    def __init__(self, spec: LimitsSpec | None = None) -> None:
        self.spec = spec or LimitsSpec()
        self._lock = threading.Lock()
        self._admitted: dict[str, deque[float]] = {}
        self.admitted = 0
        self.refused = 0

    def admit(
        self, caller_key: str, kind: str, *, now: float, request_id: str = ""
    ) -> Refusal | None:
        """Count one content-creating request; a :class:`Refusal` when over budget."""
        del kind  # every content-creating kind shares the windows
        spec = self.spec
        if not spec.content:
            with self._lock:
                self.admitted += 1
            return None
        longest = max(limit.window_s for limit in spec.content)
        with self._lock:
            times = self._admitted.setdefault(caller_key, deque())
            while times and times[0] <= now - longest:
                times.popleft()
            for limit in spec.content:
                in_window = sum(1 for t in times if t > now - limit.window_s)
                if in_window >= limit.requests:
                    self.refused += 1
                    message = MESSAGES[spec.message].format(request_id=request_id)
                    return Refusal(spec.status, message, spec.retry_after)
            times.append(now)
            self.admitted += 1
        return None

    def describe(self) -> dict[str, object]:
        """The configuration and the counts, for ``GET /_sandbox/limits``."""
        with self._lock:
            return {**json.loads(limits_json(self.spec)), "admitted": self.admitted,
                    "refused": self.refused}  # fmt: skip


def limits_json(spec: LimitsSpec) -> str:
    """``spec`` as stored in the state directory (and shown by the admin endpoint)."""
    return json.dumps(
        {
            "content": [{"requests": c.requests, "window_s": c.window_s} for c in spec.content],
            "status": spec.status,
            "retry_after": spec.retry_after,
            "message": spec.message,
        },
        sort_keys=True,
    )


def limits_from_json(text: str) -> LimitsSpec:
    """The inverse of :func:`limits_json` (the state directory is the stand-in's own)."""
    data = json.loads(text)
    return LimitsSpec(
        content=tuple(
            ContentLimit(int(c["requests"]), float(c["window_s"])) for c in data["content"]
        ),
        status=int(data["status"]),
        retry_after=None if data["retry_after"] is None else int(data["retry_after"]),
        message="content-creation" if data["message"] == "content-creation" else "secondary",
    )
