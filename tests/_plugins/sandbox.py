"""The whole sandbox (GitHub + Sigstore) in-process, and builders of seed documents.

``sandbox_factory(seed)`` starts both stand-ins on a fresh directory and returns a
:class:`FullSandbox` whose ``env()`` is what a user's shell would export (the real
PyGithub and sigstore-python clients inside chainkit read it). Every GitHub response
served is validated against the OpenAPI description at teardown.

Seed builders return plain seed documents (the dicts a seed file holds, see docs/sandbox.md),
so every fixture that takes a seed ``dict`` validates them as it would a file::

    from _plugins.sandbox import asset, release, repository, seed, token

    seed(releases=[release("v1.0.0", assets=[asset("a.whl", b"wheel bytes")])])
    seed("acme/app", private=True, releases=[release("v2", draft=True)])
    seed(repos=[repository("acme/a"), repository("acme/b", private=True)])
    seed(tokens=[token("w", contents="write"), token("r")])

- :func:`asset` ``(name, content=None, *, size=None, **fields)``: literal content (bytes
  must be UTF-8, as the seed format stores text) or ``size`` pseudo-random bytes;
- :func:`release` ``(tag, *, assets=(), **fields)``: published at ``2024-01-01T00:00:00Z``
  unless ``published_at`` is given or ``draft=True``;
- :func:`repository` ``(full_name="acme/widgets", *, releases=(), **fields)``;
- :func:`token` ``(value, **permissions)``: ``contents: read`` unless told otherwise;
- :func:`seed` ``(full_name="acme/widgets", *, releases=(), repos=None, tokens=None,
  **fields)``: one repository built from the arguments, or the given ``repos``; the
  default tokens (``sandbox-write``, ``sandbox-read``) unless ``tokens`` is given.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result

from _plugins.github import openapi_contract
from chainkit.cli import cli
from chainkit.sandbox import Sandbox, SandboxInfo, Seed, parse_seed

ISSUER = "https://token.actions.githubusercontent.com"
DEFAULT_PUBLISHED_AT = "2024-01-01T00:00:00Z"

__all__ = [
    "ISSUER",
    "FullSandbox",
    "asset",
    "release",
    "repository",
    "seed",
    "token",
]


def asset(
    name: str, content: bytes | str | None = None, *, size: int | None = None, **fields: Any
) -> dict[str, Any]:
    """A seeded asset: literal ``content`` (UTF-8) or ``size`` pseudo-random bytes."""
    doc: dict[str, Any] = {"name": name, **fields}
    if content is not None:
        doc["content"] = content.decode("utf-8") if isinstance(content, bytes) else content
    if size is not None:
        doc["size"] = size
    return doc


def release(tag: str, *, assets: Sequence[dict[str, Any]] = (), **fields: Any) -> dict[str, Any]:
    """A seeded release; published at :data:`DEFAULT_PUBLISHED_AT` unless a draft or told."""
    doc: dict[str, Any] = {"tag": tag, **fields}
    if not doc.get("draft") and "published_at" not in doc:
        doc["published_at"] = DEFAULT_PUBLISHED_AT
    if assets:
        doc["assets"] = list(assets)
    return doc


def repository(
    full_name: str = "acme/widgets", *, releases: Sequence[dict[str, Any]] = (), **fields: Any
) -> dict[str, Any]:
    """A seeded repository ``OWNER/NAME``."""
    return {"full_name": full_name, "releases": list(releases), **fields}


def token(value: str, **permissions: str) -> dict[str, Any]:
    """A seeded token; ``permissions`` as ``contents="write"`` (default ``contents: read``)."""
    return {"value": value, "permissions": permissions or {"contents": "read"}}


def seed(
    full_name: str = "acme/widgets",
    *,
    releases: Sequence[dict[str, Any]] = (),
    repos: Sequence[dict[str, Any]] | None = None,
    tokens: Sequence[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A seed document: one repository from the arguments, or exactly ``repos``."""
    doc: dict[str, Any] = {
        "version": 1,
        "repos": list(repos)
        if repos is not None
        else [repository(full_name, releases=releases, **fields)],
    }
    if tokens is not None:
        doc["tokens"] = list(tokens)
    return doc


