"""Drive pip-audit: collect dependencies, query the service, apply severities and the policy.

pip-audit runs in-process through its Python API (``Auditor`` with a ``DependencySource``
and a ``VulnerabilityService``), not as a subprocess: the results come back as objects
(including pip-audit's own skip reasons), errors come back as typed exceptions that map onto
chainkit's exit codes, lock files pip-audit cannot read become ordinary dependency sources,
and there is no second interpreter start-up or JSON round trip (see benchmarks/audit). The
API is internal to pip-audit, so it is used only here and pinned to pip-audit 2.x.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import requests
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion

from chainkit.audit._errors import AuditFailedError, InputError
from chainkit.audit._findings import to_finding
from chainkit.audit._inputs import AuditInput
from chainkit.audit._model import (
    Advisory,
    AuditFinding,
    AuditReport,
    InputSummary,
    Location,
    Package,
    Skipped,
)
from chainkit.audit._osv.database import AdvisoryDatabase, load_database
from chainkit.audit._osv.match import record_fix_versions
from chainkit.audit._severity import UNKNOWN, rating_of
from chainkit.findings import Policy

if TYPE_CHECKING:
    from pip_audit._service.interface import (
        Dependency,
        VulnerabilityResult,
        VulnerabilityService,
    )

__all__ = ["AuditRequest", "run_audit"]

_Audited = list[tuple[AuditInput, "Dependency", list["VulnerabilityResult"]]]

_log = logging.getLogger("chainkit.audit")

DEFAULT_OSV_URL = "https://api.osv.dev/v1/query"
Service = Literal["osv", "pypi"]


@dataclass(frozen=True)
class AuditRequest:
    """What to audit, against which advisories."""

    inputs: tuple[AuditInput, ...]
    service: Service = "osv"
    advisory_db: Path | None = None
    osv_url: str | None = None
    cache_dir: Path | None = None
    timeout: int = 15


def _osv_base(query_url: str) -> str:
    return query_url[: -len("/v1/query")] if query_url.endswith("/v1/query") else query_url


class _RecordSource:
    """Full OSV records by id or alias, for severities, aliases and fix versions.

    Records come from, in order: the loaded offline database; the OSV query responses
    pip-audit received (captured with a response hook on its session, so nothing is
    fetched twice); ``GET {osv_base}/v1/vulns/{id}`` (the PyPI service path).
    """

    def __init__(
        self,
        *,
        database: AdvisoryDatabase | None,
        osv_base: str | None,
        session: requests.Session,
        timeout: int,
    ) -> None:
        self._database = database
        self._base = osv_base
        self._session = session
        self._timeout = timeout
        self._captured: dict[str, Mapping[str, Any]] = {}
        self._fetched: dict[str, Mapping[str, Any] | None] = {}
        self._fixes: dict[tuple[str, str], tuple[str, ...]] = {}
        self._warned = False

    def capture(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A ``requests`` response hook: remember the records in OSV query responses."""
        if response.request is None or response.request.method != "POST" or not response.ok:
            return
        try:
            data = response.json()
        except ValueError:
            return
        vulns = data.get("vulns") if isinstance(data, Mapping) else None
        for raw in vulns if isinstance(vulns, list) else []:
            record = _checked(raw, "an OSV query response")
            if record is not None:
                self._captured[record["id"]] = record
                for alias in record.get("aliases") or []:
                    self._captured.setdefault(str(alias), record)

    def get(self, vuln_id: str) -> Mapping[str, Any] | None:
        if self._database is not None:
            return self._database.get(vuln_id)
        if vuln_id in self._captured:
            return self._captured[vuln_id]
        if self._base is None:
            return None
        if vuln_id not in self._fetched:
            self._fetched[vuln_id] = self._fetch(vuln_id)
        return self._fetched[vuln_id]

    def fix_versions(self, record: Mapping[str, Any], package: str) -> tuple[str, ...]:
        key = (str(record["id"]), package)
        if key not in self._fixes:
            self._fixes[key] = tuple(record_fix_versions(record, package))
        return self._fixes[key]

    def _fetch(self, vuln_id: str) -> Mapping[str, Any] | None:
        url = f"{self._base}/v1/vulns/{vuln_id}"
        try:
            response = self._session.get(url, timeout=self._timeout)
            if response.status_code == 404:
                return None
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            if not self._warned:
                _log.warning(
                    "could not fetch advisory records from %s (%s); severities will be unknown",
                    self._base,
                    type(exc).__name__,
                )
                self._warned = True
            return None
        return _checked(data, url)


