"""``chainkit sandbox``: local stand-ins for GitHub and Sigstore."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from chainkit._cli._options import env_option, json_option, sandbox_dir_option
from chainkit._internal.output import emit_json, emit_text
from chainkit.errors import ExitCode

__all__ = ["sandbox"]


@click.group()
def sandbox() -> None:
    """Run local, faithful stand-ins for the GitHub REST API and Sigstore.

    The GitHub stand-in serves releases, assets, tags, environments and rate
    limits; the Sigstore stand-in serves Fulcio, Rekor and a timestamp authority.
    Point GITHUB_API_URL at the first and `sigstore --trust-config` at the second.
    """


@sandbox.command()
@env_option(
    "--seed",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="CHAINKIT_SANDBOX_SEED",
    help="Seed file (YAML or JSON) for a fresh sandbox; default: the built-in demo.",
)
@click.option(
    "--faults",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fault spec (YAML or JSON) to inject, seeded (docs/sandbox.md, 'Faults'); "
    "faults are never stored: `up` again without it serves the same state without faults.",
)
@sandbox_dir_option()
@click.option("--github-port", type=click.IntRange(0, 65535), default=0, help="0: a free port.")
@click.option("--sigstore-port", type=click.IntRange(0, 65535), default=0, help="0: a free port.")
@json_option("Print the connection details as JSON.")
@click.option("--env", "as_env", is_flag=True, help="Print `export` lines for a POSIX shell.")
def up(
    seed: Path | None,
    faults: Path | None,
    directory: Path,
    github_port: int,
    sigstore_port: int,
    as_json: bool,
    as_env: bool,
) -> ExitCode:
    """Start the sandbox in the background and wait until it answers.

    On an existing DIR the state is reused (releases, keys, log) and the seed is
    ignored. Running it again while the sandbox runs prints the same details.
    """
    from chainkit.sandbox import identity_token
    from chainkit.sandbox import up as start

    info = start(
        directory,
        seed_path=seed,
        github_port=github_port,
        sigstore_port=sigstore_port,
        faults_path=faults,
    )
    token = identity_token(info.dir)
    data = info.to_json(identity_token=token)
    if as_json:
        emit_json(data)
    elif as_env:
        exports = {
            "GITHUB_API_URL": info.github_api_url,
            "GITHUB_TOKEN": info.token,
            "CHAINKIT_TRUST_CONFIG": str(info.trust_config),
            "CHAINKIT_SANDBOX_DIR": str(info.dir),
            "CHAINKIT_WRITE_INTERVAL": "0",
        }
        emit_text("\n".join(f"export {k}={shlex.quote(v)}" for k, v in exports.items()))
    else:
        emit_text(
            "\n".join(
                f"{key}: {value}"
                for key, value in data.items()
                if key != "identity_token" and value is not None
            )
        )
    return ExitCode.OK


@sandbox.command()
@sandbox_dir_option()
def down(directory: Path) -> ExitCode:
    """Stop the background sandbox (its data stays in DIR)."""
    from chainkit.sandbox import down as stop

    info = stop(directory)
    click.echo("sandbox stopped" if info else "no sandbox was running", err=True)
    return ExitCode.OK


@sandbox.command()
@sandbox_dir_option()
@json_option("Print the details as JSON.")
def status(directory: Path, as_json: bool) -> ExitCode:
    """Say whether the sandbox runs (exit 0) or not (exit 1)."""
    from chainkit.sandbox import status as get_status

    info = get_status(directory)
    if as_json:
        emit_json(info.to_json() if info else None)
    elif info:
        emit_text(f"running (pid {info.pid}): {info.github_api_url} {info.sigstore_url}")
    else:
        emit_text("not running")
    return ExitCode.OK if info else ExitCode.FINDINGS


@sandbox.command()
@sandbox_dir_option()
@click.option("--repository", metavar="OWNER/NAME", help="Default: the seed's first repository.")
@click.option(
    "--workflow-ref",
    metavar="OWNER/NAME/.github/workflows/F.yml@REF",
    help="Sets job_workflow_ref and workflow_ref (the certificate's SAN).",
)
@click.option("--ref", default="refs/heads/main", show_default=True)
@click.option("--sha", metavar="HEX", help="Commit SHA claim (default: deterministic).")
@click.option("--event", default="workflow_dispatch", show_default=True)
@click.option("--environment", metavar="NAME", help="Deployment environment claim.")
@click.option(
    "--lifetime",
    type=click.IntRange(1, 86400),
    default=600,
    show_default=True,
    help="Seconds until the token expires.",
)
def token(
    directory: Path,
    repository: str | None,
    workflow_ref: str | None,
    ref: str,
    sha: str | None,
    event: str,
    environment: str | None,
    lifetime: int,
) -> ExitCode:
    """Print a fresh GitHub-Actions-like OIDC identity token (the JWT alone)."""
    from chainkit._internal.ghenv import parse_repository
    from chainkit.sandbox import identity_token

    if repository is not None:
        parse_repository(repository)
    emit_text(
        identity_token(
            directory,
            repository=repository,
            workflow_ref=workflow_ref,
            ref=ref,
            sha=sha,
            event=event,
            environment=environment,
            lifetime=lifetime,
        )
    )
    return ExitCode.OK
