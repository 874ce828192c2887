"""Where identity tokens come from, and what they claim.

A token provider is a callable returning a raw OIDC JWT. The signer calls it each
time it needs a fresh certificate (every ~10 minutes in long batches), so providers
that can mint new tokens (GitHub's ambient OIDC, the sandbox) keep long runs going.

:func:`token_claims` reads a token's claims **without verifying its signature** (the
certificate authority does that): only to pick policies and to refuse an expired
token early (:func:`require_unexpired`), never to trust anything.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from chainkit.signing._errors import SigningServiceError, SigningUsageError

__all__ = [
    "TokenProvider",
    "ambient_github_token",
    "require_unexpired",
    "static_token",
    "token_claims",
]

_MAX_TOKEN = 64 * 1024

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


def token_claims(raw: str) -> dict[str, Any]:
    """The **unverified** claims of a JWT; ``{}`` for anything that is not one.

    Only for choosing a policy or refusing an expired token early: the claims are
    whatever the token's holder wrote until the certificate authority checks them.
    """
    parts = raw.split(".")
    if len(raw) > _MAX_TOKEN or len(parts) != 3:
        return {}
    payload = parts[1]
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        return {}
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


def require_unexpired(claims: Mapping[str, Any], *, now: Callable[[], float] = time.time) -> None:
    """Refuse (exit 2) a token whose ``exp`` has passed, before anything is downloaded or
    signed. A token without a numeric ``exp`` passes: the authority will judge it."""
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp <= now():
        try:
            expired_at = datetime.fromtimestamp(exp, timezone.utc).isoformat(timespec="seconds")
        except (OverflowError, OSError, ValueError):
            expired_at = str(exp)
        raise SigningUsageError(
            f"the identity token expired at {expired_at}",
            remediation="pass a fresh --identity-token (Actions tokens last minutes; in "
            "Actions omit it to use the job's ambient token)",
        )