@dataclass
class FullSandbox:
    sandbox: Sandbox
    info: SandboxInfo
    observed: list[Any] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        return self.info.github_api_url

    def identity_token(self, **claims: Any) -> str:
        return self.sandbox.identity_token(**claims)

    def identity(self, repository: str = "acme/widgets", ref: str = "refs/heads/main") -> str:
        return f"https://github.com/{repository}/.github/workflows/release.yml@{ref}"

    def env(self, *, token: str | None = "write", **extra: str) -> dict[str, str]:
        values = {"write": self.info.token, "read": self.info.read_token}
        env = {
            "GITHUB_API_URL": self.api_url,
            "CHAINKIT_TRUST_CONFIG": str(self.info.trust_config),
            "CHAINKIT_WRITE_INTERVAL": "0",
        }
        secret = values.get(token or "", token) if token else None
        if secret:
            env["GITHUB_TOKEN"] = secret
        env.update(extra)
        return env

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.api_url}/_sandbox/{path.lstrip('/')}", timeout=30, **kwargs
        )

    def requests_log(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.admin("GET", "requests").json()
        return data

    def clear_requests(self) -> None:
        self.admin("DELETE", "requests")

    def chainkit(self, *args: str, env: Mapping[str, str] | None = None) -> Result:
        """Run the CLI in-process with this sandbox's environment."""
        full = self.env() if env is None else dict(env)
        isolated = {
            k: None for k in os.environ if k.startswith(("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_"))
        }
        isolated.update(full)
        return CliRunner().invoke(cli, list(args), env=isolated, catch_exceptions=False)

    def chainkit_process(
        self, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the CLI as a separate process (for kill/resume tests)."""
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "GH_", "CHAINKIT_", "ACTIONS_"))
        }
        base.update(self.env() if env is None else env)
        return subprocess.run(
            [sys.executable, "-m", "chainkit", *args],
            env=base,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    # -- the backfill flow, as the tests drive it ----------------------------------------
    def plan(self, path: Path, *extra: str, env: Mapping[str, str] | None = None) -> Result:
        """``backfill plan --repo acme/widgets -o PATH --json`` with the read-only token."""
        return self.chainkit(
            "backfill", "plan", "--repo", "acme/widgets", "-o", str(path), "--json", *extra,
            env=self.env(token="read") if env is None else env,
        )  # fmt: skip

    def apply_args(self, plan: Path, digest: str, state: Path, *extra: str) -> list[str]:
        """``backfill apply`` of an approved plan, locally (``--yes``), with a fresh token."""
        return [
            "backfill", "apply", "--plan", str(plan), "--expect-digest", digest,
            "--identity-token", self.identity_token(), "--state-dir", str(state), "--yes",
            "--json", *extra,
        ]  # fmt: skip

    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.requests_log() if r["method"] not in {"GET", "HEAD"}]

    def tree_size(self) -> int:
        """Entries in the Sigstore stand-in's transparency log."""
        data = requests.get(f"{self.info.sigstore_url}/api/v1/log", timeout=30).json()
        return int(data["treeSize"])

    def releases(self, repository: str = "acme/widgets") -> dict[str, Any]:
        """Tag -> PyGithub release, read with the write token (drafts included)."""
        from github import Auth, Github

        gh = Github(base_url=self.api_url, auth=Auth.Token(self.info.token), retry=None)
        return {r.tag_name: r for r in gh.get_repo(repository).get_releases()}

    def violations(self) -> list[str]:
        contract = openapi_contract()
        out: list[str] = []
        for response in list(self.observed):
            out.extend(contract.violations(response))
        return out


@pytest.fixture
def sandbox_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., FullSandbox]]:
    started: list[FullSandbox] = []

    def factory(seed: Seed | dict[str, Any] | None = None) -> FullSandbox:
        if isinstance(seed, dict):
            seed = parse_seed(seed, source="<test seed>")
        observed: list[Any] = []
        sandbox = Sandbox(
            tmp_path_factory.mktemp("sandbox"), seed=seed, response_observer=observed.append
        )
        info = sandbox.start()
        full = FullSandbox(sandbox, info, observed)
        started.append(full)
        return full

    yield factory
    problems: list[str] = []
    for full in started:
        full.sandbox.stop()
        problems.extend(full.violations())
    if problems:
        pytest.fail(
            "GitHub stand-in responses violate the OpenAPI contract:\n  "
            + "\n  ".join(problems[:20]),
            pytrace=False,
        )
