"""Every plan `chainkit backfill plan` seals in these tests must match the plan schema."""

from __future__ import annotations

import pytest

from unit.backfill._plan_schema import schema_checked_plans

__all__ = ["schema_checked_plans"]


@pytest.fixture(autouse=True)
def _fast_refusal_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The least wait after a refusal, scaled from seconds to a tenth of one (the sandbox
    windows are seconds, not an hour); a test of the floor sets its own."""
    monkeypatch.setattr("chainkit.github._client.REFUSAL_FLOOR", 0.1)
