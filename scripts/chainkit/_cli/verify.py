"""``chainkit verify``: verify Sigstore bundles on releases or local files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click
from click.core import ParameterSource

from chainkit._cli import github_client
from chainkit._cli._options import (
    bundle_release_option,
    env_option,
    json_option,
    repo_option,
    trust_config_option,
)
from chainkit._internal.ghenv import GitHubContext, parse_repository
from chainkit._internal.output import append_step_summary, emit_json, emit_text, is_tty
from chainkit.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from chainkit.verify import AttestationResult, BundleResult, VerifyReport

__all__ = ["verify"]

_log = logging.getLogger("chainkit.verify")


def _render_table(report: VerifyReport) -> None:
    """The report as a table: rich on a terminal, plain whole lines in CI logs; every cell
    is shown as text (names and reasons come from servers and files)."""
    from chainkit._internal.output import Styled, Table, print_table

    rows = []
    for release, name, result, detail, ok in report.rows():
        style = "green" if result == "verified" else ("yellow" if ok else "red")
        rows.append((release, name, Styled(result, style), detail))
    print_table(Table.of("chainkit verify", ["release", "asset", "result", "detail"], rows))
    emit_text(report.summary_line())


def _progress(item: BundleResult | AttestationResult) -> None:
    from chainkit._internal.output import printable
    from chainkit.verify import BundleResult

    what = item.subject if isinstance(item, BundleResult) else item.name
    if isinstance(item, BundleResult) and item.status == "unsigned":
        # allowed (--allow-unsigned) or not, nothing was verified: never "ok"
        label = "unsigned" if item.ok else "FAILED unsigned"
        _log.info("%s %s: %s", label, printable(what), printable(item.reason or "no bundle"))
    elif item.ok:
        _log.info("ok     %s", printable(what))
    else:
        _log.info("FAILED %s: %s", printable(what), printable(item.reason or "failed"))


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Bundle for a single FILE (default: FILE.sigstore.json).",
)
@repo_option(
    "Verify the assets of this repository's releases. Without FILE arguments it defaults "
    "to CHAINKIT_REPO, then GITHUB_REPOSITORY; with FILEs the environment is ignored.",
    from_workflow=False,
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Only these releases (glob patterns allowed; repeatable).",
)
@click.option(
    "--include-drafts",
    is_flag=True,
    help="Check draft releases too (not published; needs a token with push access).",
)
@click.option(
    "--assets",
    "asset_globs",
    multiple=True,
    metavar="GLOB",
    help="Only assets matching (repeatable).",
)
@bundle_release_option(
    "Also look for bundles in this release (where backfill puts the bundles of immutable releases)."
)
@click.option(
    "--home",
    type=click.Choice(["release-assets", "attestations", "any"]),
    default="any",
    show_default=True,
    help="Where a signature counts (with --repo): a bundle on the release, an attestation "
    "in GitHub's artifact attestations API (found by the asset's sha256), or either.",
)
@click.option(
    "--predicate-type",
    "predicate_types",
    multiple=True,
    metavar="URI",
    help="Also accept API attestations of this predicate type (chainkit's backfill type "
    "always counts; repeatable).",
)
@env_option(
    "--allow-unsigned",
    is_flag=True,
    envvar="CHAINKIT_ALLOW_UNSIGNED",
    help="Report assets without a bundle as unsigned without failing (default: they fail).",
)
@click.option(
    "--require-bundles",
    is_flag=True,
    hidden=True,
    help="Accepted for compatibility: assets without a bundle always fail now.",
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
@env_option(
    "--offline",
    is_flag=True,
    envvar="CHAINKIT_OFFLINE",
    help="Use production Sigstore's trust root embedded in the installed sigstore-python "
    "instead of refreshing it over TUF (no network; as current as that release).",
)
@json_option()
def verify(
    files: tuple[Path, ...],
    bundle: Path | None,
    repo: str | None,
    tags: tuple[str, ...],
    include_drafts: bool,
    asset_globs: tuple[str, ...],
    bundle_release: str | None,
    home: Literal["release-assets", "attestations", "any"],
    predicate_types: tuple[str, ...],
    allow_unsigned: bool,
    require_bundles: bool,
    cert_identity: str | None,
    cert_identity_regexp: str | None,
    cert_oidc_issuer: str,
    source_repository: str | None,
    server_url: str,
    trust_config: Path | None,
    offline: bool,
    as_json: bool,
) -> ExitCode:
    """Verify Sigstore bundles: signature, chain, log inclusion, identity, issuer, source repo.

    \b
    Releases:  chainkit verify --repo OWNER/NAME [--tag TAG]... --cert-identity URI
                 --cert-oidc-issuer URL [--source-repository OWNER/NAME]
    Files:     chainkit verify FILE... [--bundle FILE] --cert-identity URI --cert-oidc-issuer URL

    Every asset of a checked release needs a bundle that verifies, or an attestation in
    GitHub's attestations API for its sha256 that verifies (--home): assets without one
    are reported as unsigned and fail, unless --allow-unsigned.

    Exit 0 when everything verifies, 1 when anything fails.
    """
    from chainkit.signing import BundleVerifier, IdentityPolicy, load_trust_config
    from chainkit.verify import verify_files, verify_repository

    context = GitHubContext.from_env()
    if files and repo is not None:
        source = click.get_current_context().get_parameter_source("repo")
        if source is not ParameterSource.COMMANDLINE:
            repo = None  # CHAINKIT_REPO is a default for release mode only
    if not files and repo is None:
        repo = context.repository  # GITHUB_REPOSITORY, like every command
    if bool(files) == bool(repo):
        raise UsageError(
            "give either FILE arguments or --repo OWNER/NAME",
            remediation="see `chainkit verify --help`",
        )
    if bundle is not None and len(files) != 1:
        raise UsageError("--bundle goes with exactly one FILE")
    if files and (tags or asset_globs or include_drafts or predicate_types or home != "any"):
        raise UsageError(
            "--tag, --assets, --include-drafts, --home and --predicate-type select releases "
            "and their signatures: they go with --repo",
            remediation="to verify local files pass only FILE arguments (and --bundle)",
        )
    if repo is not None:
        parse_repository(repo)
        if source_repository is None:
            source_repository = repo
    elif source_repository is None:
        _log.warning("the source repository is not checked: pass --source-repository OWNER/NAME")
    if require_bundles:
        _log.debug("--require-bundles is the default now")
    policy = IdentityPolicy(
        issuer=cert_oidc_issuer,
        identity=cert_identity,
        identity_regexp=cert_identity_regexp,
        source_repository=source_repository,
        server_url=server_url,
    )
    verifier = BundleVerifier.from_trust_config(load_trust_config(trust_config, offline=offline))
    if files:
        report = verify_files(files, verifier=verifier, policy=policy, bundle=bundle)
    else:
        assert repo is not None
        report = verify_repository(
            repo,
            client=github_client(context),
            verifier=verifier,
            policy=policy,
            tags=tags,
            assets=asset_globs,
            allow_unsigned=allow_unsigned,
            bundle_release=bundle_release,
            include_drafts=include_drafts,
            on_result=None if as_json or is_tty() else _progress,
            home=home,
            predicate_types=predicate_types,
        )
    if as_json:
        emit_json(report.to_json())
    else:
        _render_table(report)
    append_step_summary(report.to_markdown(), path=context.step_summary)
    return ExitCode.OK if report.ok else ExitCode.FINDINGS
