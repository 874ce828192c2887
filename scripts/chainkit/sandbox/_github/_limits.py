"""Secondary (content-creation) rate limits: the seam, not yet the limits.

Dispatch calls :meth:`WriteBudget.admit` once for every content-creating request (every
write the API serves: create, update and delete of releases and assets, uploads, and
attestations), after authentication and before the operation runs. Today the budget
always admits. A later change implements GitHub's documented content-creation limits
here (per-token sliding windows, seeded as ``limits: {content: [{requests: 80,
window_s: 60}, {requests: 500, window_s: 3600}]}``), answering with a :class:`Refusal`
that dispatch turns into the ``403``/``429`` response; nothing else needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CONTENT_CREATING", "Refusal", "WriteBudget"]

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


@dataclass(frozen=True)
class Refusal:
    """A request turned away by a secondary limit."""

    status: int
    message: str
    retry_after: int | None = None


class WriteBudget:
    """Per-caller budget of content-creating requests. Admits everything for now."""

    def admit(self, caller_key: str, kind: str, *, now: float) -> Refusal | None:
        """Count one content-creating request; a :class:`Refusal` when over budget."""
        del caller_key, kind, now
        return None
