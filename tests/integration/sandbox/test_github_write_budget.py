"""The secondary-limit seam: every content-creating request asks the write budget first."""

from __future__ import annotations

from dataclasses import dataclass, field

from _plugins.github import GitHubSandbox, http
from chainkit.sandbox._github._limits import CONTENT_CREATING, Refusal


@dataclass
class _Recorder:
    """A write budget that records what it is asked and refuses when told to."""

    refuse: bool = False
    asked: list[tuple[str, str]] = field(default_factory=list)

    def admit(self, caller_key: str, kind: str, *, now: float) -> Refusal | None:
        self.asked.append((caller_key, kind))
        if self.refuse:
            return Refusal(403, "You have exceeded a secondary rate limit.", retry_after=60)
        return None


def test_every_write_passes_the_write_budget(github_sandbox: GitHubSandbox) -> None:
    sb = github_sandbox
    budget = _Recorder()
    sb.server._state.write_budget = budget  # type: ignore[assignment]
    created = http(sb, "POST", "/repos/acme/widgets/releases", json={"tag_name": "v9"}).json()
    upload = created["upload_url"].split("{")[0][len(sb.url) :]
    asset = http(sb, "POST", upload + "?name=a.txt", data=b"a").json()
    http(sb, "PATCH", f"/repos/acme/widgets/releases/assets/{asset['id']}", json={"label": "x"})
    http(sb, "DELETE", f"/repos/acme/widgets/releases/assets/{asset['id']}")
    http(sb, "PATCH", f"/repos/acme/widgets/releases/{created['id']}", json={"body": "b"})
    http(sb, "POST", "/repos/acme/widgets/attestations", json={})
    http(sb, "DELETE", f"/repos/acme/widgets/releases/{created['id']}")
    http(sb, "GET", "/repos/acme/widgets/releases")  # reads are not asked about
    http(sb, "POST", "/repos/acme/widgets/releases", "read", json={"tag_name": "v8"})  # 403 first
    kinds = [kind for _, kind in budget.asked]
    assert kinds == [
        "create-release",
        "upload",
        "update-release-asset",
        "delete-release-asset",
        "update-release",
        "create-attestation",
        "delete-release",
    ]
    assert set(kinds) == CONTENT_CREATING
    assert {key for key, _ in budget.asked} == {f"tok:{sb.write_token}"}


def test_a_refusal_answers_before_the_operation(github_sandbox: GitHubSandbox) -> None:
    sb = github_sandbox
    sb.server._state.write_budget = _Recorder(refuse=True)  # type: ignore[assignment]
    r = http(sb, "POST", "/repos/acme/widgets/releases", json={"tag_name": "v9"})
    assert r.status_code == 403
    assert r.headers["retry-after"] == "60"
    assert r.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert http(sb, "GET", "/repos/acme/widgets/releases/tags/v9").status_code == 404
