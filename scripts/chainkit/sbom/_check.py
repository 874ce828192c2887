"""``sbom check``: the NTIA minimum elements as a score, and a licence policy, as findings.

NTIA minimum elements ("The Minimum Elements For a Software Bill of Materials", 2021), as
CycloneDX fields:

- per component: *supplier* (``supplier.name``, else ``authors``/``author``/``publisher``),
  *name*, *version*, *unique identifier* (``purl``, else ``cpe`` or ``swid.tagId``),
  *dependency relationship* (the component's ``bom-ref`` has an entry in ``dependencies``);
- per document: *author of the SBOM data* (``metadata.authors``, else ``metadata.tools``) and
  *timestamp* (``metadata.timestamp``).

The score is the share of these elements present: five per component (the root included)
plus two for the document, as a percentage with one decimal.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from chainkit import __version__
from chainkit.findings import (
    Finding,
    Location,
    PackageRef,
    Policy,
    Report,
    Rule,
    Severity,
    Tool,
    fingerprint,
    format,
    render_markdown,
    render_table,
)
from chainkit.sbom._licenses import evaluate
from chainkit.sbom._read import Sbom, SbomComponent

__all__ = [
    "TOOL",
    "CheckOptions",
    "CheckResult",
    "ComponentGaps",
    "check_sbom",
    "render_check",
]

TOOL = Tool(
    name="chainkit-sbom",
    version=__version__,
    information_uri="https://github.com/chainkit/chainkit/blob/main/docs/sbom.md",
    fingerprint_key="chainkitSbom/v1",
    automation_id="chainkit-sbom/",
)

NTIA_SCORE = Rule(
    "NTIA-MIN-SCORE",
    "ntia-minimum-elements",
    TOOL.name,
    "The SBOM scores below the required NTIA minimum-elements score",
    help_text="Add the missing elements (supplier, version, purl, dependencies, author, "
    "timestamp) where the SBOM is generated.",
    default_severity=Severity.HIGH,
    tags=("sbom", "ntia"),
)
SBOM_INCONSISTENT = Rule(
    "SBOM-INCONSISTENT",
    "sbom-inconsistent",
    TOOL.name,
    "The SBOM's references do not hold together: a bom-ref is used by several components, or "
    "a dependencies entry names a bom-ref that is not in the SBOM",
    help_text="Regenerate the SBOM; give each component its own bom-ref and list only "
    "components of the SBOM in dependencies.",
    default_severity=Severity.MEDIUM,
    tags=("sbom", "ntia"),
)
LICENSE_DENIED = Rule(
    "LICENSE-NOT-ALLOWED",
    "license-not-allowed",
    TOOL.name,
    "A component's licence is not satisfiable with the allowed licences",
    help_text="Replace the component, or add its licence to --allow-licenses after review.",
    default_severity=Severity.HIGH,
    tags=("sbom", "license"),
)
LICENSE_UNKNOWN = Rule(
    "LICENSE-UNKNOWN",
    "license-unknown",
    TOOL.name,
    "A component has no licence, or one that is not an SPDX identifier or expression",
    help_text="Find the component's licence and record it as SPDX (PEP 639 License-Expression).",
    default_severity=Severity.MEDIUM,
    tags=("sbom", "license"),
)


@dataclass(frozen=True)
class CheckOptions:
    min_score: float = 0.0
    allow_licenses: frozenset[str] | None = None
    deny_unknown_licenses: bool = False


@dataclass(frozen=True)
class ComponentGaps:
    name: str
    version: str | None
    missing: tuple[str, ...]


@dataclass(frozen=True)
class CheckResult:
    score: float
    present: int
    total: int
    document_missing: tuple[str, ...]
    components: tuple[ComponentGaps, ...]
    """Components with at least one missing element."""
    findings: tuple[Finding, ...]
    unknown_licenses: int = 0
    """Components without an SPDX licence (findings only with ``deny_unknown_licenses``)."""
    unchecked_components: tuple[str, ...] = ()
    """``name version`` of the components with a non-SPDX (or no) licence entry that no finding
    reports (without ``deny_unknown_licenses``): the CLI names them in a warning."""

    def report(self, *, today: dt.date, policy: Policy | None = None) -> Report:
        """The findings with the policy's verdicts (default: every finding blocks)."""
        applied = (policy or Policy()).apply(self.findings, today=today)
        return Report(
            TOOL,
            applied.findings,
            fail_on=(policy or Policy()).fail_on.value,
            properties={"ntiaScore": self.score},
        )

    def summary(self) -> str:
        return f"NTIA minimum elements: {self.score}% ({self.present} of {self.total} present)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "present": self.present,
            "total": self.total,
            "documentMissing": list(self.document_missing),
            "components": [
                {"name": g.name, "version": g.version, "missing": list(g.missing)}
                for g in self.components
            ],
        }


def render_check(result: CheckResult, report: Report, fmt: str) -> str:
    """``table``, ``json`` (the NTIA result and the findings), ``sarif`` or ``markdown``."""
    from chainkit._internal.markdown import table
    from chainkit._internal.output import printable

    if fmt == "json":
        data = {"ntia": result.as_dict(), "findings": json.loads(format(report, "json"))}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "sarif":
        return format(report, "sarif")
    gaps = [(g.name, g.version or "-", ", ".join(g.missing)) for g in result.components]
    if fmt == "markdown":
        appendix = (
            [f"Document missing: {', '.join(result.document_missing)}"]
            if result.document_missing
            else []
        )
        if gaps:
            appendix.append(table(("component", "version", "missing"), gaps))
        return render_markdown(
            report, title="SBOM check", summary_text=result.summary(), appendix=appendix
        )
    lines = [printable(f"{name} {version}: missing {missing}") for name, version, missing in gaps]
    if result.document_missing:
        lines.insert(0, f"document: missing {', '.join(result.document_missing)}")
    return render_table(report, summary_text=result.summary(), appendix=lines)


