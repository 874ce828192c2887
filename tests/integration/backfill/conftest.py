"""Every plan `chainkit backfill plan` seals in these tests must match the plan schema."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from chainkit.github import ClientSettings, GitHubClient
from unit.backfill._plan_schema import schema_checked_plans

__all__ = ["schema_checked_plans"]


@pytest.fixture(autouse=True)
def _fast_refusal_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The least wait after a refusal, scaled from seconds to a tenth of one (the sandbox
    windows are seconds, not an hour); a test of the floor sets its own."""
    monkeypatch.setattr("chainkit.github._client.REFUSAL_FLOOR", 0.1)
    # Fulcio/Rekor/TSA retries: the same two retries, a tenth of the waits
    monkeypatch.setattr("chainkit.signing._signer.RETRY_WAITS", (0.1, 0.4))


@pytest.fixture
def client_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """``client_settings(backoff=0.01, ...)``: every GitHub client the CLI builds in this
    test gets these :class:`~chainkit.github.ClientSettings` changes (scaled waits; the
    logic is the same). ``secondary_rate_wait`` also lowers the one-minute floor."""

    def scale(**changes: Any) -> None:
        original = GitHubClient.from_context.__func__  # type: ignore[attr-defined]

        def from_context(
            cls: type[GitHubClient],
            context: Any,
            *,
            token: str | None = None,
            settings: ClientSettings | None = None,
        ) -> GitHubClient:
            scaled = dataclasses.replace(settings or ClientSettings(), **changes)
            return original(cls, context, token=token, settings=scaled)  # type: ignore[no-any-return]

        monkeypatch.setattr(GitHubClient, "from_context", classmethod(from_context))
        if "secondary_rate_wait" in changes:
            monkeypatch.setattr(
                "chainkit.github._client.SECONDARY_WAIT_FLOOR", changes["secondary_rate_wait"]
            )

    return scale
