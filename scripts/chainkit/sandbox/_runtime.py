"""Run the sandbox: in-process (:class:`Sandbox`) or as a background process (:func:`up`).

Layout of a sandbox directory (default ``.chainkit-sandbox/``)::

    sandbox.json     what the sandbox is: tokens, repositories, last ports (kept across restarts)
    state.json       present while a background sandbox runs: pid and URLs
    sandbox.log      the background process's log
    oidc-admin.secret  0600, new at every start: registers a job's OIDC claims (the local
                     runner reads it; never a step's environment)
    github/          the GitHub stand-in's store (releases, assets)
    sigstore/        the Sigstore stand-in's keys, log, trust config

``up`` on an existing directory reuses it: same data, same keys, and the same ports
when they are still free (a Rekor checkpoint names its log's host:port).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import subprocess  # the sandbox starts its own servers (argument lists)  # nosec B404
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from chainkit._internal.fs import atomic_write_text, read_bounded
from chainkit.sandbox._errors import SandboxServiceError, SandboxUsageError
from chainkit.sandbox._fault_plan import FaultPlan, FaultSpec, load_fault_spec
from chainkit.sandbox._github import GitHubStandIn
from chainkit.sandbox._seed import Seed, default_seed, load_seed
from chainkit.sandbox._sigstore import SigstoreAuthority, SigstoreStandIn

__all__ = [
    "DEFAULT_DIR",
    "Sandbox",
    "SandboxInfo",
    "down",
    "identity_token",
    "oidc_admin_secret",
    "status",
    "up",
]

_log = logging.getLogger("chainkit.sandbox")

DEFAULT_DIR = Path(".chainkit-sandbox")
_META = "sandbox.json"
_STATE = "state.json"
_LOG = "sandbox.log"
_FAILURE = "startup-error.json"
_OIDC_ADMIN = "oidc-admin.secret"
_LIVE_LOCK = threading.Lock()
_LIVE_SECRETS: dict[str, str] = {}
"""GitHub stand-in URL -> its OIDC admin secret, for the sandboxes running in this process."""
_START_TIMEOUT = 60.0


@dataclass(frozen=True)
class SandboxInfo:
    """How to reach a running sandbox. Tokens are sandbox-only secrets, safe to print."""

    dir: Path
    pid: int
    github_api_url: str
    sigstore_url: str
    token: str
    read_token: str | None
    trust_config: Path
    trusted_root: Path
    repositories: tuple[str, ...] = field(default=())

    def to_json(self, *, identity_token: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "github_api_url": self.github_api_url,
            "token": self.token,
            "read_token": self.read_token,
            "trust_config": str(self.trust_config),
            "trusted_root": str(self.trusted_root),
            "identity_token": identity_token,
            "sigstore_url": self.sigstore_url,
            "repositories": list(self.repositories),
            "dir": str(self.dir),
            "pid": self.pid,
        }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxInfo:
        return cls(
            dir=Path(data["dir"]),
            pid=int(data["pid"]),
            github_api_url=str(data["github_api_url"]),
            sigstore_url=str(data["sigstore_url"]),
            token=str(data["token"]),
            read_token=data.get("read_token"),
            trust_config=Path(data["trust_config"]),
            trusted_root=Path(data["trusted_root"]),
            repositories=tuple(data.get("repositories", ())),
        )


def _write_json_atomic(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise SandboxUsageError(
            f"{path} is unreadable: {exc}",
            remediation="remove the sandbox directory and run `chainkit sandbox up` again",
        ) from exc


def _seed_tokens(seed: Seed) -> tuple[str, str | None]:
    write = next((t.value for t in seed.tokens if t.permissions.get("contents") == "write"), None)
    read = next((t.value for t in seed.tokens if t.permissions.get("contents") == "read"), None)
    if write is None:
        raise SandboxUsageError(
            "the seed defines no token with contents: write",
            remediation="add one under `tokens:` (or omit `tokens:` for the defaults)",
        )
    return write, read


class Sandbox:
    """Both stand-ins running in this process (threads), on one state directory.

    Use it as a context manager in tests and tools; ``chainkit sandbox up`` runs one
    in a background process. ``seed`` is applied only to a fresh directory.
    """

    def __init__(
        self,
        directory: Path,
        *,
        seed: Seed | None = None,
        github_port: int = 0,
        sigstore_port: int = 0,
        host: str = "127.0.0.1",
        response_observer: Callable[[Any], None] | None = None,
        faults: FaultSpec | None = None,
    ) -> None:
        self.dir = directory.resolve()
        self._faults = faults
        self._observer = response_observer
        self._seed = seed
        self._host = host
        self._ports = (github_port, sigstore_port)
        self._github: GitHubStandIn | None = None
        self._sigstore: SigstoreStandIn | None = None
        self.authority: SigstoreAuthority | None = None
        self.info: SandboxInfo | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> SandboxInfo:
        self.dir.mkdir(parents=True, exist_ok=True)
        meta_path = self.dir / _META
        meta = _read_json(meta_path) or {}
        fresh = not meta
        if fresh:
            seed = self._seed or default_seed()
            write, read = _seed_tokens(seed)
            meta = {
                "version": 1,
                "token": write,
                "read_token": read,
                "repositories": [r.full_name for r in seed.repos],
                "ports": {},
            }
        elif self._seed is not None:
            _log.warning("%s already holds a sandbox; the seed is ignored (state reused)", self.dir)

        github_port, sigstore_port = self._choose_ports(meta.get("ports", {}))
        github = GitHubStandIn(
            self.dir / "github",
            host=self._host,
            port=github_port,
            response_observer=self._observer,
        )
        if fresh or not github.seeded:
            github.seed(self._seed or default_seed())
        # Faults are never stored: ``faults=`` applies at every start, the seed's on a fresh one.
        spec = self._faults or (self._seed.faults if fresh and self._seed else None)
        if spec is not None:
            github.state.plan.replace(spec)
        authority = SigstoreAuthority(self.dir / "sigstore")
        sigstore = SigstoreStandIn(
            authority,
            host=self._host,
            port=sigstore_port,
            faults=github.state.plan,
            requests=github.state.sigstore_requests,
        )
        github.state.mint_identity_token = authority.identity_token
        admin_secret = "sbxadm-" + secrets.token_urlsafe(32)
        github.state.oidc_admin_secret = admin_secret
        github.start()
        try:
            sigstore.start()
        except BaseException:
            github.stop()
            raise
        self._github, self._sigstore, self.authority = github, sigstore, authority
        trust_config, trusted_root = authority.write_trust_config(sigstore.url)
        meta["ports"] = {"github": _port_of(github.url), "sigstore": _port_of(sigstore.url)}
        _write_json_atomic(meta_path, meta)
        atomic_write_text(self.dir / _OIDC_ADMIN, admin_secret + "\n", mode=0o600)
        with _LIVE_LOCK:
            _LIVE_SECRETS[github.url.rstrip("/")] = admin_secret
        self.info = SandboxInfo(
            dir=self.dir,
            pid=os.getpid(),
            github_api_url=github.url,
            sigstore_url=sigstore.url,
            token=meta["token"],
            read_token=meta.get("read_token"),
            trust_config=trust_config,
            trusted_root=trusted_root,
            repositories=tuple(meta.get("repositories", ())),
        )
        return self.info

    @property
    def faults(self) -> FaultPlan:
        """The running sandbox's fault plan (both stand-ins): replace, clear, describe."""
        if self._github is None:
            raise SandboxUsageError("the sandbox is not running", remediation="call start() first")
        return self._github.state.plan

    def _choose_ports(self, previous: dict[str, int]) -> tuple[int, int]:
        """Explicit ports win; otherwise reuse the last ports if they are free."""
        chosen = []
        for requested, key in zip(self._ports, ("github", "sigstore"), strict=True):
            if requested:
                chosen.append(requested)
            elif previous.get(key) and _port_free(self._host, int(previous[key])):
                chosen.append(int(previous[key]))
            else:
                chosen.append(0)
        return chosen[0], chosen[1]

    def stop(self) -> None:
        if self._sigstore is not None:
            self._sigstore.stop()
            self._sigstore = None
        if self._github is not None:
            with _LIVE_LOCK:
                _LIVE_SECRETS.pop(self._github.url.rstrip("/"), None)
            with contextlib.suppress(OSError):
                (self.dir / _OIDC_ADMIN).unlink()
            self._github.stop()
            self._github = None

    def __enter__(self) -> SandboxInfo:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def identity_token(self, **claims: Any) -> str:
        if self.authority is None:
            raise SandboxServiceError("the sandbox is not running")
        repository = claims.pop("repository", None) or self._default_repository()
        return self.authority.identity_token(repository=repository, **claims)

    def _default_repository(self) -> str:
        repos = self.info.repositories if self.info else ()
        return repos[0] if repos else "acme/widgets"


