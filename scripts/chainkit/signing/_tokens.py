"""Where identity tokens come from.

A token provider is a callable returning a raw OIDC JWT. The signer calls it each
time it needs a fresh certificate (every ~10 minutes in long batches), so providers
that can mint new tokens (GitHub's ambient OIDC, the sandbox) keep long runs going.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from chainkit.signing._errors import SigningServiceError, SigningUsageError

__all__ = ["TokenProvider", "ambient_github_token", "sandbox_token", "static_token"]

TokenProvider = Callable[[], str]


def static_token(raw: str) -> TokenProvider:
    """A token given on the command line: it cannot be renewed once it expires."""
    raw = raw.strip()
    if not raw:
        raise SigningUsageError("the identity token is empty")
    return lambda: raw


def ambient_github_token() -> TokenProvider:
    """GitHub Actions' OIDC token (needs ``permissions: id-token: write``)."""

    def provide() -> str:
        from sigstore.oidc import IdentityError, detect_credential

        try:
            token = detect_credential()
        except IdentityError as exc:
            raise SigningServiceError(
                f"could not obtain GitHub's OIDC token: {exc}",
                remediation="grant the job `permissions: id-token: write`",
            ) from exc
        if not token:
            raise SigningUsageError(
                "no ambient OIDC credential in this environment",
                remediation="in GitHub Actions grant `id-token: write`; locally pass "
                "--identity-token (e.g. from `chainkit sandbox token`)",
            )
        return token

    return provide


def sandbox_token(directory: Path, **claims: Any) -> TokenProvider:
    """Fresh tokens minted by a sandbox's OIDC key (local dry runs and tests)."""

    def provide() -> str:
        from chainkit.sandbox import identity_token

        return identity_token(directory, **claims)

    return provide
