"""``chainkit sbom attach --sign`` against the sandbox (real PyGithub and sigstore-python),
then ``chainkit verify`` on what was attached."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from _plugins.sandbox import FullSandbox, release, seed
from integration.sbom.conftest import ASSETS

ISSUER = "https://token.actions.githubusercontent.com"
PROJECT = ASSETS / "httpx-uv"


def _sbom(sb: FullSandbox, tmp_path: Path) -> Path:
    out = tmp_path / "sbom.cdx.json"
    result = sb.chainkit(
        "sbom", "generate", "lock", str(PROJECT / "uv.lock"), "-o", str(out), "--reproducible",
        env={"SOURCE_DATE_EPOCH": "1700000000"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _attach(sb: FullSandbox, path: Path, *extra: str) -> tuple[int, str]:
    result = sb.chainkit(
        "sbom", "attach", "--repo", "acme/widgets", "--tag", "v1.0.0", str(path), "--json",
        *extra,
    )  # fmt: skip
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_attach_sign_then_verify_passes_and_a_second_attach_changes_nothing(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1.0.0")]))
    path = _sbom(sb, tmp_path)
    token = sb.identity_token()
    code, out = _attach(sb, path, "--name", "httpx-0.28.1.cdx.json", "--sign",
                        "--identity-token", token)  # fmt: skip
    assert code == 0, out
    assert json.loads(out) == {
        "asset": "httpx-0.28.1.cdx.json",
        "bundle": "httpx-0.28.1.cdx.json.sigstore.json",
        "uploaded": ["httpx-0.28.1.cdx.json", "httpx-0.28.1.cdx.json.sigstore.json"],
    }
    names = {a.name for a in sb.releases()["v1.0.0"].get_assets()}
    assert names == {"httpx-0.28.1.cdx.json", "httpx-0.28.1.cdx.json.sigstore.json"}

    writes = len(sb.writes())
    code, out = _attach(sb, path, "--name", "httpx-0.28.1.cdx.json", "--sign",
                        "--identity-token", token)  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["uploaded"] == []
    assert len(sb.writes()) == writes

    verified = sb.chainkit(
        "verify", "--repo", "acme/widgets", "--cert-identity", sb.identity(),
        "--cert-oidc-issuer", ISSUER, "--json",
    )  # fmt: skip
    assert verified.exit_code == 0, verified.output
    bundles = json.loads(verified.stdout)["bundles"]
    assert [(b["subject"], b["status"]) for b in bundles] == [("httpx-0.28.1.cdx.json", "verified")]


def test_a_different_sbom_under_the_same_name_is_refused(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1.0.0")]))
    path = _sbom(sb, tmp_path)
    assert _attach(sb, path, "--name", "app.cdx.json")[0] == 0
    other = tmp_path / "other.cdx.json"
    doc = json.loads(path.read_text())
    doc["components"] = doc["components"][:1]
    other.write_text(json.dumps(doc))
    code, out = _attach(sb, other, "--name", "app.cdx.json")
    assert code == 2
    assert "holds a different SBOM" in out


def test_default_name_comes_from_the_root_component(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1.0.0")]))
    path = tmp_path / "root.cdx.json"
    path.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "metadata": {"component": {"type": "application", "name": "widgets",
                                           "version": "1.0.0"}},
            }
        )
    )  # fmt: skip
    code, out = _attach(sb, path)
    assert code == 0, out
    assert json.loads(out)["asset"] == "widgets-1.0.0.cdx.json"
    # the httpx SBOM's root has no version (dynamic): a name must be given
    code, out = _attach(sb, _sbom(sb, tmp_path))
    assert code == 2
    assert "--name" in out


def test_an_immutable_release_gets_a_clear_error_naming_the_alternatives(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1.0.0", immutable=True)]))
    code, out = _attach(sb, _sbom(sb, tmp_path), "--name", "app.cdx.json")
    assert code == 2
    assert "immutable" in out
    assert "draft" in out
    assert "attest-sbom" in out
    assert sb.writes() == []


def test_a_bundle_signed_by_another_identity_is_refused_naming_both(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1.0.0")]))
    path = _sbom(sb, tmp_path)
    theirs = sb.identity_token(ref="refs/heads/attacker")
    code, out = _attach(sb, path, "--name", "app.cdx.json", "--sign", "--identity-token", theirs)
    assert code == 0, out
    writes = len(sb.writes())
    # the maintainer's run: same SBOM bytes, a valid bundle, but not signed by this run
    ours = sb.identity_token()
    code, out = _attach(sb, path, "--name", "app.cdx.json", "--sign", "--identity-token", ours)
    assert code == 2, out
    assert "app.cdx.json.sigstore.json on 'v1.0.0' was signed by" in out
    assert sb.identity(ref="refs/heads/attacker") in out
    assert sb.identity() in out
    assert "delete the asset" in out
    assert len(sb.writes()) == writes


def test_a_foreign_bundle_is_refused_before_the_sbom_is_uploaded(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1.0.0")]))
    path = _sbom(sb, tmp_path)
    theirs = sb.identity_token(ref="refs/heads/attacker")
    assert _attach(sb, path, "--name", "a.cdx.json", "--sign", "--identity-token", theirs)[0] == 0
    # only the bundle stays on the release: deleting the SBOM asset is not enough
    for asset in sb.releases()["v1.0.0"].get_assets():
        if asset.name == "a.cdx.json":
            asset.delete_asset()
    code, out = _attach(sb, path, "--name", "a.cdx.json", "--sign",
                        "--identity-token", sb.identity_token())  # fmt: skip
    assert code == 2, out
    names = {a.name for a in sb.releases()["v1.0.0"].get_assets()}
    assert names == {"a.cdx.json.sigstore.json"}


@pytest.mark.parametrize(
    "name",
    [
        "x.sigstore.json",
        "X.SIGSTORE.JSON",
        "chainkit-backfill-attestation-20250101T000000Z.sigstore.json",
    ],
)
def test_names_of_bundles_or_attestations_are_refused(
    sandbox_factory: Callable[..., FullSandbox], tmp_path: Path, name: str
) -> None:
    sb = sandbox_factory(seed(releases=[release("v1.0.0")]))
    code, out = _attach(sb, _sbom(sb, tmp_path), "--name", name)
    assert code == 2
    assert "named like a Sigstore bundle or attestation" in out
    assert list(sb.releases()["v1.0.0"].get_assets()) == []
