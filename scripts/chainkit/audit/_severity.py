"""Severity of an OSV record: CVSS v3.x / v4.0 base scores, or ``database_specific.severity``.

CVSS v3.0/v3.1 base scores are computed here from the specification's formulas (FIRST,
"CVSS v3.1 Specification", section 7.1 and appendix A for Roundup). CVSS v4.0 needs the
specification's macro-vector lookup table, so it is delegated to the ``cvss`` library
(Red Hat Product Security). Qualitative ratings follow the specification: 0.1-3.9 low,
4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical; 0.0 is "none" and treated as low here,
since the advisory still exists.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chainkit.findings import Severity

__all__ = [
    "UNKNOWN",
    "Rating",
    "cvss3_base_score",
    "cvss4_base_score",
    "level_for_score",
    "rating_of",
]

_log = logging.getLogger("chainkit.audit")


@dataclass(frozen=True)
class Rating:
    """What is known about an advisory's severity: its level, CVSS score and vector.

    ``level`` is ``None`` when the record carries no usable severity; the policy
    (``unknown-severity``) decides how such findings are treated.
    """

    level: Severity | None
    score: float | None = None
    vector: str | None = None
    source: str = "unknown"

    @property
    def label(self) -> str:
        return self.level.label if self.level is not None else "unknown"


UNKNOWN = Rating(level=None)


def level_for_score(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW


_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_UNCHANGED = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}


def _roundup_31(value: float) -> float:
    # CVSS v3.1 appendix A: avoid floating-point artefacts of a plain ceil.
    int_input = round(value * 100_000)
    if int_input % 10_000 == 0:
        return int_input / 100_000.0
    return (math.floor(int_input / 10_000) + 1) / 10.0


def cvss3_base_score(vector: str) -> float:
    """Base score of a ``CVSS:3.0/...`` or ``CVSS:3.1/...`` vector; ``ValueError`` if malformed."""
    parts = vector.strip().split("/")
    if not parts or parts[0] not in {"CVSS:3.0", "CVSS:3.1"}:
        raise ValueError(f"not a CVSS v3 vector: {vector!r}")
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, val = part.partition(":")
        if not sep or key in metrics:
            raise ValueError(f"malformed CVSS v3 vector: {vector!r}")
        metrics[key] = val
    try:
        changed = {"U": False, "C": True}[metrics["S"]]
        av = _AV[metrics["AV"]]
        ac = _AC[metrics["AC"]]
        pr = (_PR_CHANGED if changed else _PR_UNCHANGED)[metrics["PR"]]
        ui = _UI[metrics["UI"]]
        c, i, a = (_CIA[metrics[k]] for k in ("C", "I", "A"))
    except KeyError as exc:
        raise ValueError(f"malformed CVSS v3 vector: {vector!r}") from exc
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    exploitability = 8.22 * av * ac * pr * ui
    if impact <= 0:
        return 0.0
    raw = min(1.08 * (impact + exploitability), 10) if changed else min(impact + exploitability, 10)
    if parts[0] == "CVSS:3.0":
        return math.ceil(raw * 10) / 10
    return _roundup_31(raw)


def cvss4_base_score(vector: str) -> float:
    """Base score of a ``CVSS:4.0/...`` vector (via the ``cvss`` library); ``ValueError`` if bad."""
    if not vector.strip().startswith("CVSS:4.0/"):
        raise ValueError(f"not a CVSS v4 vector: {vector!r}")
    from cvss import CVSS4  # type: ignore[import-untyped]
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    try:
        return float(CVSS4(vector.strip()).base_score)
    except CVSSError as exc:
        raise ValueError(f"malformed CVSS v4 vector: {vector!r}: {exc}") from exc


_SCORERS = {"CVSS_V4": cvss4_base_score, "CVSS_V3": cvss3_base_score}


def _from_entries(entries: Any, record_id: str) -> Rating | None:
    if not isinstance(entries, list):
        return None
    by_type: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("score"), str):
            by_type.setdefault(str(entry.get("type")), entry["score"])
    for kind, scorer in _SCORERS.items():  # newest CVSS version first
        vector = by_type.get(kind)
        if vector is None:
            continue
        try:
            score = scorer(vector)
        except ValueError as exc:
            _log.warning("%s: ignoring its %s severity: %s", record_id, kind, exc)
            continue
        return Rating(level_for_score(score), score, vector, kind)
    return None


def rating_of(record: Mapping[str, Any], *, package: str | None = None) -> Rating:
    """The severity of an OSV record, for ``package`` (PEP 503 name) when given.

    Order: the package's ``affected[].severity``, the record's ``severity`` (CVSS v4 before
    v3), then ``database_specific.severity`` (``LOW``/``MODERATE``/``HIGH``/``CRITICAL``
    as GitHub's advisories use it); otherwise unknown.
    """
    from packaging.utils import canonicalize_name

    record_id = str(record.get("id", "?"))
    for affected in record.get("affected") or []:
        pkg = affected.get("package") or {}
        if package is not None and canonicalize_name(str(pkg.get("name", ""))) != package:
            continue
        found = _from_entries(affected.get("severity"), record_id)
        if found is not None:
            return found
    found = _from_entries(record.get("severity"), record_id)
    if found is not None:
        return found
    dbs = record.get("database_specific")
    if isinstance(dbs, Mapping) and isinstance(dbs.get("severity"), str):
        try:
            return Rating(Severity.parse(dbs["severity"]), source="database_specific")
        except KeyError:
            _log.debug("%s: unrecognised database_specific.severity", record_id)
    return UNKNOWN
