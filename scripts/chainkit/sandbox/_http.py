"""HTTP plumbing shared by the sandbox's stand-ins.

Both stand-ins are threaded ``http.server`` servers on loopback that:

- speak HTTP/1.1 with keep-alive, with Nagle's algorithm off (responses go out as several
  writes; with Nagle on, every kept-alive request waits ~40 ms for a delayed ACK);
- track their connections, so :func:`shut_down` can hang up on kept-alive clients and
  nothing is served by an old handler after a stop;
- turn a busy port into a :class:`SandboxUsageError` with remediation.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from chainkit.sandbox._errors import SandboxServiceError, SandboxUsageError

__all__ = ["LoopbackServer", "TrackedHandler", "bind", "serve", "shut_down"]

_log = logging.getLogger("chainkit.sandbox")

_S = TypeVar("_S", bound="LoopbackServer")


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def close_connections(self) -> None:
        """Hang up on kept-alive clients, so that nothing is served after a stop."""
        with self.connections_lock:
            connections, self.connections = self.connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is routine; keep stderr clean.
        _log.debug("connection from %s ended with an error", client_address, exc_info=True)


class TrackedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    sys_version = ""
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("%s " + format, self.address_string(), *args)


def bind(factory: Callable[[tuple[str, int]], _S], host: str, port: int, *, what: str) -> _S:
    """Create and bind a server, with clear errors for a busy port or a bad address."""
    try:
        return factory((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise SandboxUsageError(
                f"cannot start {what}: port {port} on {host} is in use",
                remediation="stop what listens there, or pick another port (0 = any free)",
            ) from None
        raise SandboxServiceError(
            f"cannot start {what} on {host}:{port}: {exc.strerror or exc}",
            remediation="check the host address and your permissions",
        ) from None


def serve(server: LoopbackServer, *, name: str, poll_interval: float = 0.1) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": poll_interval},
        name=name,
        daemon=True,
    )
    thread.start()
    return thread


def shut_down(
    server: LoopbackServer | None, thread: threading.Thread | None, *, timeout: float = 10
) -> None:
    """Stop serving, release the port, hang up on kept-alive clients."""
    if server is not None:
        server.shutdown()
        server.server_close()
        server.close_connections()
    if thread is not None:
        thread.join(timeout=timeout)
