"""docs/schemas/backfill-plan-v1.schema.json: valid, matched by every plan, as strict as the loader.

Every plan sealed in the backfill tests (unit and integration) is also validated by the
autouse fixture ``schema_checked_plans``; the tests here add plans with every option.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chainkit.backfill import Filters, Plan, PlanError, PlanOptions, parse_plan
from chainkit.backfill._plan import compute_digest
from chainkit.backfill._pypi import PyPIDigests, PyPIFile
from unit.backfill._factories import asset, release, sample_plan, sha
from unit.backfill._plan_schema import PLAN_SCHEMA_DOC, PLAN_VALIDATOR


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(PLAN_SCHEMA_DOC)


def test_every_object_refuses_unknown_keys() -> None:
    def objects(node: Any) -> list[dict[str, Any]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object":
                found.append(node)
            for value in node.values():
                found += objects(value)
        elif isinstance(node, list):
            for value in node:
                found += objects(value)
        return found

    every = objects(PLAN_SCHEMA_DOC)
    assert len(every) >= 12
    assert all(o.get("additionalProperties") is False for o in every)
    assert all(set(o["required"]) == set(o["properties"]) for o in every)


def _pypi() -> PyPIDigests:
    name = "widgets-1.0.tar.gz"
    entry = PyPIFile(name, sha(b"tar"), f"https://files.example/{name}")
    return PyPIDigests("widgets", "https://pypi.example/simple/", {name: (entry,)})


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {
            "filters": Filters(
                tags=("v1.*",), since=date(2024, 1, 1), last=2, include_prereleases=True
            )
        },
        {"options": PlanOptions(allow_unverified=True)},
        {"options": PlanOptions(bundle_release="bundles")},
        {
            "options": PlanOptions(verify_existing=True),
            "verify_existing": lambda release, asset, bundle: False,
        },
        {
            "options": PlanOptions(
                pypi_project="widgets", pypi_index_url="https://pypi.example/simple/"
            ),
            "pypi": _pypi(),
        },
    ],
    ids=["default", "filters", "allow-unverified", "bundle-release", "replace", "pypi"],
)
def test_planner_output_matches_the_schema(
    kw: dict[str, Any], schema_checked_plans: list[Plan]
) -> None:
    plan = sample_plan(**kw)
    assert schema_checked_plans[-1] == plan  # the autouse hook validated it
    PLAN_VALIDATOR.validate(json.loads(plan.to_json()))
    if "pypi" in kw:
        sources = {e.source for r in plan.releases for a in r.assets for e in a.evidence}
        assert "pypi" in sources


def test_a_replace_plan_exercises_the_replace_branch() -> None:
    plan = sample_plan(
        options=PlanOptions(verify_existing=True), verify_existing=lambda r, a, b: False
    )
    assert any(a.action == "replace" for r in plan.releases for a in r.assets)


def test_a_plan_without_releases_matches_the_schema() -> None:
    plan = sample_plan(filters=Filters(tags=("none-such",)))
    assert plan.releases == ()
    PLAN_VALIDATOR.validate(plan.to_dict())


def _asset0(d: dict[str, Any]) -> dict[str, Any]:
    return d["releases"][0]["assets"][0]


CRAFTED: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
    ("extra top-level key", lambda d: d.update(extra=1)),
    ("extra asset key", lambda d: _asset0(d).update(note="x")),
    ("extra evidence key", lambda d: _asset0(d)["evidence"][0].update(trust="high")),
    ("missing key", lambda d: _asset0(d).pop("reason")),
    ("bad sha", lambda d: _asset0(d).update(expected_sha256="ABC" + "0" * 61)),
    ("bad evidence sha", lambda d: _asset0(d)["evidence"][0].update(sha256="0" * 63)),
    ("unknown status", lambda d: _asset0(d).update(status="trusted")),
    ("unknown action", lambda d: _asset0(d).update(action="upload")),
    ("unknown evidence source", lambda d: _asset0(d)["evidence"][0].update(source="mirror")),
    ("bad time", lambda d: _asset0(d).update(updated_at="2024-01-02 03:04:05")),
    ("non-ASCII digits in a time", lambda d: d.update(created_at="\u0662026-03-04T05:06:07Z")),
    ("non-ASCII digits in a date", lambda d: d["filters"].update(since="\u0662026-03-04")),
    ("empty glob", lambda d: d["filters"].update(tags=[""])),
    ("empty asset name", lambda d: _asset0(d).update(name="")),
    ("negative id", lambda d: _asset0(d).update(id=-1)),
    ("boolean id", lambda d: _asset0(d).update(id=True)),
    ("replace without bundle", lambda d: _asset0(d).update(action="replace")),
    ("last zero", lambda d: d["filters"].update(last=0)),
    ("other suffixes", lambda d: d["filters"].update(default_excluded_suffixes=[])),
    ("unknown summary status", lambda d: d["summary"]["statuses"].update(trusted=0)),
    ("wrong schema", lambda d: d.update(schema="chainkit.dev/backfill-plan/v2")),
]


@pytest.mark.parametrize(("case", "mutate"), CRAFTED, ids=[c for c, _ in CRAFTED])
def test_the_loader_refuses_what_the_schema_refuses(
    case: str, mutate: Callable[[dict[str, Any]], object], tmp_path: Path
) -> None:
    data = json.loads(sample_plan().to_json())
    mutate(data)
    data["plan_digest"] = compute_digest(data)  # a crafted plan, correctly resealed
    assert not PLAN_VALIDATOR.is_valid(data), case
    with pytest.raises(PlanError) as info:
        parse_plan(json.dumps(data))
    assert "round-trip" not in info.value.message  # refused by a check that names the place


def test_a_plan_with_one_release_and_no_evidence_matches_the_schema() -> None:
    from unit.backfill.test_planner import plan_of

    plan = plan_of([release("v1", (asset("a.tar.gz", digest=None),))])
    PLAN_VALIDATOR.validate(plan.to_dict())
    assert plan.releases[0].assets[0].evidence == ()
