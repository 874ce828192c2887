"""PyPI evidence: the sha256 the package index publishes for each wheel and sdist.

One request per project to the JSON form of the Simple API (PEP 691,
``Accept: application/vnd.pypi.simple.v1+json``); the index is
``https://pypi.org/simple/`` unless ``CHAINKIT_PYPI_INDEX_URL`` (or an explicit
argument) says otherwise. The ``requests.Session`` is injected.

No silent waits: the request has a total deadline (:data:`REQUEST_DEADLINE`; the
``timeout`` bounds each read, which a server trickling one byte at a time would renew
forever), and a log line names what is being fetched once it takes longer than
:data:`SLOW_AFTER` seconds.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3

from chainkit.backfill._errors import BackfillUsageError, PyPIError

__all__ = [
    "DEFAULT_INDEX_URL",
    "INDEX_URL_ENV",
    "PyPIDigests",
    "PyPIFile",
    "fetch_pypi_digests",
    "index_url_from_env",
    "redact_url",
]

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
INDEX_URL_ENV = "CHAINKIT_PYPI_INDEX_URL"
_ACCEPT = "application/vnd.pypi.simple.v1+json"
_MAX_RESPONSE = 64 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_CHUNK = 64 * 1024

REQUEST_DEADLINE = 120.0
"""Seconds one request to the index may take in all (headers and the whole body)."""
SLOW_AFTER = 10.0
"""Seconds after which a log line says the index is still being fetched."""

_log = logging.getLogger("chainkit.backfill")


def redact_url(url: str) -> str:
    """``url`` without user information (an index URL may embed a token)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def index_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``$CHAINKIT_PYPI_INDEX_URL`` or PyPI's Simple API."""
    env = os.environ if environ is None else environ
    return env.get(INDEX_URL_ENV) or DEFAULT_INDEX_URL


def normalize_project(name: str) -> str:
    """PEP 503 normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class PyPIFile:
    """One distribution file of the project as the index lists it."""

    filename: str
    sha256: str
    url: str
    yanked: bool = False


@dataclass(frozen=True)
class PyPIDigests:
    """The published sha256 of every file of one project, looked up by file name."""

    project: str
    index_url: str
    """Without user information."""
    files: Mapping[str, tuple[PyPIFile, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))

    def lookup(self, filename: str) -> tuple[PyPIFile, ...]:
        """The index's entries for a file name (empty when PyPI does not have it)."""
        return self.files.get(filename, ())


def fetch_pypi_digests(
    project: str,
    *,
    session: requests.Session,
    index_url: str | None = None,
    timeout: float = 30.0,
) -> PyPIDigests:
    """All files of ``project`` with their sha256, in one request to the index."""
    if not project or not re.match(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$", project):
        raise BackfillUsageError(
            f"not a Python project name: {project!r}",
            remediation="pass the name as on PyPI, e.g. --pypi-project requests",
        )
    base = index_url or index_url_from_env()
    if not base.endswith("/"):
        base += "/"
    url = urljoin(base, normalize_project(project) + "/")
    shown = redact_url(url)
    remediation = (
        f"check the network and the index URL ({redact_url(base)}; set {INDEX_URL_ENV} "
        "for a mirror), or drop --pypi-project to plan without PyPI evidence"
    )
    deadline = REQUEST_DEADLINE
    started = time.monotonic()
    slow = threading.Timer(
        SLOW_AFTER,
        lambda: _log.warning(
            "still fetching %s from the package index (%g s so far; giving up after %g s)",
            shown,
            SLOW_AFTER,
            deadline,
        ),
    )
    slow.daemon = True
    slow.start()
    try:
        return _fetch(
            url,
            session=session,
            timeout=min(timeout, deadline),
            shown=shown,
            project=project,
            base=base,
            remediation=remediation,
            past_deadline=lambda: time.monotonic() - started > deadline,
            deadline=deadline,
        )
    finally:
        slow.cancel()


def _fetch(
    url: str,
    *,
    session: requests.Session,
    timeout: float,
    shown: str,
    project: str,
    base: str,
    remediation: str,
    past_deadline: Callable[[], bool],
    deadline: float,
) -> PyPIDigests:
    too_slow = PyPIError(
        f"the package index did not answer {shown} within {deadline:g} s",
        remediation=remediation,
    )
    try:
        response = session.get(url, headers={"Accept": _ACCEPT}, timeout=timeout, stream=True)
    except requests.RequestException as exc:
        raise PyPIError(
            f"could not reach the package index at {shown}: {type(exc).__name__}",
            remediation=remediation,
        ) from None
    with response:
        if response.status_code == 404:
            raise BackfillUsageError(
                f"the package index has no project {project!r} ({shown} gave 404)",
                remediation="check the --pypi-project name",
            )
        if response.status_code != 200:
            raise PyPIError(
                f"the package index answered {response.status_code} for {shown}",
                remediation=remediation,
            )
        ctype = response.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype != _ACCEPT:
            raise PyPIError(
                f"the package index at {shown} did not answer with PEP 691 JSON "
                f"(Content-Type {ctype or 'missing'!r})",
                remediation="use an index that implements the JSON Simple API (PEP 691)",
            )
        if past_deadline():
            raise too_slow
        body = bytearray()
        try:
            # read1: whatever has arrived (a plain read waits for the whole chunk, one
            # trickled byte at a time); the deadline is checked after every read
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                if past_deadline():
                    raise too_slow
                body.extend(chunk)
                if len(body) > _MAX_RESPONSE:
                    raise PyPIError(
                        f"the package index answer for {shown} exceeds {_MAX_RESPONSE} bytes",
                        remediation=remediation,
                    )
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise PyPIError(
                f"reading the package index answer from {shown} failed: {type(exc).__name__}",
                remediation=remediation,
            ) from None
    return _parse(bytes(body), project=project, index_url=redact_url(base), shown=shown)


def _parse(body: bytes, *, project: str, index_url: str, shown: str) -> PyPIDigests:
    try:
        doc: Any = json.loads(body)
    except ValueError:
        raise PyPIError(
            f"the package index answer for {shown} is not JSON",
            remediation="use an index that implements the JSON Simple API (PEP 691)",
        ) from None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list):
        raise PyPIError(
            f"the package index answer for {shown} has no 'files' list",
            remediation="use an index that implements the JSON Simple API (PEP 691)",
        )
    by_name: dict[str, list[PyPIFile]] = {}
    for item in files:
        if not isinstance(item, dict):
            continue
        filename, hashes = item.get("filename"), item.get("hashes")
        if not isinstance(filename, str) or not isinstance(hashes, dict):
            continue
        sha256 = hashes.get("sha256")
        if not isinstance(sha256, str) or not _HEX64.match(sha256):
            continue  # PEP 691 allows other hashes; only sha256 is evidence here
        file_url = item.get("url")
        yanked = item.get("yanked", False)
        by_name.setdefault(filename, []).append(
            PyPIFile(
                filename=filename,
                sha256=sha256.lower(),
                url=redact_url(urljoin(shown, file_url)) if isinstance(file_url, str) else shown,
                yanked=bool(yanked),
            )
        )
    return PyPIDigests(
        project=project,
        index_url=index_url,
        files={name: tuple(entries) for name, entries in by_name.items()},
    )
