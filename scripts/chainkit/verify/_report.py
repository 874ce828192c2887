"""The verification report: one result per bundle and attestation, and its renderings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

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
    """``verified``, ``failed``, ``unsigned`` (no bundle; fails only with --require-bundles)."""
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

    def counts(self) -> dict[str, int]:
        return {
            "verified": sum(b.status == "verified" for b in self.bundles),
            "failed": sum(not b.ok for b in self.bundles)
            + sum(not a.ok for a in self.attestations),
            "unsigned": sum(b.status == "unsigned" for b in self.bundles),
            "attestations": sum(a.ok for a in self.attestations),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.counts(),
            "bundles": [b.to_json() for b in self.bundles],
            "attestations": [a.to_json() for a in self.attestations],
        }

    def to_markdown(self) -> str:
        """A GitHub step summary: totals, then one table row per result."""
        lines = ["## chainkit verify", ""]
        counts = self.counts()
        lines.append(
            f"**{'passed' if self.ok else 'FAILED'}** - {counts['verified']} verified, "
            f"{counts['failed']} failed, {counts['unsigned']} unsigned, "
            f"{counts['attestations']} attestations"
        )
        lines += ["", "| release | asset | result | detail |", "|---|---|---|---|"]
        for b in self.bundles:
            detail = (b.reason or b.identity or "").replace("|", "\\|")
            lines.append(f"| {b.release or ''} | `{b.subject}` | {b.status} | {detail} |")
        for a in self.attestations:
            lines.append(
                f"| {a.release} | `{a.name}` | {'verified' if a.ok else 'failed'} | "
                f"{(a.reason or f'{len(a.subjects)} subjects').replace('|', chr(92) + '|')} |"
            )
        return "\n".join(lines) + "\n"
