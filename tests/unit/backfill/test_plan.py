from __future__ import annotations

import json
from pathlib import Path

import pytest

from chainkit.backfill import PLAN_SCHEMA, PlanError, check_plan_for, load_plan, parse_plan
from chainkit.backfill._plan import compute_digest
from chainkit.errors import ExitCode
from unit.backfill._factories import sample_plan


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_through_a_file(tmp_path: Path) -> None:
    plan = sample_plan()
    loaded = load_plan(write(tmp_path, plan.to_json()))
    assert loaded.plan_digest == plan.plan_digest
    assert loaded.to_json() == plan.to_json()
    assert loaded.repository == "acme/widgets"
    assert loaded.api_url == "http://127.0.0.1:1/api/v3"


def test_digest_is_sha256_of_rfc8785_canonical_json() -> None:
    import hashlib

    import rfc8785

    data = json.loads(sample_plan().to_json())
    stated = data.pop("plan_digest")
    assert stated == hashlib.sha256(rfc8785.dumps(data)).hexdigest()
    assert data["schema"] == PLAN_SCHEMA


def test_key_order_and_whitespace_do_not_change_the_digest(tmp_path: Path) -> None:
    plan = sample_plan()
    data = json.loads(plan.to_json())
    shuffled = json.dumps(dict(reversed(list(data.items()))), separators=(",", ":"))
    assert load_plan(write(tmp_path, shuffled)).plan_digest == plan.plan_digest


def test_hand_edited_plan_is_refused(tmp_path: Path) -> None:
    data = json.loads(sample_plan().to_json())
    asset = data["releases"][0]["assets"][2]
    assert asset["status"] == "blocked"
    asset["action"] = "sign"
    with pytest.raises(PlanError, match="changed after it was made") as info:
        load_plan(write(tmp_path, json.dumps(data)))
    assert info.value.exit_code == ExitCode.USAGE
    assert "never edit a plan by hand" in (info.value.remediation or "")


def test_edited_plan_with_recomputed_digest_still_needs_valid_types(tmp_path: Path) -> None:
    data = json.loads(sample_plan().to_json())
    data["releases"][0]["assets"][0]["size"] = "big"
    data["plan_digest"] = compute_digest(data)
    with pytest.raises(PlanError, match=r"releases\[0\]\.assets\[0\]\.size"):
        load_plan(write(tmp_path, json.dumps(data)))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("summary"), "missing 'summary'"),
        (lambda d: d.update(extra=1), "unknown 'extra'"),
        (lambda d: d["releases"][0].update(draft="no"), "draft: must be true or false"),
        (lambda d: d["releases"][0]["assets"][0].update(action="upload"), "action: must be one of"),
        (lambda d: d["releases"][0]["assets"][0].update(expected_sha256="XYZ"), "expected_sha256"),
        (lambda d: d["releases"][0]["assets"][0].update(id=-1), "an integer of at least 0"),
        (lambda d: d["releases"][0]["assets"][0].update(id=True), "an integer of at least 0"),
        (lambda d: d.update(created_at="yesterday"), "created_at"),
        (lambda d: d["filters"].update(since="2024-13-01"), "since"),
        (lambda d: d["filters"].update(last=0), "--last"),
        (lambda d: d["filters"].update(default_excluded_suffixes=[]), "differ"),
        (lambda d: d["releases"][0]["assets"][0]["evidence"][0].update(source="x"), "source"),
        (lambda d: d["releases"][0]["assets"][0].update(action="replace"), "no existing bundle"),
    ],
)
def test_strict_validation(tmp_path: Path, mutate, message: str) -> None:
    data = json.loads(sample_plan().to_json())
    mutate(data)
    data["plan_digest"] = compute_digest(data)
    with pytest.raises(PlanError, match=message):
        load_plan(write(tmp_path, json.dumps(data)))


def test_wrong_schema_version_is_refused() -> None:
    data = json.loads(sample_plan().to_json())
    data["schema"] = "chainkit.dev/backfill-plan/v2"
    with pytest.raises(PlanError, match=r"not a chainkit\.dev/backfill-plan/v1 plan"):
        parse_plan(json.dumps(data))


def test_duplicate_keys_are_refused() -> None:
    text = sample_plan().to_json()
    text = text.replace('"schema":', '"repository": "evil/repo",\n  "schema":', 1)
    with pytest.raises(PlanError, match="duplicate key 'repository'"):
        parse_plan(text)


@pytest.mark.parametrize("text", ["", "[]", "{", "null"])
def test_not_a_plan(text: str) -> None:
    with pytest.raises(PlanError):
        parse_plan(text)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read the plan"):
        load_plan(tmp_path / "absent.json")


def test_check_plan_for() -> None:
    plan = sample_plan()
    check_plan_for(plan, "ACME/Widgets", plan.plan_digest)
    check_plan_for(plan, "acme/widgets", "sha256:" + plan.plan_digest.upper())
    check_plan_for(plan, "acme/widgets", None, api_url="http://127.0.0.1:1/api/v3/")
    with pytest.raises(PlanError, match="is for repository 'acme/widgets', not 'acme/other'"):
        check_plan_for(plan, "acme/other", plan.plan_digest)
    with pytest.raises(PlanError, match="not the approved"):
        check_plan_for(plan, "acme/widgets", "0" * 64)
    with pytest.raises(PlanError, match="64 hex"):
        check_plan_for(plan, "acme/widgets", "abc")
    with pytest.raises(PlanError, match="made against"):
        check_plan_for(plan, "acme/widgets", None, api_url="https://api.github.com")


def test_is_empty() -> None:
    assert not sample_plan().is_empty
