from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from cvss import CVSS3

from chainkit.audit import rating_of
from chainkit.audit._severity import cvss3_base_score, cvss4_base_score, level_for_score
from chainkit.findings import Severity as Level

SNAPSHOT = Path(__file__).resolve().parents[4] / "shared" / "advisories" / "pypi-advisories-osv.zip"


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
    ],
)
def test_cvss3_base_scores(vector: str, score: float) -> None:
    assert cvss3_base_score(vector) == score


def test_cvss3_matches_reference_library_on_every_record(assets) -> None:
    """Every CVSS v3 vector of the worked set and of the full snapshot (when present)."""
    vectors = set()
    for path in (assets / "osv").glob("*.json"):
        for entry in json.loads(path.read_text()).get("severity", []):
            vectors.add(entry["score"])
    if SNAPSHOT.is_file():
        with zipfile.ZipFile(SNAPSHOT) as zf:
            for name in zf.namelist():
                for entry in json.loads(zf.read(name)).get("severity", []):
                    vectors.add(entry["score"])
    assert len(vectors) >= 5
    for vector in vectors:
        assert cvss3_base_score(vector) == float(CVSS3(vector).base_score), vector


@pytest.mark.parametrize(
    "vector",
    ["CVSS:2.0/AV:N", "CVSS:3.1/AV:N/AC:L", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", ""],
)
def test_cvss3_rejects_malformed(vector: str) -> None:
    with pytest.raises(ValueError, match="CVSS"):
        cvss3_base_score(vector)


def test_cvss4_base_score() -> None:
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert cvss4_base_score(vector) == 9.3
    with pytest.raises(ValueError, match="CVSS v4"):
        cvss4_base_score("CVSS:4.0/AV:N")


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0.0, Level.LOW),
        (3.9, Level.LOW),
        (4.0, Level.MEDIUM),
        (7.0, Level.HIGH),
        (9.0, Level.CRITICAL),
    ],
)
def test_qualitative_ratings(score: float, level: Level) -> None:
    assert level_for_score(score) is level


def test_severity_prefers_v4_then_v3_then_database_specific() -> None:
    v3 = {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}
    v4 = {
        "type": "CVSS_V4",
        "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    }
    record = {"id": "X-1", "severity": [v3, v4], "database_specific": {"severity": "LOW"}}
    sev = rating_of(record)
    assert (sev.level, sev.score, sev.source) == (Level.CRITICAL, 9.3, "CVSS_V4")
    sev = rating_of({"id": "X-2", "severity": [v3]})
    assert (sev.level, sev.score, sev.source) == (Level.HIGH, 7.5, "CVSS_V3")
    sev = rating_of({"id": "X-3", "database_specific": {"severity": "MODERATE"}})
    assert (sev.level, sev.score, sev.source) == (Level.MEDIUM, None, "database_specific")
    assert rating_of({"id": "X-4"}).level is None
    assert rating_of({"id": "X-4"}).label == "unknown"


def test_severity_per_package_and_bad_vectors_fall_through(caplog) -> None:
    record = {
        "id": "X-5",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Other"},
                "severity": [
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
                ],
            },
            {
                "package": {"ecosystem": "PyPI", "name": "Mine_Pkg"},
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/broken"}],
            },
        ],
        "database_specific": {"severity": "high"},
    }
    sev = rating_of(record, package="mine-pkg")
    assert (sev.level, sev.source) == (Level.HIGH, "database_specific")
    assert "X-5" in caplog.text
    assert rating_of(record, package="other").score == 9.8
