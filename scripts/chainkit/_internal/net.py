"""Network failures in words a user can act on (shared by every HTTP client in chainkit).

``requests`` reports a refused connection as ``ConnectionError`` wrapping a urllib3
``MaxRetryError`` wrapping a ``NewConnectionError``; :func:`connection_problem` walks
that chain and names the cause: refused, a name that does not resolve, a timeout, or
a connection cut while the body was being read (``ChunkedEncodingError`` wrapping a
urllib3 ``ProtocolError`` wrapping ``http.client.IncompleteRead``).
"""

from __future__ import annotations

import http.client

import requests
from urllib3.exceptions import (
    IncompleteRead,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout

__all__ = ["CUT_MID_BODY", "connection_problem", "is_cut_mid_body"]

CUT_MID_BODY = "the connection was cut mid-body"

_CUT = (requests.exceptions.ChunkedEncodingError, IncompleteRead, http.client.IncompleteRead)


def is_cut_mid_body(error: BaseException) -> bool:
    """Whether ``error``, raised while a response body was read, means the body ended early
    (the connection was cut): ``ChunkedEncodingError``, ``ProtocolError``, ``IncompleteRead``."""
    return isinstance(error, (*_CUT, ProtocolError))


def connection_problem(error: BaseException | None) -> str:
    """A short, user-facing reason for a failed connection (walks the cause chain)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, NameResolutionError):
            return "the host name does not resolve"
        if isinstance(error, ConnectionRefusedError):
            return "connection refused"
        if isinstance(error, NewConnectionError) and "refused" in str(error).lower():
            return "connection refused"
        if isinstance(error, (TimeoutError, Urllib3Timeout, requests.exceptions.Timeout)):
            return "timed out"
        if isinstance(error, _CUT):
            return CUT_MID_BODY
        if isinstance(error, MaxRetryError) and error.reason is not None:
            error = error.reason
            continue
        nested = error.args[0] if error.args and isinstance(error.args[0], BaseException) else None
        error = nested or error.__cause__ or error.__context__
    return "connection failed"
