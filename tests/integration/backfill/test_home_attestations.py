"""``--home attestations``: one artifact attestation per release through GitHub's API.

The real PyGithub (in chainkit) and sigstore-python against the sandbox, which validates
create-attestation as GitHub does (DSSE in-toto v1, no duplicate subjects, source
repository) and lists attestations by subject digest.
"""

from __future__ import annotations

import base64
import json
import shlex
from pathlib import Path
from typing import Any

import requests

from _plugins.sandbox import ISSUER, FullSandbox
from chainkit.attestation import PREDICATE_TYPE
from integration.backfill._flow import apply, apply_crafted, make_plan, sha, two_wheels, upload

ATTEST = "/repos/acme/widgets/attestations"


def api_writes(sb: FullSandbox) -> list[str]:
    """``METHOD path`` of every write the sandbox saw (uploads, edits, attestations)."""
    return [f"{r['method']} {r['path'].partition('?')[0]}" for r in sb.writes()]


def listed(sb: FullSandbox, data: bytes | str) -> list[dict[str, Any]]:
    """The attestations GitHub lists for these bytes' sha256 (404: none)."""
    answer = requests.get(
        f"{sb.api_url}{ATTEST}/sha256:{sha(data)}",
        headers={"Authorization": f"token {sb.info.token}"},
        timeout=30,
    )
    if answer.status_code == 404:
        return []
    answer.raise_for_status()
    items: list[dict[str, Any]] = answer.json()["attestations"]
    return items


def subjects(item: dict[str, Any]) -> list[tuple[str, str]]:
    payload = base64.b64decode(item["bundle"]["dsseEnvelope"]["payload"])
    statement = json.loads(payload)
    assert statement["predicateType"] == PREDICATE_TYPE
    return sorted((s["name"], s["digest"]["sha256"]) for s in statement["subject"])


def verify_args(sb: FullSandbox, *extra: str) -> list[str]:
    return [
        "verify", "--repo", "acme/widgets", "--cert-identity", sb.identity(),
        "--cert-oidc-issuer", ISSUER, "--source-repository", "acme/widgets", "--json", *extra,
    ]  # fmt: skip


def test_one_write_per_release_then_nothing_on_reapply(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels(body="Notes"))
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    assert plan["options"]["home"] == "attestations"
    sb.clear_requests()
    first = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    assert first.exit_code == 0, first.output
    # exactly one attestation and the notes edit: no bundle uploaded to the release
    writes = api_writes(sb)
    assert writes.count(f"POST {ATTEST}") == 1
    assert [w for w in writes if w != f"POST {ATTEST}"] == [
        w for w in writes if w.startswith("PATCH /repos/acme/widgets/releases/")
    ]
    assert len(writes) == 2
    (item,) = listed(sb, "aaa")
    assert subjects(item) == [("a.whl", sha("aaa")), ("b.whl", sha("bbb"))]
    assert listed(sb, "bbb")[0]["bundle"] == item["bundle"]  # one attestation, both digests
    assert [a.name for a in sb.releases()["v1.0.0"].get_assets()] == ["a.whl", "b.whl"]
    body = sb.releases()["v1.0.0"].body
    assert "gh attestation verify --repo acme/widgets" in body
    assert f"--cert-oidc-issuer {ISSUER} a.whl\n" in body
    assert f"--predicate-type {PREDICATE_TYPE}" in body
    assert "--home attestations" in body
    # the command the notes give passes right away
    command = next(line for line in body.splitlines() if line.startswith("chainkit verify"))
    from_notes = sb.chainkit(*shlex.split(command)[1:])
    assert from_notes.exit_code == 0, from_notes.output

    # re-applied, with the same state or a fresh one: nothing new is created
    for state in ("state", "fresh-state"):
        sb.clear_requests()
        again = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / state)
        assert again.exit_code == 0, again.output
        assert f"POST {ATTEST}" not in api_writes(sb)
        report = json.loads(again.stdout)
        assert report["summary"]["done"] == 2 and report["summary"]["signed"] == 0
    assert len(listed(sb, "aaa")) == 1


