"""Every plan `chainkit backfill plan` seals in these tests must match the plan schema."""

from __future__ import annotations

from unit.backfill._plan_schema import schema_checked_plans

__all__ = ["schema_checked_plans"]
