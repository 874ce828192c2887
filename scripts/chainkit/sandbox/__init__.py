"""Local, faithful stand-ins for the GitHub REST API (releases) and Sigstore.

Two ways to run it:

- in-process, for tests and tools: ``with Sandbox(path) as info: ...``;
- in the background: :func:`up` / :func:`down` (``chainkit sandbox up``/``down``).

See docs/sandbox.md for the seed format and the behaviours reproduced.
"""

from __future__ import annotations

from chainkit.sandbox._errors import SandboxError, SandboxServiceError, SandboxUsageError
from chainkit.sandbox._runtime import (
    DEFAULT_DIR,
    Sandbox,
    SandboxInfo,
    down,
    identity_token,
    oidc_admin_secret,
    status,
    up,
)
from chainkit.sandbox._seed import Seed, default_seed, load_seed, parse_seed

__all__ = [
    "DEFAULT_DIR",
    "Sandbox",
    "SandboxError",
    "SandboxInfo",
    "SandboxServiceError",
    "SandboxUsageError",
    "Seed",
    "default_seed",
    "down",
    "identity_token",
    "load_seed",
    "oidc_admin_secret",
    "parse_seed",
    "status",
    "up",
]