def _checked(data: Any, where: str) -> Mapping[str, Any] | None:
    """An OSV record from a service, shape-checked like the offline database's; a malformed
    one is not used (its severity becomes unknown, which counts as the policy says)."""
    from chainkit.audit._errors import AdvisoryDatabaseError
    from chainkit.audit._osv.records import check_record

    try:
        return check_record(where, data)
    except AdvisoryDatabaseError as exc:
        _log.warning("ignoring a malformed advisory record from %s: %s", where, exc.message)
        return None


def _advisory(result: VulnerabilityResult, package: str, records: _RecordSource) -> Advisory:
    record = records.get(str(result.id))
    aliases = {str(a) for a in result.aliases}
    fixes: tuple[str, ...] = ()
    if record is not None:
        aliases |= {str(a) for a in record.get("aliases") or []}
        aliases |= {str(record["id"])}
        fixes = records.fix_versions(record, package)
    aliases.discard(str(result.id))
    return Advisory(
        id=str(result.id),
        aliases=tuple(sorted(aliases)),
        summary=str(result.description),
        fix_versions=fixes or tuple(str(v) for v in result.fix_versions),
        rating=rating_of(record, package=package) if record is not None else UNKNOWN,
        published=None if record is None else record.get("published"),
    )


def _service(request: AuditRequest, osv_url: str, records: _RecordSource) -> VulnerabilityService:
    from pip_audit._service import OsvService, PyPIService

    http_cache = None if request.cache_dir is None else request.cache_dir / "http"
    if http_cache is not None and (http_cache.parent.is_symlink() or http_cache.is_symlink()):
        # pip-audit's HTTP cache would write through the link; use pip-audit's own default.
        _log.warning("the cache directory %s is a symlink; not used for HTTP", http_cache)
        http_cache = None
    if request.service == "pypi" and request.advisory_db is None:
        return PyPIService(cache_dir=http_cache, timeout=request.timeout)
    service = OsvService(cache_dir=http_cache, timeout=request.timeout, osv_url=osv_url)
    service.session.hooks["response"].append(records.capture)
    return service


def _collect(
    request: AuditRequest, service: VulnerabilityService, *, online: bool
) -> tuple[_Audited, list[Skipped]]:
    from pip_audit._audit import Auditor
    from pip_audit._dependency_source import DependencySourceError
    from pip_audit._service.interface import ServiceError

    results: _Audited = []
    skipped: list[Skipped] = []
    auditor = Auditor(service)
    for item in request.inputs:
        skipped.extend(item.skipped)
        _log.info("auditing %s (%s): %s", item.label, item.kind, item.mode)
        try:
            for dep, vulns in auditor.audit(item.make_source()):
                if dep.is_skipped():
                    if item.kind == "requirements" and not _is_name(str(dep.name)):
                        continue  # an unnamed URL/path requirement: already in item.skipped
                    skipped.append(Skipped(str(dep.name), str(dep.skip_reason), item.label))
                else:
                    results.append((item, dep, list(vulns)))
        except DependencySourceError as exc:
            if item.kind == "environment":
                raise AuditFailedError(
                    f"pip-audit could not list the environment's packages: {exc}",
                    remediation="check that pip works in this interpreter (python -m pip list)",
                ) from exc
            if item.resolves:
                raise AuditFailedError(
                    f"pip-audit could not resolve {item.label}: {exc}",
                    remediation="check the requirements and the package index; pin every "
                    "requirement (e.g. uv pip compile) to audit without resolving",
                ) from exc
            # pip-audit's messages quote requirement lines; chainkit's never do.
            raise InputError(
                f"pip-audit rejected {item.label} ({type(exc).__name__})",
                remediation="pin every requirement with == (and hash all or none)",
            ) from exc
        except InvalidVersion as exc:
            # Inputs are parsed before the audit; a bad version here comes from the
            # advisory data (e.g. a 'fixed' event), not from the user's file.
            raise AuditFailedError(
                f"auditing {item.label}: a version is not PEP 440 (not quoted: it may come "
                "from an input or an advisory)",
                remediation="check the input's versions; else update the advisory database "
                "or report the record upstream",
            ) from exc
        except (KeyError, TypeError, AttributeError) as exc:
            if not online:
                raise  # the offline database is shape-checked: this would be a bug
            # pip-audit indexes the service's JSON without checking its shape.
            raise AuditFailedError(
                f"the vulnerability service returned a malformed response ({type(exc).__name__})",
                remediation="check --osv-url (it must be an OSV API), or audit offline with "
                "--advisory-db",
            ) from exc
        except (ServiceError, requests.RequestException) as exc:
            raise AuditFailedError(
                f"the vulnerability service failed: {type(exc).__name__}: {exc}",
                remediation="check the network or --osv-url, or audit offline with "
                "--advisory-db (an OSV export such as PyPI/all.zip)",
            ) from exc
    return results, skipped


