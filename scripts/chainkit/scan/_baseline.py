"""Baselines: accepted findings, recorded by fingerprint, so only new ones are reported.

A baseline is a small versioned JSON document chainkit owns::

    {"format": "chainkit-scan-baseline", "version": 1, "scanner": "code",
     "entries": [{"fingerprint": "<64 hex>", "rule": "B602", "path": "app/run.py",
                  "reason": "why this is accepted"}]}

A finding fingerprinted by its place (``fingerprint_basis: place``: a secret that could not
be located again, so its fingerprint would be the same for a rotated secret) is never
written to a baseline and never accepted by one: it is always reported.

It is read with one bounded reader and parsed strictly (unknown, missing or mistyped keys
are exit 2), and written atomically, never through a symlink. Entries name a rule, a
path and a fingerprint, never a secret or a line of code: a secret's fingerprint is a
slow, salted hash (see ``_gitleaks``), so the file can be committed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from chainkit._internal.fs import TooLargeError, UnsafePathError, atomic_write_text, read_bounded
from chainkit._internal.strict import DocumentError, Obj, load_json
from chainkit.findings import Finding
from chainkit.scan._errors import BaselineError

__all__ = ["Baseline", "BaselineEntry", "Compared", "compare", "load_baseline", "write_baseline"]

FORMAT = "chainkit-scan-baseline"
VERSION = 1
MAX_BYTES = 8 * 1024 * 1024
MAX_ENTRIES = 100_000
_HEX64 = re.compile(r"[0-9a-f]{64}")

Scanner = Literal["code", "secrets"]


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted finding."""

    fingerprint: str
    rule: str
    path: str
    reason: str = ""


@dataclass(frozen=True)
class Baseline:
    """The accepted findings of one scanner."""

    scanner: Scanner
    entries: tuple[BaselineEntry, ...]
    source: str

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)


@dataclass(frozen=True)
class Compared:
    """Findings split by a baseline: ``new`` are reported, ``accepted`` counted, ``stale``
    are baseline entries that no longer occur (the file can shrink)."""

    new: tuple[Finding, ...]
    accepted: tuple[Finding, ...]
    stale: tuple[BaselineEntry, ...]


def _error(source: str) -> Any:
    def wrap(exc: DocumentError) -> BaselineError:
        return BaselineError(
            f"baseline {source} is not a valid chainkit scan baseline: {exc}",
            remediation="regenerate it with --write-baseline, or fix the named key",
        )

    return wrap


def _entry(data: Any, where: str, source: str) -> BaselineEntry:
    obj = Obj.of(data, where, BaselineEntry, error=_error(source), optional=("reason",))
    return BaselineEntry(
        fingerprint=obj.text("fingerprint", pattern=_HEX64),
        rule=obj.text("rule", max_len=200),
        path=obj.text("path", max_len=4096),
        reason=obj.text("reason", optional=True, max_len=2000) or "",
    )


def parse_baseline(data: Any, *, source: str, scanner: Scanner) -> Baseline:
    """A baseline document (already decoded JSON) for ``scanner``; :class:`BaselineError`."""
    keys = ("format", "version", "scanner", "entries")
    obj = Obj(data, "baseline", keys, error=_error(source))
    obj.choice("format", (FORMAT,))
    obj.choice("version", (VERSION,))
    found = obj.choice("scanner", ("code", "secrets"))
    if found != scanner:
        raise BaselineError(
            f"baseline {source} is a scan {found} baseline, not one of scan {scanner}",
            remediation=f"pass the baseline written by chainkit scan {scanner} --write-baseline",
        )
    raw = obj.raw("entries")
    if isinstance(raw, list) and len(raw) > MAX_ENTRIES:
        raise BaselineError(f"baseline {source} has more than {MAX_ENTRIES} entries")
    entries = obj.items("entries", lambda v, where: _entry(v, where, source))
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        if entry.fingerprint in seen:
            raise BaselineError(
                f"baseline {source}: entries[{i}] repeats fingerprint {entry.fingerprint}",
                remediation="each accepted finding appears once; remove the duplicate",
            )
        seen.add(entry.fingerprint)
    return Baseline(scanner=scanner, entries=entries, source=source)


def load_baseline(path: Path, *, scanner: Scanner) -> Baseline:
    """Read ``path`` (bounded, strict); :class:`BaselineError` (exit 2) for anything wrong."""
    source = str(path)
    try:
        raw = read_bounded(path, MAX_BYTES)
    except TooLargeError as exc:
        raise BaselineError(f"baseline {source} is larger than {MAX_BYTES} bytes") from exc
    except OSError as exc:
        raise BaselineError(
            f"cannot read baseline {source}: {exc.strerror or exc}",
            remediation="check the path, or create it with --write-baseline",
        ) from exc
    try:
        data = load_json(raw, source=source, max_bytes=MAX_BYTES)
    except DocumentError as exc:
        raise _error(source)(exc) from exc
    return parse_baseline(data, source=source, scanner=scanner)


def acceptable(finding: Finding) -> bool:
    """Whether a baseline may accept ``finding``: not when its fingerprint is of its place
    only (a different secret in the same place would have the same one)."""
    return finding.properties.get("fingerprint_basis") != "place"


def _entry_of(f: Finding, reasons: Mapping[str, str]) -> BaselineEntry:
    path = next((loc.path for loc in f.locations if loc.path is not None), "")
    return BaselineEntry(f.fingerprint, f.rule.id, path, reasons.get(f.fingerprint, ""))


def baseline_document(
    findings: Iterable[Finding], *, scanner: Scanner, previous: Baseline | None = None
) -> str:
    """The baseline of ``findings`` as JSON text, sorted (a stable diff); reasons of
    entries already in ``previous`` are kept."""
    reasons = {e.fingerprint: e.reason for e in previous.entries} if previous else {}
    entries = {f.fingerprint: _entry_of(f, reasons) for f in findings if acceptable(f)}
    ordered = sorted(entries.values(), key=lambda e: (e.path, e.rule, e.fingerprint))
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "scanner": scanner,
        "entries": [
            {"fingerprint": e.fingerprint, "rule": e.rule, "path": e.path, "reason": e.reason}
            for e in ordered
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_baseline(
    path: Path,
    findings: Iterable[Finding],
    *,
    scanner: Scanner,
    previous: Baseline | None = None,
) -> None:
    """Write the baseline atomically; :class:`BaselineError` when it cannot be written."""
    text = baseline_document(findings, scanner=scanner, previous=previous)
    try:
        atomic_write_text(path, text)
    except UnsafePathError as exc:
        raise BaselineError(f"refusing to write the baseline {path}: {exc}") from exc
    except OSError as exc:
        raise BaselineError(
            f"could not write the baseline {path}: {exc.strerror or exc}",
            remediation="check that the directory exists and is writable",
        ) from exc


def compare(findings: Iterable[Finding], baseline: Baseline | None) -> Compared:
    """Split ``findings`` by ``baseline`` (None: everything is new)."""
    items = tuple(findings)
    if baseline is None:
        return Compared(items, (), ())
    accepted_fps = baseline.fingerprints
    accepted = tuple(f for f in items if f.fingerprint in accepted_fps and acceptable(f))
    new = tuple(f for f in items if not (f.fingerprint in accepted_fps and acceptable(f)))
    present = {f.fingerprint for f in items}
    stale = tuple(e for e in baseline.entries if e.fingerprint not in present)
    return Compared(new, accepted, stale)
