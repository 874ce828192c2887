"""The plan file's JSON Schema, and a hook that checks every plan the tests seal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chainkit.backfill import Plan

__all__ = ["PLAN_SCHEMA_DOC", "PLAN_VALIDATOR", "schema_checked_plans"]

PLAN_SCHEMA_DOC: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "docs/schemas/backfill-plan-v1.schema.json").read_text()
)
PLAN_VALIDATOR = jsonschema.Draft202012Validator(PLAN_SCHEMA_DOC)


@pytest.fixture(autouse=True)
def schema_checked_plans(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Plan]]:
    """Every plan sealed during a test (all planner output is sealed) must match the schema."""
    sealed: list[Plan] = []
    original = Plan.sealed

    def checked(self: Plan) -> Plan:
        plan = original(self)
        PLAN_VALIDATOR.validate(plan.to_dict())
        sealed.append(plan)
        return plan

    monkeypatch.setattr(Plan, "sealed", checked)
    yield sealed
