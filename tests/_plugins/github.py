"""Pytest fixtures for the GitHub stand-in (register as ``pytest_plugins = ["_plugins.github"]``).

- ``github_sandbox_factory(seed=None)``: start a :class:`GitHubStandIn` on a fresh tmp dir with a
  :class:`Seed` or a seed ``dict`` (default seed when None); returns a :class:`GitHubSandbox`.
- ``github_sandbox``: the same with the built-in default seed.
- :func:`http`: one plain ``requests`` call to a stand-in, with a token or anonymous.
- :func:`make_github_client`: a real PyGithub client with test-friendly settings.

Every JSON response a stand-in started by these fixtures serves is validated, at teardown,
against GitHub's OpenAPI description (``tests/assets/github/releases-openapi.json``): the
operation is found by method + path template and the body is checked against the schema
declared for the status. A violation fails the test that caused it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from github import Auth, Github
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from chainkit.sandbox._github import GitHubStandIn, ObservedResponse
from chainkit.sandbox._seed import Seed, default_seed, parse_seed

__all__ = [
    "OPENAPI_PATH",
    "RATE_LIMIT_HEADERS",
    "GitHubSandbox",
    "OpenAPIContract",
    "http",
    "make_github_client",
]

OPENAPI_PATH = (
    Path(__file__).resolve().parent.parent / "assets" / "github" / "releases-openapi.json"
)
_DOC_URI = "urn:chainkit:github-releases-openapi"
RATE_LIMIT_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-used",
    "x-ratelimit-reset",
    "x-ratelimit-resource",
)


def _secondary_limit(r: ObservedResponse) -> bool:
    """A 403/429 secondary-limit answer: recorded on GitHub without ``x-ratelimit-*``."""
    return r.status in (403, 429) and b"exceeded a secondary rate limit" in (r.body or b"")


def make_github_client(
    url: str,
    token: str | None,
    *,
    per_page: int = 30,
    retry: Any = None,
    timeout: int = 30,
    lazy: bool = False,
) -> Github:
    """A PyGithub client for the stand-in: no sleeps between requests, no retries by default.

    ``lazy=True`` makes ``get_organization``/``get_user`` send no request (the stand-in does
    not serve ``GET /orgs/{org}`` or ``GET /users/{username}``).
    """
    return Github(
        base_url=url,
        auth=Auth.Token(token) if token else None,
        per_page=per_page,
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=retry,
        timeout=timeout,
        lazy=lazy,
    )


def http(
    sb: GitHubSandbox, method: str, path: str, token: str | None = "write", **kwargs: Any
) -> requests.Response:
    """``method`` ``sb.url + path`` with ``token`` (``"write"``, ``"read"``, None or a value)."""
    headers = dict(kwargs.pop("headers", {}))
    value = {"write": sb.write_token, "read": sb.read_token}.get(token or "", token)
    if value:
        headers["Authorization"] = f"token {value}"
    return requests.request(method, sb.url + path, headers=headers, timeout=30, **kwargs)


class OpenAPIContract:
    """GitHub's OpenAPI description as a validator of observed responses."""

    def __init__(self, path: Path = OPENAPI_PATH) -> None:
        self.document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        self.registry: Registry = Registry().with_resource(_DOC_URI, resource)
        routes = []
        for template, ops in self.document["paths"].items():
            literal = sum(1 for s in template.split("/") if s and not s.startswith("{"))
            pattern = re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$")
            for method, op in ops.items():
                if isinstance(op, dict) and "operationId" in op:
                    op["_path"], op["_method"] = template, method
                    routes.append((literal, method.upper(), pattern, op))
        routes.sort(key=lambda r: -r[0])
        self._routes = routes
        self._validators: dict[str, OAS30Validator] = {}
        self._lock = threading.Lock()

    @property
    def operation_ids(self) -> list[str]:
        return sorted({op["operationId"] for _, _, _, op in self._routes})

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        """The operation serving ``method path`` (``/repositories/{id}`` and uploads mapped)."""
        canonical = path
        m = re.match(r"^/repositories/[0-9]+(/.*)?$", path)
        if m:
            canonical = "/repos/{owner}/{repo}" + (m.group(1) or "")
        if path.startswith("/uploads/"):
            canonical = path[len("/uploads") :]
        for _, meth, pattern, op in self._routes:
            if meth == method and pattern.match(canonical):
                return op
        return None

    def validator(self, pointer: str) -> OAS30Validator:
        with self._lock:
            if pointer not in self._validators:
                self._validators[pointer] = OAS30Validator(
                    {"$ref": f"{_DOC_URI}#{pointer}"}, registry=self.registry
                )
            return self._validators[pointer]

    def response_pointer(self, op: dict[str, Any], status: int) -> str | None:
        """JSON pointer of the schema for ``status`` (errors fall back to basic-error)."""
        responses = op["responses"]
        key = str(status)
        if key in responses:
            resp = responses[key]
            if "$ref" in resp:
                name = resp["$ref"].rsplit("/", 1)[-1]
                resp = self.document["components"]["responses"][name]
                base = f"/components/responses/{name}"
            else:
                esc = op["_path"].replace("~", "~0").replace("/", "~1")
                base = f"/paths/{esc}/{op['_method']}/responses/{key}"
            if "application/json" not in resp.get("content", {}):
                return None
            return f"{base}/content/application~1json/schema"
        if status == 422:
            return "/components/schemas/validation-error"
        if status >= 400:
            return "/components/schemas/basic-error"
        return None

    def violations(self, r: ObservedResponse) -> list[str]:
        """What is wrong with one observed response, per the contract (empty if fine)."""
        where = f"{r.method} {r.path}{'?' + r.query if r.query else ''} -> {r.status}"
        op = self.operation(r.method, r.path)
        if op is None or r.fault:  # injected faults answer whatever the test asked for
            return []  # storage, browser downloads, deletes of releases: not in the contract
        problems: list[str] = []
        if r.operation_id is not None and r.operation_id != op["operationId"]:
            problems.append(
                f"{where}: served as {r.operation_id}, contract says {op['operationId']}"
            )
        # uploads carry none, as recorded on GitHub; nor does a secondary-limit answer
        if not r.path.startswith("/uploads/") and not _secondary_limit(r):
            missing = [h for h in RATE_LIMIT_HEADERS if h not in r.headers]
            if missing:
                problems.append(f"{where}: missing {', '.join(missing)}")
        if 200 <= r.status < 300 and str(r.status) not in op["responses"]:
            problems.append(f"{where}: status not declared for {op['operationId']}")
        if r.status in (204, 302, 304):
            if r.body:
                problems.append(f"{where}: expected an empty body")
            return problems
        if r.body is None or not r.headers.get("content-type", "").startswith("application/json"):
            return problems
        try:
            data = json.loads(r.body)
        except ValueError:
            return [*problems, f"{where}: body is not JSON"]
        pointer = self.response_pointer(op, r.status)
        if pointer is None:
            return problems
        for err in self.validator(pointer).iter_errors(data):
            loc = "/".join(str(p) for p in err.absolute_path)
            problems.append(f"{where}: {op['operationId']} at /{loc}: {err.message[:300]}")
            if len(problems) > 5:
                break
        return problems


