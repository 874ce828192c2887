"""``chainkit sbom``: generate, check, diff, merge and attach CycloneDX SBOMs.

Each command parses, calls one public function of :mod:`chainkit.sbom`, and renders.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from chainkit._cli._options import identity_token_option, repo_option, trust_config_option
from chainkit._cli._report import deliver, step_summary
from chainkit.errors import ExitCode, UsageError

__all__ = ["sbom"]

_log = logging.getLogger("chainkit.sbom")
_PATH = click.Path(path_type=Path, dir_okay=True, file_okay=True)
_FILE = click.Path(path_type=Path, dir_okay=False, file_okay=True)
_SOURCES = ("environment", "requirements", "lock", "project")


@click.group()
def sbom() -> None:
    """Generate, check, compare, merge and attach CycloneDX SBOMs."""


@sbom.command()
@click.argument("source", type=click.Choice(_SOURCES))
@click.argument("target", required=False, type=_PATH)
@click.option("-o", "--output", type=_PATH, help="Write the SBOM to this file (default stdout).")
@click.option(
    "--sv",
    "spec",
    type=click.Choice(("1.5", "1.6")),
    default="1.6",
    show_default=True,
    help="CycloneDX spec version.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("json", "xml")),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--reproducible",
    is_flag=True,
    help="Byte-identical output for the same inputs (timestamp from SOURCE_DATE_EPOCH, "
    "serial number from the content).",
)
@click.option("--no-dev", is_flag=True, help="Leave out components only in dev/optional groups.")
@click.option(
    "--metadata-from",
    type=_FILE,
    metavar="PYTHON",
    help="requirements/lock/project: licences, supplier and authors from the distributions "
    "installed for PYTHON at exactly the pinned version.",
)
@click.option(
    "--with-vulnerabilities",
    is_flag=True,
    help="Add known vulnerabilities (the audit engine: OSV, PyPI or --advisory-db).",
)
@click.option(
    "--advisory-db",
    type=_PATH,
    envvar="CHAINKIT_AUDIT_ADVISORY_DB",
    help="Offline OSV database for --with-vulnerabilities. [env: CHAINKIT_AUDIT_ADVISORY_DB]",
)
@click.option(
    "--service",
    type=click.Choice(["osv", "pypi"]),
    default="osv",
    show_default=True,
    help="Online vulnerability service for --with-vulnerabilities.",
)
def generate(
    source: str,
    target: Path | None,
    output: Path | None,
    spec: str,
    fmt: str,
    reproducible: bool,
    no_dev: bool,
    metadata_from: Path | None,
    with_vulnerabilities: bool,
    advisory_db: Path | None,
    service: str,
) -> ExitCode:
    """Generate an SBOM of SOURCE, validated against the CycloneDX schema.

    \b
    SOURCE is one of:
      environment [PYTHON]   installed distributions (default: this interpreter)
      requirements FILE      a requirements file (-r includes, hashes)
      lock FILE              uv.lock, pylock.toml or poetry.lock
      project [PATH]         pyproject.toml (root component) and its lock file
    SOURCE_DATE_EPOCH, when set, fixes the timestamp (and makes the output reproducible).
    """
    from chainkit import __version__
    from chainkit.sbom import (
        AuditOptions,
        BuildOptions,
        EnvironmentSource,
        LockSource,
        ProjectSource,
        RequirementsSource,
        SbomSource,
    )
    from chainkit.sbom import (
        generate as generate_sbom,
    )

    chosen: SbomSource
    if source == "environment":
        if metadata_from is not None:
            raise UsageError(
                "--metadata-from is for requirements, lock and project sources",
                remediation="an environment SBOM reads its own metadata",
            )
        chosen = EnvironmentSource(target)
    elif source == "project":
        chosen = ProjectSource(target or Path(), metadata_from)
    elif target is None:
        raise UsageError(
            f"sbom generate {source} needs a FILE",
            remediation=f"chainkit sbom generate {source} PATH",
        )
    elif source == "lock":
        chosen = LockSource(target, metadata_from)
    else:
        chosen = RequirementsSource(target, metadata_from)
    options = BuildOptions(
        spec=spec,
        fmt=fmt,
        reproducible=reproducible,
        source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
        no_dev=no_dev,
        tool_version=__version__,
    )
    audit = AuditOptions(service=service, advisory_db=advisory_db) if with_vulnerabilities else None
    deliver(output, generate_sbom(chosen, options, vulnerabilities=audit), "SBOM")
    return ExitCode.OK


@sbom.command()
@click.argument("file", type=_FILE)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    default=0.0,
    show_default=True,
    help="Fail (exit 1) when the NTIA minimum-elements score is below this percentage.",
)
@click.option(
    "--allow-licenses",
    metavar="EXPR,...",
    help="Allowed SPDX licence ids (and 'ID WITH EXCEPTION'), comma-separated.",
)
@click.option(
    "--deny-unknown-licenses",
    is_flag=True,
    help="Report components without an SPDX licence.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "sarif", "markdown")),
    default="table",
    show_default=True,
    help="Report format.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("-o", "--output", type=_PATH, help="Write the report to this file.")
@click.option("--summary", is_flag=True, help="Append a Markdown report to $GITHUB_STEP_SUMMARY.")
def check(
    file: Path,
    min_score: float,
    allow_licenses: str | None,
    deny_unknown_licenses: bool,
    fmt: str,
    as_json: bool,
    output: Path | None,
    summary: bool,
) -> ExitCode:
    """Check an SBOM: NTIA minimum elements (a score) and a licence policy.

    Exit codes: 0 nothing blocking, 1 findings, 2 bad input.
    """
    import datetime as dt

    from chainkit.sbom import CheckOptions, check_sbom, load_sbom, parse_allow_list, render_check

    allowed = None
    if allow_licenses is not None:
        try:
            allowed = parse_allow_list(tuple(allow_licenses.split(",")))
        except ValueError as exc:
            raise UsageError(
                f"--allow-licenses: {exc} is not an SPDX licence id",
                remediation="list SPDX ids such as MIT,Apache-2.0,BSD-3-Clause",
            ) from None
    options = CheckOptions(min_score, allowed, deny_unknown_licenses)
    result = check_sbom(load_sbom(file), options)
    report = result.report(today=dt.datetime.now(tz=dt.timezone.utc).date())
    deliver(output, render_check(result, report, "json" if as_json else fmt), "report")
    step_summary(summary, lambda: render_check(result, report, "markdown"))
    _log.info("NTIA minimum elements: %s%% (%d of %d)", result.score, result.present, result.total)
    if result.unchecked_components:
        from chainkit._internal.output import printable

        shown = result.unchecked_components
        names = ", ".join(printable(n) for n in shown[:10]) + (", …" if len(shown) > 10 else "")
        _log.warning(
            "%d component(s) have a licence entry that is not SPDX (or none), which no allow "
            "list can check: %s; --deny-unknown-licenses reports them as findings",
            len(shown),
            names,
        )
    return ExitCode.FINDINGS if report.blocking else ExitCode.OK


@sbom.command()
@click.argument("old", type=_FILE)
@click.argument("new", type=_FILE)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "markdown")),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--with-vulnerabilities",
    is_flag=True,
    help="Also list vulnerabilities introduced or fixed (from the SBOMs' vulnerabilities).",
)
def diff(old: Path, new: Path, fmt: str, with_vulnerabilities: bool) -> ExitCode:
    """Components added, removed, upgraded or downgraded, and licences changed."""
    import dataclasses

    from chainkit._internal.output import emit_text
    from chainkit.sbom import diff_sboms, load_sbom, render_diff

    changes = diff_sboms(load_sbom(old), load_sbom(new))
    if not with_vulnerabilities:
        changes = dataclasses.replace(
            changes, vulnerabilities_introduced=(), vulnerabilities_fixed=()
        )
    emit_text(render_diff(changes, fmt))
    return ExitCode.OK


@sbom.command()
@click.argument("files", nargs=-1, required=True, type=_FILE)
@click.option("-o", "--output", type=_PATH, required=True, help="The merged SBOM.")
@click.option("--reproducible", is_flag=True, help="As for generate.")
def merge(files: tuple[Path, ...], output: Path, reproducible: bool) -> ExitCode:
    """Merge SBOMs: components deduplicated by purl, dependency graphs kept."""
    from chainkit import __version__
    from chainkit._internal.output import printable
    from chainkit.sbom import load_sbom, merge_sboms

    if len(files) < 2:
        raise UsageError("sbom merge needs at least two SBOMs", remediation="pass A B [...]")
    result = merge_sboms(
        [load_sbom(f) for f in files],
        reproducible=reproducible,
        source_date_epoch=os.environ.get("SOURCE_DATE_EPOCH"),
        tool_version=__version__,
    )
    for conflict in result.conflicts:
        if conflict.kind == "version":
            _log.warning(
                "conflicting versions of %s: %s",
                printable(conflict.subject),
                printable(", ".join(conflict.values)),
            )
        else:
            _log.error(
                "conflicting %s for %s: %s%s",
                conflict.kind,
                printable(conflict.subject),
                printable(" | ".join(conflict.values)),
                "; both are kept under their own purls"
                if conflict.kind == "source"
                else "; the first input's copy is kept",
            )
    deliver(output, result.document, "merged SBOM")
    _log.info(
        "%d components, %d vulnerabilities from %d SBOMs",
        result.components,
        result.vulnerabilities,
        len(files),
    )
    return ExitCode.FINDINGS if result.blocking else ExitCode.OK


@sbom.command()
@repo_option("Repository of the release.")
@click.option("--tag", required=True, help="Tag of the release to attach to.")
@click.argument("file", type=_FILE)
@click.option("--name", help="Asset name (default: <project>-<version>.cdx.json from the SBOM).")
@click.option("--sign", is_flag=True, help="Also sign it and upload <name>.sigstore.json.")
@identity_token_option()
@trust_config_option()
@click.option("--json", "as_json", is_flag=True, help="What was attached, as JSON on stdout.")
def attach(
    repo: str | None,
    tag: str,
    file: Path,
    name: str | None,
    sign: bool,
    identity_token: str | None,
    trust_config: Path | None,
    as_json: bool,
) -> ExitCode:
    """Attach an SBOM (and with --sign its Sigstore bundle) to a GitHub release.

    Attaching twice changes nothing; a different file under the same name is an error.
    """
    from chainkit._cli import github_client
    from chainkit._internal.ghenv import GitHubContext
    from chainkit._internal.output import emit_json
    from chainkit.sbom import AttachRequest, attach_sbom
    from chainkit.signing import (
        BundleVerifier,
        KeylessSigner,
        ambient_github_token,
        load_trust_config,
        static_token,
        token_claims,
    )

    if not repo:
        raise UsageError("sbom attach needs --repo OWNER/NAME", remediation="pass --repo")
    context = GitHubContext.from_env()
    client = github_client(context)
    signer = verifier = claims = None
    if sign:
        config = load_trust_config(trust_config)
        provider = static_token(identity_token) if identity_token else ambient_github_token()
        verifier = BundleVerifier.from_trust_config(config)

        def signer() -> KeylessSigner:
            return KeylessSigner(trust_config=config, token_provider=provider)

        def claims() -> dict[str, object]:
            return token_claims(provider())

    result = attach_sbom(
        AttachRequest(repo, tag, file, name=name, sign=sign),
        client=client,
        signer=signer,
        verifier=verifier,
        claims=claims,
    )
    if as_json:
        emit_json(
            {"asset": result.asset, "bundle": result.bundle, "uploaded": list(result.uploaded)}
        )
    if result.uploaded:
        _log.info("attached to %s: %s", tag, ", ".join(result.uploaded))
    else:
        _log.info("already attached to %s: nothing changed", tag)
    return ExitCode.OK
