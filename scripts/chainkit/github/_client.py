"""The GitHub client: PyGithub underneath, chainkit's models on top.

All HTTP goes through PyGithub's :class:`~github.Requester.Requester` (public as
``Github.requester``), so authentication, the URL allow-list, throttling
(``seconds_between_writes``) and retries (``GithubRetry``: ``retry-after``,
``x-ratelimit-reset``, secondary limits) are PyGithub's. chainkit adds:

- PATCH and DELETE are retried too (PyGithub's default retries GET and POST only);
- 5xx back off exponentially; a host that refuses connections or does not resolve is
  retried once, at once, so an unreachable API fails in seconds, not after 31 silent ones;
- every retry is logged before its wait: what failed, and how long chainkit waits;
- every write goes through :meth:`GitHubClient._write`, which spends the
  :class:`~chainkit.github._budget.WriteBudget` (GitHub's content-creation limits, and the
  spacing between writes) and, should GitHub refuse a write anyway with a secondary
  limit, waits as GitHub asks (``retry-after``, never less than a few seconds, doubling;
  without ``retry-after`` at least a minute) until the budget's longest window has passed
  since the first refusal (or the run's deadline comes);
- writes (POST, PATCH, DELETE, PUT) are never retried by urllib3: a 5xx of an upload,
  a delete or an edit is retried by ``_write``, each attempt paced and counted; a 5xx of a
  create (release, attestation) is not retried (it may have happened: a re-run finds it);
- every failure becomes a :class:`GitHubError` with remediation, never a token.
"""

from __future__ import annotations

import contextlib
import copy
import io
import ipaddress
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

import requests
from github import Auth, Github, GithubException, GithubRetry
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)
from urllib3.exceptions import InvalidHeader, ProtocolError
from urllib3.util.retry import Retry

from chainkit._internal.fs import atomic_writer
from chainkit._internal.ghenv import DEFAULT_API_URL, GitHubContext
from chainkit._internal.hashing import sha256_chunks
from chainkit._internal.net import CUT_MID_BODY, connection_problem, is_cut_mid_body
from chainkit.errors import Error
from chainkit.github._budget import GITHUB_WRITE_BUDGET, WriteBudget, WritePacer, format_duration
from chainkit.github._errors import (
    AssetExistsError,
    AttestationsUnavailableError,
    AuthError,
    ForbiddenError,
    GitHubError,
    GitHubServiceError,
    GitHubUsageError,
    ImmutableReleaseError,
    NotFoundError,
    RateLimitedError,
)
from chainkit.github._models import Asset, Attestation, AttestationList, Environment, Release

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["MAX_ATTESTATIONS", "ClientSettings", "GitHubClient", "default_write_interval"]

_log = logging.getLogger("chainkit.github")

