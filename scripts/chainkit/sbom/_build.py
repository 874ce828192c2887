"""An :class:`Inventory` as a CycloneDX document (cyclonedx-python-lib's model and writers),
validated before anything is returned.

Reproducible output: the timestamp is ``SOURCE_DATE_EPOCH`` and the serial number a UUID
derived from the document's content (SHA-256 of the document written with a fixed
placeholder serial); ordering is the library's (components and dependencies are sorted
sets). Without ``reproducible`` and ``SOURCE_DATE_EPOCH`` the timestamp is now and the serial
a random UUID, so two runs differ exactly there.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chainkit.sbom._errors import InvalidSbomError, SbomInputError
from chainkit.sbom._inventory import Inventory, Package
from chainkit.sbom._iri import is_iri_reference
from chainkit.sbom._validate import validate_json, validate_xml
from chainkit.sbom._vulns import Vuln

__all__ = ["BuildOptions", "build_document", "purl_of", "timestamp_from"]

_PLACEHOLDER = uuid.UUID(int=0)
_EPOCH = re.compile(r"[0-9]+", re.ASCII)
_HEX = re.compile(r"[0-9a-fA-F]{32,128}")
_HASHES = {"sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512", "md5": "MD5"}
GROUP_PROPERTY = "chainkit:group"
ORIGIN_PROPERTY = "chainkit:origin"
RECORD_PROPERTY = "chainkit:record:sha256"


@dataclass(frozen=True)
class BuildOptions:
    spec: str = "1.6"
    fmt: str = "json"  # json | xml
    reproducible: bool = False
    source_date_epoch: str | None = None
    no_dev: bool = False
    tool_version: str = "0"


def timestamp_from(epoch: str | None, *, reproducible: bool) -> datetime:
    if epoch is not None and epoch != "":
        try:
            # the reproducible-builds spec: ASCII digits only (no sign, space or underscore,
            # all of which int() accepts)
            if not _EPOCH.fullmatch(epoch):
                raise ValueError(epoch)
            seconds = int(epoch)
            return datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise SbomInputError(
                "SOURCE_DATE_EPOCH is not a number of seconds since 1970",
                remediation="export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
            ) from None
    if reproducible:
        raise SbomInputError(
            "--reproducible needs a timestamp: SOURCE_DATE_EPOCH is not set",
            remediation="export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
        )
    return datetime.now(tz=timezone.utc)


def purl_of(package: Package) -> Any:
    """``pkg:pypi/NAME@VERSION`` for a package from PyPI. A package from elsewhere never gets
    that purl (it would claim PyPI's artifact): the purl spec's qualifiers name the source,
    ``repository_url`` (another index), ``vcs_url`` (``git+URL@COMMIT``) or ``download_url``
    (an archive URL); a local directory or path has no URL to name and is ``pkg:generic``."""
    from packageurl import PackageURL

    source = package.source
    if source is None:
        return PackageURL(type="pypi", name=package.key, version=package.version)
    qualifiers: dict[str, str] = {}
    if source.kind == "registry" and source.url:
        qualifiers["repository_url"] = source.url
    elif source.kind == "vcs" and source.url:
        vcs = source.vcs or "git"
        url = source.url if source.url.startswith(f"{vcs}+") else f"{vcs}+{source.url}"
        qualifiers["vcs_url"] = f"{url}@{source.commit}" if source.commit else url
    elif source.kind == "url" and source.url:
        qualifiers["download_url"] = source.url
    else:  # directory, path, editable, virtual, or a source without its URL
        return PackageURL(type="generic", name=package.key, version=package.version)
    return PackageURL(type="pypi", name=package.key, version=package.version, qualifiers=qualifiers)


def _source_references(package: Package) -> list[Any]:
    """A ``vcs`` reference (the repository; the commit as its comment) or a ``distribution``
    reference (the archive) for a package that is not from an index."""
    from cyclonedx.model import ExternalReference, ExternalReferenceType, XsUri

    source = package.source
    if source is None or not source.url or not _absolute_iri(source.url):
        return []
    if source.kind == "vcs":
        return [
            ExternalReference(
                type=ExternalReferenceType.VCS,
                url=XsUri(source.url),
                comment=f"commit {source.commit}" if source.commit else None,
            )
        ]
    if source.kind == "url" and not any(a.url == source.url for a in package.artifacts):
        return [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(source.url))]
    return []


def _absolute_iri(url: str) -> bool:
    scheme, sep, _ = url.partition("://")
    return bool(sep) and scheme.replace("+", "").isalnum() and is_iri_reference(url)


def _component(package: Package, *, root: bool = False) -> Any:
    from cyclonedx.factory.license import LicenseFactory
    from cyclonedx.model import (
        ExternalReference,
        ExternalReferenceType,
        HashAlgorithm,
        HashType,
        Property,
        XsUri,
    )
    from cyclonedx.model.component import Component, ComponentScope, ComponentType
    from cyclonedx.model.contact import OrganizationalContact, OrganizationalEntity
    from cyclonedx.model.license import LicenseExpression

    purl = purl_of(package)

    def hash_types(texts: tuple[str, ...]) -> list[Any]:
        found = []
        for text in texts:
            algorithm, _, value = text.partition(":")
            name = _HASHES.get(algorithm.lower())
            if name and _HEX.fullmatch(value):
                found.append(HashType(alg=HashAlgorithm(name), content=value.lower()))
        return found

    hashes = hash_types(package.hashes)
    references = [
        ExternalReference(
            type=ExternalReferenceType.DISTRIBUTION,
            url=XsUri(artifact.url),
            hashes=hash_types(artifact.hashes),
        )
        for artifact in package.artifacts
        # a lock file's URL is its author's text: one that is not an absolute http(s) IRI
        # is left out rather than failing the SBOM
        if artifact.url.startswith(("https://", "http://")) and is_iri_reference(artifact.url)
    ]
    references.extend(_source_references(package))
    licenses: list[Any] = []
    if package.license_expression:
        licenses.append(LicenseExpression(package.license_expression))
    else:
        factory = LicenseFactory()
        licenses.extend(factory.make_from_string(n) for n in package.license_names)
    properties = [Property(name=GROUP_PROPERTY, value=g) for g in package.groups]
    if package.origin:
        properties.append(Property(name=ORIGIN_PROPERTY, value=package.origin))
    if package.record_sha256:
        properties.append(Property(name=RECORD_PROPERTY, value=package.record_sha256))
    scope = None
    if not root and package.groups:
        scope = ComponentScope.OPTIONAL if package.dev else ComponentScope.REQUIRED
    return Component(
        name=package.name,
        version=package.version,
        type=ComponentType.APPLICATION if root else ComponentType.LIBRARY,
        bom_ref=str(purl),
        purl=purl,
        hashes=hashes,
        external_references=references,
        licenses=licenses,
        supplier=OrganizationalEntity(name=package.supplier) if package.supplier else None,
        authors=[OrganizationalContact(name=p.name, email=p.email) for p in package.authors],
        properties=properties,
        scope=scope,
    )


def _ref_key(package: Package) -> str:
    return f"{package.key}@{package.version or ''}"


def _vulnerability(vuln: Vuln, ref: str) -> Any:
    from decimal import Decimal

    from cyclonedx.model import XsUri
    from cyclonedx.model.vulnerability import (
        BomTarget,
        Vulnerability,
        VulnerabilityRating,
        VulnerabilityReference,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )

    method = None
    if vuln.vector is not None:
        method = (
            VulnerabilityScoreSource.CVSS_V4
            if vuln.vector.startswith("CVSS:4")
            else VulnerabilityScoreSource.CVSS_V3_1
            if vuln.vector.startswith("CVSS:3.1")
            else VulnerabilityScoreSource.CVSS_V3
            if vuln.vector.startswith("CVSS:3")
            else VulnerabilityScoreSource.OTHER
        )
    rating = VulnerabilityRating(
        severity=VulnerabilitySeverity(vuln.severity),
        score=Decimal(str(vuln.score)) if vuln.score is not None else None,
        vector=vuln.vector,
        method=method,
    )
    source = VulnerabilitySource(name="OSV", url=XsUri(vuln.url) if vuln.url else None)
    fix = ", ".join(vuln.fix_versions)
    return Vulnerability(
        bom_ref=f"{vuln.id}/{ref}",
        id=vuln.id,
        source=source,
        references=[
            VulnerabilityReference(id=a, source=VulnerabilitySource(name="OSV"))
            for a in vuln.aliases
        ],
        ratings=[rating],
        description=vuln.summary or None,
        recommendation=f"Upgrade {vuln.package} to {fix}." if fix else None,
        affects=[BomTarget(ref=ref)],
    )


def _bom(
    inventory: Inventory,
    options: BuildOptions,
    serial: uuid.UUID,
    when: datetime,
    vulns: tuple[Vuln, ...] = (),
) -> Any:
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.tool import ToolRepository

    # --no-dev: dependency/dev groups only; extras are runtime dependencies a user opts into
    packages = [p for p in inventory.packages if not (options.no_dev and p.dev_only)]
    components = {_ref_key(p): _component(p) for p in packages}
    by_name: dict[str, list[Any]] = {}
    for package in packages:
        by_name.setdefault(package.key, []).append(components[_ref_key(package)])
    root = _component(inventory.root, root=True) if inventory.root is not None else None
    tools = ToolRepository(
        components=[
            Component(
                type=ComponentType.APPLICATION,
                name="chainkit",
                version=options.tool_version,
                bom_ref="chainkit",
            )
        ]
    )
    bom = Bom(
        serial_number=serial,
        metadata=BomMetaData(tools=tools, component=root, timestamp=when),
        components=components.values(),
    )

    def targets(key: str, version: str | None) -> list[Any]:
        exact = components.get(f"{key}@{version}") if version is not None else None
        return [exact] if exact is not None else by_name.get(key, [])

    for parent_key, parent_version, child_key, child_version in inventory.edges:
        if parent_key == "":
            parents = [root] if root is not None else []
        else:
            parents = targets(parent_key, parent_version)
        children = targets(child_key, child_version)
        for parent in parents:
            if children:
                bom.register_dependency(parent, children)
    for component in components.values():
        bom.register_dependency(component, [])
    if root is not None:
        bom.register_dependency(root, [])
    for vuln in vulns:
        component = components.get(f"{vuln.package}@{vuln.version}")
        if component is not None:  # left out (--no-dev): its advisories go with it
            bom.vulnerabilities.add(_vulnerability(vuln, str(component.bom_ref)))
    return bom


def _serialise(bom: Any, options: BuildOptions, *, graph_known: bool = True) -> str:
    from xml.parsers.expat import ExpatError

    from cyclonedx.output import make_outputter
    from cyclonedx.schema import OutputFormat, SchemaVersion

    fmt = OutputFormat.XML if options.fmt == "xml" else OutputFormat.JSON
    outputter = make_outputter(bom, fmt, SchemaVersion.from_version(options.spec))
    try:
        text: str = outputter.output_as_string(indent=2)
    except (ExpatError, ValueError) as exc:
        # text XML 1.0 cannot carry (a control character in some field)
        raise InvalidSbomError(
            f"the SBOM cannot be written as {options.fmt.upper()}: {type(exc).__name__}",
            remediation="remove control characters from the input's metadata, or use --format json",
        ) from None
    if not graph_known and fmt is OutputFormat.JSON:
        # The library writes an entry for every component; an empty one states "depends on
        # nothing", which a source without a graph does not know.
        import json

        document = json.loads(text)
        entries = [e for e in document.get("dependencies", []) if e.get("dependsOn")]
        if entries:
            document["dependencies"] = entries
        else:
            document.pop("dependencies", None)
        text = json.dumps(document, indent=2, ensure_ascii=False)
    return text if text.endswith("\n") else text + "\n"


def build_document(
    inventory: Inventory, options: BuildOptions, vulnerabilities: tuple[Vuln, ...] = ()
) -> bytes:
    """The SBOM of ``inventory``: valid CycloneDX ``options.spec``, or :class:`InvalidSbomError`."""
    import json
    import warnings

    when = timestamp_from(options.source_date_epoch, reproducible=options.reproducible)
    deterministic = options.reproducible or bool(options.source_date_epoch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns about optional parts it drops
        if deterministic:
            draft = _serialise(
                _bom(inventory, options, _PLACEHOLDER, when, vulnerabilities), options
            )
            digest = hashlib.sha256(draft.encode("utf-8")).hexdigest()
            serial = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:chainkit:sbom:sha256:{digest}")
        else:
            serial = uuid.uuid4()
        final = _bom(inventory, options, serial, when, vulnerabilities)
        text = _serialise(final, options, graph_known=inventory.graph_known)
    what = "the generated SBOM"
    if options.fmt == "xml":
        validate_xml(text, options.spec, what=what)
    else:
        validate_json(json.loads(text), options.spec, what=what)
    return text.encode("utf-8")
