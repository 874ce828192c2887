"""The backfill predicate: what is built validates against the schema and parses back
to the same value; a predicate edited in any way that breaks the schema is refused."""

from __future__ import annotations

import copy
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
    BackfillPredicate,
    EvidenceRecord,
    ReleaseInfo,
    StatementFormatError,
    SubjectRecord,
    WorkflowRun,
    backfill_statement,
    parse_predicate,
    parse_statement,
    statement_bytes,
)
from chainkit.errors import ExitCode

SCHEMA = json.loads(
    (Path(__file__).parents[3] / "docs/schemas/backfill-predicate-v1.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
A = "a" * 64
B = "b" * 64


def predicate(**overrides: Any) -> BackfillPredicate:
    values: dict[str, Any] = {
        "repository": "acme/widgets",
        "release": ReleaseInfo(
            id=7,
            tag="v1.0",
            name="One",
            draft=False,
            prerelease=False,
            immutable=False,
            published_at=datetime(2024, 1, 2, tzinfo=timezone.utc),
            created_at=None,
            html_url="https://github.com/acme/widgets/releases/tag/v1.0",
        ),
        "backfilled_at": datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc),
        "backfiller_version": "0.1.0",
        "plan_digest": "c" * 64,
        "workflow_run": WorkflowRun("https://github.com", "acme/widgets", "12", "1", None),
        "subjects": (
            SubjectRecord(
                "w.tar.gz", 1, A, True, (EvidenceRecord("checksum-file", A, "SHA256SUMS", True),)
            ),
            SubjectRecord("w.whl", 2, B, False),
        ),
    }
    values.update(overrides)
    return BackfillPredicate(**values)


def test_built_predicate_matches_the_schema_and_round_trips() -> None:
    built = predicate()
    data = built.to_json()
    VALIDATOR.validate(data)
    assert data["unverified_subjects"] == ["w.whl"]
    assert data["backfilled_at"] == "2026-05-06T07:08:09Z"  # second precision
    assert parse_predicate(json.loads(json.dumps(data))) == built


def test_statement_round_trips_through_the_signed_bytes() -> None:
    statement = backfill_statement(predicate())
    parsed = parse_statement(statement_bytes(statement))
    assert statement["_type"] == STATEMENT_TYPE
    assert parsed.predicate_type == PREDICATE_TYPE
    assert parsed.digests() == {"w.tar.gz": A, "w.whl": B}
    assert parse_predicate(parsed.predicate).statement_subjects == parsed.subjects


def _edit(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(predicate().to_json())
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("kind",), "provenance"),
        (("notice",), ""),
        (("repository",), "not a repository"),
        (("release", "tag"), ""),
        (("release", "id"), -1),
        (("release", "draft"), "no"),
        (("release", "extra"), 1),
        (("backfilled_at",), "yesterday"),
        (("backfiller", "name"), "someone-else"),
        (("plan_digest",), "C" * 64),
        (("workflow_run", "url"), "https://evil.example/run"),
        (("subjects",), []),
        (("subjects", 0, "sha256"), "A" * 64),
        (("subjects", 0, "evidence", 0, "source"), "rumour"),
        (("subjects", 1, "name"), "w.tar.gz"),
        (("unverified_subjects",), []),
        (("workflow_run",), _DELETE),
        (("surprise",), True),
    ],
)
def test_edited_predicates_are_refused(path: tuple[Any, ...], value: Any) -> None:
    with pytest.raises(StatementFormatError) as exc:
        parse_predicate(_edit(path, value))
    assert exc.value.exit_code == ExitCode.FINDINGS
    assert exc.value.message.startswith("malformed backfill predicate")


@pytest.mark.parametrize("data", [None, [], "backfill", 1])
def test_a_predicate_that_is_not_an_object_is_refused(data: Any) -> None:
    with pytest.raises(StatementFormatError):
        parse_predicate(data)


def test_invalid_values_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="at least one"):
        predicate(subjects=())
    with pytest.raises(ValueError, match="sha256"):
        SubjectRecord("x", 1, "not-hex", True)


_NAME = st.text(min_size=1, max_size=30)


@settings(max_examples=50)
@given(
    tag=st.text(min_size=1, max_size=30),
    names=st.lists(_NAME, min_size=1, max_size=5, unique=True),
    verified=st.booleans(),
)
def test_any_built_predicate_round_trips(tag: str, names: list[str], verified: bool) -> None:
    base = predicate()
    built = predicate(
        release=ReleaseInfo(**{**base.release.__dict__, "tag": tag}),
        subjects=tuple(SubjectRecord(n, i, A, verified) for i, n in enumerate(names)),
    )
    data = json.loads(json.dumps(built.to_json()))
    VALIDATOR.validate(data)
    assert parse_predicate(data) == built
