"""`_internal.net.connection_problem`: the cause of a failed connection, in words."""

from __future__ import annotations

import socket

import requests
from urllib3.connection import HTTPConnection
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError

from chainkit._internal.net import connection_problem


def test_a_refused_connection_through_requests() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=5)
    except requests.ConnectionError as exc:
        assert connection_problem(exc) == "connection refused"
    else:  # pragma: no cover - the port was closed
        raise AssertionError("the connection was not refused")


def test_a_name_that_does_not_resolve() -> None:
    conn = HTTPConnection("no-such-host.invalid")
    cause = NameResolutionError("no-such-host.invalid", conn, socket.gaierror(-2, "unknown"))
    wrapped = requests.ConnectionError(MaxRetryError(None, "/", cause))  # type: ignore[arg-type]
    assert connection_problem(wrapped) == "the host name does not resolve"


def test_a_timeout_and_an_unknown_failure() -> None:
    timeout = MaxRetryError(None, "/", ConnectTimeoutError("timed out"))  # type: ignore[arg-type]
    assert connection_problem(requests.ConnectionError(timeout)) == "timed out"
    assert connection_problem(requests.ConnectionError("odd")) == "connection failed"