def _missing(
    component: SbomComponent, depends: set[str], broken: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """The NTIA elements ``component`` lacks; ``broken``: bom-refs whose relationships cannot
    be trusted (duplicated, or depending on a ref that is not in the SBOM)."""
    gaps = []
    if not (component.supplier or component.has_author):
        gaps.append("supplier")
    if not component.name:
        gaps.append("name")
    if not component.version:
        gaps.append("version")
    if not component.identifier:
        gaps.append("unique identifier")
    if component.bom_ref is None or component.bom_ref not in depends or component.bom_ref in broken:
        gaps.append("dependency relationships")
    return tuple(gaps)


def _ref(component: SbomComponent) -> PackageRef:
    return PackageRef(component.name, component.version, component.purl)


def _location(sbom: Sbom, component: SbomComponent | None) -> tuple[Location, ...]:
    return (Location(path=sbom.source, package=_ref(component) if component else None),)


def check_sbom(sbom: Sbom, options: CheckOptions) -> CheckResult:
    """The NTIA score and the licence findings of ``sbom``."""
    depends = set(sbom.dependencies)
    everything = ([sbom.root] if sbom.root is not None else []) + list(sbom.components)
    refs = [c.bom_ref for c in everything if c.bom_ref is not None]
    duplicated = {r for r in refs if refs.count(r) > 1}
    services = sbom.document.get("services") if isinstance(sbom.document, dict) else None
    refs += [
        s["bom-ref"]
        for s in (services if isinstance(services, list) else [])
        if isinstance(s, dict) and isinstance(s.get("bom-ref"), str)
    ]
    dangling = {
        parent: tuple(c for c in children if c not in set(refs))
        for parent, children in sbom.dependencies.items()
        if parent not in set(refs) or any(c not in set(refs) for c in children)
    }
    broken = frozenset(duplicated | set(dangling))
    gaps = [ComponentGaps(c.name, c.version, _missing(c, depends, broken)) for c in everything]
    document_missing = tuple(
        name
        for name, present in (
            ("author", bool(sbom.sbom_authors)),
            ("timestamp", bool(sbom.timestamp)),
        )
        if not present
    )
    total = 5 * len(everything) + 2
    present = total - sum(len(g.missing) for g in gaps) - len(document_missing)
    score = round(100.0 * present / total, 1)
    findings: list[Finding] = []
    if score < options.min_score:
        findings.append(
            Finding(
                NTIA_SCORE,
                f"NTIA minimum elements: {score}% present, {options.min_score}% required",
                fingerprint(NTIA_SCORE.id, sbom.source),
                Severity.HIGH,
                _location(sbom, None),
                properties={"score": score, "minScore": options.min_score},
            )
        )
    for ref in sorted(duplicated):
        findings.append(
            Finding(
                SBOM_INCONSISTENT,
                "several components share one bom-ref",
                fingerprint(SBOM_INCONSISTENT.id, sbom.source, "duplicate", ref),
                Severity.MEDIUM,
                _location(sbom, None),
                properties={"bomRef": ref},
            )
        )
    for parent, missing in sorted(dangling.items()):
        findings.append(
            Finding(
                SBOM_INCONSISTENT,
                "a dependencies entry refers to a bom-ref that is not in the SBOM",
                fingerprint(SBOM_INCONSISTENT.id, sbom.source, "dangling", parent),
                Severity.MEDIUM,
                _location(sbom, None),
                properties={"ref": parent, "missing": list(missing)},
            )
        )
    unknown = 0
    unchecked: list[str] = []
    for component in sbom.components:
        verdict = evaluate(component.licenses, options.allow_licenses)
        unknown += bool(verdict.unknown)
        key = (component.purl or component.name, component.version or "")
        if verdict.unknown and options.deny_unknown_licenses:
            what = "no licence" if verdict.unknown == ("(none)",) else "a licence that is not SPDX"
            findings.append(
                Finding(
                    LICENSE_UNKNOWN,
                    f"{component.name} {component.version or ''}".strip() + f" has {what}",
                    fingerprint(LICENSE_UNKNOWN.id, *key),
                    Severity.MEDIUM,
                    _location(sbom, component),
                    properties={"licenses": list(component.licenses)},
                )
            )
        if options.allow_licenses is not None and verdict.denied:
            # reported whatever other (unknown) entries the component lists
            findings.append(
                Finding(
                    LICENSE_DENIED,
                    f"{component.name} {component.version or ''}".strip()
                    + f" is licensed {' AND '.join(verdict.denied)}, not allowed",
                    fingerprint(LICENSE_DENIED.id, *key),
                    Severity.HIGH,
                    _location(sbom, component),
                    properties={
                        "licenses": list(component.licenses),
                        "denied": list(verdict.denied),
                    },
                )
            )
        if verdict.unknown and not options.deny_unknown_licenses:
            unchecked.append(f"{component.name} {component.version or ''}".strip())
    return CheckResult(
        score=score,
        present=present,
        total=total,
        document_missing=document_missing,
        components=tuple(g for g in gaps if g.missing),
        findings=tuple(findings),
        unknown_licenses=unknown,
        unchecked_components=tuple(unchecked),
    )