def _port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _port_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


# -- background process ------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status(directory: Path = DEFAULT_DIR) -> SandboxInfo | None:
    """The running background sandbox of ``directory``, or ``None``."""
    state = _read_json(directory / _STATE)
    if not state:
        return None
    info = SandboxInfo.from_json(state)
    if not _pid_alive(info.pid):
        with contextlib.suppress(FileNotFoundError):
            (directory / _STATE).unlink()
        return None
    return info


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback URL we built  # nosec B310
            return bool(200 <= resp.status < 500)
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def up(
    directory: Path = DEFAULT_DIR,
    *,
    seed_path: Path | None = None,
    github_port: int = 0,
    sigstore_port: int = 0,
    timeout: float = _START_TIMEOUT,
    faults_path: Path | None = None,
) -> SandboxInfo:
    """Start the sandbox in a background process and wait until both stand-ins answer.

    Idempotent: a sandbox already running on ``directory`` is returned as it is.
    """
    directory = directory.resolve()
    if seed_path is not None:
        load_seed(seed_path)  # fail fast, in this process, with a clear usage error
    if faults_path is not None:
        load_fault_spec(faults_path)
    running = status(directory)
    if running is not None and faults_path is not None:
        raise SandboxUsageError(
            f"the sandbox in {directory} is already running; its faults were set when it started",
            remediation="run `chainkit sandbox down` first, or PUT the spec to "
            "/_sandbox/fault-plan of the running GitHub stand-in",
        )
    if seed_path is not None and (running is not None or _read_json(directory / _META)):
        # said here, in the caller's process: the server's own warning goes to its log file
        _log.warning(
            "%s already holds a sandbox: the seed %s is ignored and the existing state is "
            "reused (run `chainkit sandbox down` and remove the directory to start fresh)",
            directory,
            seed_path,
        )
    if running is not None:
        _log.info("sandbox already running (pid %d) in %s", running.pid, directory)
        return running
    directory.mkdir(parents=True, exist_ok=True)
    for stale in (_STATE, _FAILURE):
        with contextlib.suppress(FileNotFoundError):
            (directory / stale).unlink()
    for port in (github_port, sigstore_port):
        if port and not _port_free("127.0.0.1", port):
            raise SandboxUsageError(
                f"port {port} on 127.0.0.1 is in use",
                remediation="choose another port, or omit the option to pick a free one",
            )
    argv = [sys.executable, "-m", "chainkit.sandbox._serve", "--dir", str(directory)]
    if seed_path is not None:
        argv += ["--seed", str(seed_path.resolve())]
    if faults_path is not None:
        argv += ["--faults", str(faults_path.resolve())]
    argv += ["--github-port", str(github_port), "--sigstore-port", str(sigstore_port)]
    with (directory / _LOG).open("ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell  # nosec B603
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        failure = _read_json(directory / _FAILURE)
        if failure:
            proc.wait(timeout=10)
            cls = SandboxUsageError if failure.get("kind") == "usage" else SandboxServiceError
            raise cls(
                failure.get("message", "the sandbox failed to start"),
                remediation=failure.get("remediation"),
            )
        if proc.poll() is not None:
            raise SandboxServiceError(
                f"the sandbox process exited with status {proc.returncode} during start-up",
                remediation=f"see {directory / _LOG}",
            )
        state = _read_json(directory / _STATE)
        if state:
            info = SandboxInfo.from_json(state)
            if _answers(info.github_api_url + "/rate_limit") and _answers(
                info.sigstore_url + "/api/v1/log"
            ):
                return info
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    raise SandboxServiceError(
        f"the sandbox did not answer within {timeout:.0f} s",
        remediation=f"see {directory / _LOG}",
    )


def down(directory: Path = DEFAULT_DIR, *, timeout: float = 15.0) -> SandboxInfo | None:
    """Stop the background sandbox of ``directory``; its data stays. Returns what was stopped."""
    directory = directory.resolve()
    info = status(directory)
    if info is None:
        return None
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(info.pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(info.pid, os.WNOHANG)
        time.sleep(0.05)
    if _pid_alive(info.pid):
        os.kill(info.pid, signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        (directory / _STATE).unlink()
    return info


def oidc_admin_secret(api_url: str, directories: tuple[Path, ...] = ()) -> str | None:
    """The OIDC admin secret of the sandbox whose GitHub stand-in answers at ``api_url``.

    A sandbox running in this process is found by its URL; a background one (``up``) by its
    state directory (one of ``directories``), whose ``state.json`` must name ``api_url``.
    ``None`` when no such sandbox is found. For the local runner only: never give the
    secret (or where it is) to a step.
    """
    wanted = api_url.rstrip("/")
    with _LIVE_LOCK:
        live = _LIVE_SECRETS.get(wanted)
    if live is not None:
        return live
    for directory in directories:
        try:
            info = status(directory)
        except SandboxUsageError:
            continue
        if info is None or info.github_api_url.rstrip("/") != wanted:
            continue
        try:
            raw = read_bounded(directory / _OIDC_ADMIN, 4096, follow_symlinks=False)
        except (OSError, ValueError):
            continue
        secret = raw.decode("utf-8", "replace").strip()
        if secret:
            return secret
    return None


def identity_token(directory: Path = DEFAULT_DIR, **claims: Any) -> str:
    """Mint an identity token from the sandbox's OIDC key (no running server needed)."""
    directory = directory.resolve()
    meta = _read_json(directory / _META)
    if not meta:
        raise SandboxUsageError(
            f"{directory} holds no sandbox",
            remediation="run `chainkit sandbox up` first (or pass --dir)",
        )
    repository = claims.pop("repository", None)
    if repository is None:
        repos = meta.get("repositories") or ["acme/widgets"]
        repository = repos[0]
    return SigstoreAuthority(directory / "sigstore").identity_token(repository=repository, **claims)


@contextlib.contextmanager
def _state_file(directory: Path, info: SandboxInfo) -> Iterator[None]:
    _write_json_atomic(directory / _STATE, info.to_json())
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            (directory / _STATE).unlink()


def serve_forever(
    directory: Path,
    *,
    seed_path: Path | None,
    github_port: int,
    sigstore_port: int,
    faults_path: Path | None = None,
) -> int:
    """Body of the background process (``python -m chainkit.sandbox._serve``)."""
    from chainkit.errors import Error, UsageError

    stop = False

    def _on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        seed = load_seed(seed_path) if seed_path is not None else None
        faults = load_fault_spec(faults_path) if faults_path is not None else None
        sandbox = Sandbox(
            directory,
            seed=seed,
            github_port=github_port,
            sigstore_port=sigstore_port,
            faults=faults,
        )
        info = sandbox.start()
    except Error as exc:
        _write_json_atomic(
            directory / _FAILURE,
            {
                "kind": "usage" if isinstance(exc, UsageError) else "service",
                "message": exc.message,
                "remediation": exc.remediation,
            },
        )
        return int(exc.exit_code)
    try:
        with _state_file(directory, info):
            _log.info(
                "sandbox running: %s (GitHub), %s (Sigstore)",
                info.github_api_url,
                info.sigstore_url,
            )
            while not stop:
                time.sleep(0.2)
    finally:
        sandbox.stop()
    return 0
