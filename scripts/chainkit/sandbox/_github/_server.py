"""The GitHub stand-in's lifecycle: :class:`GitHubStandIn` seeds, starts and stops it.

One stand-in serves, on one ``host:port``:

- the REST API operations chainkit and PyGithub use (releases, assets, tags, environments,
  attestations, repository lists, ``/rate_limit``), under ``/repos/{owner}/{repo}/...``
  and ``/repositories/{id}/...`` (``_releases``, ``_attestations``, ``_repositories``);
- uploads at ``/uploads/repos/{owner}/{repo}/releases/{id}/assets`` (the ``upload_url``)
  and asset "storage" where downloads are redirected (``_transfer``);
- test-only admin endpoints under ``/_sandbox/`` (``_admin``).

Requests go through ``_dispatch`` (routing in ``_routes``, faults in ``_faults``, rate
limits in ``_ratelimit`` and ``_limits``). Persistent state is in ``_store``. See
docs/sandbox.md for the behaviours reproduced.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from chainkit.sandbox._errors import SandboxServiceError, SandboxUsageError
from chainkit.sandbox._github._dispatch import Handler
from chainkit.sandbox._github._exchange import GitHubHTTPServer, ObservedResponse
from chainkit.sandbox._github._limits import WriteBudget
from chainkit.sandbox._github._state import ServerState
from chainkit.sandbox._github._store import Store, now_iso
from chainkit.sandbox._http import bind, serve, shut_down
from chainkit.sandbox._seed import Seed

__all__ = ["GitHubStandIn", "ObservedResponse"]

_log = logging.getLogger("chainkit.sandbox.github")


class _Server(GitHubHTTPServer):
    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, Handler)


class GitHubStandIn:
    """A local stand-in for GitHub's REST API (releases), persistent under ``state_dir``.

    ``response_observer`` (keyword-only) is called with every non-admin response served;
    test harnesses use it to validate responses against GitHub's OpenAPI description.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        response_observer: Callable[[ObservedResponse], None] | None = None,
    ) -> None:
        self._dir = state_dir
        self._host = host
        self._port = port
        self._observer = response_observer
        self._store = Store(state_dir)
        self._state = ServerState()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"GitHubStandIn({str(self._dir)!r}, {where})"

    def seed(self, seed: Seed) -> None:
        """Load ``seed`` into an empty store; a no-op if the store is already seeded."""
        if self._store.seeded:
            _log.info("GitHub stand-in state in %s is already seeded; seed ignored", self._dir)
            return
        try:
            self._store.load_seed(seed)
        except OSError as exc:
            raise SandboxServiceError(
                f"could not write seeded assets under {self._dir}: {exc}",
                remediation="check free disk space and permissions of the state directory",
            ) from None

    @property
    def seeded(self) -> bool:
        return self._store.seeded

    @property
    def state(self) -> ServerState:
        """In-memory state (faults, request log): a :class:`Sandbox` shares parts of it."""
        return self._state

    def start(self) -> None:
        """Bind and serve in background daemon threads."""
        if self._server is not None:
            return
        server = bind(_Server, self._host, self._port, what="the GitHub stand-in")
        server.store = self._store
        self._state.write_budget = WriteBudget(self._store.limits())
        server.state = self._state
        server.observer = self._observer
        server.base_url = f"http://{self._host}:{server.server_address[1]}"
        self._server = server
        self._thread = serve(server, name="github-stand-in")
        _log.debug("GitHub stand-in serving %s from %s (%s)", self.url, self._dir, now_iso())

    @property
    def url(self) -> str:
        """``http://HOST:PORT``: the value of ``GITHUB_API_URL``."""
        if self._server is None:
            raise SandboxUsageError(
                "the GitHub stand-in is not running", remediation="call start() first"
            )
        return self._server.base_url

    def stop(self) -> None:
        """Stop serving (the state stays on disk)."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        shut_down(server, thread)
        self._store.close()
