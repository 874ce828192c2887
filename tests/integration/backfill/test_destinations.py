"""Backfill paths beyond the main scenario: immutable releases with a bundle release,
replacing invalid bundles (--verify-existing), and PyPI as evidence."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from _plugins.sandbox import ISSUER, FullSandbox, asset, release, seed
from integration.backfill._flow import sha


def plan_and_apply(sb: FullSandbox, tmp_path: Path, *plan_args: str) -> tuple[dict[str, Any], Any]:
    plan_file = tmp_path / "plan.json"
    result = sb.plan(plan_file, *plan_args)
    assert result.exit_code == 0, result.output
    plan = json.loads(plan_file.read_text())
    return plan, sb.chainkit(*sb.apply_args(plan_file, plan["plan_digest"], tmp_path / "state"))


def test_immutable_release_bundles_go_to_the_bundle_release(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v1.0.0",
                    immutable=True,
                    body="Immutable notes",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[asset("w-1.0.0.whl", "one", digest="auto")],
                )
            ]
        )
    )
    plan, applied = plan_and_apply(sb, tmp_path, "--bundle-release", "sigstore-bundles")
    (planned,) = plan["releases"]
    assert planned["destination"] == {"kind": "bundle-release", "tag": "sigstore-bundles"}
    assert plan["bundle_release"]["create"] is True
    assert applied.exit_code == 0, applied.output
    report = json.loads(applied.stdout)
    assert report["summary"]["signed"] == 1

    after = sb.releases()
    home = after["sigstore-bundles"]
    names = {a.name for a in home.get_assets()}
    bundle_name = planned["assets"][0]["bundle_name"]
    assert bundle_name in names and bundle_name.startswith("v1.0.0--")
    assert any("chainkit-backfill-attestation" in n for n in names)
    assert not list(after["v1.0.0"].get_assets())[1:]  # the immutable release is untouched
    # the immutable release's notes point at the bundle release
    assert "sigstore-bundles" in after["v1.0.0"].body
    assert after["v1.0.0"].body.startswith("Immutable notes")

    # the command the notes give passes right away (it names the bundle release)
    command = next(
        line for line in after["v1.0.0"].body.splitlines() if line.startswith("chainkit verify")
    )
    assert "--bundle-release sigstore-bundles" in command
    from_notes = sb.chainkit(*shlex.split(command)[1:])
    assert from_notes.exit_code == 0, from_notes.output

    # chainkit verify finds them there (and only with --bundle-release)
    args = [
        "verify",
        "--repo",
        "acme/widgets",
        "--cert-identity",
        sb.identity(),
        "--cert-oidc-issuer",
        ISSUER,
        "--json",
    ]
    verified = sb.chainkit(*args, "--bundle-release", "sigstore-bundles")
    assert verified.exit_code == 0, verified.output
    summary = json.loads(verified.stdout)["summary"]
    assert summary["verified"] == 1 and summary["attestations"] == 1

    # a second apply creates no second bundle release and writes nothing
    sb.clear_requests()
    again = sb.chainkit(
        *sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    )
    assert again.exit_code == 0, again.output
    assert [r for r in sb.requests_log() if r["method"] != "GET"] == []


def test_verify_existing_replaces_an_invalid_bundle(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v2.0.0",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[
                        asset("w-2.0.0.whl", "two", digest="auto"),
                        asset("w-2.0.0.whl.sigstore.json", '{"not": "a bundle"}'),
                    ],
                )
            ]
        )
    )
    # without --verify-existing the bundle counts as present
    result = sb.plan(tmp_path / "p0.json")
    assert json.loads(result.stdout)["summary"]["statuses"]["already-signed"] == 1

    plan, applied = plan_and_apply(sb, tmp_path, "--verify-existing")
    statuses = [a["status"] for r in plan["releases"] for a in r["assets"]]
    assert statuses == ["replace"]
    assert applied.exit_code == 0, applied.output

    after = sb.releases()
    bundles = [a for a in after["v2.0.0"].get_assets() if a.name == "w-2.0.0.whl.sigstore.json"]
    assert len(bundles) == 1
    verified = sb.chainkit(
        "verify",
        "--repo",
        "acme/widgets",
        "--cert-identity",
        sb.identity(),
        "--cert-oidc-issuer",
        ISSUER,
        "--json",
    )
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["summary"]["verified"] == 1


def test_pypi_hashes_are_evidence(sandbox_factory: Any, pypi_index: Any, tmp_path: Path) -> None:
    wheel, sdist = b"pypi wheel", b"pypi sdist"
    pypi_index.add_file("widgets", "widgets-3.0.0-py3-none-any.whl", wheel)
    pypi_index.add_file("widgets", "widgets-3.0.0.tar.gz", b"not what is on GitHub")
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v3.0.0",
                    published_at="2024-01-01T00:00:00Z",
                    assets=[
                        {
                            "name": "widgets-3.0.0-py3-none-any.whl",
                            "content": wheel.decode(),
                            "digest": None,
                        },
                        {
                            "name": "widgets-3.0.0.tar.gz",
                            "content": sdist.decode(),
                            "digest": "auto",
                        },
                    ],
                )
            ]
        )
    )
    plan_file = tmp_path / "plan.json"
    result = sb.plan(plan_file, "--pypi-project", "widgets", "--pypi-index-url", pypi_index.url)
    assert result.exit_code == 1  # the sdist's PyPI hash disagrees with GitHub's digest
    plan = json.loads(plan_file.read_text())
    assets = {a["name"]: a for r in plan["releases"] for a in r["assets"]}
    whl = assets["widgets-3.0.0-py3-none-any.whl"]
    assert whl["status"] == "sign" and whl["expected_sha256"] == sha(wheel)
    assert [e["source"] for e in whl["evidence"]] == ["pypi"]
    assert assets["widgets-3.0.0.tar.gz"]["status"] == "blocked"
    assert plan["options"]["pypi_project"] == "widgets"


def test_unreachable_pypi_is_a_service_error(sandbox_factory: Any, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sb: FullSandbox = sandbox_factory()
    index = f"http://127.0.0.1:{port}/simple/"
    result = sb.plan(tmp_path / "plan.json", "--pypi-project", "widgets", "--pypi-index-url", index)
    assert result.exit_code == 3
    assert "PyPI" in result.stderr or "index" in result.stderr
    assert not (tmp_path / "plan.json").exists()


def test_a_later_backfill_keeps_earlier_bundles_in_the_notes(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v4.0.0",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[asset("w-4.0.0.whl", "four", digest="auto")],
                )
            ]
        )
    )
    _, applied = plan_and_apply(sb, tmp_path / "first")
    assert applied.exit_code == 0, applied.output
    v4 = sb.releases()["v4.0.0"]
    v4.upload_asset_from_memory(__import__("io").BytesIO(b"late"), 4, name="w-4.0.0.tar.gz")

    second, applied = plan_and_apply(sb, tmp_path / "second")
    assert applied.exit_code == 0, applied.output
    statuses = {a["name"]: a["status"] for r in second["releases"] for a in r["assets"]}
    assert statuses == {"w-4.0.0.whl": "already-signed", "w-4.0.0.tar.gz": "sign"}
    body = sb.releases()["v4.0.0"].body
    assert "w-4.0.0.whl.sigstore.json" in body and "w-4.0.0.tar.gz.sigstore.json" in body
    assert body.count("<!-- chainkit:backfill -->") == 1


def test_verify_fails_when_an_asset_is_replaced_after_the_backfill(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(
                    "v5.0.0",
                    published_at="2025-11-01T00:00:00Z",
                    assets=[asset("w-5.0.0.whl", "five", digest="auto")],
                )
            ]
        )
    )
    _, applied = plan_and_apply(sb, tmp_path)
    assert applied.exit_code == 0, applied.output
    wheel = next(a for a in sb.releases()["v5.0.0"].get_assets() if a.name == "w-5.0.0.whl")
    swapped = sb.admin(
        "PUT",
        f"repos/acme/widgets/releases/assets/{wheel.id}/content",
        params={"digest": "update"},
        data=b"evil",
    )
    assert swapped.status_code in (200, 204), swapped.text
    result = sb.chainkit(
        "verify", "--repo", "acme/widgets", "--cert-identity", sb.identity(),
        "--cert-oidc-issuer", ISSUER, "--json",
    )  # fmt: skip
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [b["status"] for b in report["bundles"]] == ["failed"]
    (attestation,) = report["attestations"]
    assert attestation["ok"] is False and "attested sha256" in attestation["reason"]


def test_attestation_names_are_unique_in_a_shared_bundle_release(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    """Tags ``v1/x`` and ``v1_x`` share the label ``v1_x``: their attestations must not collide."""
    sb: FullSandbox = sandbox_factory(
        seed(
            releases=[
                release(tag, immutable=True, assets=[asset(f"w{i}.whl", f"w{i}", digest="auto")])
                for i, tag in enumerate(("v1/x", "v1_x"))
            ]
        )
    )
    plan, applied = plan_and_apply(sb, tmp_path, "--bundle-release", "sigstore-bundles")
    names = [r["attestation"]["name"] for r in plan["releases"]]
    assert len(set(names)) == 2, names
    assert applied.exit_code == 0, applied.output
    home = {a.name for a in sb.releases()["sigstore-bundles"].get_assets()}
    assert set(names) <= home
