"""Backfill unit-test fixtures: the PyPI stand-in, and the plan schema check on every plan."""

from __future__ import annotations

from _plugins.pypi import pypi_index
from unit.backfill._plan_schema import schema_checked_plans

__all__ = ["pypi_index", "schema_checked_plans"]
