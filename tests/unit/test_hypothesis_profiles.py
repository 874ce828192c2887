"""CI's Hypothesis profile cannot flake: the same examples every run, no saved state."""

from __future__ import annotations

from hypothesis import settings


def test_ci_profile_is_derandomised_without_a_database() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize is True
    assert ci.database is None


def test_local_profiles_keep_exploring() -> None:
    assert settings.get_profile("dev").derandomize is False
    assert settings.get_profile("deep").max_examples >= 1000
