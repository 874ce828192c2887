"""SigstoreAuthority: persisted keys, trust configuration and GitHub Actions-like tokens."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
from sigstore.models import ClientTrustConfig
from sigstore.oidc import IdentityToken

from chainkit.sandbox import SandboxUsageError
from chainkit.sandbox._sigstore import GITHUB_ISSUER, SigstoreAuthority
from chainkit.sandbox._sigstore._jwt import InvalidToken, decode


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> SigstoreAuthority:
    return SigstoreAuthority(tmp_path_factory.mktemp("authority"))


def _claims(token: str) -> dict[str, object]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_keys_are_private_pem_files(authority: SigstoreAuthority) -> None:
    keys = sorted(authority.state_dir.glob("*.key.pem"))
    assert len(keys) == 7
    for path in keys:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_second_authority_on_the_same_dir_gives_the_same_trusted_root(
    authority: SigstoreAuthority,
) -> None:
    again = SigstoreAuthority(authority.state_dir)
    url = "http://127.0.0.1:4321"
    assert again.trusted_root(url) == authority.trusted_root(url)
    assert again.identity_token() != authority.identity_token()  # fresh jti each time


def test_trust_config_loads_and_every_validity_starts_in_the_past(
    authority: SigstoreAuthority,
) -> None:
    config_path, root_path = authority.write_trust_config("http://127.0.0.1:4321/")
    config = ClientTrustConfig.from_json(config_path.read_text())
    assert config.signing_config.get_fulcio().url == "http://127.0.0.1:4321"
    assert [t.url for t in config.signing_config.get_tsas()] == [
        "http://127.0.0.1:4321/api/v1/timestamp"
    ]
    root = json.loads(root_path.read_text())
    assert root == json.loads(config_path.read_text())["trustedRoot"]
    now = datetime.now(timezone.utc)
    starts = [
        *(t["publicKey"]["validFor"]["start"] for t in root["tlogs"] + root["ctlogs"]),
        *(ca["validFor"]["start"] for ca in root["certificateAuthorities"]),
        *(ts["validFor"]["start"] for ts in root["timestampAuthorities"]),
    ]
    assert len(starts) == 4
    for start in starts:
        assert datetime.fromisoformat(start.replace("Z", "+00:00")) < now - timedelta(hours=23)
    assert len(root["timestampAuthorities"][0]["certChain"]["certificates"]) == 2


def test_default_token_claims(authority: SigstoreAuthority) -> None:
    claims = _claims(authority.identity_token())
    assert claims["iss"] == GITHUB_ISSUER
    assert claims["aud"] == "sigstore"
    assert claims["sub"] == "repo:acme/widgets:ref:refs/heads/main"
    assert claims["workflow_ref"] == "acme/widgets/.github/workflows/release.yml@refs/heads/main"
    assert claims["job_workflow_ref"] == claims["workflow_ref"]
    assert claims["repository_owner"] == "acme"
    assert claims["ref_type"] == "branch"
    assert claims["event_name"] == "workflow_dispatch"
    assert claims["runner_environment"] == "github-hosted"
    assert len(str(claims["sha"])) == 40
    assert claims["sha"] == _claims(authority.identity_token())["sha"]  # deterministic
    assert "environment" not in claims
    exp, iat = claims["exp"], claims["iat"]
    assert isinstance(exp, int) and isinstance(iat, int) and exp - iat == 600
    for name in ("repository_id", "repository_owner_id", "run_id", "run_attempt", "jti"):
        assert isinstance(claims[name], str) and claims[name]


def test_token_options(authority: SigstoreAuthority) -> None:
    token = authority.identity_token(
        repository="octo/tools",
        workflow_ref="octo/tools/.github/workflows/publish.yml@refs/tags/v1",
        ref="refs/tags/v1",
        sha="f" * 40,
        event="push",
        environment="pypi",
        lifetime=60,
        now=datetime(2030, 1, 1, tzinfo=timezone.utc),
    )
    claims = _claims(token)
    assert claims["sub"] == "repo:octo/tools:environment:pypi"
    assert claims["environment"] == "pypi"
    assert claims["workflow"] == "publish"
    assert claims["ref_type"] == "tag"
    assert claims["sha"] == claims["workflow_sha"] == "f" * 40
    assert claims["iat"] == int(datetime(2030, 1, 1, tzinfo=timezone.utc).timestamp())
    assert claims["exp"] == claims["iat"] + 60


def test_token_is_accepted_by_sigstore_python(authority: SigstoreAuthority) -> None:
    token = IdentityToken(authority.identity_token())
    assert token.issuer == GITHUB_ISSUER
    assert token.identity == "repo:acme/widgets:ref:refs/heads/main"


def test_token_signature_verifies_with_the_published_jwks(authority: SigstoreAuthority) -> None:
    token = authority.identity_token()
    jwk = authority.jwks()["keys"][0]
    key = jwt.PyJWK(jwk).key
    claims = jwt.decode(token, key=key, algorithms=["ES256"], audience="sigstore")
    assert claims["iss"] == GITHUB_ISSUER
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]


def test_foreign_or_tampered_token_does_not_verify(
    authority: SigstoreAuthority, tmp_path: Path
) -> None:
    public = authority.key("oidc").public_key()
    foreign = SigstoreAuthority(tmp_path / "other").identity_token()
    with pytest.raises(InvalidToken, match="signature"):
        decode(foreign, public)
    head, payload, sig = authority.identity_token().split(".")
    with pytest.raises(InvalidToken):
        decode(f"{head}.{payload[:-2]}AA.{sig}", public)
    with pytest.raises(InvalidToken, match="three"):
        decode("not-a-jwt", public)


@pytest.mark.parametrize("repository", ["widgets", "/widgets", "acme/", "a/b/c"])
def test_bad_repository_is_a_usage_error(authority: SigstoreAuthority, repository: str) -> None:
    with pytest.raises(SandboxUsageError, match="OWNER/NAME"):
        authority.identity_token(repository=repository)


def test_bad_lifetime_is_a_usage_error(authority: SigstoreAuthority) -> None:
    with pytest.raises(SandboxUsageError, match="lifetime"):
        authority.identity_token(lifetime=0)


def test_corrupt_state_is_a_usage_error(tmp_path: Path) -> None:
    SigstoreAuthority(tmp_path)
    (tmp_path / "rekor.key.pem").write_text("garbage")
    with pytest.raises(SandboxUsageError, match="incomplete or corrupt") as caught:
        SigstoreAuthority(tmp_path)
    assert caught.value.remediation and "delete" in caught.value.remediation
