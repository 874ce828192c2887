"""Secondary (content-creation) limits: every content-creating request asks the write
budget first; the budget keeps per-token sliding windows and answers excess writes as
GitHub does (BEHAVIOR.md section 11)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _plugins.github import GitHubSandbox, http
from chainkit.sandbox._github._limits import CONTENT_CREATING, MESSAGES, Refusal, WriteBudget
from chainkit.sandbox._seed_model import ContentLimit, LimitsSpec


@dataclass
class _Recorder:
    """A write budget that records what it is asked and refuses when told to."""

    refuse: bool = False
    asked: list[tuple[str, str]] = field(default_factory=list)

    def admit(
        self, caller_key: str, kind: str, *, now: float, request_id: str = ""
    ) -> Refusal | None:
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


def test_sliding_windows_per_token() -> None:
    budget = WriteBudget(LimitsSpec(content=(ContentLimit(2, 10), ContentLimit(3, 100))))
    admitted = [budget.admit("a", "upload", now=t) is None for t in (0, 1, 2, 9.5, 10, 11)]
    # 2 in any 10 s: the third at 2 s waits; at 10 s the write of 0 s has left the window
    assert admitted == [True, True, False, False, True, False]
    assert budget.admit("b", "upload", now=11) is None  # another token has its own windows
    assert budget.admit("a", "upload", now=50) is not None  # 3 in 100 s: 0, 1 and 10
    assert budget.admit("a", "upload", now=100.5) is None  # the write of 0 s has left
    assert (budget.admitted, budget.refused) == (5, 4)  # refusals are not counted as writes


def test_github_defaults_and_off() -> None:
    budget = WriteBudget()
    assert [(c.requests, c.window_s) for c in budget.spec.content] == [(80, 60), (500, 3600)]
    assert sum(budget.admit("a", "upload", now=i / 100) is None for i in range(100)) == 80
    off = WriteBudget(LimitsSpec(content=()))
    assert all(off.admit("a", "upload", now=0) is None for _ in range(1000))


def _limited(factory: Callable[..., GitHubSandbox], **limits: Any) -> GitHubSandbox:
    doc: dict[str, Any] = {
        "version": 1,
        "tokens": [
            {"value": "w1", "permissions": {"contents": "write"}},
            {"value": "w2", "permissions": {"contents": "write"}},
        ],
        "repos": [{"full_name": "acme/widgets"}],
        "limits": {"content": [{"requests": 2, "window_s": 3600}], **limits},
    }
    return factory(doc)


def test_excess_write_answered_as_github_does(
    github_sandbox_factory: Callable[..., GitHubSandbox],
) -> None:
    sb = _limited(github_sandbox_factory)
    for tag in ("v1", "v2"):
        assert http(sb, "POST", "/repos/acme/widgets/releases", "w1", json={"tag_name": tag}).ok
    r = http(sb, "POST", "/repos/acme/widgets/releases", "w1", json={"tag_name": "v3"})
    assert r.status_code == 403
    assert r.headers["retry-after"] == "60"
    assert not [h for h in r.headers if h.lower().startswith("x-ratelimit-")]
    request_id = r.headers["x-github-request-id"]
    assert r.json()["message"] == MESSAGES["secondary"].format(request_id=request_id)
    assert r.json()["documentation_url"].endswith("#about-secondary-rate-limits")
    assert http(sb, "GET", "/repos/acme/widgets/releases/tags/v3", "w1").status_code == 404
    # per token: w2 has its own windows
    assert http(sb, "POST", "/repos/acme/widgets/releases", "w2", json={"tag_name": "v3"}).ok
    stats = http(sb, "GET", "/_sandbox/limits", None).json()
    assert (stats["admitted"], stats["refused"]) == (3, 1)
    assert stats["content"] == [{"requests": 2, "window_s": 3600.0}]


def test_response_shape_is_configurable(
    github_sandbox_factory: Callable[..., GitHubSandbox],
) -> None:
    sb = _limited(github_sandbox_factory, status=429, retry_after=None, message="content-creation")
    for tag in ("v1", "v2"):
        assert http(sb, "POST", "/repos/acme/widgets/releases", "w1", json={"tag_name": tag}).ok
    r = http(sb, "POST", "/repos/acme/widgets/releases", "w1", json={"tag_name": "v3"})
    assert r.status_code == 429
    assert "retry-after" not in r.headers
    assert r.json()["message"] == MESSAGES["content-creation"]


def test_limits_off(github_sandbox_factory: Callable[..., GitHubSandbox]) -> None:
    sb = _limited(github_sandbox_factory, content=[])
    for i in range(5):
        r = http(sb, "POST", "/repos/acme/widgets/releases", "w1", json={"tag_name": f"v{i}"})
        assert r.status_code == 201
    assert http(sb, "GET", "/_sandbox/limits", None).json()["refused"] == 0