_CONTRACT: OpenAPIContract | None = None
_CONTRACT_LOCK = threading.Lock()


def openapi_contract() -> OpenAPIContract:
    """The shared, lazily loaded contract."""
    global _CONTRACT
    with _CONTRACT_LOCK:
        if _CONTRACT is None:
            _CONTRACT = OpenAPIContract()
        return _CONTRACT


@dataclass
class GitHubSandbox:
    """A running GitHub stand-in with its tokens and what it served."""

    server: GitHubStandIn
    state_dir: Path
    write_token: str = field(repr=False)
    read_token: str | None = field(repr=False)
    seed: Seed
    observed: list[ObservedResponse] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, token: str | None = "write", **kwargs: Any) -> Github:
        """PyGithub client; ``token`` is ``"write"``, ``"read"``, None (anonymous) or a value."""
        value = {"write": self.write_token, "read": self.read_token}.get(token or "", token)
        return make_github_client(self.url, value, **kwargs)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call a ``/_sandbox/`` admin endpoint."""
        return requests.request(
            method, f"{self.url}/_sandbox/{path.lstrip('/')}", timeout=30, **kwargs
        )

    def add_fault(self, **spec: Any) -> None:
        r = self.admin("POST", "faults", json=spec)
        assert r.status_code == 201, r.text

    def requests_log(self) -> list[dict[str, Any]]:
        r = self.admin("GET", "requests")
        assert r.status_code == 200
        data: list[dict[str, Any]] = r.json()
        return data

    def violations(self) -> list[str]:
        contract = openapi_contract()
        out: list[str] = []
        for r in list(self.observed):
            out.extend(contract.violations(r))
        return out


def _tokens(seed: Seed) -> tuple[str, str | None]:
    write = next((t.value for t in seed.tokens if t.permissions.get("contents") == "write"), None)
    read = next((t.value for t in seed.tokens if t.permissions.get("contents") != "write"), None)
    assert write is not None, "the seed needs a token with contents: write"
    return write, read


@pytest.fixture
def github_sandbox_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., GitHubSandbox]]:
    """Start GitHub stand-ins: ``factory(seed=None, *, validate=True)``; stopped at teardown."""
    started: list[tuple[GitHubSandbox, bool]] = []

    def factory(
        seed: Seed | dict[str, Any] | None = None, *, validate: bool = True
    ) -> GitHubSandbox:
        if seed is None:
            seed = default_seed()
        elif isinstance(seed, dict):
            seed = parse_seed(seed, source="<test seed>")
        state = tmp_path_factory.mktemp("github")
        observed: list[ObservedResponse] = []
        server = GitHubStandIn(state, response_observer=observed.append)
        server.seed(seed)
        server.start()
        write, read = _tokens(seed)
        sb = GitHubSandbox(server, state, write, read, seed, observed)
        started.append((sb, validate))
        return sb

    yield factory
    problems: list[str] = []
    for sb, validate in started:
        sb.server.stop()
        if validate:
            problems.extend(sb.violations())
    if problems:
        pytest.fail(
            "GitHub stand-in responses violate the OpenAPI contract:\n  " + "\n  ".join(problems),
            pytrace=False,
        )


@pytest.fixture
def github_sandbox(github_sandbox_factory: Callable[..., GitHubSandbox]) -> GitHubSandbox:
    """A GitHub stand-in serving the built-in default seed (acme/widgets)."""
    return github_sandbox_factory()


@pytest.fixture(scope="session")
def github_openapi() -> OpenAPIContract:
    """GitHub's releases OpenAPI description, as a response validator."""
    return openapi_contract()
