from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainkit.attestation import (
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    WorkflowRun,
    parse_predicate,
    parse_statement,
    statement_bytes,
)
from chainkit.backfill import PlanOptions
from chainkit.backfill._predicate import build_statement
from unit.backfill._factories import sample_plan, sha

SCHEMA = json.loads(
    (Path(__file__).parents[3] / "docs/schemas/backfill-predicate-v1.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


def statement(release_index: int = 0, signed: dict[int, str] | None = None, **kw: Any):
    plan = sample_plan(**kw.pop("plan_kw", {}))
    release = plan.releases[release_index]
    if signed is None:
        signed = {a.id: a.expected_sha256 or sha(b"x") for a in release.to_sign}
    return build_statement(
        repository=plan.repository,
        release=release,
        signed=signed,
        backfilled_at=WHEN,
        plan_digest=plan.plan_digest,
        workflow_run=kw.pop("workflow_run", None),
    ), release


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_statement_shape_and_subjects() -> None:
    st_, release = statement()
    assert st_["_type"] == STATEMENT_TYPE
    assert st_["predicateType"] == PREDICATE_TYPE == "https://chainkit.dev/attestations/backfill/v1"
    assert [s["name"] for s in st_["subject"]] == [a.name for a in release.to_sign]
    assert all(set(s["digest"]) == {"sha256"} for s in st_["subject"])
    VALIDATOR.validate(st_["predicate"])
    # what backfill writes is what verify reads back
    parsed = parse_statement(statement_bytes(st_))
    predicate = parse_predicate(parsed.predicate)
    assert predicate.release.tag == release.tag
    assert predicate.statement_subjects == parsed.subjects


def test_predicate_reads_as_a_backfill_not_provenance() -> None:
    predicate = statement()[0]["predicate"]
    assert predicate["kind"] == "backfill"
    assert "Not build provenance" in predicate["notice"]
    assert predicate["release"]["tag"] == "v1.0"
    assert predicate["release"]["published_at"] == "2024-01-02T00:00:00Z"
    assert predicate["backfilled_at"] == "2026-05-06T07:08:09Z"
    assert predicate["backfiller"]["name"] == "chainkit"
    assert predicate["workflow_run"] is None
    tar = predicate["subjects"][0]
    assert tar["verified"] is True
    assert [e["source"] for e in tar["evidence"]] == ["github-digest", "checksum-file"]
    assert all(e["matches"] for e in tar["evidence"])


def test_unverified_subjects_are_flagged() -> None:
    st_, _ = statement(1, plan_kw={"options": PlanOptions(allow_unverified=True)})
    predicate = st_["predicate"]
    assert predicate["unverified_subjects"] == ["widgets-0.9.tar.gz"]
    assert predicate["subjects"][0]["verified"] is False
    assert predicate["subjects"][0]["evidence"] == []
    VALIDATOR.validate(predicate)


def test_workflow_run_from_environment() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/widgets",
        "GITHUB_RUN_ID": "123",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_WORKFLOW_REF": "acme/widgets/.github/workflows/b.yml@refs/heads/main",
    }
    run = WorkflowRun.from_env(env)
    assert run is not None
    assert run.url == "https://github.com/acme/widgets/actions/runs/123/attempts/2"
    assert WorkflowRun.from_env({}) is None
    predicate = statement(workflow_run=run)[0]["predicate"]
    assert predicate["workflow_run"]["run_id"] == "123"
    VALIDATOR.validate(predicate)


def test_changed_bytes_are_never_attested() -> None:
    plan = sample_plan()
    tar = plan.releases[0].assets[0]
    with pytest.raises(ValueError, match="changed since the plan"):
        build_statement(
            repository="acme/widgets",
            release=plan.releases[0],
            signed={tar.id: sha(b"other")},
            backfilled_at=WHEN,
            plan_digest=plan.plan_digest,
            workflow_run=None,
        )


@pytest.mark.parametrize("signed", [{}, {999_999: "0" * 64}])
def test_bad_subject_sets(signed: dict[int, str]) -> None:
    with pytest.raises(ValueError):
        statement(signed=signed)


def test_sigstore_accepts_the_statement() -> None:
    from sigstore.dsse import Statement

    st_, _ = statement()
    parsed = Statement(statement_bytes(st_))
    assert json.loads(parsed._contents) == st_


_NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="."),
    min_size=1,
    max_size=20,
)


@settings(max_examples=25)
@given(tag=st.text(min_size=1, max_size=30), names=st.lists(_NAMES, min_size=1, max_size=5))
def test_built_predicates_always_validate(tag: str, names: list[str]) -> None:
    from chainkit.backfill import Filters, build_plan
    from unit.backfill._factories import asset, fetcher, release

    # no dots: no name is a checksum or signature file, so every asset is signed
    rel = release(tag, tuple(asset(f"{i}-{n}") for i, n in enumerate(names)))
    plan = build_plan(
        [rel],
        repository="acme/widgets",
        api_url="http://127.0.0.1:1",
        filters=Filters(include_drafts=True, include_prereleases=True),
        options=PlanOptions(allow_unverified=True),
        fetch_small=fetcher({}),
        pypi=None,
        verify_existing=None,
        now=WHEN,
    )
    planned = plan.releases[0]
    signed = {a.id: a.expected_sha256 or sha(a.name) for a in planned.to_sign}
    assert len(signed) == len(names)
    st_ = build_statement(
        repository="acme/widgets",
        release=planned,
        signed=signed,
        backfilled_at=WHEN,
        plan_digest=plan.plan_digest,
        workflow_run=None,
    )
    VALIDATOR.validate(st_["predicate"])
    # what backfill writes is what verify reads back
    parsed = parse_statement(statement_bytes(st_))
    predicate = parse_predicate(parsed.predicate)
    assert predicate.release.tag == tag
    assert predicate.statement_subjects == parsed.subjects
