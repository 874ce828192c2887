"""GitHub's standard environment variables, read in one place.

Every command honours the variables GitHub Actions sets (and ``gh`` uses), so
chainkit works unchanged on github.com, GitHub Enterprise Server and the sandbox:

- ``GITHUB_API_URL`` - REST API base (default ``https://api.github.com``)
- ``GITHUB_TOKEN`` / ``GH_TOKEN`` - token (``GITHUB_TOKEN`` wins, as in Actions)
- ``GITHUB_REPOSITORY`` - ``owner/name`` default for ``--repo``
- ``GITHUB_STEP_SUMMARY`` - Markdown summary file
- ``GITHUB_ACTIONS`` - ``true`` inside Actions
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chainkit.errors import UsageError

__all__ = [
    "DEFAULT_API_URL",
    "GitHubContext",
    "parse_repository",
]

DEFAULT_API_URL = "https://api.github.com"

# GitHub owner: alphanumerics and single hyphens; repository: [A-Za-z0-9._-].
_REPO_RE = re.compile(
    r"^(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<name>[A-Za-z0-9._-]{1,100})$"
)


def parse_repository(value: str) -> tuple[str, str]:
    """Split ``owner/name``; reject anything else with a usage error."""
    m = _REPO_RE.match(value.strip())
    if m is None or m.group("name") in {".", ".."}:
        raise UsageError(
            f"not a repository name: {value!r}",
            remediation="pass it as OWNER/NAME, e.g. --repo acme/widgets",
        )
    return m.group("owner"), m.group("name")


@dataclass(frozen=True)
class GitHubContext:
    """What the environment says about GitHub. Never printed whole: it holds a token."""

    api_url: str
    token: str | None
    repository: str | None
    step_summary: Path | None
    in_actions: bool

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        token = "<set>" if self.token else None
        return (
            f"GitHubContext(api_url={self.api_url!r}, token={token!r}, "
            f"repository={self.repository!r}, in_actions={self.in_actions!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GitHubContext:
        env = os.environ if environ is None else environ
        api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None
        summary = env.get("GITHUB_STEP_SUMMARY") or None
        return cls(
            api_url=api_url,
            token=token,
            repository=env.get("GITHUB_REPOSITORY") or None,
            step_summary=Path(summary) if summary else None,
            in_actions=env.get("GITHUB_ACTIONS", "").lower() == "true",
        )
