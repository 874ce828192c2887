"""What the three services share: a rejection carrying an HTTP status and a message."""

from __future__ import annotations

__all__ = ["Rejected"]


class Rejected(Exception):
    """A request the service refuses; ``message`` goes to the client as is (never a secret)."""

    def __init__(self, status: int, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