_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


def _is_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None


def _evaluate(
    request: AuditRequest,
    policy: Policy,
    collected: _Audited,
    skipped: Sequence[Skipped],
    records: _RecordSource,
    service_label: str,
    today: dt.date,
) -> AuditReport:
    packages: dict[tuple[str, str], Package] = {}
    vulns_by_pkg: dict[tuple[str, str], list[VulnerabilityResult]] = {}
    for item, dep, vulns in collected:
        key: tuple[str, str] = (canonicalize_name(str(dep.name)), str(dep.version))
        old = packages.get(key)
        locs: tuple[Location, ...] = item.locate(str(dep.name))
        if old is not None:
            locs = old.locations + tuple(loc for loc in locs if loc not in old.locations)
        packages[key] = Package(str(dep.name), str(dep.version), locs)
        seen = vulns_by_pkg.setdefault(key, [])
        seen.extend(v for v in vulns if all(v.id != s.id for s in seen))

    pairs: list[tuple[Package, Advisory]] = []
    for key, vulns in vulns_by_pkg.items():
        pairs.extend((packages[key], _advisory(result, key[0], records)) for result in vulns)
    pairs.sort(key=lambda p: (p[0].canonical_name, p[0].version, p[1].id))
    applied = policy.apply((to_finding(p, a) for p, a in pairs), today=today)
    findings = [
        AuditFinding(package, advisory, judged.suppression, judged.blocking)
        for (package, advisory), judged in zip(pairs, applied.findings, strict=True)
    ]
    for ignore in applied.expired:
        _log.warning(
            "ignore %s expired on %s and no longer applies; renew or remove it",
            ignore.id,
            ignore.expires,
        )
    for ignore in applied.unused:
        _log.info("ignore %s matched no finding", ignore.id)
    return AuditReport(
        inputs=tuple(InputSummary(i.label, i.kind, i.mode) for i in request.inputs),
        service=service_label,
        packages=tuple(sorted(packages.values(), key=lambda p: (p.canonical_name, p.version))),
        skipped=tuple(skipped),
        findings=tuple(findings),
        policy=policy,
        expired_ignores=applied.expired,
        unused_ignores=applied.unused,
    )


def run_audit(
    request: AuditRequest,
    policy: Policy,
    *,
    session: requests.Session | None = None,
    database: AdvisoryDatabase | None = None,
    today: dt.date | None = None,
) -> AuditReport:
    """Audit ``request.inputs`` with pip-audit and judge the findings with ``policy``.

    With ``request.advisory_db`` (or an already loaded ``database``), the database is loaded
    in this process (through the index cache in ``request.cache_dir``) and pip-audit queries
    it through :class:`~chainkit.audit._osv.service.DatabaseService`: no HTTP, nothing
    leaves the machine (docs/adr/0005-offline-osv-service.md). ``session`` fetches OSV
    records for the PyPI service.
    """
    if not request.inputs:
        raise InputError(
            "nothing to audit",
            remediation="pass -r requirements.txt, a PROJECT_PATH (with --locked for its lock "
            "files), or --env",
        )
    today = today or dt.date.today()
    http = session or requests.Session()
    if request.advisory_db is not None and database is None:
        database = load_database(request.advisory_db, cache_dir=request.cache_dir)
    if database is not None:
        from chainkit.audit._osv.service import DatabaseService

        label = f"advisory database {database.source} ({len(database)} records, offline)"
        records = _RecordSource(database=database, osv_base=None, session=http, timeout=1)
        collected, skipped = _collect(request, DatabaseService(database), online=False)
        return _evaluate(request, policy, collected, skipped, records, label, today)

    osv_url = request.osv_url or DEFAULT_OSV_URL
    label = f"OSV ({osv_url})" if request.service == "osv" else "PyPI JSON API"
    base = _osv_base(osv_url) if request.service == "osv" else _osv_base(DEFAULT_OSV_URL)
    records = _RecordSource(database=None, osv_base=base, session=http, timeout=request.timeout)
    collected, skipped = _collect(request, _service(request, osv_url, records), online=True)
    return _evaluate(request, policy, collected, skipped, records, label, today)
