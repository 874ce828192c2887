"""Budgeted runs: deadlines parsed strictly, on injected clocks."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chainkit.backfill import BackfillError, parse_deadline
from chainkit.errors import ExitCode

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=timezone.utc)


def deadline(text: str) -> float:
    return parse_deadline(text, wall=lambda: NOW, clock=lambda: 100.0)


def test_durations_count_from_now() -> None:
    assert deadline("5h30m") == 100 + 5 * 3600 + 30 * 60
    assert deadline("45m") == 100 + 45 * 60
    assert deadline("90s") == 190
    assert deadline("1h2m3s") == 100 + 3723


def test_absolute_times_need_a_zone() -> None:
    assert deadline("2026-01-31T13:00:00Z") == 100 + 3600
    assert deadline("2026-01-31T14:00:00+01:00") == 100 + 3600
    assert deadline("2026-01-31T11:00:00Z") == 100 - 3600  # already past: stops at once


@pytest.mark.parametrize("text", ["", "tomorrow", "5h30", "30m5h", "-1h", "2026-01-31T13:00:00"])
def test_anything_else_is_a_usage_error(text: str) -> None:
    with pytest.raises(BackfillError) as info:
        deadline(text)
    assert info.value.exit_code == ExitCode.USAGE
    assert "5h30m" in (info.value.remediation or "")