_CHUNK = 1 << 20
PER_PAGE = 100
MAX_ATTESTATIONS = 1000
"""The most attestations listed for one digest (``gh attestation verify --limit``'s maximum)."""
MAX_ATTESTATIONS_PAGE_BYTES = 16 << 20
"""The most bytes of one attestations page read: beyond it the list counts as truncated
(a hostile page is never read whole; real bundles are tens of kilobytes)."""
MAX_ATTESTATION_PAGES = -(-MAX_ATTESTATIONS // PER_PAGE) + 1
"""The most requests one attestations list makes: a list that has not ended by then is
refused (a ``Link`` that loops, or pages emptier than asked for)."""


@dataclass(frozen=True)
class ClientSettings:
    """How politely to talk to GitHub.

    ``write_interval``: seconds between mutating requests (GitHub asks for >= 1 s).
    ``write_budget``: GitHub's content-creation limits every write is paced to.
    ``secondary_retries``: how often a write refused by a secondary limit is retried at
    least (then until the budget's longest window has passed since the first refusal).
    ``refusal_floor``: the least wait after a refusal (GitHub's ``retry-after: 0`` too),
    doubling with every refusal (``None``: :data:`REFUSAL_FLOOR`).
    ``retries``: attempts for 5xx, connection errors and rate limits.
    ``backoff``: exponential backoff factor for 5xx and connection errors.
    ``max_rate_limit_wait``: longest wait for a rate-limit reset before giving up.
    ``max_retry_wait``: longest single wait before a retry, whatever the server asks
    (``Retry-After``, rate-limit resets, backoff); a longer wait fails at once (exit 3).
    ``connect_retries``: attempts after a refused connection or a name that does not resolve.
    ``rerun``: what to tell the user after a service failure (e.g. that apply resumes).
    """

    write_interval: float = 1.0
    write_budget: WriteBudget = GITHUB_WRITE_BUDGET
    secondary_retries: int = 4
    refusal_floor: float | None = None
    retries: int = 6
    backoff: float = 0.5
    secondary_rate_wait: float = 60.0
    max_rate_limit_wait: float = 900.0
    max_retry_wait: float = 900.0
    timeout: float = 60.0
    connect_retries: int = 1
    rerun: str = "re-run the command"


def _describe(method: str | None, url: str | None, response: Any, error: Exception | None) -> str:
    """What failed, for the retry log: ``GET /path: 502`` or ``GET /path: connection refused``."""
    target = f"{method or '?'} {(url or '?').split('?', 1)[0]}"
    if response is not None and getattr(response, "status", None):
        return f"{target}: {response.status}"
    return f"{target}: {connection_problem(error) if error else 'no answer'}"


REFUSAL_FLOOR = 5.0
"""The least wait, in seconds, before retrying a refused write (tests scale it down)."""

_ASCII_DIGITS = re.compile(r"[0-9]+")
_MOST_SECONDS = 1e12
"""The most a header's seconds (or Unix time) is read as: more is no different (every
caller refuses a wait that long), and ``inf`` would be."""


def _header_seconds(value: str | None) -> float | None:
    """``retry-after`` (delta seconds) or ``x-ratelimit-reset`` (a Unix time) as a number:
    ASCII digits of any length (a Unix time has 10), capped at :data:`_MOST_SECONDS`;
    ``None`` for anything else (an HTTP date, ``1.5``, ``soon``, a Unicode digit)."""
    text = (value or "").strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    return min(float(text), _MOST_SECONDS)


SECONDARY_WAIT_FLOOR = 60.0
"""The least wait, in seconds, after a refusal that says neither ``retry-after`` nor a
primary reset (GitHub: "wait at least one minute"; tests scale it down)."""

_sleep: Callable[[float], None] = time.sleep
"""How the retries wait (tests replace it, so that no test sleeps for real)."""


class RetryWaitTooLongError(GitHubServiceError):
    """The server asked for a wait longer than ``ClientSettings.max_retry_wait`` (exit 3)."""

    def __init__(self, what: str, wait: float, limit: float) -> None:
        super().__init__(
            f"{what}; the server asked to wait {wait:g} s before retrying, "
            f"more than the {limit:g} s this client waits",
            remediation="GitHub may be degraded or rate-limiting; re-run the command later",
        )
        self.request = what
        self.wait = wait
        self.limit = limit


def _wait_of(retry: Retry, response: Any) -> float:
    """The wait urllib3 would sleep before the next attempt (``Retry-After`` or backoff)."""
    if response is not None and retry.respect_retry_after_header:
        try:
            after = retry.get_retry_after(response)
        except InvalidHeader:  # "soon", "1.5": as if none was sent (the backoff instead)
            _log.info(
                "ignoring a Retry-After header that is no number of seconds or date: %r",
                str(response.headers.get("Retry-After"))[:40],
            )
            after = None
        if after:
            return float(after)
    return float(retry.get_backoff_time())


def _announce_and_sleep(retry: Retry, response: Any) -> None:
    """Log the coming wait of ``retry`` and sleep it, or fail if it exceeds the cap.

    Replaces urllib3's ``Retry.sleep``, which honours any ``Retry-After`` unbounded.
    """
    wait = _wait_of(retry, response)
    what = getattr(retry, "_chainkit_what", None) or "a request to GitHub failed"
    limit = getattr(retry, "_chainkit_max_wait", None)
    if limit is not None and wait > limit:
        raise RetryWaitTooLongError(what, wait, limit)
    left = retry.total if isinstance(retry.total, int) else "?"
    _log.log(
        logging.WARNING if wait >= 5 else logging.INFO,
        "%s; retrying in %s s (%s retries left)",
        what,
        f"{wait:g}",
        left,
    )
    if wait > 0:
        _sleep(wait)


class _AnnouncedGithubRetry(GithubRetry):
    """PyGithub's retry policy (rate limits, secondary limits, 5xx), saying every wait.

    A write refused with 403 or 429 is not retried here: :meth:`GitHubClient._write`
    decides, so that the wait is the write budget's (one place, shared by all writes).
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in (403, 429) and method.upper() not in _READS:
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))

    def increment(self, *args: Any, **kwargs: Any) -> Self:
        new = cast("Self", super().increment(*args, **kwargs))
        new._chainkit_what = _describe(*_increment_args(args, kwargs))  # type: ignore[attr-defined]
        return new

    def new(self, **kw: Any) -> Self:
        new = super().new(**kw)
        new._chainkit_max_wait = getattr(self, "_chainkit_max_wait", None)  # type: ignore[attr-defined]
        return new

    def sleep(self, response: Any = None) -> None:
        _announce_and_sleep(self, response)


class _AnnouncedRetry(Retry):
    """urllib3's retry for asset downloads, saying every wait."""

    def increment(self, *args: Any, **kwargs: Any) -> Self:
        new = super().increment(*args, **kwargs)
        new._chainkit_what = _describe(*_increment_args(args, kwargs))  # type: ignore[attr-defined]
        return new

    def new(self, **kw: Any) -> Self:
        new = super().new(**kw)
        new._chainkit_max_wait = getattr(self, "_chainkit_max_wait", None)  # type: ignore[attr-defined]
        return new

    def sleep(self, response: Any = None) -> None:
        _announce_and_sleep(self, response)


def _increment_args(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[str | None, str | None, Any, Exception | None]:
    names = ("method", "url", "response", "error")
    values = dict(zip(names, args, strict=False))
    values.update({k: v for k, v in kwargs.items() if k in names})
    return values.get("method"), values.get("url"), values.get("response"), values.get("error")


_ATTESTATIONS_VERSION = (("X-GitHub-Api-Version", "2022-11-28"),)
"""The REST API version attestations are listed under: it still serves the inline
``bundle`` (``2026-03-10`` removes it; BEHAVIOR.md section 10)."""

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = frozenset({"POST", "PATCH", "DELETE", "PUT"})

_SECONDARY_ENDINGS = (
    "please retry your request again later.",
    "please wait a few minutes before you try again.",
)


def _refusal_wait(
    exc: GithubException,
    attempt: int,
    first: float,
    *,
    floor: float = REFUSAL_FLOOR,
    cap: float = 900.0,
    now: Callable[[], float] | None = None,
) -> float | None:
    """The wait before retrying a write GitHub refused with a rate limit, or ``None`` when
    ``exc`` is no rate limit (BEHAVIOR.md sections 7 and 11).

    ``retry-after`` if present (ASCII digits only); else the primary reset if
    ``x-ratelimit-remaining`` is 0; else ``first`` (at least a minute), doubling with every
    ``attempt``. Never less than ``floor`` doubling with every ``attempt`` (a
    ``retry-after: 0`` or a reset in the past is no reason to hammer); the doubling stops
    at ``cap``, what GitHub asks does not (the caller refuses a wait beyond its limit).
    """
    if exc.status not in (403, 429):
        return None
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    message = _message(exc).strip().lower()
    primary = headers.get("x-ratelimit-remaining") == "0"
    secondary = message.startswith("you have exceeded a secondary rate limit") or message.endswith(
        _SECONDARY_ENDINGS
    )
    if not (primary or secondary or exc.status == 429):
        return None  # a 403 that is a permission problem
    backoff = min(floor * (1 << min(attempt, 30)), cap)
    after = _header_seconds(headers.get("retry-after"))
    if after is not None:
        return max(after, backoff)
    reset = _header_seconds(headers.get("x-ratelimit-reset"))
    if primary and reset is not None:
        return max(reset - (now or time.time)() + 1, backoff)
    return max(min(first * (1 << min(attempt, 30)), cap), backoff)


def _refusal_reason(exc: GithubException) -> str:
    """The limit a refusal (:func:`_refusal_wait` not ``None``) names, for the wait's log."""
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    kind = "primary" if headers.get("x-ratelimit-remaining") == "0" else "secondary"
    return f"GitHub's {kind} rate limit"


class _OneAttempt(io.RawIOBase):
    """The caller's stream as the body of one upload attempt.

    PyGithub closes the body it sent; closing this wrapper leaves the caller's stream
    open, so that a retried upload (after a secondary-limit refusal) can send it again.
    """

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()


def _is_loopback(api_url: str) -> bool:
    host = urllib.parse.urlsplit(api_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _dt(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _text(value: Any) -> str:
    """A string field of a response, refused unless it is text GitHub could have stored
    (JSON allows lone surrogates such as ``\\ud800``, which no UTF-8 file name holds)."""
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    value.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _malformed(what: str, exc: Exception) -> GitHubServiceError:
    return GitHubServiceError(
        f"GitHub sent {what} this client cannot read ({type(exc).__name__})",
        remediation="check GITHUB_API_URL points at GitHub's REST API; re-run the command",
    )


def _on_api(url: str, api: str) -> bool:
    """Whether ``url`` is on the API at ``api``: the same scheme and host, under its path."""
    there, base = urllib.parse.urlsplit(url), urllib.parse.urlsplit(api)
    return (
        there.scheme.lower() == base.scheme.lower()
        and there.netloc.lower() == base.netloc.lower()
        and there.path.startswith(base.path.rstrip("/") + "/")
    )


def _api_url(value: Any, api: str | None, what: str) -> str:
    """The API URL field ``value`` of ``what``, refused unless it is on ``api`` (PyGithub
    asserts on another host; chainkit never sends the token there)."""
    url = _text(value)
    if api is not None and not _on_api(url, api):
        raise GitHubServiceError(
            f"GitHub listed {what} whose API URL is not on {api}: {url[:200]!r}",
            remediation="check GITHUB_API_URL points at GitHub's REST API (a proxy may rewrite "
            "URLs); re-run the command",
        )
    return url


def asset_from_json(data: dict[str, Any], api: str | None = None) -> Asset:
    """``api``: the API URL the asset's ``url`` must be on (:class:`GitHubServiceError`)."""
    try:
        return Asset(
            id=int(data["id"]),
            name=_text(data["name"]),
            size=int(data.get("size") or 0),
            content_type=_text(data.get("content_type") or "application/octet-stream"),
            state=_text(data.get("state") or "uploaded"),
            digest=_optional_text(data.get("digest")),
            url=_api_url(data["url"], api, "an asset"),
            browser_download_url=_text(data.get("browser_download_url") or ""),
            updated_at=_dt(data.get("updated_at")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _malformed("a release asset", exc) from None


def release_from_json(data: dict[str, Any], api: str | None = None) -> Release:
    """``api``: the API URL the release's and its assets' ``url`` must be on."""
    try:
        return Release(
            id=int(data["id"]),
            tag=_text(data["tag_name"]),
            name=_optional_text(data.get("name")),
            body=_text(data.get("body") or ""),
            draft=bool(data.get("draft")),
            prerelease=bool(data.get("prerelease")),
            immutable=bool(data.get("immutable")),
            created_at=_dt(data.get("created_at")),
            published_at=_dt(data.get("published_at")),
            url=_api_url(data["url"], api, "a release"),
            html_url=_text(data.get("html_url") or ""),
            upload_url=_text(data["upload_url"]),
            assets=tuple(asset_from_json(a, api) for a in data.get("assets") or ()),
            updated_at=_dt(data.get("updated_at")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _malformed("a release", exc) from None


def _next_link(headers: Mapping[str, Any], base: str | None = None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, parsed as GitHub writes it.

    ``base`` (the API URL): the link must stay on it - a path (``/...``), or an absolute
    URL with the same scheme and host whose path starts with ``base``'s path - or
    :class:`GitHubServiceError` (PyGithub asserts on another host)."""
    link = headers.get("link") or headers.get("Link")
    if not link:
        return None
    for part in str(link).split(", "):
        url, _, rel = part.partition("; ")
        if rel.strip() == 'rel="next"':
            found = url.strip().lstrip("<").rstrip(">")
            if base is not None:
                there, api = urllib.parse.urlsplit(found), urllib.parse.urlsplit(base)
                prefix = api.path.rstrip("/") + "/"
                on_path = (
                    not there.scheme
                    and not there.netloc
                    and found.startswith("/")
                    and "://" not in found  # never taken for an absolute URL later
                )
                same = (
                    there.scheme.lower() == api.scheme.lower()
                    and there.netloc.lower() == api.netloc.lower()
                    and there.path.startswith(prefix)
                )
                if not (on_path or same):
                    raise GitHubServiceError(
                        f"GitHub's next-page link leaves {base}: {found[:200]!r}",
                        remediation="check GITHUB_API_URL points at GitHub's REST API "
                        "(a proxy may rewrite Link headers); re-run the command",
                    )
            return found
    return None


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict):
        return str(data.get("message") or "")
    return str(data or "")


DOWNLOAD_ATTEMPTS = 3
"""How often one download is started in all when its connection is cut mid-body."""
DOWNLOAD_LIMIT_RETRIES = 3
"""How often one download refused with a rate limit is retried after waiting."""
_DOWNLOAD_LIMIT_FALLBACK = 60.0
"""The wait for a rate-limited download whose answer says neither ``retry-after`` nor
``x-ratelimit-reset`` (GitHub: "at least one minute", BEHAVIOR.md section 7)."""
_RATE_LIMIT_MESSAGES = ("api rate limit exceeded", "you have exceeded a secondary rate limit")

_T = TypeVar("_T")


class _DownloadCutError(GitHubServiceError):
    """The connection was cut while an asset's body was read (exit 3 if not retried)."""

    def __init__(self, what: str, received: int, error: BaseException, *, rerun: str) -> None:
        self.what = what
        self.received = received
        self.problem = connection_problem(error) if not is_cut_mid_body(error) else CUT_MID_BODY
        super().__init__(
            f"{what}: {self.problem} after {received} bytes",
            remediation=f"check the network; {rerun}",
        )


def _download_limit_wait(response: requests.Response) -> float | None:
    """The wait before retrying a download GitHub refused with a rate limit, or ``None``
    when ``response`` is no rate limit (BEHAVIOR.md section 7): ``retry-after`` if given,
    else until ``x-ratelimit-reset``, else a minute."""
    status = response.status_code
    if status not in (403, 429):
        return None
    headers = response.headers
    primary = headers.get("x-ratelimit-remaining") == "0"
    after = (headers.get("retry-after") or "").strip()
    if not (primary or after or status == 429):
        message = ""
        with contextlib.suppress(requests.exceptions.RequestException, ValueError, RecursionError):
            body = json.loads(response.raw.read(64 * 1024, decode_content=True) or b"{}")
            message = str(body.get("message") or "") if isinstance(body, dict) else ""
        text = message.strip().lower()
        if not (text.startswith(_RATE_LIMIT_MESSAGES) or text.endswith(_SECONDARY_ENDINGS)):
            return None  # a 403 that is a permission problem
    seconds = _header_seconds(after)  # "²".isdigit() is True: ASCII digits only
    if seconds is not None:
        return seconds
    reset = _header_seconds(headers.get("x-ratelimit-reset"))
    if primary and reset is not None:
        return max(0.0, reset - time.time()) + 1
    return _DOWNLOAD_LIMIT_FALLBACK


class GitHubClient:
    """Releases, assets and environments of GitHub repositories.

    Build it with :meth:`from_context` (reads ``GITHUB_API_URL`` and the token),
    or inject a configured :class:`github.Github` for tests.
    """

    def __init__(
        self,
        *,
        github: Github,
        api_url: str,
        downloads: requests.Session | None = None,
        token: str | None = None,
        timeout: float = 60.0,
        rerun: str = "re-run the command",
        pacer: WritePacer | None = None,
        secondary_retries: int = 4,
        secondary_wait: float = 60.0,
        max_retry_wait: float = 900.0,
        refusal_floor: float | None = None,
        write_retries: int = 6,
        write_backoff: float = 0.5,
    ) -> None:
        self._gh = github
        self.pacer = pacer or WritePacer(GITHUB_WRITE_BUDGET)
        """Every write of this client waits here for GitHub's write budget."""
        self._secondary_retries = secondary_retries
        self._secondary_wait = secondary_wait
        self._max_retry_wait = max_retry_wait
        self._refusal_floor = REFUSAL_FLOOR if refusal_floor is None else refusal_floor
        self._write_retries = write_retries
        self._write_backoff = write_backoff
        self.retry_deadline: float | None = None
        """A reading of the pacer's clock after which a refused write is not waited for
        again (``apply --deadline``)."""
        self._requester = github.requester
        self.api_url = api_url.rstrip("/")
        self._downloads = downloads or requests.Session()
        self._auth = {"Authorization": f"token {token}"} if token else {}
        self._timeout = timeout
        self._rerun = rerun

    def __repr__(self) -> str:  # never the token
        return f"GitHubClient(api_url={self.api_url!r})"

    @classmethod
    def from_context(
        cls,
        context: GitHubContext,
        *,
        token: str | None = None,
        settings: ClientSettings | None = None,
    ) -> GitHubClient:
        settings = settings or ClientSettings()
        secret = token if token is not None else context.token
        retry = _AnnouncedGithubRetry(
            total=settings.retries,
            connect=settings.connect_retries,
            backoff_factor=settings.backoff,
            secondary_rate_wait=settings.secondary_rate_wait,
            max_rate_limit_wait=settings.max_rate_limit_wait,
            # never a write: urllib3 would retry it inside one pacer slot, unspaced and
            # uncounted; _write retries what may be retried, each attempt paced
            allowed_methods=Retry.DEFAULT_ALLOWED_METHODS - _WRITES,
        )
        retry._chainkit_max_wait = settings.max_retry_wait  # type: ignore[attr-defined]
        github = Github(
            base_url=context.api_url or DEFAULT_API_URL,
            auth=Auth.Token(secret) if secret else None,
            per_page=PER_PAGE,
            timeout=int(settings.timeout),
            retry=retry,
            seconds_between_requests=None,
            seconds_between_writes=None,  # the pacer spaces writes (write_interval)
            user_agent="chainkit",
        )
        # Asset downloads stream through their own session (PyGithub's getStream reads
        # the whole body into memory first), with the same retry policy for GETs.
        downloads = requests.Session()
        downloads.headers["User-Agent"] = "chainkit"
        download_retry = _AnnouncedRetry(
            total=settings.retries,
            connect=settings.connect_retries,
            backoff_factor=settings.backoff,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        download_retry._chainkit_max_wait = settings.max_retry_wait  # type: ignore[attr-defined]
        adapter = requests.adapters.HTTPAdapter(max_retries=download_retry)
        downloads.mount("http://", adapter)
        downloads.mount("https://", adapter)
        return cls(
            github=github,
            api_url=context.api_url,
            downloads=downloads,
            token=secret,
            timeout=settings.timeout,
            rerun=settings.rerun,
            pacer=WritePacer(settings.write_budget.with_interval(settings.write_interval)),
            secondary_retries=settings.secondary_retries,
            secondary_wait=max(SECONDARY_WAIT_FLOOR, settings.secondary_rate_wait),
            max_retry_wait=settings.max_retry_wait,
            refusal_floor=settings.refusal_floor,
            write_retries=settings.retries,
            write_backoff=settings.backoff,
        )

    def close(self) -> None:
        self._gh.close()
        self._downloads.close()

    # -- error translation ------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except RetryWaitTooLongError as exc:
            raise RetryWaitTooLongError(f"{what}: {exc.request}", exc.wait, exc.limit) from None
        except Error:
            raise
        except BadCredentialsException as exc:
            raise AuthError(
                f"{what}: GitHub rejected the token (401 Bad credentials)",
                remediation="check GITHUB_TOKEN / GH_TOKEN (expired, revoked or for another host?)",
                status=exc.status,
            ) from exc
        except RateLimitExceededException as exc:
            raise RateLimitedError(
                f"{what}: GitHub's rate limit is exhausted ({_message(exc)})",
                remediation="wait for the reset time, or use a token with a larger budget",
                status=exc.status,
            ) from exc
        except UnknownObjectException as exc:
            raise NotFoundError(
                f"{what}: not found (404)",
                remediation="check the repository, tag or id, and that the token can see it",
                status=exc.status,
            ) from exc
        except GithubException as exc:
            raise self._translate(what, exc) from exc
        except requests.exceptions.RetryError as exc:
            raise GitHubServiceError(
                f"{what}: GitHub kept failing after retries ({type(exc).__name__})",
                remediation=f"GitHub may be degraded; {self._rerun} later",
            ) from exc
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise GitHubServiceError(
                f"{what}: cannot reach {self.api_url} ({connection_problem(exc)})",
                remediation=f"check GITHUB_API_URL and the network; {self._rerun}",
            ) from exc

    def _translate(self, what: str, exc: GithubException) -> GitHubError:
        status = exc.status
        message = _message(exc)
        if status == 401:
            return AuthError(
                f"{what}: authentication required (401: {message})",
                remediation="set GITHUB_TOKEN or GH_TOKEN",
                status=status,
            )
        if status == 403:
            return ForbiddenError(
                f"{what}: forbidden (403: {message})",
                remediation="the token lacks permission: writing releases needs contents: write",
                status=status,
            )
        if status == 422:
            errors = exc.data.get("errors") if isinstance(exc.data, dict) else None
            codes = {e.get("code") for e in errors or () if isinstance(e, dict)}
            if "already_exists" in codes:
                return AssetExistsError(
                    f"{what}: an asset with that name already exists", status=status
                )
            if "immutable release" in message.lower():
                return ImmutableReleaseError(
                    f"{what}: the release is immutable ({message})",
                    remediation="publish the bundles to another release (see --bundle-release)",
                    status=status,
                )
            return GitHubUsageError(
                f"{what}: GitHub refused the request (422: {message})", status=status
            )
        if status == 429:
            return RateLimitedError(
                f"{what}: GitHub's rate limit is exhausted (429: {message})",
                remediation="wait for the reset time, or use a token with a larger budget",
                status=status,
            )
        if status is not None and status >= 500:
            return GitHubServiceError(
                f"{what}: GitHub failed ({status}: {message})",
                remediation=f"{self._rerun} later",
                status=status,
            )
        return GitHubServiceError(
            f"{what}: unexpected answer from GitHub ({status}: {message})", status=status
        )

    # -- reads ------------------------------------------------------------------------
    def _repo_path(self, repository: str) -> str:
        owner, _, name = repository.partition("/")
        return f"/repos/{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(name, safe='')}"

    def iter_releases(self, repository: str) -> Iterator[Release]:
        """Every release, newest first, with its assets: one request per 100 releases."""
        for page in self._pages(f"listing releases of {repository}", "releases", repository):
            for item in page:
                yield release_from_json(item, self.api_url)

    def tag_commits(self, repository: str) -> dict[str, str]:
        """Every tag's commit sha (``list-tags``): one request per 100 tags."""
        commits: dict[str, str] = {}
        for page in self._pages(f"listing tags of {repository}", "tags", repository):
            for item in page:
                commit = item.get("commit") if isinstance(item, dict) else None
                sha = commit.get("sha") if isinstance(commit, dict) else None
                if isinstance(sha, str) and isinstance(item.get("name"), str):
                    commits[item["name"]] = sha
        return commits

    def _pages(self, what: str, collection: str, repository: str) -> Iterator[list[Any]]:
        """The pages of a repository list, following ``Link`` only on the API (never to a
        page already read: a list that does not end is a service error, not a hang)."""
        url: str | None = f"{self._repo_path(repository)}/{collection}"
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        seen: set[str] = set()
        while url is not None:
            with self._errors(what):
                headers, data = self._requester.requestJsonAndCheck("GET", url, parameters=params)
            if data is not None and not isinstance(data, list):
                raise _malformed(f"a page ({what})", TypeError(type(data).__name__))
            yield data or []
            seen.add(url)
            url, params = _next_link(headers, self.api_url), None
            if url is not None and url in seen:
                raise GitHubServiceError(
                    f"{what}: GitHub's list did not end (a next-page link to a page already read)",
                    remediation="check GITHUB_API_URL points at GitHub's REST API; re-run",
                )

    def get_release(self, repository: str, release_id: int) -> Release:
        with self._errors(f"reading release {release_id} of {repository}"):
            _, data = self._requester.requestJsonAndCheck(
                "GET", f"{self._repo_path(repository)}/releases/{int(release_id)}"
            )
        return release_from_json(data, self.api_url)

    def get_release_by_tag(self, repository: str, tag: str) -> Release:
        quoted = urllib.parse.quote(tag, safe="")
        with self._errors(f"reading release {tag!r} of {repository}"):
            _, data = self._requester.requestJsonAndCheck(
                "GET", f"{self._repo_path(repository)}/releases/tags/{quoted}"
            )
        return release_from_json(data, self.api_url)

    def can_write(self, repository: str) -> bool | None:
        """Whether the token may push to ``repository`` (``None`` when GitHub does not say).

        From ``permissions.push`` of ``GET /repos/{owner}/{repo}``, which GitHub fills for
        authenticated callers.
        """
        with self._errors(f"reading repository {repository}"):
            _, data = self._requester.requestJsonAndCheck("GET", self._repo_path(repository))
        permissions = data.get("permissions") if isinstance(data, dict) else None
        if not isinstance(permissions, dict) or "push" not in permissions:
            return None
        return bool(permissions["push"])

    def get_environment(self, repository: str, name: str) -> Environment:
        quoted = urllib.parse.quote(name, safe="")
        with self._errors(f"reading environment {name!r} of {repository}"):
            _, data = self._requester.requestJsonAndCheck(
                "GET", f"{self._repo_path(repository)}/environments/{quoted}"
            )
        reviewers: list[str] = []
        self_review: bool | None = None
        for rule in data.get("protection_rules") or ():
            if rule.get("type") != "required_reviewers":
                continue
            if isinstance(rule.get("prevent_self_review"), bool):
                self_review = rule["prevent_self_review"]
            for entry in rule.get("reviewers") or ():
                who = entry.get("reviewer") or {}
                reviewers.append(str(who.get("slug") or who.get("login") or who.get("name") or "?"))
        bypass = data.get("can_admins_bypass")
        return Environment(
            name=str(data.get("name", name)),
            required_reviewers=tuple(reviewers),
            prevent_self_review=self_review,
            can_admins_bypass=bypass if isinstance(bypass, bool) else None,
        )

    def stream_asset(self, asset: Asset) -> Iterator[bytes]:
        """The asset's bytes in 1 MiB chunks, never more in memory.

        ``GET {asset.url}`` with ``Accept: application/octet-stream``, following the
        storage redirect as PyGithub does: the token goes only to the API's host and is
        dropped when the redirect leads elsewhere (as GitHub's storage requires).

        A rate limit (403/429 with ``x-ratelimit-remaining: 0``, ``retry-after`` or GitHub's
        rate-limit message) is waited out before any byte is yielded, announced and capped
        by ``max_retry_wait`` (:class:`RateLimitedError` beyond it). A connection cut while
        the body is read is a :class:`GitHubServiceError` (:meth:`download` and
        :meth:`fetch_small` start again from byte 0).
        """
        what = f"downloading {asset.name!r}"
        api = urllib.parse.urlsplit(self.api_url)
        url = asset.url
        origin = (api.scheme, api.netloc)
        if urllib.parse.urlsplit(url)[:2] != origin:
            raise GitHubUsageError(
                f"{what}: the asset URL is not on {api.netloc}",
                remediation="check GITHUB_API_URL: it must be the API that listed the asset",
            )
        limited = 0
        while True:
            response = self._open_download(what, url, origin)
            with response:
                wait = _download_limit_wait(response)
                if wait is not None:
                    limited += 1
                    self._wait_for_download_limit(what, response.status_code, wait, limited)
                    continue
                self._check_download(what, response, rerun=self._rerun)
                received = 0
                try:
                    for chunk in response.iter_content(_CHUNK):
                        if chunk:
                            received += len(chunk)
                            yield chunk
                except (
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ConnectionError,
                    ProtocolError,
                ) as exc:
                    raise _DownloadCutError(what, received, exc, rerun=self._rerun) from exc
                return

    def _open_download(self, what: str, url: str, origin: tuple[str, str]) -> requests.Response:
        """The response to ``GET url`` (after the storage redirect), body not yet read."""
        # identity: hash the bytes GitHub stores, never a transparently decoded body
        headers = {
            "Accept": "application/octet-stream",
            "Accept-Encoding": "identity",
            **self._auth,
        }
        try:
            response = self._downloads.get(
                url, headers=headers, stream=True, allow_redirects=False, timeout=self._timeout
            )
            if response.status_code in (301, 302, 303, 307, 308):
                location = urllib.parse.urljoin(url, response.headers.get("Location", ""))
                response.close()
                if urllib.parse.urlsplit(location)[:2] != origin:  # never over another
                    headers = {  # scheme or host
                        "Accept": "application/octet-stream",
                        "Accept-Encoding": "identity",
                    }
                response = self._downloads.get(
                    location, headers=headers, stream=True, timeout=self._timeout
                )
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise GitHubServiceError(
                f"{what}: cannot reach {origin[1]} ({connection_problem(exc)})",
                remediation=f"check the network; {self._rerun}",
            ) from exc
        except requests.exceptions.RetryError as exc:
            raise GitHubServiceError(
                f"{what}: GitHub kept failing after retries",
                remediation=f"GitHub may be degraded; {self._rerun} later",
            ) from exc
        return response

    def _wait_for_download_limit(self, what: str, status: int, wait: float, attempt: int) -> None:
        """Announce and sleep ``wait`` (a download refused with a rate limit), or give up."""
        if attempt > DOWNLOAD_LIMIT_RETRIES:
            raise RateLimitedError(
                f"{what}: GitHub refused it with a rate limit {attempt} times ({status})",
                remediation=f"wait for the reset time, or use a token with a larger budget; "
                f"{self._rerun}",
                status=status,
            )
        if wait > self._max_retry_wait:
            raise RateLimitedError(
                f"{what}: GitHub's rate limit is exhausted ({status}); it resets in "
                f"{format_duration(wait)}, longer than the {format_duration(self._max_retry_wait)} "
                "this client waits",
                remediation=f"wait for the reset time, or use a token with a larger budget; "
                f"{self._rerun}",
                status=status,
            )
        _log.warning(
            "%s: GitHub's rate limit is exhausted (%s); waiting %s for its reset, "
            "then retry %d of %d",
            what,
            status,
            format_duration(wait),
            attempt,
            DOWNLOAD_LIMIT_RETRIES,
        )
        if wait > 0:
            _sleep(wait)

    @staticmethod
    def _check_download(what: str, response: requests.Response, *, rerun: str) -> None:
        status = response.status_code
        if status < 400:
            return
        if status == 401:
            raise AuthError(
                f"{what}: GitHub rejected the token (401)",
                remediation="check GITHUB_TOKEN / GH_TOKEN",
                status=status,
            )
        if status in (403, 404):
            raise (NotFoundError if status == 404 else ForbiddenError)(
                f"{what}: {'not found' if status == 404 else 'forbidden'} ({status})",
                remediation="check that the token can see the repository's releases",
                status=status,
            )
        if status == 429:
            raise RateLimitedError(
                f"{what}: GitHub's rate limit is exhausted (429)",
                remediation="wait for the reset time, or use a token with a larger budget",
                status=status,
            )
        raise GitHubServiceError(
            f"{what}: GitHub failed ({status})",
            remediation=f"{rerun} later",
            status=status,
        )

    def _restarting(self, asset: Asset, consume: Callable[[Iterator[bytes]], _T]) -> _T:
        """``consume(self.stream_asset(asset))``, started again from byte 0 (``consume``
        must start afresh) when the connection is cut mid-body, at most
        ``DOWNLOAD_ATTEMPTS`` times in all; then a :class:`GitHubServiceError` (exit 3)."""
        attempt = 1
        while True:
            try:
                return consume(self.stream_asset(asset))
            except _DownloadCutError as exc:
                if attempt >= DOWNLOAD_ATTEMPTS:
                    raise GitHubServiceError(
                        f"{exc.what}: {CUT_MID_BODY} {attempt} times in a row "
                        f"(the last time after {exc.received} bytes)",
                        remediation="check the network (a proxy or firewall cutting long "
                        f"transfers?); {self._rerun}",
                    ) from exc
                attempt += 1
                _log.warning(
                    "%s: %s after %d bytes; downloading again from byte 0 (attempt %d of %d)",
                    exc.what,
                    exc.problem,
                    exc.received,
                    attempt,
                    DOWNLOAD_ATTEMPTS,
                )

    def fetch_small(self, asset: Asset, *, max_bytes: int) -> bytes:
        """Download a small asset (a checksum file) whole, refusing more than ``max_bytes``."""
        if asset.size > max_bytes:
            raise GitHubUsageError(
                f"{asset.name!r} is {asset.size} bytes, more than {max_bytes} allowed here"
            )

        def consume(chunks: Iterator[bytes]) -> bytes:
            buf = bytearray()
            for chunk in chunks:
                buf += chunk
                if len(buf) > max_bytes:
                    raise GitHubUsageError(f"{asset.name!r} is larger than {max_bytes} bytes")
            return bytes(buf)

        return self._restarting(asset, consume)

    def download(
        self,
        asset: Asset,
        dest: Path,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> str:
        """Stream ``asset`` into ``dest`` (memory independent of size); return its sha256 hex.

        The bytes go to a fresh temporary file beside ``dest`` (created exclusively, never
        through a symlink), which is renamed over ``dest`` once complete. A connection cut
        mid-body discards that file and downloads (and hashes) again from byte 0, a bounded
        number of times; ``progress`` then counts the restarted bytes again.
        """

        def consume(chunks: Iterator[bytes]) -> str:
            with atomic_writer(dest, suffix=".part") as fh:

                def written() -> Iterator[bytes]:
                    for chunk in chunks:
                        fh.write(chunk)
                        if progress is not None:
                            progress(len(chunk))
                        yield chunk

                return sha256_chunks(written())

        return self._restarting(asset, consume)

    def downloader(self) -> Callable[..., str]:
        """:meth:`download` for another thread: the same API, token, timeout and retry
        policy over an HTTP session of its own (a :class:`requests.Session` is not
        documented as safe to share between threads; PyGithub's requester is not touched
        by downloads at all). Reads only: it cannot write."""
        reader = copy.copy(self)
        reader._downloads = self._own_session()
        reader._gh = reader._requester = None  # type: ignore[assignment]
        reader.pacer = None  # type: ignore[assignment]
        return reader.download

    def reader(self) -> GitHubClient | None:
        """A client for reads on another thread (``get_release``, ``fetch_small``,
        ``list_attestations``): the same API, token, timeout and retry policy over a
        PyGithub requester and an HTTP session of its own (neither is safe to share
        between threads). It has no pacer: a write through it fails at once.
        ``None`` when the injected PyGithub object cannot make a second requester."""
        with_auth = getattr(self._requester, "withAuth", None)
        if with_auth is None:
            return None
        reader = copy.copy(self)
        reader._requester = with_auth(self._requester.auth)
        reader._downloads = self._own_session()
        reader._gh = None  # type: ignore[assignment]
        reader.pacer = None  # type: ignore[assignment]
        return reader

    def _own_session(self) -> requests.Session:
        """A new HTTP session with the download session's headers and retry policy."""
        session = requests.Session()
        session.headers.update(self._downloads.headers)
        for prefix, adapter in self._downloads.adapters.items():
            if isinstance(adapter, requests.adapters.HTTPAdapter):
                retries = adapter.max_retries
                session.mount(prefix, requests.adapters.HTTPAdapter(max_retries=retries))
        return session

    # -- writes -----------------------------------------------------------------------
    def _write(
        self,
        what: str,
        send: Callable[[], tuple[dict[str, Any], Any]],
        *,
        creates: bool = False,
    ) -> Any:
        """Every write: wait for the budget, ``send``, and wait as GitHub asks on a refusal.

        ``send`` makes one request (through PyGithub's requester) and returns its headers
        and data; it may be called again, so it must start the request afresh (rewind an
        upload). A refusal (secondary or primary rate limit) is retried, waiting as
        :func:`_refusal_wait` says, at least ``secondary_retries`` times and until the
        budget's longest window has passed since the first refusal (then the refusals are
        not this client's doing): :class:`RateLimitedError` (exit 3), as when the run's
        ``retry_deadline`` would pass. A 5xx is retried ``write_retries`` times with
        backoff unless the write ``creates`` an object (a release, an attestation), which
        the failed request may have created: that error surfaces, and a re-run finds what
        exists. Every attempt is paced; the answered ones that were not refused are counted.
        """
        attempt = failures = 0
        first_refusal: float | None = None
        longest = self.pacer.budget.longest
        with self._errors(what):
            while True:
                try:
                    with self.pacer.write(what) as slot:
                        try:
                            return send()[1]
                        except GithubException as exc:
                            if _refusal_wait(exc, 0, 0.0) is not None:
                                slot.counted = False  # refused: not done
                            raise
                        except BaseException:
                            slot.counted = False  # no answer: perhaps not done
                            raise
                except (requests.exceptions.ConnectionError, ProtocolError) as exc:
                    # no answer (refused connection, a body cut mid-way): like a 5xx, retried
                    # under the pacer unless the write creates an object it may have created
                    if creates or failures >= self._write_retries:
                        raise
                    failures += 1
                    backoff = min(self._write_backoff * (1 << failures), self._max_retry_wait)
                    _log.warning(
                        "%s: the connection failed (%s); retrying in %s (%d of %d)",
                        what,
                        connection_problem(exc),
                        format_duration(backoff),
                        failures,
                        self._write_retries,
                    )
                    self.pacer.block_for(backoff, f"a retry after a failed connection ({what})")
                    continue
                except GithubException as exc:
                    wait = _refusal_wait(
                        exc,
                        attempt,
                        self._secondary_wait,
                        floor=self._refusal_floor,
                        cap=self._max_retry_wait,
                    )
                    if wait is None:
                        if exc.status < 500 or creates or failures >= self._write_retries:
                            raise
                        failures += 1
                        backoff = min(self._write_backoff * (1 << failures), self._max_retry_wait)
                        _log.warning(
                            "%s failed (%s); retrying in %s (%d of %d)",
                            what,
                            exc.status,
                            format_duration(backoff),
                            failures,
                            self._write_retries,
                        )
                        self.pacer.block_for(
                            backoff, f"a retry after GitHub's failure ({exc.status}: {what})"
                        )
                        continue
                    now = self.pacer.now()
                    if first_refusal is None:
                        first_refusal = now
                    waited = now - first_refusal
                    if attempt >= self._secondary_retries and waited >= longest:
                        raise RateLimitedError(
                            f"{what}: GitHub refused it with a rate limit {attempt + 1} "
                            f"times in {format_duration(waited)} ({exc.status}: "
                            f"{_message(exc)[:120]})",
                            remediation="another client may be writing to this repository; "
                            f"wait an hour, lower --write-budget; {self._rerun}",
                            status=exc.status,
                        ) from exc
                    if wait > self._max_retry_wait:
                        raise RetryWaitTooLongError(
                            f"GitHub refused it with a rate limit ({exc.status})",
                            wait,
                            self._max_retry_wait,
                        ) from exc
                    if self.retry_deadline is not None and now + wait > self.retry_deadline:
                        raise RateLimitedError(
                            f"{what}: GitHub refused it with a rate limit ({exc.status}), and "
                            f"the wait it needs ({format_duration(wait)}) passes --deadline",
                            remediation=f"{self._rerun} later, with a later --deadline",
                            status=exc.status,
                        ) from exc
                    attempt += 1
                    _log.warning(
                        "GitHub refused %s with a rate limit (%s); waiting %s, then retry %d",
                        what,
                        exc.status,
                        format_duration(wait),
                        attempt,
                    )
                    self.pacer.block_for(wait, _refusal_reason(exc))

    def upload_bytes(
        self,
        release: Release,
        payload: BinaryIO,
        size: int,
        *,
        name: str,
        content_type: str = "application/octet-stream",
    ) -> Asset:
        """Upload ``size`` bytes from ``payload`` as asset ``name`` via the release's upload_url."""
        target = release.upload_url.split("{?", 1)[0]
        start = payload.tell()

        def send() -> tuple[dict[str, Any], Any]:
            payload.seek(start)  # a retry after a refusal sends the whole body again
            return self._requester.requestMemoryBlobAndCheck(
                "POST",
                target,
                parameters={"name": name, "label": ""},
                headers={"Content-Type": content_type, "Content-Length": str(size)},
                file_like=cast("BinaryIO", _OneAttempt(payload)),
            )

        # a 5xx is retried by _write (paced); a retry answered 422 may meet the `starter`
        # asset the failed attempt left behind
        what = f"uploading {name!r} to {release.tag!r}"
        try:
            return asset_from_json(self._write(what, send), self.api_url)
        except AssetExistsError:
            # a 5xx retried into 422: the failed attempt may have left a `starter` asset
            if not self.delete_starter(release, name):
                raise
        except RateLimitedError:
            raise  # refused before anything was stored
        except GitHubServiceError:
            # given up (5xx, retries exhausted, cut): a re-run should find no starter asset
            with contextlib.suppress(GitHubError):  # the first failure is what to report
                self.delete_starter(release, name)
            raise
        return asset_from_json(self._write(what, send), self.api_url)

    def delete_starter(self, release: Release, name: str) -> bool:
        """Delete asset ``name`` of ``release`` if GitHub lists it in state ``starter``: the
        debris of a failed upload, which blocks a new upload of that name with 422
        (BEHAVIOR.md section 3). Whether one was deleted; an ``uploaded`` asset is kept."""
        with self._errors(f"reading release {release.tag!r}"):
            _, data = self._requester.requestJsonAndCheck("GET", release.url)
        fresh = release_from_json(data, self.api_url)
        debris = next((a for a in fresh.assets if a.name == name and a.state == "starter"), None)
        if debris is None:
            return False
        _log.warning(
            "%r on %r is left over from a failed upload (state 'starter', %d bytes): "
            "deleting it to upload again",
            name,
            release.tag,
            debris.size,
        )
        self.delete_asset(debris)
        return True

    def get_asset(self, asset: Asset) -> Asset | None:
        """``asset`` as GitHub has it now (``GET`` its API URL), ``None`` when it is gone."""
        _api_url(asset.url, self.api_url, f"asset {asset.name!r}")
        try:
            with self._errors(f"reading asset {asset.name!r}"):
                _, data = self._requester.requestJsonAndCheck("GET", asset.url)
        except NotFoundError:
            return None
        return asset_from_json(data, self.api_url)

    def delete_asset(self, asset: Asset) -> None:
        _api_url(asset.url, self.api_url, f"asset {asset.name!r}")
        self._write(
            f"deleting {asset.name!r}",
            lambda: self._requester.requestJsonAndCheck("DELETE", asset.url),
        )

    def update_body(self, release: Release, body: str) -> Release:
        """Replace the release notes; draft, prerelease, name and tag stay as they are."""
        payload = {
            "tag_name": release.tag,
            "body": body,
            "draft": release.draft,
            "prerelease": release.prerelease,
        }
        if release.name is not None:
            payload["name"] = release.name
        data = self._write(
            f"editing the notes of {release.tag!r}",
            lambda: self._requester.requestJsonAndCheck("PATCH", release.url, input=payload),
        )
        return release_from_json(data, self.api_url)

    def create_release(
        self, repository: str, *, tag: str, name: str, body: str, prerelease: bool = False
    ) -> Release:
        payload = {
            "tag_name": tag,
            "name": name,
            "body": body,
            "draft": False,
            "prerelease": prerelease,
            "make_latest": "false",
        }
        data = self._write(
            f"creating release {tag!r} in {repository}",
            lambda: self._requester.requestJsonAndCheck(
                "POST", f"{self._repo_path(repository)}/releases", input=payload
            ),
            creates=True,
        )
        return release_from_json(data, self.api_url)

    # -- artifact attestations --------------------------------------------------------
    def create_attestation(self, repository: str, bundle_json: bytes) -> int:
        """Store a Sigstore bundle (DSSE, in-toto Statement v1) with the attestations API;
        its attestation id. Every call creates a new one (callers list first).

        403/404 "feature not available" is :class:`AttestationsUnavailableError` (no such
        API for this repository); another 403 is the token's missing permission."""
        try:
            bundle = json.loads(bundle_json)
        except (ValueError, RecursionError) as exc:
            raise GitHubUsageError(f"the bundle to attest is not JSON: {exc}") from None
        what = f"creating an attestation in {repository}"
        try:
            data = self._write(
                what,
                lambda: self._requester.requestJsonAndCheck(
                    "POST", f"{self._repo_path(repository)}/attestations", input={"bundle": bundle}
                ),
                creates=True,
            )
        except GitHubError as exc:
            # PyGithub makes a 404 whose message is not "Not Found" a generic exception
            if isinstance(exc, RateLimitedError) or exc.status not in {403, 404}:
                raise
            unavailable = exc.status == 404 or "feature not available" in exc.message.lower()
            if not unavailable:
                raise ForbiddenError(
                    exc.message,
                    remediation="the token needs the attestations: write permission "
                    "(in Actions: `permissions: attestations: write`)",
                    status=exc.status,
                ) from None
            hidden = " (or the token cannot see the repository)" if exc.status == 404 else ""
            raise AttestationsUnavailableError(
                f"the artifact attestations API is not available for {repository}{hidden}: "
                f"{exc.message}",
                remediation="plan again with `--home release-assets` (bundles on the release); "
                "the API needs a public repository, or GitHub Enterprise Cloud for private ones",
                status=exc.status,
            ) from None
        try:
            return int(data["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise _malformed("the created attestation", exc) from None

    def list_attestations(
        self, repository: str, subject_digest: str, *, predicate_type: str | None = None
    ) -> AttestationList:
        """The attestations of ``repository`` with a subject of ``subject_digest``
        (``sha256:<hex>``), following ``rel="next"`` links: at most ``MAX_ATTESTATIONS``
        listed (``truncated`` when GitHub has more), in at most ``MAX_ATTESTATION_PAGES``
        requests.

        GitHub answers 404 when nothing matches: that is an empty list here. The request
        pins ``X-GitHub-Api-Version: 2022-11-28``, under which GitHub serves the inline
        ``bundle`` (a later version drops it, BEHAVIOR.md section 10). Items without one are
        left out and counted in ``unreadable`` (the snappy-compressed ``bundle_url`` is not
        read): callers must not take such a list as whole.
        A list that does not end (a next link already followed, or more pages than
        ``MAX_ATTESTATIONS`` needs), a next link off the API, or a body that is not a list
        of objects is :class:`GitHubServiceError`; a 403 is :class:`ForbiddenError` (the
        token may not read attestations)."""
        what = f"listing attestations of {subject_digest} in {repository}"
        url: str | None = (
            f"{self._repo_path(repository)}/attestations/"
            f"{urllib.parse.quote(subject_digest, safe=':')}"
        )
        first: dict[str, Any] = {"per_page": PER_PAGE}
        if predicate_type is not None:
            first["predicate_type"] = predicate_type
        params: dict[str, Any] | None = first
        found: list[Attestation] = []
        listed = unreadable = 0
        visited: set[str] = set()
        while url is not None:
            if listed >= MAX_ATTESTATIONS:
                _log.warning(
                    "%s: GitHub lists more than %d; only the first %d are read",
                    what,
                    MAX_ATTESTATIONS,
                    MAX_ATTESTATIONS,
                )
                return AttestationList(
                    tuple(found[:MAX_ATTESTATIONS]), truncated=True, unreadable=unreadable
                )
            if url in visited or len(visited) >= MAX_ATTESTATION_PAGES:
                why = (
                    "links back to a page already read"
                    if url in visited
                    else (
                        f"still has a next page after {len(visited)} pages "
                        f"({listed} attestations listed)"
                    )
                )
                raise GitHubServiceError(
                    f"{what}: GitHub's attestations list did not end: it {why}",
                    remediation=f"GitHub may be degraded; {self._rerun} later",
                )
            visited.add(url)
            with self._errors(what):
                page = self._attestations_page(what, url, params)
            if page is None:  # 404: nothing (more) matches
                return AttestationList(tuple(found), unreadable=unreadable)
            headers, data = page
            if data is _OVERSIZED:
                _log.warning(
                    "%s: GitHub sent a page of more than %d bytes; only the %d attestations "
                    "before it are read",
                    what,
                    MAX_ATTESTATIONS_PAGE_BYTES,
                    len(found),
                )
                return AttestationList(tuple(found), truncated=True, unreadable=unreadable)
            items = data.get("attestations") if isinstance(data, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise _malformed("a list of attestations", TypeError("expected a list of objects"))
            if len(items) > PER_PAGE:
                raise GitHubServiceError(
                    f"{what}: GitHub sent a page of {len(items)} attestations, more than the "
                    f"{PER_PAGE} asked for",
                    remediation=f"check GITHUB_API_URL points at GitHub's REST API; {self._rerun}",
                )
            for item in items:
                listed += 1
                bundle = item.get("bundle")
                if bundle is None:
                    unreadable += 1
                    _log.warning(
                        "%s: an attestation is listed without an inline bundle (only a "
                        "bundle_url, which chainkit does not read): it cannot be checked",
                        what,
                    )
                    continue
                if not isinstance(bundle, dict):
                    raise _malformed("an attestation", TypeError("the bundle is not an object"))
                repo_id = item.get("repository_id")
                initiator = item.get("initiator")
                found.append(
                    Attestation(
                        bundle=json.dumps(bundle, separators=(",", ":")).encode(),
                        repository_id=repo_id if isinstance(repo_id, int) else None,
                        initiator=initiator if isinstance(initiator, str) else None,
                    )
                )
            url, params = _next_link(headers, self.api_url), None
        return AttestationList(
            tuple(found[:MAX_ATTESTATIONS]),
            truncated=len(found) > MAX_ATTESTATIONS,
            unreadable=unreadable,
        )

    def _attestations_page(
        self, what: str, url: str, params: dict[str, Any] | None
    ) -> tuple[Mapping[str, str], Any] | None:
        """One page of an attestations list: its headers and parsed body; ``None`` for a
        404; body ``_OVERSIZED`` when it is larger than ``MAX_ATTESTATIONS_PAGE_BYTES`` (read no
        further). Streamed through the downloads session (same retries, rate limits
        waited as for downloads), so that no answer is held whole before it is bounded.
        ``url`` is on the API (a path, or a next link :func:`_next_link` checked): the
        token goes nowhere else."""
        target = url if urllib.parse.urlsplit(url).scheme else f"{self.api_url}{url}"
        headers = {
            "Accept": "application/vnd.github+json",
            **dict(_ATTESTATIONS_VERSION),
            **self._auth,
        }
        limited = 0
        while True:
            response = self._downloads.get(
                target,
                params=params,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=self._timeout,
            )
            with response:
                wait = _download_limit_wait(response)
                if wait is not None:
                    limited += 1
                    self._wait_for_download_limit(what, response.status_code, wait, limited)
                    continue
                status = response.status_code
                if status == 404:
                    return None
                if status == 403:
                    raise ForbiddenError(
                        f"{what}: forbidden (403: {_body_message(response)})",
                        remediation="the token needs the attestations: read permission "
                        "(in Actions: `permissions: attestations: read`)",
                        status=status,
                    )
                if status != 200:
                    self._check_download(what, response, rerun=self._rerun)
                    raise GitHubServiceError(
                        f"{what}: unexpected answer from GitHub ({status})", status=status
                    )
                body = bytearray()
                for chunk in response.iter_content(_CHUNK):
                    body += chunk
                    if len(body) > MAX_ATTESTATIONS_PAGE_BYTES:
                        return response.headers, _OVERSIZED
            try:
                return response.headers, json.loads(body)
            except (ValueError, RecursionError) as exc:  # nesting deeper than Python's stack
                raise _malformed("a list of attestations", exc) from None


_OVERSIZED = object()
"""The body of an attestations page larger than ``MAX_ATTESTATIONS_PAGE_BYTES``."""


def _body_message(response: requests.Response) -> str:
    """The ``message`` of a small JSON error body (at most 64 KiB read), or ``""``."""
    with contextlib.suppress(requests.exceptions.RequestException, ValueError, RecursionError):
        data = json.loads(response.raw.read(64 * 1024, decode_content=True) or b"{}")
        if isinstance(data, dict):
            return str(data.get("message") or "")[:200]
    return ""


def default_write_interval(api_url: str) -> float:
    """1 s between writes (GitHub's guidance) except on a loopback API (the sandbox)."""
    return 0.0 if _is_loopback(api_url) else 1.0
