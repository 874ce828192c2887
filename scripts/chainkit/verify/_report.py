"""The verification report: one result per bundle and attestation, and its renderings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chainkit._internal.markdown import table

__all__ = ["AttestationResult", "BundleResult", "BundleStatus", "VerifyReport"]

BundleStatus = Literal["verified", "failed", "unsigned"]


@dataclass(frozen=True)
class BundleResult:
    """One artifact and its bundle."""

    subject: str
    bundle: str | None
    release: str | None
    sha256: str | None
    ok: bool
    status: BundleStatus
    """``verified``; ``failed`` (a bundle that does not verify, or a bundle without its
    asset); ``unsigned`` (no bundle: fails unless unsigned assets are allowed)."""
    reason: str | None = None
    identity: str | None = None
    source_repository_uri: str | None = None
    log_index: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "subject": self.subject,
            "bundle": self.bundle,
            "sha256": self.sha256,
            "ok": self.ok,
            "status": self.status,
            "reason": self.reason,
            "identity": self.identity,
            "source_repository_uri": self.source_repository_uri,
            "log_index": self.log_index,
        }


@dataclass(frozen=True)
class AttestationResult:
    """A backfill attestation and the subjects it vouches for."""

    release: str
    name: str
    ok: bool
    reason: str | None = None
    subjects: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "attestation": self.name,
            "ok": self.ok,
            "reason": self.reason,
            "subjects": list(self.subjects),
        }


@dataclass
class VerifyReport:
    """Everything checked; ``ok`` only if nothing failed."""

    bundles: list[BundleResult] = field(default_factory=list)
    attestations: list[AttestationResult] = field(default_factory=list)

    def add(self, item: BundleResult | AttestationResult) -> None:
        if isinstance(item, BundleResult):
            self.bundles.append(item)
        else:
            self.attestations.append(item)

    @property
    def ok(self) -> bool:
        return all(b.ok for b in self.bundles) and all(a.ok for a in self.attestations)

    @property
    def empty(self) -> bool:
        return not self.bundles and not self.attestations

    def counts(self) -> dict[str, int]:
        """Each asset counted once, by its status; failed attestations count as failed."""
        return {
            "verified": sum(b.status == "verified" for b in self.bundles),
            "failed": sum(b.status == "failed" for b in self.bundles)
            + sum(not a.ok for a in self.attestations),
            "unsigned": sum(b.status == "unsigned" for b in self.bundles),
            "attestations": sum(a.ok for a in self.attestations),
        }

    @property
    def verdict(self) -> str:
        """``FAILED``; ``PASSED`` (nothing failed, something verified); ``NOTHING VERIFIED``
        (nothing failed, nothing verified either: every asset unsigned and allowed)."""
        if not self.ok:
            return "FAILED"
        counts = self.counts()
        return "PASSED" if counts["verified"] or counts["attestations"] else "NOTHING VERIFIED"

    def summary_line(self) -> str:
        """``PASSED: 2 verified, 0 failed, 1 unsigned, 1 attestations`` (or ``FAILED: ...``,
        ``NOTHING VERIFIED: ...``)."""
        counts = self.counts()
        return (
            f"{self.verdict}: {counts['verified']} verified, "
            f"{counts['failed']} failed, {counts['unsigned']} unsigned, "
            f"{counts['attestations']} attestations"
        )

    def rows(self) -> list[tuple[str, str, str, str, bool]]:
        """``(release, asset, result, detail, ok)`` per result, for tables."""
        out: list[tuple[str, str, str, str, bool]] = []
        for b in self.bundles:
            detail = b.reason or b.identity or ""
            out.append((b.release or "", b.subject, b.status, detail, b.ok))
        for a in self.attestations:
            detail = a.reason or f"{len(a.subjects)} subjects"
            out.append((a.release, a.name, "verified" if a.ok else "failed", detail, a.ok))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.counts(),
            "bundles": [b.to_json() for b in self.bundles],
            "attestations": [a.to_json() for a in self.attestations],
        }

    def to_markdown(self) -> str:
        """A GitHub step summary: totals, then one table row per result (every value
        escaped by the one Markdown escaper)."""
        rows = [(release, name, result, detail) for release, name, result, detail, _ in self.rows()]
        lines = [
            "## chainkit verify",
            "",
            f"**{self.summary_line()}**",
            "",
            table(["release", "asset", "result", "detail"], rows),
        ]
        return "\n".join(lines).rstrip("\n") + "\n"
