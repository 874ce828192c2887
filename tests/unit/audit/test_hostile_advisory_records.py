"""Advisory records fail closed: strict parsing, unreadable range events widen the range."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.version import Version
from pip_audit._service.interface import VulnerabilityService

from chainkit.audit import AdvisoryDatabase
from chainkit.audit._errors import AdvisoryDatabaseError
from chainkit.audit._osv.match import compile_affected
from chainkit.audit._osv.records import parse_record

NOT_PEP440 = st.sampled_from(["2019-09-12", "0.2.0-n653", "next", "v1..2", "1.0 beta"])


def _record(events: list[dict[str, str]]) -> dict[str, object]:
    return {
        "id": "PYSEC-1",
        "affected": [
            {
                "package": {"name": "six", "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
    }


@given(bad=NOT_PEP440, fixed=st.sampled_from(["1.0", "2.0", "10.0"]))
@example(bad="2019-09-12", fixed="2.0")
def test_an_unreadable_introduced_opens_the_range(bad: str, fixed: str) -> None:
    record = parse_record(
        "r.json", json.dumps(_record([{"introduced": bad}, {"fixed": fixed}])).encode()
    )
    db = AdvisoryDatabase.from_records({"PYSEC-1": record}, source="t", digest="d")
    assert db.query("six", "0.1")  # below the fix: affected, whatever 'introduced' said
    assert not db.query("six", fixed)
    # the matcher follows the same rule on a record that was not normalised
    (affected,) = compile_affected(_record([{"introduced": bad}, {"fixed": fixed}]), "six")
    assert affected.contains("0.1", Version("0.1"), frozenset())


@given(bad=NOT_PEP440)
def test_an_unreadable_fixed_or_last_affected_fixes_nothing(bad: str) -> None:
    for kind in ("fixed", "last_affected"):
        data = json.dumps(_record([{"introduced": "1.0"}, {kind: bad}])).encode()
        db = AdvisoryDatabase.from_records(
            {"PYSEC-1": parse_record("r.json", data)}, source="t", digest="d"
        )
        assert db.query("six", "99.0") and not db.query("six", "0.9")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("r.yaml", b"id: X\na: &a [1]\nb: *a\n", "aliases"),
        ("r.yaml", b"id: X\nid: Y\n", "duplicate key"),
        ("r.json", b'{"id": "X", "id": "Y"}', "duplicate key"),
        ("r.json", b'{"id": "X", "x": NaN}', "NaN"),
        ("r.json", b"[" * 100 + b"]" * 100, "deeper"),
        ("r.json", b'{"id": "X", "aliases": "CVE-1"}', "aliases must be"),
        ("r.json", b'{"id": "X", "schema_version": "one"}', "schema_version must be"),
        ("r.json", b'{"id": "X", "summary": ["x"]}', "summary must be"),
    ],
)
def test_records_are_parsed_strictly(name: str, data: bytes, message: str) -> None:
    with pytest.raises(AdvisoryDatabaseError, match=message) as info:
        parse_record(name, data)
    assert name in info.value.message


def test_yaml_timestamps_stay_text_and_unreadable_ones_are_dropped() -> None:
    record = parse_record(
        "r.yaml",
        b"id: X\nmodified: 2024-01-02T03:04:05.5+01:00\npublished: 2023-05-06\n"
        b"withdrawn: not a time\n",
    )
    assert record["modified"] == "2024-01-02T02:04:05.500000Z"
    assert record["published"] == "2023-05-06T00:00:00Z"
    assert "withdrawn" not in record


@given(moment=st.datetimes(timezones=st.just(dt.timezone.utc)))
@example(moment=dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc))  # PYSEC-2024-55's "modified"
def test_timestamps_round_trip_in_the_form_pip_audit_parses(moment: dt.datetime) -> None:
    text = moment.isoformat().replace("+00:00", "Z")
    record = parse_record("r.json", json.dumps({"id": "X", "modified": text}).encode())
    again = parse_record("r.json", json.dumps(dict(record)).encode())  # as from the cache
    assert again["modified"] == record["modified"]
    parsed = VulnerabilityService._parse_rfc3339(record["modified"])
    assert parsed == moment.replace(tzinfo=None)
