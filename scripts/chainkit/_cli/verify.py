"""``chainkit verify``: verify Sigstore bundles on releases or local files."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from chainkit._cli import github_client
from chainkit._cli._options import (
    bundle_release_option,
    env_option,
    json_option,
    repo_option,
    trust_config_option,
)
from chainkit._internal.ghenv import GitHubContext, parse_repository
from chainkit._internal.output import append_step_summary, emit_json, is_tty
from chainkit.errors import ExitCode, UsageError

__all__ = ["verify"]

_log = logging.getLogger("chainkit.verify")


def _render_table(report: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from chainkit.verify import VerifyReport

    assert isinstance(report, VerifyReport)
    table = Table(title="chainkit verify")
    for col in ("release", "asset", "result", "detail"):
        table.add_column(col)
    for b in report.bundles:
        style = "green" if b.status == "verified" else ("yellow" if b.ok else "red")
        table.add_row(b.release or "", b.subject, f"[{style}]{b.status}[/]", b.reason or "")
    for a in report.attestations:
        style = "green" if a.ok else "red"
        detail = a.reason or f"{len(a.subjects)} subjects"
        table.add_row(a.release, a.name, f"[{style}]{'verified' if a.ok else 'failed'}[/]", detail)
    Console(soft_wrap=True).print(table)
    counts = report.counts()
    click.echo(
        f"{'PASSED' if report.ok else 'FAILED'}: {counts['verified']} verified, "
        f"{counts['failed']} failed, {counts['unsigned']} unsigned, "
        f"{counts['attestations']} attestations",
    )


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Bundle for a single FILE (default: FILE.sigstore.json).",
)
@repo_option("Verify the bundles on this repository's releases.", from_workflow=False)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only these releases (glob patterns allowed; repeatable).",
)
@click.option(
    "--assets",
    "asset_globs",
    multiple=True,
    metavar="GLOB",
    help="Only assets matching (repeatable); matching assets without a bundle fail.",
)
@bundle_release_option(
    "Also look for bundles in this release (where backfill puts the bundles of immutable releases)."
)
@click.option(
    "--require-bundles",
    is_flag=True,
    help="Fail for any asset without a bundle (default: report them as unsigned).",
)
@env_option(
    "--cert-identity",
    envvar="CHAINKIT_CERT_IDENTITY",
    metavar="URI",
    help="Exact certificate identity (SAN).",
)
@env_option(
    "--cert-identity-regexp",
    envvar="CHAINKIT_CERT_IDENTITY_REGEXP",
    metavar="RE",
    help="Regular expression the whole SAN must match.",
)
@env_option(
    "--cert-oidc-issuer",
    envvar="CHAINKIT_CERT_OIDC_ISSUER",
    metavar="URL",
    required=True,
    help="OIDC issuer, e.g. https://token.actions.githubusercontent.com",
)
@click.option(
    "--source-repository",
    metavar="OWNER/NAME|URL",
    help="Required source repository of the signing workflow "
    "(default with --repo: that repository).",
)
@env_option(
    "--server-url",
    envvar="GITHUB_SERVER_URL",
    default="https://github.com",
    show_default=True,
    help="GitHub server for OWNER/NAME source repositories.",
)
@trust_config_option()
@json_option()
def verify(
    files: tuple[Path, ...],
    bundle: Path | None,
    repo: str | None,
    tags: tuple[str, ...],
    asset_globs: tuple[str, ...],
    bundle_release: str | None,
    require_bundles: bool,
    cert_identity: str | None,
    cert_identity_regexp: str | None,
    cert_oidc_issuer: str,
    source_repository: str | None,
    server_url: str,
    trust_config: Path | None,
    as_json: bool,
) -> ExitCode:
    """Verify Sigstore bundles: signature, chain, log inclusion, identity, issuer, source repo.

    \b
    Releases:  chainkit verify --repo OWNER/NAME [--tag TAG]... --cert-identity URI
                 --cert-oidc-issuer URL [--source-repository OWNER/NAME]
    Files:     chainkit verify FILE... [--bundle FILE] --cert-identity URI --cert-oidc-issuer URL

    Exit 0 when everything verifies, 1 when anything fails.
    """
    from chainkit.signing import BundleVerifier, IdentityPolicy, load_trust_config
    from chainkit.verify import VerifyReport, verify_files, verify_releases

    if bool(files) == bool(repo):
        raise UsageError(
            "give either FILE arguments or --repo OWNER/NAME",
            remediation="see `chainkit verify --help`",
        )
    if bundle is not None and len(files) != 1:
        raise UsageError("--bundle goes with exactly one FILE")
    if repo is not None:
        parse_repository(repo)
        if source_repository is None:
            source_repository = repo
    elif source_repository is None:
        _log.warning("the source repository is not checked: pass --source-repository OWNER/NAME")
    policy = IdentityPolicy(
        issuer=cert_oidc_issuer,
        identity=cert_identity,
        identity_regexp=cert_identity_regexp,
        source_repository=source_repository,
        server_url=server_url,
    )
    verifier = BundleVerifier.from_trust_config(load_trust_config(trust_config))
    report = VerifyReport()
    context = GitHubContext.from_env()
    if files:
        for file_result in verify_files(files, verifier=verifier, policy=policy, bundle=bundle):
            report.add(file_result)
    else:
        assert repo is not None
        client = github_client(context)
        home = client.get_release_by_tag(repo, bundle_release) if bundle_release else None
        releases = client.iter_releases(repo)
        if tags:
            import fnmatch

            releases = (r for r in releases if any(fnmatch.fnmatchcase(r.tag, t) for t in tags))
        for item in verify_releases(
            releases,
            client=client,
            verifier=verifier,
            policy=policy,
            assets=asset_globs,
            require_bundles=require_bundles,
            bundle_release=home,
        ):
            if not as_json and not is_tty():
                what = getattr(item, "subject", None) or getattr(item, "name", "")
                _log.info("%s %s", "ok    " if item.ok else "FAILED", what)
            report.add(item)
    if not report.bundles and not report.attestations:
        raise UsageError(
            "nothing to verify: no bundles found",
            remediation="check --repo/--tag/--assets, or sign first (chainkit backfill)",
        )
    if as_json:
        emit_json(report.to_json())
    else:
        _render_table(report)
    append_step_summary(report.to_markdown(), path=context.step_summary)
    return ExitCode.OK if report.ok else ExitCode.FINDINGS