def test_killed_after_the_post_then_rerun_with_a_fresh_state_creates_nothing(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    args = sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / "s1")
    killed = sb.chainkit_process(*args, env=sb.env(CHAINKIT_FAILPOINT="after-attestation-create"))
    assert killed.returncode == 86, killed.stderr
    assert len(listed(sb, "aaa")) == 1
    sb.clear_requests()
    rerun = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "s2")
    assert rerun.exit_code == 0, rerun.output
    assert f"POST {ATTEST}" not in api_writes(sb)
    assert len(listed(sb, "aaa")) == 1
    assert "--home attestations" in sb.releases()["v1.0.0"].body  # the notes were finished


def test_immutable_release_is_attested_and_release_assets_mode_says_how(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels(immutable=True))
    plan = make_plan(sb, tmp_path / "assets.json")
    reasons = {a["reason"] for a in plan["releases"][0]["assets"]}
    assert all("--home attestations" in r for r in reasons), reasons
    shown = sb.plan(tmp_path / "shown.json", env=sb.env(token="read"))
    assert "--home attestations" in shown.output

    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    assert {a["action"] for a in plan["releases"][0]["assets"]} == {"sign"}
    applied = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    assert applied.exit_code == 0, applied.output
    assert len(listed(sb, "bbb")) == 1


def test_attestations_api_unavailable_names_release_assets(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    message = (
        "Feature not available for user-owned private repositories. To enable this "
        "feature, please make this repository public."
    )
    for status in (403, 404):
        sb.admin(
            "POST",
            "faults",
            json={"method": "POST", "path": f"^{ATTEST}$", "status": status,
                  "body": {"message": message}},
        )  # fmt: skip
        refused = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
        assert refused.exit_code == 2, refused.output
        assert "attestations API is not available" in refused.output
        assert "--home release-assets" in refused.output
    assert listed(sb, "aaa") == []


def test_home_is_sealed_and_checked(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    # changed after sealing: the digest no longer matches
    edited = dict(plan, options={**plan["options"], "home": "both"})
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited), encoding="utf-8")
    refused = apply(sb, path, plan["plan_digest"], tmp_path / "state")
    assert refused.exit_code == 2 and "changed after it was made" in refused.output
    # re-sealed with a home the planner never writes
    crafted = dict(plan, options={**plan["options"], "home": "gist"})
    refused = apply_crafted(sb, crafted, tmp_path, tmp_path / "state")
    assert refused.exit_code == 2 and "home" in refused.output
    # re-sealed: attestations mode with a bundle release (never planned together)
    crafted = dict(plan, options={**plan["options"], "bundle_release": "elsewhere"})
    refused = apply_crafted(sb, crafted, tmp_path, tmp_path / "state")
    assert refused.exit_code == 2, refused.output
    # an old plan (no home at all), re-sealed as it was: refused, re-plan
    old = dict(plan, options={k: v for k, v in plan["options"].items() if k != "home"})
    refused = apply_crafted(sb, old, tmp_path, tmp_path / "state")
    assert refused.exit_code == 2 and "has no home" in refused.output
    assert "chainkit backfill plan" in refused.output
    assert listed(sb, "aaa") == []


