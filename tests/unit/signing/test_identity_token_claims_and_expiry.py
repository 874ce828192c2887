"""token_claims reads a JWT's claims without trusting them; require_unexpired refuses an
expired token (exit 2) before anything is downloaded or signed."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from chainkit.errors import ExitCode
from chainkit.signing import SigningUsageError, require_unexpired, token_claims


def jwt(payload: Any) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJub25lIn0.{body}.c2ln"


def test_claims_of_a_token() -> None:
    claims = token_claims(jwt({"iss": "https://issuer", "exp": 5, "repository": "acme/w"}))
    assert claims == {"iss": "https://issuer", "exp": 5, "repository": "acme/w"}


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not-a-jwt",
        "a.b",
        "a.b.c.d",
        "a.!!!.c",
        "a." + base64.urlsafe_b64encode(b"\xff\xfe").decode() + ".c",
        jwt([1, 2]),
        jwt("string"),
        "a." + "A" * (70 * 1024) + ".c",
    ],
)
def test_anything_else_has_no_claims(raw: str) -> None:
    assert token_claims(raw) == {}


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(SigningUsageError) as exc:
        require_unexpired({"exp": 1_000}, now=lambda: 2_000.0)
    assert exc.value.exit_code == ExitCode.USAGE
    assert "expired at 1970-01-01T00:16:40+00:00" in exc.value.message
    assert "fresh --identity-token" in (exc.value.remediation or "")


@pytest.mark.parametrize(
    "claims",
    [{"exp": 3_000}, {}, {"exp": "1000"}, {"exp": True}, {"exp": None}, {"exp": float("nan")}],
)
def test_unexpired_or_undated_tokens_pass(claims: dict[str, Any]) -> None:
    assert require_unexpired(claims, now=lambda: 2_000.0) is None


def test_an_absurd_expiry_in_the_past_is_still_refused() -> None:
    with pytest.raises(SigningUsageError, match="expired"):
        require_unexpired({"exp": -1e300}, now=lambda: 0.0)
