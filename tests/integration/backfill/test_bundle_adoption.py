"""Apply adopts an existing bundle only when it carries the signer's own identity.

A bundle already uploaded under the planned name is adopted instead of re-signed only
if its certificate names the same source repository (not just the same SAN).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from _plugins.sandbox import FullSandbox
from chainkit.signing import KeylessSigner, load_trust_config
from integration.backfill._flow import two_wheels, upload


def test_a_bundle_signed_in_another_repository_is_not_adopted(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sb: FullSandbox = sandbox_factory(two_wheels())
    plan_file = tmp_path / "plan.json"
    plan = json.loads(sb.plan(plan_file).stdout)
    # Someone calls acme's (public, reusable) workflow from evil/other and uploads the
    # bundle under the planned name: same SAN, other source repository.
    trust = load_trust_config(sb.info.trust_config)
    token = sb.identity_token(
        repository="evil/other",
        workflow_ref="acme/widgets/.github/workflows/release.yml@refs/heads/main",
    )
    foreign = KeylessSigner(trust_config=trust, token_provider=lambda: token)
    bundle = foreign.sign_digest(hashlib.sha256(b"aaa").hexdigest()).to_json().encode()
    upload(sb, sb.releases()["v1.0.0"].id, "a.whl.sigstore.json", bundle)

    result = sb.chainkit(*sb.apply_args(plan_file, plan["plan_digest"], tmp_path / "state"))
    report = json.loads(result.stdout)
    outcome = next(o for o in report["outcomes"] if o["item"] == "a.whl")
    assert outcome["result"] == "drift", outcome
    assert report["identity"]["source_repository"] == "acme/widgets"
    body = sb.releases()["v1.0.0"].body
    assert "evil/other" not in body