def apply_as(sb: FullSandbox, tmp_path: Path, plan: dict[str, Any], token: str) -> None:
    args = sb.apply_args(tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    args[args.index("--identity-token") + 1] = token
    applied = sb.chainkit(*args)
    assert applied.exit_code == 0, applied.output


def test_verify_finds_the_attestation_by_digest(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    apply_as(sb, tmp_path, plan, sb.identity_token())
    for home in ("any", "attestations"):
        verified = sb.chainkit(*verify_args(sb, "--home", home))
        assert verified.exit_code == 0, verified.output
        report = json.loads(verified.stdout)
        assert report["summary"]["verified"] == 2
        assert {r["bundle"] for r in report["bundles"]} == {"attestations API"}
    # bundles on the release only: the assets are unsigned there
    bundles_only = sb.chainkit(*verify_args(sb, "--home", "release-assets"))
    assert bundles_only.exit_code == 1
    assert json.loads(bundles_only.stdout)["summary"]["unsigned"] == 2

    # the asset's bytes replaced afterwards: its sha256 has no attestation, never "passed"
    a = next(x for x in sb.releases()["v1.0.0"].get_assets() if x.name == "a.whl")
    gone = requests.delete(
        f"{sb.api_url}/repos/acme/widgets/releases/assets/{a.id}",
        headers={"Authorization": f"token {sb.info.token}"},
        timeout=30,
    )
    assert gone.status_code == 204, gone.text
    upload(sb, sb.releases()["v1.0.0"].id, "a.whl", b"tampered")
    tampered = sb.chainkit(*verify_args(sb))
    assert tampered.exit_code == 1, tampered.output
    rows = {r["subject"]: r for r in json.loads(tampered.stdout)["bundles"]}
    assert rows["a.whl"]["status"] == "unsigned" and not rows["a.whl"]["ok"]
    assert rows["a.whl"]["sha256"] == sha(b"tampered")
    assert rows["b.whl"]["status"] == "verified"


def test_an_attestation_by_another_identity_does_not_count(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    apply_as(sb, tmp_path, plan, sb.identity_token(ref="refs/heads/untrusted"))
    assert len(listed(sb, "aaa")) == 1
    verified = sb.chainkit(*verify_args(sb))
    assert verified.exit_code == 1, verified.output
    rows = json.loads(verified.stdout)["bundles"]
    assert {(r["subject"], r["status"], r["ok"]) for r in rows} == {
        ("a.whl", "failed", False),
        ("b.whl", "failed", False),
    }
    assert all("identity" in r["reason"] for r in rows)


def test_both_homes(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "both")
    sb.clear_requests()
    applied = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
    assert applied.exit_code == 0, applied.output
    assert api_writes(sb).count(f"POST {ATTEST}") == 1
    names = {a.name for a in sb.releases()["v1.0.0"].get_assets()}
    assert {"a.whl.sigstore.json", "b.whl.sigstore.json"} <= names
    assert any(n.startswith("chainkit-backfill-attestation") for n in names)
    (item,) = listed(sb, "bbb")
    assert subjects(item) == [("a.whl", sha("aaa")), ("b.whl", sha("bbb"))]
    body = sb.releases()["v1.0.0"].body
    assert "gh attestation verify" in body and "a.whl.sigstore.json" in body
    for home in ("release-assets", "attestations"):
        verified = sb.chainkit(*verify_args(sb, "--home", home))
        assert verified.exit_code == 0, verified.output
    sb.clear_requests()
    again = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "fresh")
    assert again.exit_code == 0, again.output
    assert api_writes(sb) == []


def test_a_token_that_may_not_list_attestations(sandbox_factory: Any, tmp_path: Path) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    sb.admin(
        "POST",
        "faults",
        json={"method": "GET", "path": f"^{ATTEST}/", "status": 403, "times": None,
              "body": {"message": "Resource not accessible by integration"}},
    )  # fmt: skip
    # any: only bundles count then (said once); nothing passes over the unsigned assets
    anyhome = sb.chainkit(*verify_args(sb))
    assert anyhome.exit_code == 1, anyhome.output
    assert anyhome.output.count("cannot be listed") == 1
    assert json.loads(anyhome.stdout)["summary"]["unsigned"] == 2
    # attestations: the lookup is the whole check, so it is an error (exit 2)
    required = sb.chainkit(*verify_args(sb, "--home", "attestations"))
    assert required.exit_code == 2, required.output
    assert "403" in required.output


def test_verify_and_apply_end_on_a_list_that_never_ends(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan = make_plan(sb, tmp_path / "plan.json", "--home", "attestations")
    self_link = f'<{sb.api_url}{ATTEST}/sha256:{sha("aaa")}?per_page=100>; rel="next"'
    for body in ({"attestations": []}, {"attestations": [{"bundle_url": "https://x/y"}]}):
        sb.admin("DELETE", "faults")
        sb.admin(
            "POST",
            "faults",
            json={"method": "GET", "path": f"^{ATTEST}/", "status": 200, "times": 200,
                  "headers": {"link": self_link}, "body": body},
        ).raise_for_status()  # fmt: skip
        sb.clear_requests()
        verified = sb.chainkit(*verify_args(sb, "--home", "attestations"))
        assert verified.exit_code == 3, verified.output
        assert "did not end" in verified.output
        applied = apply(sb, tmp_path / "plan.json", plan["plan_digest"], tmp_path / "state")
        assert applied.exit_code != 0 and "did not end" in applied.output
        assert f"POST {ATTEST}" not in api_writes(sb)
        assert sum(1 for r in sb.requests_log() if f"{ATTEST}/" in r["path"]) <= 6
